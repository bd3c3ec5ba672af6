using AiOrchestra.Web.Runs;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Runs;

public class RunSignalTests
{
    [Fact]
    public async Task The_wait_for_work_times_out_on_the_injected_clock()
    {
        var time = new FakeTimeProvider();
        var signal = new RunSignal(time);

        var waiting = signal.WaitAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(1));

        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
