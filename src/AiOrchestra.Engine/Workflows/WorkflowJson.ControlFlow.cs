using System.Text.Json;

namespace AiOrchestra.Engine.Workflows;

public static partial class WorkflowJson
{
    /// <summary>Control-flow fields of a step, each only when it was given.</summary>
    private static void WriteControlFlow(Utf8JsonWriter writer, WorkflowStep step)
    {
        if (step.When is { } when)
        {
            writer.WriteString("when", when);
        }
        if (step.ForEach is { } forEach)
        {
            writer.WritePropertyName("for_each");
            forEach.WriteTo(writer);
        }
        if (step.Concurrency is { } concurrency)
        {
            writer.WriteNumber("concurrency", concurrency);
        }
        if (step.DependsOn is { } dependsOn)
        {
            writer.WriteStartArray("depends_on");
            foreach (var id in dependsOn)
            {
                writer.WriteStringValue(id);
            }
            writer.WriteEndArray();
        }
        if (step.NextStepWritten || step.NextStep is not null)
        {
            if (step.NextStep is null)
            {
                writer.WriteNull("next_step");
            }
            else
            {
                writer.WriteString("next_step", step.NextStep);
            }
        }
    }

    private static void WriteOnFailure(Utf8JsonWriter writer, FailureHandler? handler)
    {
        if (handler is null)
        {
            return;
        }
        writer.WriteStartObject("on_failure");
        writer.WriteString("workflow_id", handler.WorkflowId);
        if (handler.VariablesWritten || handler.Variables.Count > 0)
        {
            writer.WritePropertyName("variables");
            handler.Variables.WriteTo(writer);
        }
        writer.WriteEndObject();
    }
}
