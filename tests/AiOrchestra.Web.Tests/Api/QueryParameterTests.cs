using System.Net;

namespace AiOrchestra.Web.Tests.Api;

public class QueryParameterTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("limit=abc", "limit", "'abc' is not a whole number.")]
    [InlineData("offset=1.5", "offset", "'1.5' is not a whole number.")]
    [InlineData("from=yesterday", "from", "'yesterday' is not an ISO 8601 date; write e.g. 2025-01-31 or 2025-01-31T08:00:00Z.")]
    [InlineData("to=1/2/2025", "to", "'1/2/2025' is not an ISO 8601 date; write e.g. 2025-01-31 or 2025-01-31T08:00:00Z.")]
    public async Task A_bad_filter_names_its_field_and_no_dotnet_type(string query, string field, string message)
    {
        using var client = await app.AdminAsync();

        var response = await client.GetAsync($"/api/runs?{query}");

        var body = await response.Content.ReadAsStringAsync();
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal([message], problem["errors"]![field]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.DoesNotContain("Nullable", body);
        Assert.DoesNotContain("DateTimeOffset", body);
        Assert.DoesNotContain("Int32", body);
    }

    [Fact]
    public async Task Good_filters_are_accepted()
    {
        using var client = await app.AdminAsync();

        var response = await client.GetAsync("/api/runs?from=2020-01-01&to=2999-01-01T00:00:00Z&limit=5&offset=0");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5, (await response.JsonAsync())["limit"]!.GetValue<int>());
    }
}
