using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>Bad requests get a clear 4xx with problem details, and nothing is stored.</summary>
public class BadInputTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    private const string Valid = """{"workflow_id": "ok", "steps": [{"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "hi"}}]}""";

    [Fact]
    public async Task Validation_errors_list_each_field_path()
    {
        using var client = await app.AdminAsync();
        var body = """
            {"workflow_id": "typo", "steps": [
              {"step_id": "first", "step_type": "template", "action": "render", "parameters": {"text": "hi"}},
              {"step_id": "second", "step_type": "template", "action": "render", "parameters": {"text": "{{frist_output}}"}},
              {"step_id": "third", "step_type": "nope", "action": "render"}
            ]}
            """;

        var problem = await (await client.PostAsync("/api/workflows", ApiFactory.Json(body))).ProblemAsync(HttpStatusCode.BadRequest);

        var errors = problem["errors"]!.AsObject();
        Assert.Contains("first_output", errors["steps[1].parameters.text"]![0]!.GetValue<string>());
        Assert.True(errors.ContainsKey("steps[2].step_type"), errors.ToJsonString());
        await NothingStoredAsync(client);
    }

    [Fact]
    public async Task Malformed_json_is_400_with_where()
    {
        using var client = await app.AdminAsync();

        var workflow = await (await client.PostAsync("/api/workflows", ApiFactory.Json("""{"workflow_id": "ok", "steps": ["""))).ProblemAsync(HttpStatusCode.BadRequest);
        var prompt = await (await client.PostAsync("/api/prompts", ApiFactory.Json("""{"template_id": "p", """))).ProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains("line 1", workflow["errors"]!["body"]![0]!.GetValue<string>());
        Assert.Equal("Malformed JSON", prompt["title"]!.GetValue<string>());
        await NothingStoredAsync(client);
    }

    [Fact]
    public async Task Wrong_types_and_unknown_fields_are_400_naming_the_field()
    {
        using var client = await app.AdminAsync();

        var execute = await (await client.PostAsync("/api/workflows/execute", ApiFactory.Json("""{"workflow_id": "ok", "variables": "x"}"""))).ProblemAsync(HttpStatusCode.BadRequest);
        var login = await (await client.PostAsync("/api/auth/login", ApiFactory.Json("""{"username": 5, "password": "x"}"""))).ProblemAsync(HttpStatusCode.BadRequest);
        var unknown = await (await client.PostAsync("/api/prompts", ApiFactory.Json("""{"template_id": "p", "template": "t", "colour": "red"}"""))).ProblemAsync(HttpStatusCode.BadRequest);
        var workflow = await (await client.PostAsync("/api/workflows", ApiFactory.Json(Valid.Replace("\"hi\"}}]", "\"hi\"}, \"retry\": \"often\"}]")))).ProblemAsync(HttpStatusCode.BadRequest);

        Assert.NotNull(execute["errors"]!["variables"]);
        Assert.NotNull(login["errors"]!["username"]);
        Assert.Contains("colour", unknown["detail"]!.GetValue<string>());
        Assert.True(workflow["errors"]!.AsObject().ContainsKey("steps[0].retry"), workflow.ToJsonString());
        await NothingStoredAsync(client);
    }

    [Fact]
    public async Task Unknown_workflow_is_404()
    {
        using var client = await app.AdminAsync();

        var problem = await (await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "missing" })).ProblemAsync(HttpStatusCode.NotFound);

        Assert.Contains("missing", problem["detail"]!.GetValue<string>());
        Assert.Empty((await (await client.GetAsync("/api/runs")).JsonAsync())["runs"]!.AsArray());
    }

    [Fact]
    public async Task Variables_with_names_no_template_could_use_are_400_naming_them()
    {
        using var client = await app.AdminAsync();
        await client.PostAsync("/api/workflows", ApiFactory.Json(Valid.Replace("\"ok\"", "\"declared\"")));

        var problem = await (await client.PostAsync("/api/workflows/execute", ApiFactory.Json("""{"workflow_id": "declared", "variables": {"first name": "x"}}""")))
            .ProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains("first name", problem["errors"]!.ToJsonString());
        await client.DeleteAsync("/api/workflows/declared");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        using var anonymous = app.Anonymous();
        // a careful client waits for the server's go-ahead before sending a large body; without it the server's early
        // 413 races with the upload, which the client may see as a reset connection. The wait is long because a loaded
        // machine answers later than the handler's default second, after which the body would be sent anyway.
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(1) }) { BaseAddress = anonymous.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", await app.LoginAsync());
        client.DefaultRequestHeaders.ExpectContinue = true;
        var huge = new string('a', 2 * 1024 * 1024);

        await (await client.PostAsync("/api/workflows", ApiFactory.Json(Valid.Replace("\"hi\"", $"\"{huge}\"")))).ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await (await client.PostAsJsonAsync("/api/prompts", new { template_id = "big", template = huge })).ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await NothingStoredAsync(client);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_413()
    {
        using var client = await app.AdminAsync();
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"template_id": "big", "template": "{{new string('a', 2 * 1024 * 1024)}}"}""")));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/prompts") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        await (await client.SendAsync(request)).ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Deep_nesting_is_400()
    {
        using var client = await app.AdminAsync();
        var deep = new string('[', 200) + new string(']', 200);

        var workflow = await (await client.PostAsync("/api/workflows", ApiFactory.Json(Valid.Replace("\"hi\"", deep)))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsync("/api/workflows/execute", ApiFactory.Json("{\"workflow_id\": \"ok\", \"variables\": {\"v\": " + deep + "}}"))).ProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains("deeper", workflow["errors"]!["body"]![0]!.GetValue<string>());
        await NothingStoredAsync(client);
    }

    [Fact]
    public async Task Invalid_utf8_is_400()
    {
        using var client = await app.AdminAsync();
        var bytes = Encoding.UTF8.GetBytes(Valid.Replace("\"hi\"", "\"h_\"")).ToArray();
        bytes[Array.IndexOf(bytes, (byte)'_')] = 0xFF;

        await (await client.PostAsync("/api/workflows", Raw(bytes))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsync("/api/prompts", Raw(Encoding.UTF8.GetBytes("""{"template_id": "p", "template": "h_"}""").Select(b => b == '_' ? (byte)0xFF : b).ToArray())))
            .ProblemAsync(HttpStatusCode.BadRequest);
        await NothingStoredAsync(client);
    }

    [Fact]
    public async Task Wrong_content_type_is_415()
    {
        using var client = await app.AdminAsync();

        await (await client.PostAsync("/api/workflows", new StringContent(Valid, Encoding.UTF8, "text/plain"))).ProblemAsync(HttpStatusCode.UnsupportedMediaType);
        await (await client.PostAsync("/api/prompts", new StringContent("""{"template_id": "p", "template": "t"}""", Encoding.UTF8, "text/plain")))
            .ProblemAsync(HttpStatusCode.UnsupportedMediaType);
        await NothingStoredAsync(client);
    }

    private static ByteArrayContent Raw(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        return content;
    }

    [Fact]
    public async Task Ids_with_a_trailing_newline_are_refused_not_stored()
    {
        using var client = await app.AdminAsync();

        var prompt = await (await client.PostAsJsonAsync("/api/prompts", new { template_id = "nl_prompt\n", template = "hi" })).ProblemAsync(HttpStatusCode.BadRequest);
        var workflow = await (await client.PostAsync("/api/workflows", ApiFactory.Json(Valid.Replace("\"ok\"", "\"nl_flow\\n\"")))).ProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains("not a valid id", prompt["errors"]!["template_id"]![0]!.GetValue<string>());
        Assert.True(workflow["errors"]!.AsObject().ContainsKey("workflow_id"), workflow.ToJsonString());
        var prompts = (await (await client.GetAsync("/api/prompts")).JsonAsync()).AsArray().Select(p => p!["template_id"]!.GetValue<string>());
        Assert.DoesNotContain(prompts, id => id.StartsWith("nl_prompt", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/workflows/nl_flow")).StatusCode);
    }

    private static async Task NothingStoredAsync(HttpClient client)
    {
        var workflows = (await (await client.GetAsync("/api/workflows")).JsonAsync()).AsArray().Select(w => w!["workflow_id"]!.GetValue<string>());
        var prompts = (await (await client.GetAsync("/api/prompts")).JsonAsync()).AsArray().Select(p => p!["template_id"]!.GetValue<string>());
        Assert.DoesNotContain("ok", workflows);
        Assert.DoesNotContain("typo", workflows);
        Assert.DoesNotContain("p", prompts);
        Assert.DoesNotContain("big", prompts);
    }

    [Fact]
    public async Task An_unknown_field_does_not_hide_the_other_errors_of_a_workflow()
    {
        using var client = await app.AdminAsync();
        const string Document = """
            {"workflow_id": "Bad Id", "colour": "red", "steps": [
              {"step_id": "a", "step_type": "template", "action": "render", "parameters": {"text": "{{unclosed"}},
              {"step_id": "b", "step_type": "tempalte", "action": "render", "parameters": {}},
              {"step_id": "c", "step_type": "template", "action": "render", "parameters": {"text": "{{nope}}"}}
            ]}
            """;

        var created = await client.PostAsync("/api/workflows", ApiFactory.Json(Document));

        var errors = (await created.ProblemAsync(System.Net.HttpStatusCode.BadRequest))["errors"]!.AsObject();
        string[] expected = ["colour", "steps[0].parameters.text", "steps[1].step_type", "steps[2].parameters.text", "workflow_id"];
        Assert.Equal(expected, errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Contains("'nope'", errors["steps[2].parameters.text"]![0]!.GetValue<string>());
    }
}
