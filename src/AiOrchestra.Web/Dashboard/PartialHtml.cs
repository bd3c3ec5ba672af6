using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.AspNetCore.Mvc.ViewEngines;
using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace AiOrchestra.Web.Dashboard;

/// <summary>
/// Renders a Razor partial to text outside a page: the live streams send the same markup the pages draw (the flow
/// view), written once in its <c>.cshtml</c>.
/// </summary>
public sealed class PartialHtml(ICompositeViewEngine views, ITempDataProvider tempData)
{
    public async Task<string> RenderAsync<TModel>(HttpContext http, string path, TModel model)
    {
        var found = views.GetView(executingFilePath: null, viewPath: path, isMainPage: false);
        var view = found.View ?? throw new InvalidOperationException($"The partial {path} was not found.");
        await using var writer = new StringWriter();
        var actionContext = new ActionContext(http, http.GetRouteData(), new ActionDescriptor());
        var viewData = new ViewDataDictionary<TModel>(new EmptyModelMetadataProvider(), new ModelStateDictionary()) { Model = model };
        var context = new ViewContext(actionContext, view, viewData, new TempDataDictionary(http, tempData), writer, new HtmlHelperOptions());
        await view.RenderAsync(context);
        return writer.ToString();
    }
}
