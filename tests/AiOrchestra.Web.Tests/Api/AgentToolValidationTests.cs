using System.Net;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>An agent step's tools are checked when the workflow is saved: each problem at its path, nothing saved.</summary>
public sealed class AgentToolValidationTests
{
    private static string Agent(string workflowId, params JsonObject[] tools) => new JsonObject
    {
        ["workflow_id"] = workflowId,
        ["name"] = "Agent",
        ["steps"] = new JsonArray(new JsonObject
        {
            ["step_id"] = "helper",
            ["step_type"] = "agent",
            ["action"] = "run",
            ["parameters"] = new JsonObject { ["instructions"] = "Help.", ["input"] = "Hi", ["tools"] = new JsonArray(tools) },
        }),
    }.ToJsonString();

    [Fact]
    public async Task A_workflow_tool_that_is_not_among_the_users_workflows_is_refused_at_its_path()
    {
        using var factory = new ApiFactory();
        using var api = await factory.AdminAsync();
        using var other = await factory.NewUserAsync("someone-else");
        Assert.Equal(HttpStatusCode.Created, (await other.PostAsync("/api/workflows", ApiFactory.Json(Agent("theirs", new JsonObject { ["step_type"] = "template", ["action"] = "render" })))).StatusCode);

        var response = await api.PostAsync("/api/workflows", ApiFactory.Json(Agent("mine",
            new JsonObject { ["workflow"] = "lookup_customer" }, new JsonObject { ["workflow"] = "theirs" })));
        var itself = await api.PostAsync("/api/workflows", ApiFactory.Json(Agent("mine", new JsonObject { ["workflow"] = "mine" })));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.JsonAsync())["errors"]!.AsObject();
        Assert.Equal("there is no workflow 'lookup_customer' among yours; save it first, or check the id",
            (string?)errors["steps[0].parameters.tools[0].workflow"]![0]);
        // another user's workflow is not there for this user
        Assert.NotNull(errors["steps[0].parameters.tools[1].workflow"]);
        Assert.Equal(HttpStatusCode.BadRequest, itself.StatusCode);
        Assert.Contains("would run itself", (string?)(await itself.JsonAsync())["errors"]!["steps[0].parameters.tools[0].workflow"]![0]);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/workflows/mine")).StatusCode);
    }

    [Fact]
    public async Task Tools_of_unknown_kinds_step_types_actions_and_parameters_are_refused_each_at_its_path()
    {
        using var factory = new ApiFactory();
        using var api = await factory.AdminAsync();

        var response = await api.PostAsync("/api/workflows", ApiFactory.Json(Agent("broken_tools",
            new JsonObject { ["name"] = "nothing" },
            new JsonObject { ["step_type"] = "templat", ["action"] = "render" },
            new JsonObject { ["step_type"] = "template", ["action"] = "render", ["parameters"] = new JsonObject { ["txt"] = "x" } },
            new JsonObject { ["step_type"] = "agent", ["action"] = "run" },
            new JsonObject { ["step_type"] = "template", ["action"] = "render", ["name"] = "same" },
            new JsonObject { ["step_type"] = "template", ["action"] = "render", ["name"] = "same" })));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.JsonAsync())["errors"]!.AsObject();
        Assert.Contains("needs one of 'step_type'", (string?)errors["steps[0].parameters.tools[0]"]![0]);
        Assert.Contains("unknown step type \"templat\" (did you mean 'template'?)", (string?)errors["steps[0].parameters.tools[1].step_type"]![0]);
        Assert.Contains("unknown parameter 'txt' (did you mean 'text'?)", (string?)errors["steps[0].parameters.tools[2].parameters.txt"]![0]);
        Assert.Contains("an agent cannot be a single-step tool", (string?)errors["steps[0].parameters.tools[3].step_type"]![0]);
        Assert.Contains("two tools are named 'same'", (string?)errors["steps[0].parameters.tools[5].name"]![0]);
    }
}
