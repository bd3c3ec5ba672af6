using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Outbound;
using AiOrchestra.Engine.Steps.Http;
using AiOrchestra.Engine.Tests.Steps;

namespace AiOrchestra.Engine.Tests.Outbound;

/// <summary>The http step through a client built as the host builds it, against a loopback stub that only an allow list reaches.</summary>
public sealed class OutboundPolicyTests(LocalHttpServer server) : IClassFixture<LocalHttpServer>
{
    private int Port => server.BaseAddress.Port;

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("2130706433", "127.0.0.1")]
    [InlineData("0x7f000001", "127.0.0.1")]
    [InlineData("127.1", "127.0.0.1")]
    [InlineData("0177.0.0.1", "127.0.0.1")]
    [InlineData("[::ffff:127.0.0.1]", "127.0.0.1")]
    [InlineData("[::1]", "::1")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("[::]", "::")]
    [InlineData("localhost", "localhost")]
    public async Task Every_spelling_of_this_machine_is_refused_with_the_key_that_allows_it(string host, string named)
    {
        using var client = new HttpClient(new OutboundPolicy([]).CreateHandler());

        var error = await RefusedAsync(client, $"http://{host}:{Port}/json");

        Assert.Contains(named, error.Message);
        Assert.Contains("(this machine)", error.Message);
        Assert.Contains($"to {OutboundPolicy.AllowKey}.", error.Message);
    }

    [Theory]
    [InlineData("2130706433")]
    [InlineData("0x7f000001")]
    [InlineData("127.1")]
    [InlineData("[::ffff:127.0.0.1]")]
    public async Task The_same_spellings_reach_the_stub_once_their_range_is_allow_listed(string host)
    {
        using var client = LocalHttpServer.AllowListedClient("127.0.0.0/8");

        var output = await new HttpStep(client).ExecuteAsync(Call(new JsonObject { ["url"] = $"http://{host}:{Port}/json" }), CancellationToken.None);

        Assert.Equal("world", (string?)output!["json"]!["hello"]);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.169.254: a link-local address (where cloud metadata services answer)")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal: a cloud metadata host name. To allow it, add 'metadata.google.internal' to Outbound__Allow.")]
    [InlineData("http://100.100.100.200/latest/meta-data/", "100.100.100.200: a shared (carrier-grade NAT) address")]
    [InlineData("http://10.1.2.3/", "10.1.2.3: a private network address")]
    [InlineData("http://172.16.0.1/", "172.16.0.1: a private network address")]
    [InlineData("http://192.168.1.1/", "192.168.1.1: a private network address")]
    [InlineData("http://[fd00:ec2::254]/", "fd00:ec2::254: a unique-local (private) address")]
    [InlineData("http://[fe80::1]/", "fe80::1: a link-local address")]
    [InlineData("http://[64:ff9b::7f00:1]/", "a loopback address (this machine) inside an IPv6 address (127.0.0.1)")]
    public async Task Private_link_local_and_metadata_addresses_are_refused(string url, string message)
    {
        using var client = new HttpClient(new OutboundPolicy([]).CreateHandler());

        var error = await RefusedAsync(client, url);

        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/json", "127.0.0.1")]
    [InlineData("http://2130706433:{port}/json", "127.0.0.1")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/json", "::ffff:127.0.0.1 (127.0.0.1)")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.169.254")]
    public async Task A_redirect_to_a_refused_address_is_refused(string to, string named)
    {
        // the stub is allowed by the name the step first calls it by, not by its address
        using var client = LocalHttpServer.AllowListedClient("localhost");
        var target = to.Replace("{port}", Port.ToString());

        var error = await RefusedAsync(client, $"http://localhost:{Port}/redirect?to=" + Uri.EscapeDataString(target));

        Assert.Contains("(redirected to http://", error.Message);
        Assert.Contains($"refused to connect to {named}", error.Message);
    }

    [Fact]
    public async Task A_redirect_to_another_host_drops_every_header_that_may_carry_credentials()
    {
        using var client = LocalHttpServer.AllowListedClient("127.0.0.1", "localhost");
        var headers = new JsonObject
        {
            ["Authorization"] = "Bearer secret-1",
            ["Cookie"] = "session=secret-2",
            ["X-Api-Key"] = "secret-3",
            ["Private-Token"] = "secret-4",
            ["Accept"] = "application/json",
            ["User-Agent"] = "orchestra-test",
        };

        var elsewhere = await RequestAsync(client, server.Url("/redirect?to=" + Uri.EscapeDataString($"http://localhost:{Port}/headers")), headers.DeepClone());
        var same = await RequestAsync(client, server.Url("/redirect?to=/headers"), headers.DeepClone());

        var received = elsewhere["json"]!.AsObject();
        Assert.Equal($"localhost:{Port}", (string?)received["host"]);
        Assert.Equal("application/json", (string?)received["accept"]);
        Assert.Equal("orchestra-test", (string?)received["user-agent"]);
        Assert.DoesNotContain("secret", received.ToJsonString());
        Assert.Equal("Bearer secret-1", (string?)same["json"]!["authorization"]);
        Assert.Equal("session=secret-2", (string?)same["json"]!["cookie"]);
        Assert.Equal("secret-3", (string?)same["json"]!["x-api-key"]);
    }

    [Fact]
    public async Task A_307_keeps_the_method_and_body_and_a_303_turns_a_post_into_a_get()
    {
        using var client = LocalHttpServer.AllowListedClient();

        var kept = await new HttpStep(client).ExecuteAsync(Call(new JsonObject
        {
            ["method"] = "POST", ["url"] = server.Url("/redirect?status=307&to=/echo"), ["body"] = new JsonObject { ["n"] = 1 },
        }), CancellationToken.None);
        var changed = await new HttpStep(client).ExecuteAsync(Call(new JsonObject
        {
            ["method"] = "POST", ["url"] = server.Url("/redirect?status=303&to=/json"), ["body"] = "x",
            ["headers"] = new JsonObject { ["Content-Type"] = "text/csv" },
        }), CancellationToken.None);

        Assert.Equal("POST", (string?)kept!["json"]!["method"]);
        Assert.Equal("""{"n":1}""", (string?)kept["json"]!["body"]);
        Assert.Equal("world", (string?)changed!["json"]!["hello"]);
    }

    [Fact]
    public async Task A_redirect_listed_in_expect_status_is_the_answer()
    {
        using var client = LocalHttpServer.AllowListedClient();

        var output = await new HttpStep(client).ExecuteAsync(Call(new JsonObject
        {
            ["url"] = server.Url("/redirect?to=/json"), ["expect_status"] = 302,
        }), CancellationToken.None);

        Assert.Equal(302, (int)output!["status"]!);
        Assert.Equal("/json", (string?)output["headers"]!["location"]);
    }

    [Fact]
    public async Task Redirects_stop_after_the_limit_with_a_clear_error()
    {
        using var client = LocalHttpServer.AllowListedClient();

        var error = await Assert.ThrowsAsync<StepFailedException>(() =>
            new HttpStep(client).ExecuteAsync(Call(new JsonObject { ["url"] = server.Url("/loop") }), CancellationToken.None));

        Assert.Contains($"more than {HttpStep.MaxRedirects} redirects", error.Message);
    }

    [Theory]
    [InlineData("Host")]
    [InlineData("host ")]
    public async Task A_host_header_is_refused(string name)
    {
        using var client = LocalHttpServer.AllowListedClient();

        var error = await Assert.ThrowsAsync<StepFailedException>(() => RequestAsync(client, server.Url("/headers"), new JsonObject { [name] = "internal.example" }));

        Assert.False(error.Transient);
        Assert.StartsWith("header 'Host' cannot be set", error.Message);
    }

    [Fact]
    public async Task An_address_of_this_machine_is_refused_and_a_public_one_is_allowed()
    {
        var policy = new OutboundPolicy([], machineAddresses: [IPAddress.Parse("203.0.113.7")]);

        var refused = await Assert.ThrowsAsync<OutboundRefusedException>(() => policy.AllowedAddressesAsync("203.0.113.7", CancellationToken.None));
        var allowed = await policy.AllowedAddressesAsync("198.51.100.20", CancellationToken.None);

        Assert.Contains("203.0.113.7: an address of this machine", refused.Message);
        Assert.Equal([IPAddress.Parse("198.51.100.20")], allowed);
    }

    [Fact]
    public async Task A_cookie_one_call_received_is_not_sent_by_the_next()
    {
        // the host shares one client between every user's runs
        using var client = LocalHttpServer.AllowListedClient();

        await RequestAsync(client, server.Url("/set-cookie"), null);
        var next = await RequestAsync(client, server.Url("/headers"), null);

        Assert.Null(next["json"]!["cookie"]);
    }

    [Fact]
    public async Task A_request_for_http3_still_goes_through_the_check()
    {
        using var client = new HttpClient(new OutboundPolicy([]).CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Url("/json"))
        {
            Version = HttpVersion.Version30,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(request));

        Assert.NotNull(OutboundRefusedException.In(error));
    }

    [Theory]
    [InlineData("10.0.0.1/33", "Outbound__Allow: '10.0.0.1/33' is not a CIDR range")]
    [InlineData("not a host!", "Outbound__Allow: 'not a host!' is not a host name, an IP address or a CIDR range")]
    public void A_wrong_allow_list_entry_is_named(string entry, string message)
    {
        var error = Assert.Throws<FormatException>(() => new OutboundPolicy(["127.0.0.1", entry]));

        Assert.StartsWith(message, error.Message);
    }

    private static async Task<StepFailedException> RefusedAsync(HttpClient client, string url)
    {
        var error = await Assert.ThrowsAsync<StepFailedException>(() => RequestAsync(client, url, null));
        Assert.Contains("the outbound policy refused to connect to", error.Message);
        // retrying cannot help: the step fails at once
        Assert.False(error.Transient);
        return error;
    }

    private static async Task<JsonNode> RequestAsync(HttpClient client, string url, JsonNode? headers) =>
        (await new HttpStep(client).ExecuteAsync(Call(new JsonObject { ["url"] = url, ["headers"] = headers }), CancellationToken.None))!;

    private static StepCall Call(JsonObject parameters) => TemplateAndPromptStepTests.Call("request", parameters);
}
