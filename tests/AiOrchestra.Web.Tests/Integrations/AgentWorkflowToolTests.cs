using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>Another workflow as an agent's tool: offered with its variables and description, called as a linked child run.</summary>
public sealed class AgentWorkflowToolTests
{
    private const string Lookup = """
        { "workflow_id": "lookup_customer", "name": "Look up a customer",
          "description": "Finds a customer by email address.",
          "steps": [ { "step_id": "card", "step_type": "template", "action": "render",
                       "parameters": { "text": "{{email}} is Ada Lovelace, customer since 1843" } } ],
          "variables": { "email": "" } }
        """;

    private const string Support = """
        { "workflow_id": "support", "name": "Support agent",
          "steps": [ { "step_id": "helper", "step_type": "agent", "action": "run",
                       "parameters": { "instructions": "Help the customer.", "input": "Who is ada@example.com?",
                                       "tools": [ { "workflow": "lookup_customer" } ] } } ] }
        """;

    [Fact]
    public async Task A_workflow_tool_is_offered_with_its_variables_and_runs_as_a_child_run_whose_outputs_the_model_reads()
    {
        var chats = 0;
        await using var fakes = await FakeServer.StartAsync((_, context) => Interlocked.Increment(ref chats) == 1
            ? AgentFakes.OpenAIToolCallsAsync(context, ("call_1", "lookup_customer", """{"email": "ada@example.com"}"""))
            : OpenAIStepTests.StreamAsync(context, "That is Ada Lovelace."));
        using var app = new IntegrationApp(fakes.Url);
        using var api = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Lookup))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Support))).StatusCode);

        var run = await IntegrationApp.ExecuteAsync(api, "support");

        Assert.True((bool)run["success"]!, run.ToJsonString());
        Assert.Equal("That is Ada Lovelace.", (string?)run["outputs"]!["helper"]!["answer"]);
        // offered as a function named after the workflow, its description and its variable as the schema
        var tool = JsonNode.Parse(fakes.Received[0].Body)!["tools"]![0]!["function"]!;
        Assert.Equal("lookup_customer", (string?)tool["name"]);
        Assert.Equal("Finds a customer by email address.", (string?)tool["description"]);
        Assert.Equal("string", (string?)tool["parameters"]!["properties"]!["email"]!["type"]);
        // the model reads the child's outputs
        var result = (string?)AgentFakes.Messages(fakes.Received[1])[3]!["content"];
        Assert.Contains("ada@example.com is Ada Lovelace, customer since 1843", result);
        // the call ran as a child run of the agent's run, linked to its step
        var parentId = (string)run["run_id"]!;
        var childId = (string)JsonNode.Parse(result!)!["run_id"]!;
        var child = await (await api.GetAsync($"/api/runs/{childId}")).JsonAsync();
        Assert.Equal("succeeded", (string?)child["status"]);
        Assert.Equal("lookup_customer", (string?)child["workflow_id"]);
        Assert.Equal(parentId, (string?)child["parent_run_id"]);
        Assert.Equal("helper", (string?)child["parent_step_id"]);
        // the run page's conversation links to the child run
        using var browser = await app.BrowserAsync();
        var page = await browser.GetStringAsync($"/Logs/{parentId}");
        Assert.Contains($"href=\"/Logs/{childId}\"", page);
    }

    [Fact]
    public async Task A_workflow_tool_deleted_after_the_agent_was_saved_fails_that_call_recorded_and_the_agent_goes_on()
    {
        var chats = 0;
        await using var fakes = await FakeServer.StartAsync((_, context) => Interlocked.Increment(ref chats) == 1
            ? AgentFakes.OpenAIToolCallsAsync(context, ("call_1", "lookup_customer", """{"email": "ada@example.com"}"""))
            : OpenAIStepTests.StreamAsync(context, "I cannot look customers up right now."));
        using var app = new IntegrationApp(fakes.Url);
        using var api = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Lookup))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Support))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync("/api/workflows/lookup_customer")).StatusCode);

        var run = await IntegrationApp.ExecuteAsync(api, "support");

        Assert.True((bool)run["success"]!, run.ToJsonString());
        Assert.Equal("I cannot look customers up right now.", (string?)run["outputs"]!["helper"]!["answer"]);
        Assert.Equal("Error: the workflow 'lookup_customer' of this tool no longer exists", (string?)AgentFakes.Messages(fakes.Received[1])[3]!["content"]);
        using var browser = await app.BrowserAsync();
        var page = await browser.GetStringAsync($"/Logs/{(string)run["run_id"]!}");
        Assert.Contains("data-tool=\"lookup_customer\"", page);
        Assert.Contains("the workflow &#x27;lookup_customer&#x27; of this tool no longer exists", page);
    }
}
