using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace MlLifecycle.Bench;

/// <summary>
/// Synthetic tables of any size, written as they are made (a 10-million-row file never sits in memory), the same rows as
/// CSV and as Parquet: <see cref="Shape.Numbers"/> (uniform numbers of 4 decimals) or <see cref="Shape.Mixed"/> (floats
/// with 10 % missing, integer counts, string categories of 5 to 60 levels). The label <c>y</c> (yes/no) depends on a
/// few columns with noise.
/// </summary>
public static class BenchData
{
    public enum Shape { Numbers, Mixed }

    private const int GroupRows = 1 << 20;

    /// <summary>The feature columns of a shape: a name and how to make a value (null = missing).</summary>
    private static (string Name, Func<Random, object?> Value)[] Features(Shape shape, int features) => shape == Shape.Numbers
        ? [.. Enumerable.Range(0, features).Select(i => ($"x{i}", (Func<Random, object?>)(r => Math.Round(r.NextDouble(), 4))))]
        : [.. Enumerable.Range(0, features).Select(i => (i % 3) switch
        {
            0 => ($"f{i}", (Func<Random, object?>)(r => r.Next(10) == 0 ? null : Math.Round(r.NextDouble() * 100, 3))),
            1 => ($"n{i}", r => (double)(r.Next(20) * r.Next(10))),
            _ => ($"c{i}", (Func<Random, object?>)(r => $"level{r.Next(new[] { 5, 12, 25, 40, 60 }[i % 5])}")),
        })];

    /// <summary>One row group's columns (values per feature, then the label).</summary>
    private static IEnumerable<(object?[][] Columns, string[] Labels)> Groups(Shape shape, int rows, int features, int seed)
    {
        var random = new Random(seed);
        var columns = Features(shape, features);
        for (var start = 0; start < rows; start += GroupRows)
        {
            var count = Math.Min(GroupRows, rows - start);
            var values = columns.Select(_ => new object?[count]).ToArray();
            var labels = new string[count];
            for (var r = 0; r < count; r++)
            {
                for (var c = 0; c < columns.Length; c++)
                {
                    values[c][r] = columns[c].Value(random);
                }

                var signal = values[0][r] is double a ? a / (shape == Shape.Numbers ? 1 : 100) : 0.5;
                signal += values[1][r] is double b ? (shape == Shape.Numbers ? b * b : b / 180) : 0;
                signal += values.Length > 2 && values[2][r] is string s && s.EndsWith('1') ? 0.3 : 0;
                labels[r] = signal + (0.3 * random.NextDouble()) > 0.9 ? "yes" : "no";
            }

            yield return (values, labels);
        }
    }

    /// <summary>Writes <paramref name="rows"/> rows of <paramref name="columns"/> columns (the label included) as CSV.</summary>
    public static void WriteCsv(string path, Shape shape, int rows, int columns, int seed)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        var names = Features(shape, columns - 1).Select(f => f.Name);
        writer.Write(string.Join(',', names) + ",y\n");
        foreach (var (values, labels) in Groups(shape, rows, columns - 1, seed))
        {
            for (var r = 0; r < labels.Length; r++)
            {
                foreach (var column in values)
                {
                    writer.Write(column[r] switch
                    {
                        double x => x.ToString("R", CultureInfo.InvariantCulture),
                        string s => s,
                        _ => "",
                    });
                    writer.Write(',');
                }

                writer.Write(labels[r]);
                writer.Write('\n');
            }
        }
    }

    /// <summary>The same rows as <see cref="WriteCsv"/>, as Parquet: doubles (nullable), strings, row groups of 2^20 rows.</summary>
    public static async Task WriteParquetAsync(string path, Shape shape, int rows, int columns, int seed)
    {
        var features = Features(shape, columns - 1);
        var sample = new Random(0);
        List<DataField> fields = [.. features.Select(f => f.Value(sample) is string ? (DataField)new DataField<string>(f.Name) : new DataField<double?>(f.Name)), new DataField<string>("y")];
        var schema = new ParquetSchema(fields);
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream);
        foreach (var (values, labels) in Groups(shape, rows, columns - 1, seed))
        {
            using var group = writer.CreateRowGroup();
            for (var c = 0; c < values.Length; c++)
            {
                if (fields[c].ClrType == typeof(string) || fields[c].ClrType == typeof(ReadOnlyMemory<char>))
                {
                    await group.WriteAsync(fields[c], values[c].Select(v => (string?)v).ToArray());
                }
                else
                {
                    await group.WriteAsync<double>(fields[c], values[c].Select(v => (double?)v).ToArray());
                }
            }

            await group.WriteAsync(fields[^1], labels);
        }
    }
}
