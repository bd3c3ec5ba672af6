using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AiOrchestra.Web.Metrics;

/// <summary>
/// The instruments around the runs (meter <c>AiOrchestra</c>): integration HTTP calls, trigger fires and history
/// deleted by retention. Tags are built on the stack; with nothing listening an add is a flag check.
/// </summary>
public sealed class OperationMetrics
{
    private readonly Counter<long> _integrationCalls;
    private readonly Counter<long> _triggerFires;
    private readonly Counter<long> _retentionDeleted;

    public OperationMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(RunMetrics.MeterName);
        _integrationCalls = meter.CreateCounter<long>("aiorchestra.integration.calls", "{call}",
            "HTTP requests sent to integrations (each retry counts), by provider and status code, or 'error' without an answer");
        _triggerFires = meter.CreateCounter<long>("aiorchestra.trigger.fires", "{fire}",
            "Trigger fires by trigger type, workflow and outcome ('started' a run, or 'failed')");
        _retentionDeleted = meter.CreateCounter<long>("aiorchestra.retention.deleted", "{run}", "Finished runs deleted by retention");
    }

    public void IntegrationCall(string provider, int? statusCode) => _integrationCalls.Add(1, new TagList
    {
        { "provider", provider }, { "status", statusCode is { } code ? StatusText(code) : "error" },
    });

    public void TriggerFired(string type, string workflowId, bool started) => _triggerFires.Add(1, new TagList
    {
        { "type", type }, { "workflow", workflowId }, { "outcome", started ? "started" : "failed" },
    });

    public void RetentionDeleted(int runs) => _retentionDeleted.Add(runs);

    // the common codes without a string allocation per call
    private static string StatusText(int code) => code switch
    {
        200 => "200", 201 => "201", 204 => "204", 400 => "400", 401 => "401", 403 => "403", 404 => "404", 408 => "408",
        409 => "409", 422 => "422", 429 => "429", 500 => "500", 502 => "502", 503 => "503", 504 => "504",
        _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
