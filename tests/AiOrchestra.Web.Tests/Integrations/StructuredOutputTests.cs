using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Web.Tests.Api;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>output_schema on the LLM actions: sent as OpenAI's json_schema response format, the answer parsed and checked.</summary>
public sealed class StructuredOutputTests
{
    private static readonly JsonObject TriageSchema = new()
    {
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            ["important"] = new JsonObject { ["type"] = "boolean" },
            ["reason"] = new JsonObject { ["type"] = "string" },
        },
        ["required"] = new JsonArray("important", "reason"),
        ["additionalProperties"] = false,
    };

    [Fact]
    public async Task The_schema_is_sent_as_the_response_format_and_the_output_is_the_parsed_json()
    {
        await using var server = await FakeServer.StartAsync((_, context) =>
            OpenAIStepTests.StreamAsync(context, "{\"important\": ", "true, \"reason\": ", "\"from the boss\"}"));
        await using var harness = IntegrationHarness.Create(server.Url);
        var deltas = new List<string>();

        var output = await harness.RunAsync("openai", "generate_completion", new JsonObject
        {
            ["prompt"] = "Is this email important? From: boss",
            ["output_schema"] = TriageSchema.DeepClone(),
        }, IntegrationHarness.NewContext(deltas));

        var answer = Assert.IsType<JsonObject>(output);
        Assert.True((bool)answer["important"]!);
        Assert.Equal("from the boss", (string?)answer["reason"]);
        Assert.Equal(3, deltas.Count);
        var format = JsonNode.Parse(Assert.Single(server.Received).Body)!["response_format"]!;
        Assert.Equal("json_schema", (string?)format["type"]);
        Assert.Equal("output", (string?)format["json_schema"]!["name"]);
        Assert.True(JsonNode.DeepEquals(TriageSchema, format["json_schema"]!["schema"]));
    }

    [Fact]
    public async Task An_answer_that_does_not_match_fails_the_step_showing_the_models_text()
    {
        await using var server = await FakeServer.StartAsync((_, context) =>
            OpenAIStepTests.StreamAsync(context, "{\"important\": \"yes\", \"reason\": \"boss\"}"));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("openai", "chat_completion", new JsonObject
        {
            ["prompt"] = "Is this email important?",
            ["output_schema"] = TriageSchema.DeepClone(),
        });

        Assert.StartsWith("the model's answer does not match output_schema (important: ", error.Message);
        Assert.EndsWith("the model answered: {\"important\": \"yes\", \"reason\": \"boss\"}", error.Message);
        Assert.True(error.Transient);
    }

    [Fact]
    public async Task An_answer_that_is_not_json_fails_the_step_showing_the_models_text()
    {
        await using var server = await FakeServer.StartAsync((_, context) => OpenAIStepTests.StreamAsync(context, "Yes, it is important."));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject
        {
            ["prompt"] = "Is this email important?",
            ["output_schema"] = TriageSchema.DeepClone(),
        });

        Assert.StartsWith("the model's answer is not JSON", error.Message);
        Assert.EndsWith("the model answered: Yes, it is important.", error.Message);
    }

    [Fact]
    public async Task The_schema_may_be_the_text_of_a_stored_prompt_template()
    {
        await using var server = await FakeServer.StartAsync((_, context) =>
            OpenAIStepTests.StreamAsync(context, "```json\n{\"important\": false, \"reason\": \"newsletter\"}\n```"));
        await using var harness = IntegrationHarness.Create(server.Url);
        harness.Prompts.Add("owner-1", new PromptTemplate { TemplateId = "triage_schema", Template = TriageSchema.ToJsonString() });
        harness.Prompts.Add("owner-1", new PromptTemplate { TemplateId = "prose", Template = "Answer as JSON, please." });

        var output = await harness.RunAsync("openai", "generate_completion", new JsonObject
        {
            ["prompt"] = "Is this email important?",
            ["output_schema_template"] = "triage_schema",
        });
        var notJson = await harness.FailAsync("openai", "generate_completion", new JsonObject
        {
            ["prompt"] = "Is this email important?",
            ["output_schema_template"] = "prose",
        });

        Assert.False((bool)output!["important"]!);
        Assert.True(JsonNode.DeepEquals(TriageSchema, JsonNode.Parse(server.Received[0].Body)!["response_format"]!["json_schema"]!["schema"]));
        Assert.StartsWith("parameter 'output_schema_template': prompt template 'prose' is not JSON", notJson.Message);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task A_later_step_reads_a_field_of_the_result_and_a_model_that_never_matches_fails_the_run_after_its_retries()
    {
        var answers = new Queue<string>(["{\"important\": true, \"reason\": \"from the boss\"}", "maybe", "still not JSON"]);
        await using var server = await FakeServer.StartAsync((_, context) =>
        {
            string answer;
            lock (answers)
            {
                answer = answers.Dequeue();
            }
            return OpenAIStepTests.StreamAsync(context, answer);
        });
        using var app = new IntegrationApp(server.Url);
        using var api = await app.AdminAsync();
        var workflow = new JsonObject
        {
            ["workflow_id"] = "triage",
            ["name"] = "Triage",
            ["steps"] = new JsonArray(
                new JsonObject
                {
                    ["step_id"] = "triage",
                    ["step_type"] = "openai",
                    ["action"] = "generate_completion",
                    ["parameters"] = new JsonObject { ["prompt"] = "Is this important? {{subject}}", ["output_schema"] = TriageSchema.DeepClone() },
                    ["retry"] = new JsonObject { ["max_attempts"] = 2, ["initial_delay_ms"] = 0, ["max_delay_ms"] = 0 },
                },
                new JsonObject
                {
                    ["step_id"] = "say",
                    ["step_type"] = "template",
                    ["action"] = "render",
                    ["parameters"] = new JsonObject { ["text"] = "important={{triage_output.important}} because {{triage.reason}}" },
                }),
            ["variables"] = new JsonObject { ["subject"] = "Quarterly numbers" },
        };
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/workflows", workflow)).StatusCode);

        var first = await IntegrationApp.ExecuteAsync(api, "triage");
        var second = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "triage" });
        var failed = JsonNode.Parse(await second.Content.ReadAsStringAsync())!;

        Assert.True((bool)first["success"]!, first.ToJsonString());
        Assert.Equal("important=true because from the boss", (string?)first["outputs"]!["say"]);
        Assert.False((bool)failed["success"]!, failed.ToJsonString());
        var error = (string)failed["errors"]![0]!;
        Assert.Contains("the model's answer is not JSON", error);
        Assert.Contains("the model answered: still not JSON", error);
        Assert.Equal(3, server.Received.Count);
    }

    [Fact]
    public async Task A_workflow_with_an_invalid_schema_is_refused_with_the_path_of_the_mistake()
    {
        using var app = new ApiFactory();
        using var api = await app.AdminAsync();
        var workflow = new JsonObject
        {
            ["workflow_id"] = "bad_schema",
            ["name"] = "Bad schema",
            ["steps"] = new JsonArray(new JsonObject
            {
                ["step_id"] = "triage",
                ["step_type"] = "openai",
                ["action"] = "generate_completion",
                ["parameters"] = new JsonObject
                {
                    ["prompt"] = "Is this important?",
                    ["output_schema"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["important"] = new JsonObject { ["type"] = "bool" } } },
                },
            }),
        };

        var response = await api.PostAsJsonAsync("/api/workflows", workflow);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("steps[0].parameters.output_schema.properties.important.type", problem.ToJsonString());
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/workflows/bad_schema")).StatusCode);
    }
}
