using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Connectors;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>
/// Step types from connector files: the two shipped in data/connectors (Slack, Linear) against local fakes that answer
/// as those APIs document, and the file checks that name the file and field of every mistake.
/// </summary>
public sealed class ConnectorTests : IDisposable
{
    private const string SlackToken = "xoxb-TEST-SLACK-TOKEN-3c9d";
    private const string LinearKey = "lin_api_TEST-LINEAR-KEY-8e21";

    private readonly string _folder = Directory.CreateTempSubdirectory("connectors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Shipped => Path.Combine(RepositoryRoot(), "data", "connectors");

    private static IntegrationHarness Harness(string url, string? folder = null, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Connectors:slack:token"] = SlackToken,
            ["Connectors:slack:BaseUrl"] = url + "/api",
            ["Connectors:linear:api_key"] = LinearKey,
            ["Connectors:linear:BaseUrl"] = url,
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        return IntegrationHarness.Create(url, settings, connectorsFolder: folder ?? Shipped);
    }

    /// <summary>Slack's Web API: 200 with ok true, or 200 with ok false and an error code.</summary>
    private static Task Slack(RecordedRequest request, HttpContext context) => request switch
    {
        { Path: "/api/chat.postMessage" } when JsonNode.Parse(request.Body)!["channel"]!.GetValue<string>() == "#nowhere" =>
            FakeServer.Json(context, 200, """{"ok": false, "error": "channel_not_found"}"""),
        { Method: "POST", Path: "/api/chat.postMessage" } => FakeServer.Json(context, 200,
            """{"ok": true, "channel": "C0123", "ts": "1700000000.000100", "message": {"type": "message", "text": "hi"}}"""),
        { Method: "GET", Path: "/api/conversations.list" } => FakeServer.Json(context, 200,
            """{"ok": true, "channels": [{"id": "C1", "name": "general"}, {"id": "C2", "name": "random"}], "response_metadata": {"next_cursor": ""}}"""),
        _ => FakeServer.Json(context, 404, """{"ok": false, "error": "unknown_method"}"""),
    };

    /// <summary>Linear's GraphQL endpoint: data on success, an errors list otherwise.</summary>
    private static Task Linear(RecordedRequest request, HttpContext context)
    {
        var input = JsonNode.Parse(request.Body)!["variables"]!["input"]!;
        return input["teamId"]!.GetValue<string>() == "no-such-team"
            ? FakeServer.Json(context, 200, """{"errors": [{"message": "Entity not found: Team", "extensions": {"code": "INVALID_INPUT"}}], "data": null}""")
            : FakeServer.Json(context, 200, new JsonObject
            {
                ["data"] = new JsonObject
                {
                    ["issueCreate"] = new JsonObject
                    {
                        ["success"] = true,
                        ["issue"] = new JsonObject
                        {
                            ["id"] = "i-1", ["identifier"] = "ENG-42", ["title"] = input["title"]!.DeepClone(), ["url"] = "https://linear.app/acme/issue/ENG-42",
                        },
                    },
                },
            }.ToJsonString());
    }

    [Fact]
    public async Task Slack_post_message_sends_the_body_mapping_with_the_bot_token_and_leaves_out_what_was_not_given()
    {
        await using var server = await FakeServer.StartAsync(Slack);
        await using var harness = Harness(server.Url);

        var output = await harness.RunAsync("slack", "post_message", new JsonObject { ["channel"] = "#general", ["text"] = "Build {{green}} & done" });

        Assert.Equal("1700000000.000100", (string?)output!["ts"]);
        var request = Assert.Single(server.Received);
        Assert.Equal("POST /api/chat.postMessage", request.ToString());
        Assert.Equal($"Bearer {SlackToken}", request.Header("Authorization"));
        var body = JsonNode.Parse(request.Body)!.AsObject();
        Assert.Equal("#general", (string?)body["channel"]);
        // a parameter's value is data: its braces are not read as a placeholder
        Assert.Equal("Build {{green}} & done", (string?)body["text"]);
        Assert.False(body.ContainsKey("thread_ts"));
    }

    [Fact]
    public async Task Slack_answering_ok_false_fails_the_step_with_slacks_error_code()
    {
        await using var server = await FakeServer.StartAsync(Slack);
        await using var harness = Harness(server.Url);

        var failure = await harness.FailAsync("slack", "post_message", new JsonObject { ["channel"] = "#nowhere", ["text"] = "hi" });

        Assert.Contains("Slack refused post_message", failure.Message);
        Assert.Contains("channel_not_found", failure.Message);
        Assert.False(failure.Transient);
    }

    [Fact]
    public async Task Slack_list_channels_maps_given_parameters_to_the_query_and_outputs_the_channels()
    {
        await using var server = await FakeServer.StartAsync(Slack);
        await using var harness = Harness(server.Url);

        var output = await harness.RunAsync("slack", "list_channels", new JsonObject { ["limit"] = 2 });

        Assert.Equal("GET /api/conversations.list?limit=2", Assert.Single(server.Received).ToString());
        Assert.Equal(["general", "random"], output!.AsArray().Select(c => (string?)c!["name"]));
    }

    [Fact]
    public async Task Linear_create_issue_sends_the_key_as_it_is_keeps_number_types_and_outputs_the_issue()
    {
        await using var server = await FakeServer.StartAsync(Linear);
        await using var harness = Harness(server.Url);

        var output = await harness.RunAsync("linear", "create_issue", new JsonObject { ["team_id"] = "team-1", ["title"] = "Fix the build", ["priority"] = 2 });

        Assert.Equal("ENG-42", (string?)output!["identifier"]);
        Assert.Equal("Fix the build", (string?)output["title"]);
        var request = Assert.Single(server.Received);
        Assert.Equal("POST /graphql", request.ToString());
        Assert.Equal(LinearKey, request.Header("Authorization"));
        var body = JsonNode.Parse(request.Body)!;
        Assert.Contains("issueCreate", (string?)body["query"]);
        var input = body["variables"]!["input"]!.AsObject();
        Assert.Equal("team-1", (string?)input["teamId"]);
        Assert.Equal(2, (int)input["priority"]!);
        Assert.False(input.ContainsKey("description"));
    }

    [Fact]
    public async Task A_graphql_error_fails_the_step_with_its_message()
    {
        await using var server = await FakeServer.StartAsync(Linear);
        await using var harness = Harness(server.Url);

        var failure = await harness.FailAsync("linear", "create_issue", new JsonObject { ["team_id"] = "no-such-team", ["title"] = "x" });

        Assert.Contains("Linear refused create_issue: Entity not found: Team", failure.Message);
    }

    [Fact]
    public async Task A_response_path_that_matches_nothing_says_which_path_and_shows_the_answer()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 200, """{"data": {"somethingElse": true}}"""));
        await using var harness = Harness(server.Url);

        var failure = await harness.FailAsync("linear", "create_issue", new JsonObject { ["team_id"] = "team-1", ["title"] = "x" });

        Assert.Contains("has no 'data.issueCreate.issue'", failure.Message);
        Assert.Contains("somethingElse", failure.Message);
    }

    [Fact]
    public async Task A_missing_credential_fails_before_calling_and_names_the_setting()
    {
        await using var server = await FakeServer.StartAsync(Slack);
        await using var harness = Harness(server.Url, more: new() { ["Connectors:slack:token"] = null });

        var failure = await harness.FailAsync("slack", "post_message", new JsonObject { ["channel"] = "#general", ["text"] = "hi" });

        Assert.Contains("Connectors:slack:token is not set", failure.Message);
        Assert.Contains("Connectors__slack__token", failure.Message);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task A_credential_echoed_in_an_error_is_masked()
    {
        await using var server = await FakeServer.StartAsync((request, context) =>
            FakeServer.Json(context, 401, $$"""{"ok": false, "error": "invalid_auth for {{request.Header("Authorization")}}"}"""));
        await using var harness = Harness(server.Url);

        var failure = await harness.FailAsync("slack", "post_message", new JsonObject { ["channel"] = "#general", ["text"] = "hi" });

        Assert.DoesNotContain(SlackToken, failure.Message);
        Assert.Contains("401", failure.Message);
    }

    [Fact]
    public async Task Path_placeholders_are_escaped_so_a_value_cannot_change_the_address()
    {
        File.WriteAllText(Path.Combine(_folder, "items.json"), """
            {
              "connector": "items", "base_url": "http://127.0.0.1:1",
              "actions": [ { "name": "get", "method": "GET", "path": "/items/{{id}}", "parameters": [ { "name": "id", "required": true } ] } ]
            }
            """);
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 200, """{"id": 1}"""));
        await using var harness = Harness(server.Url, _folder, new() { ["Connectors:items:BaseUrl"] = server.Url });

        await harness.RunAsync("items", "get", new JsonObject { ["id"] = "../admin?x=1" });

        // one path segment: the slash and the question mark arrive escaped, and no query was added
        var request = Assert.Single(server.Received);
        Assert.StartsWith("/items/..%2Fadmin%3Fx", request.Path);
        Assert.Equal("", request.Query);
    }

    [Fact]
    public void The_shipped_connectors_load_without_a_problem()
    {
        var set = ConnectorSet.Load(Shipped);
        Assert.Empty(set.Problems);
        Assert.Equal(["linear", "slack"], set.Connectors.Select(c => c.Name));
        Assert.Equal(["Connectors:linear:api_key", "Connectors:slack:token"], set.Connectors.SelectMany(c => c.Integration.Credentials).Select(c => c.Key));
    }

    [Theory]
    [InlineData("""{"connector": "x", "base_url": "https://x.example", "auth": {"kind": "oauth9"}, "actions": [{"name": "a", "path": "/a"}]}""",
        "bad.json: auth.kind: \"oauth9\" is not a kind of authentication")]
    [InlineData("""{"connector": "x", "base_url": "https://x.example", "actions": [{"name": "a", "path": "/a/{{who}}", "parameters": [{"name": "id"}]}]}""",
        "bad.json: actions[0].path: '{{who}}' names no parameter of this action (id)")]
    [InlineData("""{"connector": "x", "base_url": "https://x.example", "actions": [{"name": "a", "path": "/a", "body": {"t": "{{text}}"}}]}""",
        "bad.json: actions[0].body: a GET request sends no body")]
    [InlineData("""{"connector": "x", "base_url": "https://x.example", "actions": [{"name": "a", "method": "POST", "path": "/a", "body": {"t": "{{text}}"}}]}""",
        "bad.json: actions[0].body.t: '{{text}}' names no parameter of this action (it has none)")]
    [InlineData("""{"connector": "x", "base_url": "https://x.example", "actions": [{"name": "a", "path": "/a", "output": "data..x"}]}""",
        "bad.json: actions[0].output: \"data..x\" is not a path into the response")]
    [InlineData("""{"connector": "x", "base_url": "ftp://x.example", "actions": [{"name": "a", "path": "/a"}]}""",
        "bad.json: base_url: \"ftp://x.example\" is not an absolute http(s) address")]
    [InlineData("""{"connector": "x", "base_url": "https://x.example", "auth": {"kind": "bearer", "credential": "token"}, "actions": [{"name": "a", "path": "/a"}]}""",
        "bad.json: auth.credential: \"token\" is not one of the connector's credentials (it declares none)")]
    [InlineData("""{"connector": "x", "base_url": """, "bad.json: (file): is not valid JSON")]
    public void A_mistake_in_a_connector_file_names_the_file_and_the_field(string json, string expected)
    {
        var (connector, errors) = ConnectorFile.Read(Path.Combine(_folder, "bad.json"), json);
        Assert.Null(connector);
        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_connector_taking_a_built_in_name_an_integrations_or_another_connectors_is_refused_and_the_rest_load()
    {
        File.WriteAllText(Path.Combine(_folder, "a.json"), """{"connector": "http", "base_url": "https://a.example", "actions": [{"name": "get", "path": "/"}]}""");
        File.WriteAllText(Path.Combine(_folder, "b.json"), """{"connector": "tickets", "base_url": "https://b.example", "actions": [{"name": "get", "path": "/"}]}""");
        File.WriteAllText(Path.Combine(_folder, "c.json"), """{"connector": "tickets", "base_url": "https://c.example", "actions": [{"name": "get", "path": "/"}]}""");
        File.WriteAllText(Path.Combine(_folder, "d.json"), "not json at all");
        // not a step type, but an integration's name: its Settings section and credentials would be mixed with Anthropic's
        File.WriteAllText(Path.Combine(_folder, "e.json"), """{"connector": "anthropic", "base_url": "https://e.example", "actions": [{"name": "get", "path": "/"}]}""");
        await using var server = await FakeServer.StartAsync(Slack);
        await using var harness = Harness(server.Url, _folder);

        var set = harness.Service<ConnectorSet>();
        Assert.Equal(["http", "tickets"], set.Connectors.Select(c => c.Name));
        Assert.Contains(set.Problems, p => p.StartsWith("c.json: connector: \"tickets\" is already the connector of b.json", StringComparison.Ordinal));
        Assert.Contains(set.Problems, p => p.StartsWith("d.json: (file): is not valid JSON", StringComparison.Ordinal));
        Assert.Contains("e.json: connector: \"anthropic\" is already the name of an integration; choose another name", set.Problems);
        Assert.Single(harness.Services<AiOrchestra.Engine.Steps.Integrations.Integration>(), i => i.Name == "anthropic");
        // built-in types come first, so the connector named "http" is the one refused
        var catalog = new StepCatalog(harness.Services<IStepType>().Prepend(new AiOrchestra.Engine.Steps.Http.HttpStep(new HttpClient())));
        Assert.IsNotType<ConnectorStep>(catalog.Find("http"));
        Assert.IsType<ConnectorStep>(catalog.Find("tickets"));
        Assert.Contains(catalog.Refused, r => r.Reason.StartsWith("the step type \"http\" already exists", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_readmes_walk_through_works_as_written()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var section = readme[readme.IndexOf("## Writing a connector", StringComparison.Ordinal)..];
        var start = section.IndexOf("```json", StringComparison.Ordinal) + "```json".Length;
        var json = string.Join('\n', section[start..section.IndexOf("```", start, StringComparison.Ordinal)].Split('\n').Select(line => line.TrimStart()));
        File.WriteAllText(Path.Combine(_folder, "statuspage.json"), json);
        await using var server = await FakeServer.StartAsync((request, context) => request.Path == "/api/pages/main/incidents"
            ? FakeServer.Json(context, 201, """{"incident": {"id": "inc-1", "name": "Checkout is down", "status": "investigating"}}""")
            : FakeServer.Json(context, 404, """{"error": {"message": "no such page"}}"""));
        await using var harness = Harness(server.Url, _folder, new() { ["Connectors:statuspage:key"] = "sp-TEST-KEY-0042", ["Connectors:statuspage:BaseUrl"] = server.Url + "/api" });

        var output = await harness.RunAsync("statuspage", "create_incident", new JsonObject { ["page_id"] = "main", ["title"] = "Checkout is down" });

        Assert.Equal("inc-1", (string?)output!["id"]);
        var request = Assert.Single(server.Received);
        Assert.Equal("sp-TEST-KEY-0042", request.Header("X-Api-Key"));
        Assert.Equal("""{"name":"Checkout is down"}""", request.Body);
        var failure = await harness.FailAsync("statuspage", "create_incident", new JsonObject { ["page_id"] = "other", ["title"] = "x" });
        Assert.Contains("no such page", failure.Message);
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
}
