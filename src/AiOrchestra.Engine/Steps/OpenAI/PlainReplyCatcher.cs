using System.ClientModel.Primitives;
using System.Text;
using AiOrchestra.Engine.Execution;

namespace AiOrchestra.Engine.Steps.OpenAI;

/// <summary>
/// Some OpenAI-compatible servers and proxies ignore <c>"stream": true</c> and answer one JSON completion. The SDK's
/// stream reader finds no events in such a body and yields nothing; this policy, one per call, keeps a successful
/// reply that is not an event stream so the step can read it as a plain completion instead.
/// </summary>
public sealed class PlainReplyCatcher : PipelinePolicy
{
    // A chat completion is text the size of its answer; anything far larger is not a reply worth reading.
    private const int MaxBytes = 16 * 1024 * 1024;

    /// <summary>The body of a successful reply that was not an event stream, or null.</summary>
    public string? Body { get; private set; }

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex) =>
        ProcessAsync(message, pipeline, currentIndex).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        await ProcessNextAsync(message, pipeline, currentIndex);
        if (message.Response is not { Status: >= 200 and < 300, ContentStream: { } stream } response
            || (response.Headers.TryGetValue("Content-Type", out var type) && type is not null
                && type.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, message.CancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                throw new StepFailedException($"OpenAI answered a streamed request with a plain reply larger than {MaxBytes / (1024 * 1024)} MB");
            }
            buffer.Write(chunk, 0, read);
        }
        await stream.DisposeAsync();
        Body = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        // The SDK still reads the body as a stream: give it an empty one, the step reads Body.
        response.ContentStream = new MemoryStream();
    }
}
