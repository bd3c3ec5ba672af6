using AiOrchestra.Engine.Execution;

namespace AiOrchestra.Engine.Steps.Integrations;

/// <summary>
/// The Settings page's "Test connection" of one integration: the request its declaration builds
/// (<see cref="Integration.CheckConnection"/>), with the credentials its steps use, sent as a single attempt with a short
/// deadline through the integration's check client (no retries, no per-request log lines): a person is waiting on the
/// answer. The answer is null when it worked, or the sentence a failing step would give (which setting to check),
/// scrubbed of secrets.
/// </summary>
public sealed class ConnectionCheck
{
    /// <summary>How long a check waits for the provider before saying it did not answer.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly Integration _integration;
    private readonly ConnectionRequest _request;
    private readonly IServiceProvider _services;
    private readonly IntegrationSecrets _secrets;
    private readonly IHttpClientFactory _clients;
    private readonly string _clientName;

    public ConnectionCheck(Integration integration, IServiceProvider services, IntegrationSecrets secrets, IHttpClientFactory clients)
    {
        if (integration.CheckConnection is not { } request || integration.HttpClient is not { } http)
        {
            throw new ArgumentException($"the integration '{integration.Name}' declares no connection check and HTTP client", nameof(integration));
        }
        _integration = integration;
        _request = request;
        _services = services;
        _secrets = secrets;
        _clients = clients;
        _clientName = CheckClientName(http.Name);
    }

    /// <summary>The check's own client of an integration's named client: one attempt, no resilience pipeline, no logging.</summary>
    public static string CheckClientName(string clientName) => clientName + ".check";

    /// <summary>The <see cref="Integration.Name"/> it checks.</summary>
    public string Integration => _integration.Name;

    public async Task<string?> TestAsync(CancellationToken cancellationToken)
    {
        var provider = _integration.Provider(_secrets);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        try
        {
            using var request = await _request(new ConnectionCheckCall(_services, _secrets, provider, _clientName), deadline.Token);
            using var response = await _clients.CreateClient(_clientName).SendAsync(request, deadline.Token);
            await provider.EnsureSuccessAsync(response, deadline.Token);
            return null;
        }
        catch (StepFailedException e)
        {
            return _secrets.Scrub(e.Message);
        }
        catch (HttpRequestException e)
        {
            return _secrets.Scrub($"could not reach {provider.Name}: {e.Message}; check its base URL and the network");
        }
        catch (TimeoutException e)
        {
            return _secrets.Scrub($"{provider.Name} did not answer in time ({e.Message})");
        }
        catch (System.Text.Json.JsonException e)
        {
            return _secrets.Scrub($"{provider.Name} sent a response that could not be read as JSON: {e.Message}; check its base URL");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"{provider.Name} did not answer within {Deadline.TotalSeconds:0} s; check its base URL and the network";
        }
    }
}
