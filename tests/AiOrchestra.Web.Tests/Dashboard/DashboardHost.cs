using System.Net;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Store;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>The real app with the dashboard, on a test class's own SQLite file.</summary>
public class DashboardHost : WebApplicationFactory<Program>
{
    public const string Password = "Password123";

    private readonly TempDatabase _database = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(StoreHost.RepositoryRoot);
        _database.Configure(builder);
        // the tests sign in far more often than a person: the address's attempt budget is tested in LoginLimitTests
        builder.UseSetting("Auth:LoginAttemptsPerMinute", "1000");
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<IDataProtectionProvider, EphemeralDataProtectionProvider>();
        });
    }

    public async Task<string> CreateUserAsync(string userName)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = new AppUser { UserName = userName };
        var created = await users.CreateAsync(user, Password);
        Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Description)));
        return user.Id;
    }

    public async Task<T> InScope<T, TService>(Func<TService, Task<T>> action) where TService : notnull
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    /// <summary>A partial drawn as the live stream draws it (outside any page).</summary>
    public async Task<string> RenderPartialAsync<TModel>(string path, TModel model)
    {
        await using var scope = Services.CreateAsyncScope();
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = scope.ServiceProvider };
        return await scope.ServiceProvider.GetRequiredService<AiOrchestra.Web.Dashboard.PartialHtml>().RenderAsync(http, path, model);
    }

    public HttpClient Anonymous() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    /// <summary>A client signed in through the login form, as a browser would be.</summary>
    public async Task<HttpClient> SignedInAsync(string userName)
    {
        var client = Anonymous();
        var response = await client.PostFormAsync("/Account/Login", new() { ["UserName"] = userName, ["Password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _database.Dispose();
        }
    }
}

public static class HtmlClient
{
    private static readonly HtmlParser Parser = new();

    public static async Task<IHtmlDocument> GetDocumentAsync(this HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Parser.ParseDocument(await response.Content.ReadAsStringAsync());
    }

    public static IHtmlDocument Parse(string html) => Parser.ParseDocument(html);

    /// <summary>Fetches the form page for its antiforgery token and posts the fields with it, as the browser does.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string url, Dictionary<string, string> fields, string? formPage = null) =>
        await client.PostFormAsync(url, fields, formPage, htmx: false);

    /// <summary>As <see cref="PostFormAsync(HttpClient, string, Dictionary{string, string}, string?)"/>, sent as htmx sends a form (HX-Request).</summary>
    public static async Task<HttpResponseMessage> PostHtmxAsync(this HttpClient client, string url, Dictionary<string, string> fields, string? formPage = null) =>
        await client.PostFormAsync(url, fields, formPage, htmx: true);

    private static async Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string url, Dictionary<string, string> fields, string? formPage, bool htmx)
    {
        var page = await client.GetDocumentAsync(formPage ?? url.Split('?')[0]);
        var token = page.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value")
                    ?? page.QuerySelector("meta[name=request-verification-token]")!.GetAttribute("content")!;
        var body = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token };
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(body) };
        if (htmx)
        {
            request.Headers.Add("HX-Request", "true");
        }
        return await client.SendAsync(request);
    }
}
