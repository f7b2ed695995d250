using System.Diagnostics;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Training;
using MlLifecycle.Core.Validation;

/// <summary>
/// The data stage's steps in process, as ValidateDataset and SplitDataset run them on an upload: each step's time, cold
/// (first pass, code being compiled) and warm (second pass).
/// </summary>
internal static class DataStageBench
{
    public static int Run(string csv, string label)
    {
        var bytes = File.ReadAllBytes(csv);
        var spec = new ProblemSpec { Label = label };
        foreach (var pass in new[] { "cold", "warm" })
        {
            var stopwatch = Stopwatch.StartNew();
            List<string> steps = [];
            void Step(string name)
            {
                steps.Add($"{name} {stopwatch.Elapsed.TotalSeconds:F2} s");
                stopwatch.Restart();
            }

            var data = TableReader.ReadCsv(new MemoryStream(bytes));
            Step("read CSV");
            var inspection = SchemaInference.Inspect(data, spec);
            Step("infer schema");
            var cleaning = Cleaner.Clean(data, inspection.Schema, spec.EffectiveCleaning);
            Step("clean");
            QualityReport.Build(data, inspection.Schema, [], cleaning);
            Step("quality report");
            data.Retain(cleaning.Keep);
            var (table, schema) = HistoryFields.Declare(data, inspection.Schema, spec);
            ValidationPlan.Create(table, schema, spec, "bench");
            Step("split plan");
            TableFile.Write(table, new MemoryStream());
            Step("write table");
            FeatureRows.FromTable(table, schema);
            Step("feature rows");
            Console.WriteLine($"{Path.GetFileName(csv)}, {pass}: {string.Join(", ", steps)}");
        }

        return 0;
    }
}
