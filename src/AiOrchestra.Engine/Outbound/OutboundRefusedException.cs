using System.Net;

namespace AiOrchestra.Engine.Outbound;

/// <summary>A connection the <see cref="OutboundPolicy"/> refused; the message says what was refused, why, and how to allow it.</summary>
public sealed class OutboundRefusedException(string host, IPAddress? address, string reason)
    : Exception(MessageOf(host, address, reason))
{
    public string Host { get; } = host;

    public IPAddress? Address { get; } = address;

    /// <summary>The refusal somewhere in <paramref name="error"/>'s inner exceptions (HttpClient wraps what a connect callback throws), or null.</summary>
    public static OutboundRefusedException? In(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is OutboundRefusedException refused)
            {
                return refused;
            }
        }
        return null;
    }

    private static string MessageOf(string host, IPAddress? address, string reason)
    {
        if (address is null)
        {
            return $"the outbound policy refused to connect to {host}: {reason}. To allow it, add '{host}' to {OutboundPolicy.AllowKey}.";
        }
        var literal = host == address.ToString();
        return $"the outbound policy refused to connect to {(literal ? host : $"{host} ({address})")}: {reason}. "
            + $"To allow it, add {(literal ? $"'{host}'" : $"'{host}' or '{address}'")} (or a CIDR range that contains it) to {OutboundPolicy.AllowKey}.";
    }
}
