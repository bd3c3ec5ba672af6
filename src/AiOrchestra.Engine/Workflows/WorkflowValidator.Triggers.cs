using Cronos;

namespace AiOrchestra.Engine.Workflows;

/// <summary>The checks of the <c>triggers</c> array: ids, each kind's settings, cron and time zones, poll actions.</summary>
public sealed partial class WorkflowValidator
{
    /// <summary>Longest interval of a schedule (31 days) and of a poll (1 day).</summary>
    public const int MaxScheduleSeconds = 31 * 24 * 3600;
    public const int MaxPollSeconds = 24 * 3600;
    public const int MaxPerMinuteLimit = 600_000;
    public const int MaxPollItems = 1000;

    private const string CronExample = "e.g. \"0 2 * * *\" (every day at 02:00) or \"*/30 * * * * *\" (every 30 seconds, seconds first)";

    private void CheckTriggers(Workflow workflow, List<ValidationError> errors)
    {
        if (workflow.Triggers.Count == 0)
        {
            return;
        }
        for (var index = 0; index < workflow.Steps.Count; index++)
        {
            if (workflow.Steps[index].StepId == WorkflowTrigger.Variable)
            {
                errors.Add(new(JsonValues.Item("steps", index) + ".step_id", "'trigger' names what started the run in a workflow with triggers ({{trigger.body}}); give the step another id"));
            }
        }
        if (workflow.Variables.ContainsKey(WorkflowTrigger.Variable))
        {
            errors.Add(new("variables.trigger", "'trigger' names what started the run in a workflow with triggers ({{trigger.body}}); rename the variable"));
        }
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var index = 0; index < workflow.Triggers.Count; index++)
        {
            var trigger = workflow.Triggers[index];
            var path = JsonValues.Item("triggers", index);
            if (!Ids.Name().IsMatch(trigger.TriggerId))
            {
                errors.Add(new(path + ".trigger_id", $"{JsonValues.Quote(trigger.TriggerId)} is not a valid trigger id; use 1 to {WorkflowLimits.MaxIdLength} letters, digits or '_', e.g. \"nightly\""));
            }
            else if (!seen.TryAdd(trigger.TriggerId, index))
            {
                errors.Add(new(path + ".trigger_id", $"'{trigger.TriggerId}' is already the id of triggers[{seen[trigger.TriggerId]}]; give each trigger its own id"));
            }
            CheckTriggerVariables(workflow, trigger, path, errors);
            switch (trigger.Type)
            {
                case TriggerType.Webhook:
                    CheckWebhook(workflow, trigger, path, errors);
                    break;
                case TriggerType.Schedule:
                    CheckSchedule(trigger, path, errors);
                    break;
                case TriggerType.Poll:
                    CheckPoll(workflow, trigger, path, errors);
                    break;
            }
        }
    }

    private static void CheckTriggerVariables(Workflow workflow, WorkflowTrigger trigger, string path, List<ValidationError> errors)
    {
        foreach (var name in trigger.Variables.Keys)
        {
            var variablePath = JsonValues.Child(path + ".variables", name);
            if (name == WorkflowTrigger.Variable)
            {
                errors.Add(new(variablePath, "'trigger' is set by the trigger itself (the request, item or items); remove it"));
            }
            else if (!workflow.Variables.ContainsKey(name))
            {
                errors.Add(new(variablePath, $"the workflow has no variable {JsonValues.Quote(name)}{Spelling.DidYouMean(name, workflow.Variables.Keys)}; declare it under \"variables\" first, a trigger only overrides declared ones"));
            }
        }
    }

    private static void CheckWebhook(Workflow workflow, WorkflowTrigger trigger, string path, List<ValidationError> errors)
    {
        if (trigger.ResponseStep is { } step)
        {
            if (trigger.Respond != WebhookResponse.Output)
            {
                errors.Add(new(path + ".response_step", "only an \"output\" webhook answers with a step's output; set \"respond\": \"output\" or remove response_step"));
            }
            else if (!workflow.Steps.Any(s => s.StepId == step))
            {
                var ids = workflow.Steps.Select(s => s.StepId).ToArray();
                errors.Add(new(path + ".response_step", $"there is no step {JsonValues.Quote(step)}{Spelling.DidYouMean(step, ids)}; the steps are: {string.Join(", ", ids)}"));
            }
        }
        if (trigger.MaxPerMinute is { } max && max is < 1 or > MaxPerMinuteLimit)
        {
            errors.Add(new(path + ".max_per_minute", $"must be between 1 and {MaxPerMinuteLimit} calls a minute, got {max}"));
        }
    }

    private static void CheckSchedule(WorkflowTrigger trigger, string path, List<ValidationError> errors)
    {
        if (trigger.Cron is null && trigger.EverySeconds is null)
        {
            errors.Add(new(path, $"a schedule needs \"cron\" ({CronExample}) or \"every_seconds\" (a fixed interval)"));
            return;
        }
        if (trigger.Cron is not null && trigger.EverySeconds is not null)
        {
            errors.Add(new(path + ".every_seconds", "a schedule has either \"cron\" or \"every_seconds\", not both; remove one"));
            return;
        }
        if (trigger.Cron is { } cron)
        {
            var fields = cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            if (!cron.TrimStart().StartsWith('@') && fields is not (5 or 6))
            {
                errors.Add(new(path + ".cron", $"{JsonValues.Quote(cron)} has {fields} field(s); a cron expression has 5 (minute hour day-of-month month day-of-week) or 6 (seconds first), {CronExample}"));
            }
            else
            {
                try
                {
                    TriggerSchedule.ParseCron(cron);
                }
                catch (CronFormatException e)
                {
                    errors.Add(new(path + ".cron", $"{JsonValues.Quote(cron)} is not a valid cron expression: {e.Message.TrimEnd('.')}; {CronExample}"));
                }
            }
        }
        if (trigger.TimeZone is { } zone)
        {
            if (trigger.Cron is null)
            {
                errors.Add(new(path + ".time_zone", "an interval does not depend on a time zone; time_zone applies to \"cron\" only, remove it"));
            }
            else if (!IsTimeZone(zone))
            {
                errors.Add(new(path + ".time_zone", $"unknown time zone {JsonValues.Quote(zone)}; use an IANA name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\""));
            }
        }
        if (trigger.EverySeconds is { } seconds && seconds is < 1 or > MaxScheduleSeconds)
        {
            errors.Add(new(path + ".every_seconds", $"must be between 1 and {MaxScheduleSeconds} seconds (31 days), got {seconds}"));
        }
    }

    private void CheckPoll(Workflow workflow, WorkflowTrigger trigger, string path, List<ValidationError> errors)
    {
        if (trigger.EverySeconds is not { } seconds)
        {
            errors.Add(new(path + ".every_seconds", "required field is missing; say how often to ask the source, e.g. \"every_seconds\": 60"));
        }
        else if (seconds is < 1 or > MaxPollSeconds)
        {
            errors.Add(new(path + ".every_seconds", $"must be between 1 and {MaxPollSeconds} seconds (1 day), got {seconds}"));
        }
        if (trigger.StepType is null || trigger.Action is null)
        {
            var missing = trigger.StepType is null ? "step_type" : "action";
            errors.Add(new(path + "." + missing, "required field is missing; a poll runs one action that returns a list, e.g. \"step_type\": \"gmail\", \"action\": \"list_messages\""));
        }
        else
        {
            // the poll's action is checked as a step would be; its parameters may read the workflow's variables only
            var step = new WorkflowStep { StepId = trigger.TriggerId, StepType = trigger.StepType, Action = trigger.Action, Parameters = trigger.Parameters };
            var stepErrors = new List<ValidationError>();
            CheckAction(step, path, stepErrors);
            errors.AddRange(stepErrors);
            foreach (var (stringPath, text) in Strings(trigger.Parameters, path + ".parameters"))
            {
                CheckPollTemplate(workflow, stringPath, text, errors);
            }
        }
        if (trigger.ItemId.Length == 0)
        {
            errors.Add(new(path + ".item_id", "must name the field that identifies an item, e.g. \"id\""));
        }
        if (trigger.MaxItems is < 1 or > MaxPollItems)
        {
            errors.Add(new(path + ".max_items", $"must be between 1 and {MaxPollItems} new items a poll, got {trigger.MaxItems}"));
        }
    }

    private static void CheckPollTemplate(Workflow workflow, string path, string text, List<ValidationError> errors)
    {
        Templating.Template template;
        try
        {
            template = Templating.Template.Parse(text);
        }
        catch (Templating.TemplateException e)
        {
            errors.Add(new(path, e.Message));
            return;
        }
        foreach (var reference in template.References.Where(r => !workflow.Variables.ContainsKey(r.Name)))
        {
            errors.Add(new(path, $"unknown variable '{reference.Name}'{Spelling.DidYouMean(reference.Name, workflow.Variables.Keys)}; a poll runs before any step, so its parameters read the workflow's variables only"));
        }
    }

    private static bool IsTimeZone(string id)
    {
        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            return false;
        }
    }
}
