using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.Razor;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace AiOrchestra.Web.Dashboard;

/// <summary>
/// A Razor partial rendered to text outside a page (the live stream's fragments), so the stream sends the very markup
/// the page draws with the same partial.
/// </summary>
public sealed class PartialHtml(IRazorViewEngine views, ITempDataProvider tempData, IModelMetadataProvider metadata)
{
    public async Task<string> RenderAsync<TModel>(HttpContext context, string path, TModel model)
    {
        var found = views.GetView(executingFilePath: null, viewPath: path, isMainPage: false);
        if (!found.Success)
        {
            throw new InvalidOperationException($"The partial '{path}' was not found.");
        }
        await using var writer = new StringWriter();
        var viewData = new ViewDataDictionary<TModel>(metadata, new ModelStateDictionary()) { Model = model };
        var viewContext = new ViewContext(
            new ActionContext(context, context.GetRouteData(), new ActionDescriptor()),
            found.View, viewData, new TempDataDictionary(context, tempData), writer, new HtmlHelperOptions());
        await found.View.RenderAsync(viewContext);
        return writer.ToString();
    }
}
