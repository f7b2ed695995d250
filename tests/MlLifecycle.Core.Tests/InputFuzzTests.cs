using System.Text;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Spec;
using MlLifecycle.Core.Validation;
using Xunit.Abstractions;

namespace MlLifecycle.Core.Tests;

/// <summary>
/// Seeded mutation fuzzing of what users upload: CSV files through the whole data stage (read, inspect, clean, plan
/// the split, report) and spec files through the spec reader. Every input is accepted or refused with the stage's
/// own error (<see cref="DataValidationException"/>, <see cref="SpecException"/>), never another exception.
/// </summary>
public class InputFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261202;

    private static readonly string[] CsvTokens =
    [
        "\"", "\"\"", ",", ",,,", ";", "\t", "|", "\n", "\r", "\r\n", "\0", "NaN", "-NaN", "Infinity", "1e999", "-1e999", "-0", "1,5",
        "∞", "😀", "null", "?", "NA", "2024-02-30", "2024-01-01T00:00:00Z", "99999999999999999999999", "=cmd|' /C calc'!A0",
        new string('x', 20_000), "class", "bad", "good",
    ];

    private static readonly byte[][] CsvBytes = [[0xFF], [0xC3], [0xC3, 0x28], [0xEF, 0xBB, 0xBF], [0xFE, 0xFF], [0xED, 0xA0, 0x80]];

    private static readonly string[] SpecValues =
    [
        "null", "true", "0", "-1", "1.5", "1e400", "-1e400", "2147483648", "\"\"", "\"x\"", "\"class\"", "\"NaN\"", "[]", "{}",
        "[1,2]", "{\"a\":1}", "\"kfold\"", "\"median\"", "0.0000001", "[[[[[[[[[[]]]]]]]]]]", "\"\\u0000\"", $"\"{new string('s', 5000)}\"",
    ];

    [Fact]
    public void CsvUploads_2000SeededMutations_AreAcceptedOrRefusedWithAnAnomaly_NeverAnotherException()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "data", "credit-g.csv")).Take(61).ToArray();
        var original = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        var spec = SpecReader.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "credit-g.lifecycle.json")));
        var random = new Random(Seed);
        Dictionary<string, int> outcomes = [];
        List<string> failures = [];

        for (var i = 0; i < 2000; i++)
        {
            var input = MutateCsv(random, original);
            var outcome = Outcome(() => Prepare(input, spec));
            outcomes[outcome.Key] = outcomes.GetValueOrDefault(outcome.Key) + 1;
            if (outcome.Failure is { } failure)
            {
                failures.Add($"case {i}: {failure}\n{Encoding.UTF8.GetString(input[..Math.Min(input.Length, 300)])}");
            }
        }

        output.WriteLine(string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} × {o.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(5)));
        Assert.True(outcomes.GetValueOrDefault("accepted") > 200, "the mutations kept too few files valid");
        Assert.True(outcomes.Count(o => o.Key != "accepted") >= 4, "the mutations reached too few kinds of refusal");
    }

    [Fact]
    public void SpecFiles_3000SeededMutations_ParseOrFailWithASpecError_NeverAnotherException()
    {
        var original = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "credit-g.lifecycle.json"));
        var random = new Random(Seed);
        Dictionary<string, int> outcomes = [];
        List<string> failures = [];

        for (var i = 0; i < 3000; i++)
        {
            var text = MutateSpec(random, original);
            var outcome = Outcome(() =>
            {
                var spec = SpecReader.Parse(text);
                SpecReader.Validate(spec with { Task = random.Next(2) == 0 ? MlTask.BinaryClassification : MlTask.Regression });
            });
            outcomes[outcome.Key] = outcomes.GetValueOrDefault(outcome.Key) + 1;
            if (outcome.Failure is { } failure)
            {
                failures.Add($"case {i}: {failure}\n{text[..Math.Min(text.Length, 400)]}");
            }
        }

        output.WriteLine(string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} × {o.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(5)));
        Assert.True(outcomes.GetValueOrDefault("accepted") > 100, "the mutations kept too few specs valid");
        Assert.True(outcomes.GetValueOrDefault("SpecException") > 1000, "the mutations made too few specs invalid");
    }

    /// <summary>The data stage of a run, as the ValidateDataset activity runs it, without storage.</summary>
    private static void Prepare(byte[] csv, ProblemSpec spec)
    {
        var data = TableReader.ReadCsv(new MemoryStream(csv));
        var inspection = SchemaInference.Inspect(data, spec);
        if (inspection.Rejected)
        {
            throw new DataValidationException(inspection.Anomalies.First(a => a.Severity == Severity.Error).Code, null, "rejected");
        }

        SpecReader.Validate(spec with { Task = inspection.Schema.Task });
        var cleaning = Cleaner.Clean(data, inspection.Schema, spec.EffectiveCleaning);
        QualityReport.Build(data, inspection.Schema, inspection.Anomalies, cleaning);
        data.Retain(cleaning.Keep);
        var (table, schema) = HistoryFields.Declare(data, inspection.Schema, spec);
        ValidationPlan.Create(table, schema, spec, "fuzz");
        TableFile.Write(table, Stream.Null);
    }

    private static (string Key, string? Failure) Outcome(Action act)
    {
        try
        {
            act();
            return ("accepted", null);
        }
        catch (DataValidationException ex)
        {
            return (ex.Code, null);
        }
        catch (SpecException)
        {
            return ("SpecException", null);
        }
        catch (Exception ex)
        {
            return (ex.GetType().Name, $"{ex.GetType().Name}: {ex.Message}\n{ex.StackTrace?.Split('\n').FirstOrDefault()}");
        }
    }

    /// <summary>One to four edits: a token or bad bytes inserted, a byte changed, a range deleted, a line doubled or cut short.</summary>
    private static byte[] MutateCsv(Random random, byte[] original)
    {
        var bytes = new List<byte>(original);
        for (var edits = random.Next(1, 5); edits > 0 && bytes.Count > 0; edits--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(CsvTokens[random.Next(CsvTokens.Length)]));
                    break;
                case 1:
                    bytes.InsertRange(at, CsvBytes[random.Next(CsvBytes.Length)]);
                    break;
                case 2:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 3:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 200)));
                    break;
                case 4:
                    var start = bytes.LastIndexOf((byte)'\n', at) + 1;
                    var end = bytes.IndexOf((byte)'\n', at);
                    bytes.InsertRange(start, bytes.GetRange(start, (end < 0 ? bytes.Count : end + 1) - start));
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>A value replaced, removed or added at a field of the spec, or its text cut short or given a stray character.</summary>
    private static string MutateSpec(Random random, string original)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(original)!.AsObject();
        var fields = new List<(System.Text.Json.Nodes.JsonObject Parent, string Name)>();
        Collect(node);
        var (parent, name) = fields[random.Next(fields.Count)];
        var value = SpecValues[random.Next(SpecValues.Length)];
        var placeholder = $"@@{random.Next()}@@";
        switch (random.Next(5))
        {
            case 0:
                parent.Remove(name);
                return node.ToJsonString();
            case 1:
                parent[random.Next(2) == 0 ? name + "x" : "unknown"] = placeholder;
                break;
            case 2:
                var text = node.ToJsonString();
                var at = random.Next(text.Length);
                return random.Next(2) == 0 ? text[..at] : text.Insert(at, "{}[],:\"\\x"[random.Next(9)].ToString());
            default:
                parent[name] = placeholder;
                break;
        }

        return node.ToJsonString().Replace($"\"{placeholder}\"", value, StringComparison.Ordinal);

        void Collect(System.Text.Json.Nodes.JsonObject obj)
        {
            foreach (var (key, child) in obj.ToList())
            {
                fields.Add((obj, key));
                if (child is System.Text.Json.Nodes.JsonObject inner)
                {
                    Collect(inner);
                }
            }
        }
    }
}
