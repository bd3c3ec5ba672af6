using System.Globalization;
using System.Text.RegularExpressions;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Web.Pages;

/// <summary>
/// Error paths count steps from 0 (<c>steps[2]</c>, as JSON and the API have them); the editor's cards count from 1.
/// Shown to a person, an error names the card first and keeps the path: "Step 3 (steps[2].parameters.url): …".
/// </summary>
public static partial class StepNumbers
{
    public static string Describe(ValidationError error)
    {
        var step = StepPath().Match(error.Path);
        if (!step.Success || !int.TryParse(step.Groups["index"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return error.ToString();
        }
        return $"Step {index + 1} ({error.Path}): {error.Message}";
    }

    [GeneratedRegex(@"\Asteps\[(?<index>[0-9]{1,6})\]")]
    private static partial Regex StepPath();
}
