using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AiOrchestra.Web.Api;

/// <summary>
/// Reads a request body as text for the engine's own parser (workflow documents), enforcing what the JSON
/// binder enforces elsewhere: a JSON content type, the size limit and well-formed UTF-8.
/// </summary>
internal static class JsonBody
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task<(string? Text, ProblemHttpResult? Problem)> ReadTextAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problem(ApiExceptionHandler.UnsupportedContentType()));
        }
        if (request.ContentLength > ApiExtensions.MaxBodyBytes)
        {
            return (null, Problem(ApiExceptionHandler.TooLarge()));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > ApiExtensions.MaxBodyBytes)
            {
                return (null, Problem(ApiExceptionHandler.TooLarge()));
            }
            buffer.Write(chunk, 0, read);
        }
        try
        {
            var text = StrictUtf8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            return (text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text, null);
        }
        catch (DecoderFallbackException e)
        {
            return (null, Problem(new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Invalid UTF-8",
                Detail = $"The body is not valid UTF-8 (at byte {e.Index + 1}); save the file as UTF-8 and send it again.",
            }));
        }
    }

    private static ProblemHttpResult Problem(ProblemDetails details) => TypedResults.Problem(details);
}
