using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AiOrchestra.Web.Settings;

/// <summary>
/// Every log line of the app, whichever provider writes it (console, test capture, OpenTelemetry), passes the secrets'
/// redaction: the logger factory itself is wrapped, so no provider added later is forgotten. A line that holds no
/// secret is passed on as it came.
/// </summary>
internal static class RedactedLogs
{
    public static IServiceCollection AddRedactedLogs(this IServiceCollection services)
    {
        var factory = services.LastOrDefault(s => s.ServiceType == typeof(ILoggerFactory));
        if (factory?.ImplementationType is not { } type)
        {
            return services; // not the default factory: leave whatever the host chose alone
        }
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp =>
            new RedactingLoggerFactory((ILoggerFactory)ActivatorUtilities.CreateInstance(sp, type), sp)));
        return services;
    }

    private sealed class RedactingLoggerFactory(ILoggerFactory inner, IServiceProvider services) : ILoggerFactory
    {
        // Reading the secrets may log (the key ring loading while a stored secret is decrypted): those lines, written
        // while the secrets are being read, pass unredacted instead of asking for the secrets again.
        [ThreadStatic]
        private static bool t_reading;

        private IntegrationSecrets? _secrets;

        public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName), this);

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose() => inner.Dispose();

        public SecretRedaction Redaction()
        {
            if (t_reading)
            {
                return SecretRedaction.None;
            }
            t_reading = true;
            try
            {
                return (_secrets ??= services.GetService<IntegrationSecrets>())?.Redaction ?? SecretRedaction.None;
            }
            finally
            {
                t_reading = false;
            }
        }
    }

    private sealed class RedactingLogger(ILogger inner, RedactingLoggerFactory factory) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }
            var redaction = factory.Redaction();
            if (redaction.IsEmpty)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }
            var message = formatter(state, exception);
            var exceptionText = exception?.ToString();
            var values = state as IReadOnlyList<KeyValuePair<string, object?>>;
            if (!redaction.Contains(message) && (exceptionText is null || !redaction.Contains(exceptionText))
                && (values is null || !values.Any(v => v.Value is string text && redaction.Contains(text))))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }
            var redacted = new RedactedState(
                redaction.Redact(message),
                values?.Select(v => new KeyValuePair<string, object?>(v.Key, v.Value is string text ? redaction.Redact(text) : v.Value)).ToList() ?? []);
            var redactedException = exceptionText is null ? null : new RedactedException(redaction.Redact(exceptionText), redaction.Redact(exception!.Message));
            inner.Log(logLevel, eventId, redacted, redactedException, static (s, _) => s.Message);
        }
    }

    /// <summary>A log line's values with secrets redacted; its text is the redacted message.</summary>
    private sealed class RedactedState(string message, IReadOnlyList<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message => message;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public int Count => values.Count;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => message;
    }

    /// <summary>An exception as a log line shows it (type, message, stack), with secrets redacted.</summary>
    private sealed class RedactedException(string text, string message) : Exception(message)
    {
        public override string? StackTrace => null;

        public override string ToString() => text;
    }
}
