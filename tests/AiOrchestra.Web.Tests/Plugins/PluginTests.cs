using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Outbound;
using AiOrchestra.Plugins;
using AiOrchestra.Web.Plugins;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.Integrations;
using AiOrchestra.Web.Tests.Store;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Plugins;

/// <summary>
/// Step types from assemblies: the sample plugin (samples/ChatWebhookPlugin, built with the tests) copied into a plugins
/// folder, loaded in its own load context and run; and every way a plugin can fail to load, reported and never fatal.
/// </summary>
public sealed class PluginTests : IDisposable
{
    private readonly string _plugins = Directory.CreateTempSubdirectory("plugins-").FullName;

    public void Dispose() => Directory.Delete(_plugins, recursive: true);

    /// <summary>The sample plugin's build output, as a user drops it into the plugins folder.</summary>
    internal static void CopySample(string plugins)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var output = Path.Combine(StoreHost.RepositoryRoot, "samples", "ChatWebhookPlugin", "bin", configuration, "net10.0");
        var target = Directory.CreateDirectory(Path.Combine(plugins, "ChatWebhookPlugin")).FullName;
        foreach (var file in Directory.GetFiles(output))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }

    private static IStepType Load(PluginSet plugins, params string[] allow)
    {
        var services = new ServiceCollection();
        services.AddSingleton(new OutboundPolicy(allow));
        services.AddPlugins(plugins);
        var provider = services.BuildServiceProvider();
        return new StepCatalog(provider.GetServices<IStepType>()).Find("chat_webhook") ?? throw new InvalidOperationException("chat_webhook was not registered");
    }

    private static StepCall Call(string url, string text = "Build green") =>
        new("post", new JsonObject { ["url"] = url, ["text"] = text, ["username"] = "orchestra" }, IntegrationHarness.NewContext());

    [Fact]
    public async Task The_sample_plugin_loads_in_its_own_context_and_posts_to_the_webhook()
    {
        CopySample(_plugins);
        var plugins = PluginSet.Load(_plugins);
        Assert.Empty(plugins.Problems);
        var (plugin, step) = Assert.Single(plugins.Steps);
        Assert.Equal("ChatWebhookPlugin", plugin);
        // its own load context, sharing the contract's types with the app
        Assert.NotSame(System.Runtime.Loader.AssemblyLoadContext.Default, System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(step.GetType().Assembly));
        Assert.IsAssignableFrom<IPluginStep>(step);

        await using var chat = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 200, "\"ok\""));
        var type = Load(plugins, "127.0.0.1");
        Assert.Equal(["url", "text", "username"], type.Actions.Single().Parameters.Select(p => p.Name));
        Assert.Equal([true, true, false], type.Actions.Single().Parameters.Select(p => p.Required));

        var output = await type.ExecuteAsync(Call(chat.Url + "/hooks/T1"), CancellationToken.None);

        Assert.Equal(200, (int)output!["status"]!);
        var request = Assert.Single(chat.Received);
        Assert.Equal("POST /hooks/T1", request.ToString());
        Assert.Equal("Build green", (string?)JsonNode.Parse(request.Body)!["text"]);
        Assert.Equal("orchestra", (string?)JsonNode.Parse(request.Body)!["username"]);
    }

    [Fact]
    public async Task A_plugins_calls_pass_the_outbound_policy_and_its_failures_are_step_failures()
    {
        CopySample(_plugins);
        await using var chat = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 503, """{"error": "down for maintenance"}"""));

        // this machine is refused unless allowed, as for the http step
        var refused = await Assert.ThrowsAsync<StepFailedException>(() => Load(PluginSet.Load(_plugins)).ExecuteAsync(Call(chat.Url), CancellationToken.None));
        Assert.Empty(chat.Received);
        Assert.Contains("chat_webhook could not reach its address", refused.Message);

        var failed = await Assert.ThrowsAsync<StepFailedException>(() => Load(PluginSet.Load(_plugins), "127.0.0.1").ExecuteAsync(Call(chat.Url), CancellationToken.None));
        Assert.Contains("the webhook answered 503: {\"error\": \"down for maintenance\"}", failed.Message);
        Assert.True(failed.Transient);
    }

    [Fact]
    public void A_plugin_built_for_another_contract_is_reported_and_not_loaded()
    {
        CopySample(_plugins);
        var plugins = PluginSet.Load(_plugins, contractVersion: PluginContract.Version + 1);
        Assert.Empty(plugins.Steps);
        Assert.Equal($"plugin ChatWebhookPlugin: it was built for plugin contract {PluginContract.Version}, this app supports {PluginContract.Version + 1}; rebuild it against this version's AiOrchestra.Plugins",
            Assert.Single(plugins.Problems));
    }

    [Fact]
    public void A_plugin_that_cannot_load_or_has_no_assembly_is_reported_and_the_others_load()
    {
        CopySample(_plugins);
        File.WriteAllBytes(Path.Combine(Directory.CreateDirectory(Path.Combine(_plugins, "Broken")).FullName, "Broken.dll"), [0x4d, 0x5a, 1, 2, 3]);
        Directory.CreateDirectory(Path.Combine(_plugins, "Empty"));

        var plugins = PluginSet.Load(_plugins);

        Assert.Equal("chat_webhook", Assert.Single(plugins.Steps).Step.Name);
        Assert.Contains(plugins.Problems, p => p.StartsWith("plugin Broken: it could not be loaded: BadImageFormatException", StringComparison.Ordinal));
        Assert.Contains(plugins.Problems, p => p.StartsWith("plugin Empty: ", StringComparison.Ordinal) && p.Contains("Empty.dll is missing", StringComparison.Ordinal));
    }

    [Fact]
    public void A_plugin_step_type_taking_an_existing_name_is_refused()
    {
        CopySample(_plugins);
        var services = new ServiceCollection();
        services.AddSingleton(new OutboundPolicy([]));
        services.AddSingleton<IStepType>(new NamedStep("chat_webhook"));
        services.AddPlugins(PluginSet.Load(_plugins));

        var catalog = new StepCatalog(services.BuildServiceProvider().GetServices<IStepType>());

        Assert.IsType<NamedStep>(catalog.Find("chat_webhook"));
        Assert.Contains(catalog.Refused, r => r.Type is PluginStep && r.Reason.StartsWith("the step type \"chat_webhook\" already exists", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_app_lists_a_plugins_step_type_everywhere_and_shows_what_did_not_load_on_settings()
    {
        CopySample(_plugins);
        File.WriteAllBytes(Path.Combine(Directory.CreateDirectory(Path.Combine(_plugins, "Broken")).FullName, "Broken.dll"), [1, 2, 3]);
        await using var host = new PluginHost(_plugins);
        await host.CreateUserAsync("plugins");
        var client = await host.SignedInAsync("plugins");

        var settings = HtmlClient.Parse(await client.GetStringAsync("/Settings"));
        Assert.Contains("chat_webhook", settings.GetElementById("plugins")!.TextContent);
        Assert.Contains("plugin Broken: it could not be loaded", settings.GetElementById("step-type-problems")!.TextContent);

        var editor = await client.GetStringAsync("/Workflows/Edit");
        Assert.Contains("data-step-type=\"chat_webhook\"", editor);
        var validation = await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "notify", ["Form.Name"] = "Notify",
            ["Form.Steps[0].StepId"] = "say", ["Form.Steps[0].StepType"] = "chat_webhook", ["Form.Steps[0].Action"] = "post",
            ["Form.Steps[0].Parameters[text]"] = "hi",
            ["Command"] = "save",
        });
        Assert.Equal(HttpStatusCode.OK, validation.StatusCode);
        Assert.Contains("url", HtmlClient.Parse(await validation.Content.ReadAsStringAsync()).QuerySelector("[data-path='steps[0].parameters.url']")?.TextContent ?? "(no error at steps[0].parameters.url)");
    }

    private sealed class PluginHost(string plugins) : DashboardHost
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Plugins:Folder", plugins);
        }
    }

    private sealed class NamedStep(string name) : IStepType
    {
        public string Name => name;
        public string Description => "a built-in step type";
        public IReadOnlyList<StepAction> Actions => [];
        public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken) => Task.FromResult<JsonNode?>(null);
    }
}
