using System.Net;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>Every answer carries the browser protections; over HTTPS also HSTS and Secure cookies.</summary>
public sealed class SecurityHeadersTests(ProductionHost host) : IClassFixture<ProductionHost>
{
    private static void AssertProtected(HttpResponseMessage response, string url)
    {
        var policy = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        Assert.True(policy.Contains("script-src 'self'", StringComparison.Ordinal), $"{url}: {policy}");
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("same-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        if (!url.StartsWith("/api/docs", StringComparison.Ordinal))
        {
            // pages run only the app's own files: no inline script or style, nothing from elsewhere
            Assert.Contains("default-src 'self'", policy);
            Assert.Contains("style-src 'self';", policy);
            Assert.DoesNotContain("unsafe", policy);
        }
    }

    [Fact]
    public async Task Every_page_signed_in_or_not_and_every_error_answer_carries_the_headers()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await host.CreateUserAsync(name);
        var client = await host.SignedInAsync(name);
        var pages = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<PageActionDescriptor>() is not null)
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/').Replace("{id?}", "").Replace("{code:int?}", "404").Replace("{id}", "x"))
            .Distinct()
            .ToList();
        Assert.Contains("/Settings", pages);

        string[] others = ["/", "/no/such/page", "/test/boom", "/api/workflows", "/api/no/such", "/health", "/api/docs", "/lib/htmx/htmx.min.js", "/css/site.css"];
        foreach (var url in pages.Concat(others))
        {
            AssertProtected(await client.GetAsync(url), url);
            AssertProtected(await host.Anonymous().GetAsync(url), url);
        }
    }

    [Fact]
    public async Task Over_https_the_answer_asks_for_https_from_now_on_and_cookies_are_secure()
    {
        var client = host.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://orchestra.example"), AllowAutoRedirect = false });
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await host.CreateUserAsync(name);

        var login = await client.GetAsync("/Account/Login");
        var signedIn = await client.PostFormAsync("/Account/Login", new() { ["UserName"] = name, ["Password"] = DashboardHost.Password });

        Assert.Contains("max-age=31536000", Assert.Single(login.Headers.GetValues("Strict-Transport-Security")));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var cookies = login.Headers.GetValues("Set-Cookie").Concat(signedIn.Headers.GetValues("Set-Cookie")).ToList();
        Assert.Contains(cookies, c => c.StartsWith("AiOrchestra.Auth=", StringComparison.Ordinal));
        Assert.All(cookies, cookie => Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Over_plain_http_no_hsts_is_sent()
    {
        var response = await host.Anonymous().GetAsync("/Account/Login");
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }
}
