using System.Net;
using System.Net.Http.Headers;
using AiOrchestra.Web.Tests.Dashboard;
using Microsoft.AspNetCore.Hosting;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>Settings' connector upload: checked like the start-up's, saved under the connector's name, administrators only.</summary>
public sealed class ConnectorUploadTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("connectors-upload-").FullName;
    private ConnectorHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = new ConnectorHost(_folder);
        await _host.CreateUserAsync("admin");
        await _host.CreateUserAsync("member");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<HttpResponseMessage> UploadAsync(string user, string fileName, string json)
    {
        var client = await _host.SignedInAsync(user);
        var form = await client.GetStringAsync("/Settings");
        var token = HtmlClient.Parse(form).QuerySelector("#connectors input[name='__RequestVerificationToken']")!.GetAttribute("value")!;
        using var content = new MultipartFormDataContent();
        var file = new StringContent(json);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Add(file, "File", fileName);
        content.Add(new StringContent(token), "__RequestVerificationToken");
        return await client.PostAsync("/Settings?handler=UploadConnector", content);
    }

    private const string Tickets = """
        {"connector": "tickets", "title": "Tickets", "base_url": "https://tickets.example/api",
         "actions": [{"name": "open", "method": "POST", "path": "/tickets", "parameters": [{"name": "title", "required": true}], "body": {"title": "{{title}}"}}]}
        """;

    [Fact]
    public async Task A_valid_file_is_saved_under_its_connectors_name_and_loads_at_the_next_start()
    {
        var response = await UploadAsync("admin", "../../evil name.json", Tickets);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Saved tickets.json: restart the app to add the step type", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
        Assert.Equal(["tickets.json"], Directory.GetFiles(_folder).Select(Path.GetFileName));
        await using var restarted = new ConnectorHost(_folder);
        await restarted.CreateUserAsync("admin");
        var settings = HtmlClient.Parse(await (await restarted.SignedInAsync("admin")).GetStringAsync("/Settings"));
        Assert.Contains("tickets", settings.GetElementById("connectors")!.QuerySelector("table")!.TextContent);
    }

    [Fact]
    public async Task A_file_with_mistakes_is_refused_with_each_one_named_and_nothing_is_saved()
    {
        var response = await UploadAsync("admin", "tickets.json", Tickets.Replace("{{title}}", "{{subject}}").Replace("https://", "ftp://"));

        var errors = HtmlClient.Parse(await response.Content.ReadAsStringAsync()).GetElementById("connector-file-error")!.TextContent;
        Assert.Contains("tickets.json: base_url: \"ftp://tickets.example/api\" is not an absolute http(s) address", errors);
        Assert.Contains("tickets.json: actions[0].body.title: '{{subject}}' names no parameter of this action (title)", errors);
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public async Task A_built_in_name_is_refused_and_only_the_administrator_may_upload()
    {
        var taken = await UploadAsync("admin", "http.json", Tickets.Replace("\"tickets\"", "\"http\""));
        Assert.Contains("\"http\" is already a step type", WebUtility.HtmlDecode(await taken.Content.ReadAsStringAsync()));

        var member = await UploadAsync("member", "tickets.json", Tickets);
        Assert.Equal(HttpStatusCode.Forbidden, member.StatusCode);
        Assert.Empty(Directory.GetFiles(_folder));
    }

    private sealed class ConnectorHost(string folder) : DashboardHost
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Connectors:Folder", folder);
        }
    }
}
