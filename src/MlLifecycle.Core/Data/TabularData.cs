namespace MlLifecycle.Core.Data;

/// <summary>A parsed CSV: column names and rows of raw cells (<c>null</c> = missing).</summary>
public sealed class TabularData(IReadOnlyList<string> columns, IReadOnlyList<string?[]> rows)
{
    public IReadOnlyList<string> Columns { get; } = columns;

    public IReadOnlyList<string?[]> Rows { get; } = rows;

    /// <summary>Index of a column by exact name, then case-insensitively; -1 when absent.</summary>
    public int IndexOf(string column)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (Columns[i] == column)
            {
                return i;
            }
        }

        for (var i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i], column, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
