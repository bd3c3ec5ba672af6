using System.Net;

namespace AiOrchestra.Web.Tests.Api;

public class QueryParameterTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("limit=abc", "limit", "'abc' is not a whole number.")]
    [InlineData("offset=1.5", "offset", "'1.5' is not a whole number.")]
    [InlineData("from=yesterday", "from", "'yesterday' is not an ISO 8601 date; write e.g. 2025-01-31 or 2025-01-31T08:00:00Z.")]
    [InlineData("to=1/2/2025", "to", "'1/2/2025' is not an ISO 8601 date; write e.g. 2025-01-31 or 2025-01-31T08:00:00Z.")]
    [InlineData("before=12_nope", "before", "'12_nope' is not a page cursor; pass the 'next' of the previous page as it was given.")]
    [InlineData("before=1700000000000_0190f0c4-2a1b-7000-8000-000000000000&offset=50", "offset", "give either before (the previous page's next) or offset, not both.")]
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
