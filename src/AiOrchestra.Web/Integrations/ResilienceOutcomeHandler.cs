using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AiOrchestra.Web.Integrations;

/// <summary>
/// Outermost handler of each provider client: turns the resilience pipeline's own exceptions into the BCL's, so the
/// engine (which knows nothing of Polly) sees a timeout as a <see cref="TimeoutException"/> and an open circuit as an
/// <see cref="HttpRequestException"/> — both transient.
/// </summary>
internal sealed class ResilienceOutcomeHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        catch (TimeoutRejectedException e)
        {
            throw new TimeoutException($"no answer within {e.Timeout.TotalSeconds:0.#} s", e);
        }
        catch (BrokenCircuitException e)
        {
            throw new HttpRequestException("too many recent failures, calls are paused for a while", e);
        }
    }
}
