using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Integrations;

public class ProviderTests
{
    [Fact]
    public void A_retry_after_date_is_measured_from_the_injected_clock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var provider = new Provider("Example", "Example:Token", new IntegrationSecrets(new ConfigurationBuilder().Build()), time);

        Assert.Equal(TimeSpan.FromSeconds(30), provider.RetryAfter(time.GetUtcNow().AddSeconds(30).ToString("R")));
        Assert.Equal(TimeSpan.Zero, provider.RetryAfter(time.GetUtcNow().AddSeconds(-5).ToString("R")));
    }
}
