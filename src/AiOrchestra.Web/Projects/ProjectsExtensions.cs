using AiOrchestra.Web.Users;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Projects;

public static class ProjectsExtensions
{
    /// <summary>Projects: who may do what in which project (API and pages), the Projects pages, per-project credentials.</summary>
    public static WebApplicationBuilder AddProjects(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<ProjectAccess>();
        services.AddSingleton<ProjectCredentials>();
        services.AddScoped<ProjectStore>();
        services.AddSingleton<IAuthorizationHandler, ProjectRequirement.Handler>();
        services.Configure<MvcOptions>(options => options.Filters.Add<ProjectPageFilter>());
        services.Configure<RazorPagesOptions>(options => options.Conventions.AuthorizePage("/Projects/Index", UsersExtensions.AdministratorsPolicy));
        return builder;
    }
}
