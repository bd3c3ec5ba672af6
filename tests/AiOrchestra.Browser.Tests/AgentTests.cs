using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>
/// An agent step watched in Chromium: its conversation fills in live on the run page (the model's turn, the tool call
/// with its result, the answer), each entry once, against a fake OpenAI server that speaks streamed tool calls.
/// </summary>
public sealed class AgentTests : IAsyncLifetime
{
    private readonly TaskCompletionSource _modelGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _model;
    private BrowserHost? _host;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private int _chats;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _model = builder.Build();
        _model.Run(AnswerAsync);
        await _model.StartAsync();
        var modelUrl = _model.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        _host = new BrowserHost(new Dictionary<string, string> { ["OpenAI:ApiKey"] = "sk-browser-test", ["OpenAI:BaseUrl"] = modelUrl + "/v1" });
        (_playwright, _browser) = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        _modelGate.TrySetResult();
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        if (_model is not null)
        {
            await _model.DisposeAsync();
        }
    }

    /// <summary>OpenAI's streamed chat completions: first (once the test lets it) a call of the tool 'hold', then the answer.</summary>
    private async Task AnswerAsync(HttpContext context)
    {
        var first = Interlocked.Increment(ref _chats) == 1;
        if (first)
        {
            await _modelGate.Task.WaitAsync(context.RequestAborted);
        }
        context.Response.ContentType = "text/event-stream";
        const string head = "\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-mini\"";
        var chunks = first
            ? new[]
            {
                $"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"Let me check.\"}},\"finish_reason\":null}}]}}",
                $"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{{\"name\":\"hold\",\"arguments\":\"{{}}\"}}}}]}},\"finish_reason\":null}}]}}",
                $"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"tool_calls\"}}]}}",
            }
            : new[]
            {
                $"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"All done: the gate opened.\"}},\"finish_reason\":null}}]}}",
                $"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}",
            };
        foreach (var chunk in chunks.Append($"{{{head},\"choices\":[],\"usage\":{{\"prompt_tokens\":20,\"completion_tokens\":5,\"total_tokens\":25}}}}"))
        {
            await context.Response.WriteAsync($"data: {chunk}\n\n");
            await context.Response.Body.FlushAsync();
        }
        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    [Fact]
    public async Task The_run_page_fills_in_the_agents_conversation_live_each_entry_once()
    {
        var host = _host!;
        var page = await host.NewPageAsync(_browser!);
        await host.SetUpAdministratorAsync(page);

        using var api = new HttpClient { BaseAddress = new Uri(host.BaseAddress) };
        var login = await api.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "Password123" });
        var token = (string)JsonNode.Parse(await login.Content.ReadAsStringAsync())!["access_token"]!;
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var workflow = """
            { "workflow_id": "gate_agent", "name": "Agent with a gate tool",
              "steps": [ { "step_id": "ask", "step_type": "agent", "action": "run",
                           "parameters": { "instructions": "Use the tool.", "input": "Open the gate.",
                                           "tools": [ { "name": "hold", "step_type": "gate", "action": "wait", "parameters": { "name": "agent-tool" } } ] } } ] }
            """;
        var created = await api.PostAsync("/api/workflows", new StringContent(workflow, Encoding.UTF8, "application/json"));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var queued = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "gate_agent", wait = false });
        var runId = (string)JsonNode.Parse(await queued.Content.ReadAsStringAsync())!["run_id"]!;

        // the page is open before the model's first turn: everything that follows arrives live
        await page.GotoAsync("/Logs/" + runId);
        var entries = page.Locator("#conversation-ask-entries > li");
        await Assertions.Expect(page.Locator("#conversation-ask-entries")).ToBeAttachedAsync();
        await Assertions.Expect(entries).ToHaveCountAsync(0);
        _modelGate.SetResult();

        await Assertions.Expect(entries).ToHaveCountAsync(1);
        await Assertions.Expect(entries.Nth(0)).ToHaveAttributeAsync("data-kind", "turn");
        await Assertions.Expect(entries.Nth(0)).ToContainTextAsync("Let me check.");
        await Assertions.Expect(entries.Nth(0).Locator(".tool-request code")).ToHaveTextAsync("hold");

        host.Gates.Gate("agent-tool").SetResult();
        await Assertions.Expect(page.Locator("#run-status")).ToHaveAttributeAsync("data-status", "succeeded");
        await Assertions.Expect(entries).ToHaveCountAsync(3);
        await Assertions.Expect(entries.Nth(1)).ToHaveAttributeAsync("data-tool", "hold");
        await Assertions.Expect(entries.Nth(1)).ToContainTextAsync("gate agent-tool opened");
        await Assertions.Expect(entries.Nth(2)).ToContainTextAsync("All done: the gate opened.");

        // a reload draws the same conversation from the store
        await page.ReloadAsync();
        await Assertions.Expect(entries).ToHaveCountAsync(3);
        await Assertions.Expect(entries.Nth(1)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-succeeded"));
    }
}
