namespace AiOrchestra.Web.Metrics;

/// <summary>Counts each request an integration's client sends, by provider and answer; registered inside the retry handler.</summary>
internal sealed class IntegrationCallsHandler(string provider, OperationMetrics metrics) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch
        {
            metrics.IntegrationCall(provider, null);
            throw;
        }
        metrics.IntegrationCall(provider, (int)response.StatusCode);
        return response;
    }
}
