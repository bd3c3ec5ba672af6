using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Dashboard;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Users;

/// <summary>The dashboard with its first account, the administrator <see cref="Root"/>, and a clock the tests move.</summary>
public class UsersHost : DashboardHost
{
    public const string Root = "root";

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Admin:UserName", Root);
        builder.UseSetting("Admin:Password", Password);
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Time));
    }

    public async Task<string> IdOfAsync(string userName) =>
        await InScope<string, UserManager<AppUser>>(async users => (await users.FindByNameAsync(userName))!.Id);

    public async Task<AppUser?> FindAsync(string userName) =>
        await InScope<AppUser?, UserManager<AppUser>>(users => users.FindByNameAsync(userName));

    /// <summary>A client with an API token of <paramref name="userName"/>, from POST /api/auth/login.</summary>
    public async Task<HttpClient> ApiAsync(string userName, string password = Password)
    {
        var client = CreateClient();
        var login = await client.PostAsJsonAsync("/api/auth/login", new { username = userName, password });
        Assert.True(login.StatusCode == HttpStatusCode.OK, await login.Content.ReadAsStringAsync());
        var token = JsonNode.Parse(await login.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static string NewName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];
}
