using System.Net;
using AiOrchestra.Engine.Tests.Integrations.Weather;
using AiOrchestra.Web.Integrations;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>The app with the weather integration registered by one line, its server the fake, no key configured.</summary>
internal sealed class WeatherApp(string weatherUrl) : ApiFactory
{
    public string Folder => Path.GetDirectoryName(DatabaseFile)!;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        [WeatherIntegration.BaseUrl] = weatherUrl,
        [WeatherIntegration.Account] = "team-north",
        ["Integrations:Resilience:Retry:Delay"] = "00:00:00.001",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices((context, services) =>
        {
            services.AddIntegration(WeatherIntegration.Declaration, context.Configuration);
            services.AddSingleton<IDataProtectionProvider, EphemeralDataProtectionProvider>();
        });
    }

    public async Task<HttpClient> BrowserAsync()
    {
        Uri address;
        using (var probe = Anonymous())
        {
            address = probe.BaseAddress!;
        }
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = address };
        var response = await client.PostFormAsync("/Account/Login", new() { ["UserName"] = AdminUser, ["Password"] = AdminPassword });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }
}
