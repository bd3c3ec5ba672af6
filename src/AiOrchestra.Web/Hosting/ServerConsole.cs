using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Hosting;

/// <summary>
/// What the server says on its console: where to open it once it listens, and — when it cannot start — one line
/// saying why and what to do, with exit code 1, instead of the host's log entry and the runtime's stack trace.
/// </summary>
public static partial class ServerConsole
{
    public static WebApplicationBuilder AddServerConsole(this WebApplicationBuilder builder)
    {
        // The host logs a start-up failure with its stack trace before rethrowing it; RunServerAsync reports every
        // such failure itself. Critical stays on: a background service that stops the host is logged there.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.AddHostedService<WelcomeMessage>();
        return builder;
    }

    /// <summary>Builds the server and runs it until it stops: 0, or 1 after printing why it could not start or run.</summary>
    public static async Task<int> RunServerAsync(Func<WebApplication> build)
    {
        WebApplication app;
        try
        {
            app = build();
        }
        catch (Exception e) when (Explain(e) is { } line)
        {
            // only what a person can fix: anything else (a test host stopping the build, a bug) goes on as thrown
            await Console.Error.WriteLineAsync(line);
            return 1;
        }

        await using (app)
        {
            try
            {
                await app.RunAsync();
                return 0;
            }
            catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested)
            {
                return 0; // Ctrl+C (or SIGTERM) while it was still starting
            }
            catch (Exception e)
            {
                await Console.Error.WriteLineAsync(Explain(e) ?? $"AI Orchestra stopped on an unexpected error: {e}");
                return 1;
            }
        }
    }

    /// <summary>One line for a failure a person can fix, or null when it is unexpected.</summary>
    public static string? Explain(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case StartupProblem problem:
                    return problem.Message;
                case OptionsValidationException invalid:
                    return "Configuration: " + string.Join(" ", invalid.Failures);
                case IOException when e.InnerException is AddressInUseException:
                    var address = BindFailure().Match(e.Message) is { Success: true } found ? found.Groups["address"].Value : "the configured address";
                    return $"Cannot listen on {address}: another program (perhaps AI Orchestra already running) uses that port. "
                        + "Stop it, or choose another address with --urls (dotnet run --project src/AiOrchestra.Web -- --urls http://localhost:5080) "
                        + "or the ASPNETCORE_URLS environment variable.";
            }
        }
        return null;
    }

    // Kestrel's wording: "Failed to bind to address http://127.0.0.1:5000: address already in use."
    [GeneratedRegex(@"address (?<address>\S+): address already in use", RegexOptions.IgnoreCase)]
    private static partial Regex BindFailure();
}
