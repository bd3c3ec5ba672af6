using AiOrchestra.Web.Api.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AiOrchestra.Web.Api;

/// <summary>
/// Declares the bearer scheme in the OpenAPI document and puts it on every operation that needs a token,
/// so the docs page offers to send one and a client generator knows where it goes.
/// </summary>
internal sealed class BearerSecurityTransformer : IOpenApiDocumentTransformer
{
    private const string Scheme = "bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "AI Orchestra API";
        // Markdown: a bare <token> would be read as an HTML tag and vanish; a code span shows it as written
        document.Info.Description = "Log in with `POST /api/auth/login`, then send the `access_token` as `Authorization: Bearer <token>`.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "The access_token from POST /api/auth/login.",
        };

        var secured = context.DescriptionGroups
            .SelectMany(g => g.Items)
            .Where(d => d.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any(a => a.Policy == ApiAuthentication.Policy)
                        && !d.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
            .Select(d => ("/" + d.RelativePath?.Trim('/'), d.HttpMethod))
            .ToHashSet();
        var requirement = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, document)] = [] };
        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item.Operations ?? [])
            {
                if (secured.Contains((path, method.Method)))
                {
                    operation.Security ??= [];
                    operation.Security.Add(requirement);
                }
            }
        }
        return Task.CompletedTask;
    }
}
