using System.Text;
using AiOrchestra.Web.Data.Postgres;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>The relay's cutting of an event into NOTIFY payloads (no server needed).</summary>
public sealed class RunEventRelayTests
{
    [Fact]
    public void A_text_over_the_payload_limit_is_cut_into_parts_under_it_never_inside_a_character()
    {
        var text = "{\"delta\":\"" + string.Concat(Enumerable.Repeat("aé€😀", 2000)) + "\"}";

        var parts = RunEventRelay.Split(text, 7000);

        Assert.True(parts.Count > 1);
        Assert.All(parts, part => Assert.InRange(Encoding.UTF8.GetByteCount(part), 1, 7000));
        // a character cut in two would not survive the round trip through UTF-8
        Assert.All(parts, part => Assert.Equal(part, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(part))));
        Assert.Equal(text, string.Concat(parts));
    }

    [Fact]
    public void A_short_text_is_one_part()
    {
        Assert.Equal(["{\"a\":1}"], RunEventRelay.Split("{\"a\":1}", 7000));
    }
}
