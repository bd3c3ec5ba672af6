using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.Options;
using Octokit;
using Octokit.Internal;

namespace AiOrchestra.Engine.Steps.GitHub;

/// <summary>
/// <c>github</c>: issues, files, branches and repositories through Octokit. Octokit sends through the handler chain
/// of our named HttpClient (IHttpMessageHandlerFactory), so the same resilience pipeline applies.
/// </summary>
public sealed class GitHubStep(IHttpMessageHandlerFactory handlers, IOptions<GitHubOptions> options, IntegrationSecrets secrets, TimeProvider? time = null) : IStepType
{
    public const string HttpClientName = "github";

    private readonly Provider _provider = GitHubIntegration.Declaration.Provider(secrets, time);

    public string Name => "github";

    public string Description => "Open and update issues, commit files, create branches and list repositories on GitHub.";

    private static readonly StepParameter RepoParameter = new("repo", ParameterType.String, true, "Repository as owner/name, e.g. octo-org/handbook.");

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("create_issue", "Open an issue.",
        [
            RepoParameter,
            new("title", ParameterType.String, true, "Issue title."),
            new("body", ParameterType.String, false, "Issue text (Markdown)."),
            new("labels", ParameterType.Array, false, "Label names, e.g. [\"bug\", \"triage\"]."),
        ]),
        new("update_issue", "Change an issue's title, text or state.",
        [
            RepoParameter,
            new("number", ParameterType.Integer, true, "Issue number."),
            new("title", ParameterType.String, false, "New title."),
            new("body", ParameterType.String, false, "New text (Markdown)."),
            new("state", ParameterType.String, false, "open or closed."),
        ]),
        new("create_file", "Commit a file: created, or updated when the path already exists.",
        [
            RepoParameter,
            new("path", ParameterType.String, true, "Path in the repository, e.g. docs/sop.md."),
            new("content", ParameterType.String, true, "The file's text."),
            new("message", ParameterType.String, false, "Commit message (default: 'Update <path>')."),
            new("branch", ParameterType.String, false, "Branch to commit to (default: the repository's default branch)."),
        ]),
        new("list_issues", "List a repository's issues, newest first (pull requests left out): a poll trigger's source of new issues.",
        [
            RepoParameter,
            new("state", ParameterType.String, false, "open (default), closed or all."),
            new("labels", ParameterType.Array, false, "Only issues with all these labels, e.g. [\"bug\"]."),
            new("limit", ParameterType.Integer, false, "How many to return, 1 to 100 (default 30)."),
        ]),
        new("list_repos", "List the repositories the token can see.",
        [
            new("visibility", ParameterType.String, false, "all (default), public or private."),
            new("limit", ParameterType.Integer, false, "How many to return, 1 to 100 (default 30)."),
        ]),
        new("create_branch", "Create a branch from another branch.",
        [
            RepoParameter,
            new("branch", ParameterType.String, true, "Name of the new branch."),
            new("from", ParameterType.String, false, "Branch to start from (default: the repository's default branch)."),
        ]),
    ];

    public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        Func<GitHubClient, Task<JsonNode?>> action = call.Action switch
        {
            "create_issue" => CreateIssue(call.Parameters),
            "update_issue" => UpdateIssue(call.Parameters),
            "create_file" => CreateFile(call.Parameters),
            "list_issues" => ListIssues(call.Parameters),
            "list_repos" => ListRepos(call.Parameters),
            "create_branch" => CreateBranch(call.Parameters),
            _ => throw new StepFailedException($"github has no action '{call.Action}'"),
        };
        var token = secrets.Require(GitHubIntegration.Token);
        return _provider.RunAsync(call.Context, async () =>
        {
            using var adapter = new HttpClientAdapter(() => handlers.CreateHandler(HttpClientName));
            var connection = new Connection(
                new ProductHeaderValue("AiOrchestra"), BaseAddress(), new InMemoryCredentialStore(new Credentials(token)), adapter, new SimpleJsonSerializer());
            try
            {
                return await action(new GitHubClient(connection));
            }
            catch (ApiException e)
            {
                throw Failure(e);
            }
            catch (System.Runtime.Serialization.SerializationException e)
            {
                throw new JsonException(e.Message, e);
            }
        }, cancellationToken);
    }

    private static Func<GitHubClient, Task<JsonNode?>> CreateIssue(JsonObject parameters)
    {
        var (owner, name) = Repo(parameters);
        var issue = new NewIssue(StepParameters.RequiredText(parameters, "title")) { Body = StepParameters.Text(parameters, "body") };
        foreach (var label in Labels(parameters))
        {
            issue.Labels.Add(label);
        }
        return async client => IssueOutput(Read(await client.Issue.Create(owner, name, issue)));
    }

    private static Func<GitHubClient, Task<JsonNode?>> UpdateIssue(JsonObject parameters)
    {
        var (owner, name) = Repo(parameters);
        var number = StepParameters.Integer(parameters, "number", min: 1) ?? throw new StepFailedException("parameter 'number' is required");
        var update = new IssueUpdate { Title = StepParameters.Text(parameters, "title"), Body = StepParameters.Text(parameters, "body") };
        update.State = StepParameters.Text(parameters, "state")?.Trim().ToLowerInvariant() switch
        {
            null or "" => null,
            "open" => ItemState.Open,
            "closed" or "close" => ItemState.Closed,
            var other => throw new StepFailedException($"parameter 'state' must be open or closed, not '{other}'"),
        };
        return async client => IssueOutput(Read(await client.Issue.Update(owner, name, number, update)));
    }

    private static Func<GitHubClient, Task<JsonNode?>> CreateFile(JsonObject parameters)
    {
        var (owner, name) = Repo(parameters);
        var path = StepParameters.RequiredText(parameters, "path").Trim('/');
        var content = StepParameters.Text(parameters, "content") ?? throw new StepFailedException("parameter 'content' is required");
        var message = StepParameters.Text(parameters, "message") is { Length: > 0 } given ? given : $"Update {path}";
        var branch = StepParameters.Text(parameters, "branch") is { Length: > 0 } named ? named : null;
        return async client =>
        {
            var existingSha = await ExistingShaAsync(client, owner, name, path, branch);
            var change = Read(existingSha is null
                ? await client.Repository.Content.CreateFile(owner, name, path,
                    branch is null ? new CreateFileRequest(message, content) : new CreateFileRequest(message, content, branch))
                : await client.Repository.Content.UpdateFile(owner, name, path,
                    branch is null ? new UpdateFileRequest(message, content, existingSha) : new UpdateFileRequest(message, content, existingSha, branch)));
            return new JsonObject
            {
                ["path"] = change.Content?.Path ?? path,
                ["sha"] = change.Content?.Sha,
                ["url"] = change.Content?.HtmlUrl,
                ["commit_sha"] = change.Commit?.Sha,
                ["created"] = existingSha is null,
            };
        };
    }

    /// <summary>The blob sha of the file at <paramref name="path"/>, or null when there is none (GitHub needs it to update).</summary>
    private static async Task<string?> ExistingShaAsync(GitHubClient client, string owner, string name, string path, string? branch)
    {
        try
        {
            var contents = branch is null
                ? await client.Repository.Content.GetAllContents(owner, name, path)
                : await client.Repository.Content.GetAllContentsByRef(owner, name, path, branch);
            var file = contents.FirstOrDefault(c => c.Path == path) ?? contents.FirstOrDefault();
            if (file is not null && file.Type.Value != ContentType.File)
            {
                throw new StepFailedException($"parameter 'path': '{path}' is a {file.Type.StringValue} in {owner}/{name}, not a file");
            }
            return file?.Sha;
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    private static Func<GitHubClient, Task<JsonNode?>> ListIssues(JsonObject parameters)
    {
        var (owner, name) = Repo(parameters);
        var limit = StepParameters.Integer(parameters, "limit", min: 1, max: 100) ?? 30;
        var request = new RepositoryIssueRequest
        {
            State = StepParameters.Text(parameters, "state")?.Trim().ToLowerInvariant() switch
            {
                null or "" or "open" => ItemStateFilter.Open,
                "closed" => ItemStateFilter.Closed,
                "all" => ItemStateFilter.All,
                var other => throw new StepFailedException($"parameter 'state' must be open, closed or all, not '{other}'"),
            },
            SortProperty = IssueSort.Created,
            SortDirection = SortDirection.Descending,
        };
        foreach (var label in Labels(parameters))
        {
            request.Labels.Add(label);
        }
        return async client =>
        {
            var issues = Read(await client.Issue.GetAllForRepository(owner, name, request, new ApiOptions { PageSize = limit, PageCount = 1 }));
            return new JsonArray(issues.Where(i => i.PullRequest is null).Take(limit).Select(i =>
            {
                var output = IssueOutput(i);
                output["id"] = i.Id;
                output["body"] = i.Body;
                output["author"] = i.User?.Login;
                output["created_at"] = i.CreatedAt;
                return (JsonNode)output;
            }).ToArray());
        };
    }

    private static Func<GitHubClient, Task<JsonNode?>> ListRepos(JsonObject parameters)
    {
        var limit = StepParameters.Integer(parameters, "limit", min: 1, max: 100) ?? 30;
        var request = new RepositoryRequest
        {
            Visibility = StepParameters.Text(parameters, "visibility")?.Trim().ToLowerInvariant() switch
            {
                null or "" or "all" => RepositoryRequestVisibility.All,
                "public" => RepositoryRequestVisibility.Public,
                "private" => RepositoryRequestVisibility.Private,
                var other => throw new StepFailedException($"parameter 'visibility' must be all, public or private, not '{other}'"),
            },
        };
        return async client =>
        {
            var repositories = Read(await client.Repository.GetAllForCurrent(request, new ApiOptions { PageSize = limit, PageCount = 1 }));
            return new JsonArray(repositories.Take(limit).Select(r => (JsonNode)new JsonObject
            {
                ["full_name"] = r.FullName,
                ["name"] = r.Name,
                ["owner"] = r.Owner?.Login,
                ["private"] = r.Private,
                ["description"] = r.Description,
                ["default_branch"] = r.DefaultBranch,
                ["url"] = r.HtmlUrl,
            }).ToArray());
        };
    }

    private static Func<GitHubClient, Task<JsonNode?>> CreateBranch(JsonObject parameters)
    {
        var (owner, name) = Repo(parameters);
        var branch = StepParameters.RequiredText(parameters, "branch").Trim();
        var from = StepParameters.Text(parameters, "from") is { Length: > 0 } given ? given.Trim() : null;
        return async client =>
        {
            from ??= Read(await client.Repository.Get(owner, name)).DefaultBranch;
            var source = Read(await client.Git.Reference.Get(owner, name, $"heads/{from}"));
            var created = Read(await client.Git.Reference.Create(owner, name, new NewReference($"refs/heads/{branch}", Read(source.Object).Sha)));
            return new JsonObject { ["branch"] = branch, ["ref"] = created.Ref, ["sha"] = created.Object?.Sha ?? source.Object.Sha, ["from"] = from };
        };
    }

    /// <summary>Octokit hands back null when the answer was not JSON (e.g. an HTML error page with status 200).</summary>
    private static T Read<T>(T? value) where T : class =>
        value ?? throw new JsonException("the answer was empty or not JSON");

    private static JsonObject IssueOutput(Issue issue) => new()
    {
        ["number"] = issue.Number,
        ["title"] = issue.Title,
        ["state"] = issue.State.StringValue,
        ["url"] = issue.HtmlUrl,
        ["api_url"] = issue.Url,
        ["labels"] = new JsonArray((issue.Labels ?? []).Select(l => (JsonNode)JsonValue.Create(l.Name)!).ToArray()),
    };

    private static (string Owner, string Name) Repo(JsonObject parameters)
    {
        var repo = StepParameters.RequiredText(parameters, "repo").Trim();
        var parts = repo.Split('/');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            throw new StepFailedException($"parameter 'repo' must be owner/name (e.g. octo-org/handbook), not '{repo}'");
        }
        return (parts[0], parts[1]);
    }

    private static IEnumerable<string> Labels(JsonObject parameters)
    {
        var labels = StepParameters.Array(parameters, "labels");
        if (labels is null)
        {
            // A comma-separated text is a common way to write a few labels.
            return StepParameters.Text(parameters, "labels")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        }
        return labels.Select((label, i) => label is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw new StepFailedException($"parameter 'labels[{i}]' must be text"));
    }

    private Uri BaseAddress()
    {
        var baseUrl = options.Value.BaseUrl;
        if (!Uri.TryCreate(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/", UriKind.Absolute, out var uri))
        {
            throw new StepFailedException($"{GitHubIntegration.BaseUrl} '{baseUrl}' is not an absolute URL (e.g. https://api.github.com/)");
        }
        return uri;
    }

    /// <summary>GitHub's own message, with the field errors of a 422 ("Validation Failed") spelled out.</summary>
    private StepFailedException Failure(ApiException e)
    {
        var message = e.ApiError?.Message ?? e.Message;
        if (e.ApiError?.Errors is { Count: > 0 } errors)
        {
            var details = new StringBuilder();
            foreach (var error in errors)
            {
                details.Append(details.Length == 0 ? " (" : "; ");
                details.Append(error.Message ?? $"{error.Field}: {error.Code}");
            }
            message += details.Append(')');
        }
        var retryAfter = e.HttpResponse?.Headers is { } headers && headers.TryGetValue("Retry-After", out var header)
            ? _provider.RetryAfter(header)
            : null;
        return _provider.Failure((int)e.StatusCode, null, new JsonObject { ["message"] = message }.ToJsonString(), retryAfter);
    }
}
