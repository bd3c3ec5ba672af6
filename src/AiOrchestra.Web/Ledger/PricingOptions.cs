using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Ledger;

/// <summary>
/// The <c>Pricing</c> section: what each model costs per million tokens, in and out
/// (<c>Pricing__Models__gpt-4o-mini__InputPerMillion</c>). The LLM ledger prices each call with it; a model that is not
/// listed is recorded without a cost.
/// </summary>
public sealed class PricingOptions
{
    public const string Section = "Pricing";

    public Dictionary<string, ModelPrice> Models { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One model's price per million tokens, in the currency the table is written in.</summary>
public sealed class ModelPrice
{
    public decimal InputPerMillion { get; set; }

    public decimal OutputPerMillion { get; set; }
}

/// <summary>Refuses a negative price at start-up, naming the key to fix.</summary>
internal sealed class PricingOptionsValidation : IValidateOptions<PricingOptions>
{
    public ValidateOptionsResult Validate(string? name, PricingOptions options)
    {
        var problems = new List<string>();
        foreach (var (model, price) in options.Models)
        {
            if (price.InputPerMillion < 0)
            {
                problems.Add(Negative(model, nameof(ModelPrice.InputPerMillion), price.InputPerMillion));
            }
            if (price.OutputPerMillion < 0)
            {
                problems.Add(Negative(model, nameof(ModelPrice.OutputPerMillion), price.OutputPerMillion));
            }
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static string Negative(string model, string field, decimal value) =>
        $"{PricingOptions.Section}:Models:{model}:{field} is {value}; a price cannot be negative: set it to 0 or more (per million tokens), or remove the entry";
}
