using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AiOrchestra.Engine.Tests.Steps;

/// <summary>
/// A raw TCP server on 127.0.0.1 that answers every request with a status line and headers promising a body,
/// sends a few bytes of it, then stalls: the body never finishes until the test ends.
/// </summary>
public sealed class StalledServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Task _accepting;
    private readonly TaskCompletionSource _headersSent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StalledServer()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/slow";

    /// <summary>Completes once a response's headers (and the start of its body) have been sent.</summary>
    public Task HeadersSent => _headersSent.Task.WaitAsync(TimeSpan.FromSeconds(10));

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_clients)
                {
                    _clients.Add(client);
                }
                _ = AnswerAsync(client);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            var received = new StringBuilder();
            var buffer = new byte[4096];
            while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }
                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            var head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nthe start of a body";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
            await stream.FlushAsync(_stop.Token);
            _headersSent.TrySetResult();
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }
        _stop.Dispose();
    }
}
