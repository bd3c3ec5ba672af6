using System.ComponentModel.DataAnnotations;

namespace AiOrchestra.Web.Api;

/// <summary>The <c>Api</c> section.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>How long <c>POST /api/workflows/execute</c> waits for a run to finish before answering 202 (<c>Api__ExecuteWaitSeconds</c>).</summary>
    [Range(0, 300)]
    public int ExecuteWaitSeconds { get; set; } = 30;
}
