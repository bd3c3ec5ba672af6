using System.Reflection;
using System.Runtime.Loader;
using AiOrchestra.Plugins;

namespace AiOrchestra.Web.Plugins;

/// <summary>The plugin step types found in the plugins folder at start-up, and why any plugin there was not loaded.</summary>
public sealed record PluginSet(string Folder, IReadOnlyList<(string Plugin, IPluginStep Step)> Steps, IReadOnlyList<string> Problems)
{
    /// <summary>
    /// Loads <c>FOLDER/NAME/NAME.dll</c> for every subfolder, each in a load context of its own that resolves the
    /// plugin's dependencies from its folder and shares only the contract (and the framework) with the app. A plugin
    /// built for another contract version, one that fails to load or whose step types throw when created is reported,
    /// never fatal.
    /// </summary>
    public static PluginSet Load(string folder, int contractVersion = PluginContract.Version)
    {
        if (!Directory.Exists(folder))
        {
            return new PluginSet(folder, [], []);
        }
        var steps = new List<(string, IPluginStep)>();
        var problems = new List<string>();
        foreach (var pluginFolder in Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(pluginFolder);
            var file = Path.Combine(pluginFolder, name + ".dll");
            if (!File.Exists(file))
            {
                problems.Add($"plugin {name}: {file} is missing (a plugin is its build output in a folder of the same name)");
                continue;
            }
            try
            {
                var assembly = new PluginLoadContext(file).LoadFromAssemblyPath(file);
                var declared = assembly.GetCustomAttribute<PluginContractAttribute>()?.Version;
                if (declared != contractVersion)
                {
                    problems.Add(declared is null
                        ? $"plugin {name}: it declares no contract version; add [assembly: PluginContract(PluginContract.Version)] and build it against AiOrchestra.Plugins"
                        : $"plugin {name}: it was built for plugin contract {declared}, this app supports {contractVersion}; rebuild it against this version's AiOrchestra.Plugins");
                    continue;
                }
                var found = assembly.GetExportedTypes()
                    .Where(type => type is { IsClass: true, IsAbstract: false } && typeof(IPluginStep).IsAssignableFrom(type))
                    .ToList();
                if (found.Count == 0)
                {
                    problems.Add($"plugin {name}: it has no public class implementing IPluginStep");
                }
                foreach (var type in found)
                {
                    steps.Add((name, (IPluginStep)Activator.CreateInstance(type)!));
                }
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException or ReflectionTypeLoadException
                or TypeLoadException or MissingMethodException or TargetInvocationException)
            {
                var reason = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
                problems.Add($"plugin {name}: it could not be loaded: {reason.GetType().Name}: {reason.Message}");
            }
        }
        return new PluginSet(folder, steps, problems);
    }

    /// <summary>The plugin's own dependencies from its folder; the contract and the framework from the app.</summary>
    private sealed class PluginLoadContext(string file) : AssemblyLoadContext(Path.GetFileNameWithoutExtension(file), isCollectible: false)
    {
        private readonly AssemblyDependencyResolver _resolver = new(file);

        protected override Assembly? Load(AssemblyName name)
        {
            if (name.Name == typeof(IPluginStep).Assembly.GetName().Name)
            {
                return null;
            }
            return _resolver.ResolveAssemblyToPath(name) is { } path ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
