using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Prompt;
using AiOrchestra.Engine.Steps.Template;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>
/// The whole app on real Kestrel (127.0.0.1, a free port) with its own SQLite file in a temp folder,
/// the administrator of <see cref="AdminUser"/> created at start-up, and a known signing key.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "Admin-Pass-123";
    public const string SigningKeyText = "test-signing-key-that-is-long-enough-for-hs256";

    private readonly Store.TempDatabase _database;
    private readonly string _folder;

    public ApiFactory() : this(sqliteOnly: false)
    {
    }

    /// <param name="sqliteOnly">For tests that read or fill the SQLite file itself.</param>
    protected ApiFactory(bool sqliteOnly)
    {
        _database = new Store.TempDatabase(sqliteOnly);
        _folder = _database.Folder;
        UseKestrel(0);
    }

    /// <summary>The SQLite file (tests on SQLite only).</summary>
    public string DatabaseFile => Path.Combine(_folder, "test.db");

    /// <summary>Settings a test class changes (a low login rate limit, a short execute wait).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(RepositoryRoot());
        _database.Configure(builder);
        builder.UseSetting("Admin:UserName", AdminUser);
        builder.UseSetting("Admin:Password", AdminPassword);
        builder.UseSetting("Auth:SigningKey", SigningKeyText);
        builder.UseSetting("Auth:LoginAttemptsPerMinute", "1000");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services =>
        {
            // the offline step types the tests' workflows use
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IStepType, TemplateStep>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IStepType, PromptStep>());
        });
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient Anonymous() => CreateDefaultClient();

    /// <summary>A client that sends <paramref name="token"/> as a bearer token on every request.</summary>
    public HttpClient WithToken(string token) => CreateDefaultClient(new BearerToken(token));

    public async Task<string> LoginAsync(string user = AdminUser, string password = AdminPassword)
    {
        using var client = Anonymous();
        var response = await client.PostAsJsonAsync("/api/auth/login", new { username = user, password });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!["access_token"]!.GetValue<string>();
    }

    public async Task<HttpClient> AdminAsync() => WithToken(await LoginAsync());

    /// <summary>Creates another user and returns a client logged in as them.</summary>
    public async Task<HttpClient> NewUserAsync(string name)
    {
        StartServer();
        using (var scope = Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var created = await users.CreateAsync(new AppUser { UserName = name }, AdminPassword);
            Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Description)));
        }
        return WithToken(await LoginAsync(name, AdminPassword));
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _database.Dispose();
        }
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "AiOrchestra.sln")))
        {
            folder = folder.Parent;
        }
        return folder?.FullName ?? throw new InvalidOperationException("AiOrchestra.sln not found above " + AppContext.BaseDirectory);
    }

    private sealed class BearerToken(string token) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return base.SendAsync(request, cancellationToken);
        }
    }
}

internal static class ResponseExtensions
{
    public static async Task<JsonNode> JsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("empty body");

    /// <summary>Asserts the status and that the body is problem details; returns it.</summary>
    public static async Task<JsonNode> ProblemAsync(this HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>() ?? problem["title"]?.GetValue<string>()));
        return problem;
    }
}
