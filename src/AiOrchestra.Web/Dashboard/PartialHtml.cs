using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.AspNetCore.Mvc.ViewEngines;
using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace AiOrchestra.Web.Dashboard;

/// <summary>
/// Renders a Razor partial to text outside a page: the live streams send the same markup the pages draw, written once
/// in its <c>.cshtml</c>. The stream calls it for every event, so it uses the app's model metadata provider (which
/// caches what it learns about a model type) rather than a new one per call, and the view engine's cached lookups.
/// </summary>
public sealed class PartialHtml(ICompositeViewEngine views, ITempDataProvider tempData, IModelMetadataProvider metadata)
{
    private static readonly HtmlHelperOptions HelperOptions = new();
    private static readonly ActionDescriptor NoAction = new();

    public async Task<string> RenderAsync<TModel>(HttpContext http, string path, TModel model)
    {
        var found = views.GetView(executingFilePath: null, viewPath: path, isMainPage: false);
        var view = found.View ?? throw new InvalidOperationException($"The partial {path} was not found.");
        await using var writer = new StringWriter();
        var actionContext = new ActionContext(http, http.GetRouteData(), NoAction);
        var viewData = new ViewDataDictionary<TModel>(metadata, new ModelStateDictionary()) { Model = model };
        var context = new ViewContext(actionContext, view, viewData, new TempDataDictionary(http, tempData), writer, HelperOptions);
        await view.RenderAsync(context);
        // a stream message is the markup alone: no indentation or line ends around it
        return writer.ToString().Trim();
    }
}
