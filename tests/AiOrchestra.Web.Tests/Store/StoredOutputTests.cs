using System.Text.Json.Nodes;
using AiOrchestra.Web.Data;

namespace AiOrchestra.Web.Tests.Store;

/// <summary>An http step's output is stored without what reading restores, and read back as the step gave it.</summary>
public class StoredOutputTests
{
    private static JsonObject Response(string body, string contentLength, JsonNode? json) => new()
    {
        ["status"] = 200,
        ["headers"] = new JsonObject
        {
            ["date"] = "Mon, 30 Nov 2026 19:29:05 GMT",
            ["content-length"] = contentLength,
            ["content-type"] = "application/json; charset=utf-8",
        },
        ["body"] = body,
        ["json"] = json,
    };

    [Theory]
    [InlineData("""{"id":"page-1","title":"Ünïcode"}""", 1)]
    [InlineData("""{"id":"page-1","title":"\u0022quoted\u0022 \u002B"}""", 2)]
    public void A_content_length_that_is_the_body_s_size_is_stored_as_its_place_and_read_back_in_it(string body, int kind)
    {
        var output = Response(body, System.Text.Encoding.UTF8.GetByteCount(body).ToString(), JsonNode.Parse(body));
        var given = output.ToJsonString(StoredOutput.Options);

        var stored = StoredOutput.Write(output)!;

        // the body once (as the json), the content-length as its place among the headers
        Assert.Equal(
            $$"""{"status":200,"headers":{"date":"Mon, 30 Nov 2026 19:29:05 GMT","content-type":"application/json; charset=utf-8"},"body":{"$json":{{kind}},"$length":1},"json":{{output["json"]!.ToJsonString(StoredOutput.Options)}}}""",
            stored);
        Assert.Equal(given, StoredOutput.Read(stored));
    }

    [Fact]
    public void A_content_length_that_says_something_else_is_stored_as_it_was()
    {
        const string body = """{"id":"page-1"}""";
        var output = Response(body, "999", JsonNode.Parse(body));
        var given = output.ToJsonString(StoredOutput.Options);

        var stored = StoredOutput.Write(output)!;

        Assert.Contains("\"content-length\":\"999\"", stored);
        Assert.Equal(given, StoredOutput.Read(stored));
    }

    [Fact]
    public void A_body_that_is_not_its_json_s_text_is_stored_whole_with_its_headers()
    {
        const string body = """{ "id": "page-1" }""";
        var output = Response(body, body.Length.ToString(), JsonNode.Parse(body));
        var given = output.ToJsonString(StoredOutput.Options);

        var stored = StoredOutput.Write(output)!;

        Assert.Equal(given, stored);
        Assert.Equal(given, StoredOutput.Read(stored));
    }

    [Fact]
    public void Outputs_stored_with_the_earlier_markers_read_as_before()
    {
        const string relaxed = """{"status":200,"headers":{"content-length":"15"},"body":{"$json":"relaxed"},"json":{"a":"x+y"}}""";
        const string escaped = """{"status":200,"headers":{"content-length":"20"},"body":{"$json":"escaped"},"json":{"a":"x+y"}}""";

        Assert.Equal("""{"status":200,"headers":{"content-length":"15"},"body":"{\"a\":\"x+y\"}","json":{"a":"x+y"}}""", StoredOutput.Read(relaxed));
        Assert.Equal("""{"status":200,"headers":{"content-length":"20"},"body":"{\"a\":\"x\\u002By\"}","json":{"a":"x+y"}}""", StoredOutput.Read(escaped));
    }

    [Fact]
    public void A_for_each_step_s_responses_are_each_stored_compactly_and_read_back()
    {
        const string body = """{"n":1}""";
        var items = new JsonArray(Response(body, "7", JsonNode.Parse(body)), null, "text");
        var given = items.ToJsonString(StoredOutput.Options);

        var stored = StoredOutput.Write(items)!;

        Assert.DoesNotContain("content-length", stored);
        Assert.Equal(given, StoredOutput.Read(stored));
    }
}
