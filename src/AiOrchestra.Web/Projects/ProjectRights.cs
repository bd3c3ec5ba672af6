using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using System.Reflection;

namespace AiOrchestra.Web.Projects;

/// <summary>
/// The role a page of a project needs. On the page's model: <see cref="View"/> for reading it (GET), the given role for
/// its forms (POST). On a handler method: that handler needs the given role, whatever its HTTP method.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class ProjectRightsAttribute(ProjectRole change) : Attribute
{
    public ProjectRole Change { get; } = change;
    public ProjectRole View { get; set; } = ProjectRole.Viewer;

    /// <summary>The role a request to a page needs, or null when the page is not a project's (account pages, Users).</summary>
    public static ProjectRole? Needed(TypeInfo? model, MethodInfo? handler, string httpMethod)
    {
        if (handler?.GetCustomAttribute<ProjectRightsAttribute>() is { } own)
        {
            return own.Change;
        }
        if (model?.GetCustomAttribute<ProjectRightsAttribute>() is not { } page)
        {
            return null;
        }
        return HttpMethods.IsGet(httpMethod) || HttpMethods.IsHead(httpMethod) ? page.View : page.Change;
    }
}

/// <summary>
/// Refuses a page's handler when the user's role in the current project is below what it needs: a 403 page that says
/// which role is needed (nothing of the handler runs).
/// </summary>
public sealed class ProjectPageFilter : IAsyncPageFilter
{
    /// <summary>Where the refusal's sentence waits for the error page.</summary>
    public const string RefusalItem = "project-refusal";

    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var http = context.HttpContext;
        var needed = ProjectRightsAttribute.Needed(context.ActionDescriptor.ModelTypeInfo, context.HandlerMethod?.MethodInfo, http.Request.Method);
        if (needed is { } role && http.User.ProjectRole() is { } has && has < role)
        {
            var seat = new ProjectSeat(http.User.ProjectId() ?? "", http.User.ProjectName() is { Length: > 0 } name ? name : "Personal", has, false);
            var what = context.HandlerMethod?.Name is { Length: > 0 } handler ? $"'{handler}' on this page" : "This page";
            http.Items[RefusalItem] = ProjectRequirement.Refusal(seat, role, what);
            context.Result = new StatusCodeResult(StatusCodes.Status403Forbidden);
            return;
        }
        await next();
    }
}
