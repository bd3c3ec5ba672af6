using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>
/// The app as deployed (Production), with a few test-only addresses behind the app's own pipeline that fail the way
/// real code can: throw, answer 403, answer 503 with Retry-After.
/// </summary>
public sealed class ProductionHost : DashboardHost
{
    public const string Secret = "connection string with Password=hunter2";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new FailingAddresses()));
    }

    private sealed class FailingAddresses : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            // reached only when no endpoint matched: inside the app's error handling, as a failing page would be
            app.Map("/test/boom", b => b.Run(_ => throw new InvalidOperationException(Secret)));
            app.Map("/api/test/boom", b => b.Run(_ => throw new InvalidOperationException(Secret)));
            app.Map("/test/forbidden", b => b.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }));
            app.Map("/test/unavailable", b => b.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "30";
                return Task.CompletedTask;
            }));
        };
    }
}

/// <summary>Every failed page answers a page in the app's layout with a way back; /api answers problem details.</summary>
public sealed class ErrorPagesTests(ProductionHost host) : IClassFixture<ProductionHost>
{
    private async Task<HttpClient> SignedInAsync()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await host.CreateUserAsync(name);
        return await host.SignedInAsync(name);
    }

    [Theory]
    [InlineData("/no/such/page", 404, "Page not found")]
    [InlineData("/Workflows/Edit/no_such_workflow", 404, "Page not found")]
    [InlineData("/Logs/00000000-0000-0000-0000-000000000000", 404, "Page not found")]
    [InlineData("/test/forbidden", 403, "Not allowed")]
    [InlineData("/test/boom", 500, "Something went wrong")]
    [InlineData("/test/unavailable", 503, "Temporarily unavailable")]
    public async Task A_failed_page_shows_what_happened_in_the_layout_with_a_way_back(string url, int status, string title)
    {
        var client = await SignedInAsync();

        var response = await client.GetAsync(url);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        var page = HtmlClient.Parse(html);
        Assert.Equal(title, page.QuerySelector("main h1")?.TextContent);
        Assert.NotNull(page.QuerySelector("header.top nav a[href='/Logs']"));
        Assert.NotNull(page.QuerySelector("main a[href='/']"));
        Assert.DoesNotContain("hunter2", html);
        Assert.DoesNotContain("InvalidOperationException", html);
        Assert.DoesNotContain("at AiOrchestra", html);
        if (status == 503)
        {
            Assert.Contains("try again in 30 seconds", page.QuerySelector("main")!.TextContent);
        }
    }

    [Fact]
    public async Task A_signed_out_visitor_gets_the_page_too_and_a_form_posted_to_a_missing_address_as_well()
    {
        var anonymous = host.Anonymous();
        var missing = await anonymous.GetAsync("/no/such/page");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("Page not found", HtmlClient.Parse(await missing.Content.ReadAsStringAsync()).QuerySelector("main h1")?.TextContent);

        var client = await SignedInAsync();
        var posted = await client.PostFormAsync("/no/such/form", new() { ["x"] = "1" }, formPage: "/");
        Assert.Equal(HttpStatusCode.NotFound, posted.StatusCode);
        Assert.Equal("Page not found", HtmlClient.Parse(await posted.Content.ReadAsStringAsync()).QuerySelector("main h1")?.TextContent);
    }

    [Theory]
    [InlineData("/api/no/such/thing", 404)]
    [InlineData("/api/test/boom", 500)]
    public async Task The_api_answers_problem_details_not_a_page(string url, int status)
    {
        var response = await host.Anonymous().GetAsync(url);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("hunter2", await response.Content.ReadAsStringAsync());
    }
}
