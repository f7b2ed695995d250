using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Tests;

/// <summary>Tables as the rows of cells a request would send, for tests that slice and edit rows.</summary>
internal static class TestRows
{
    /// <summary>A table's features as rows of cells in schema order (missing as null), and its labels.</summary>
    public static (List<string?[]> Features, List<string> Labels) Cells(ColumnTable table, DatasetSchema schema) => FeatureRows.Cells(table, schema);

    /// <summary>One column's cells (missing as null).</summary>
    public static List<string?> Texts(ColumnTable table, string column) => [.. Enumerable.Range(0, table.RowCount).Select(table.Find(column)!.Text)];
}
