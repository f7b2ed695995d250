namespace MlLifecycle.Core.Data;

/// <summary>
/// A table held by column (<see cref="Column"/>): what every stage of a run reads, built once in one streaming pass
/// from the uploaded file. Columns are read-only once built; a fold or a trial is a set of row indexes over them.
/// </summary>
public sealed class ColumnTable
{
    public ColumnTable(IReadOnlyList<Column> columns)
    {
        if (columns.Select(c => c.Length).Distinct().Count() > 1)
        {
            throw new ArgumentException("Every column of a table has the same length.", nameof(columns));
        }

        Columns = columns;
    }

    public IReadOnlyList<Column> Columns { get; }

    public IReadOnlyList<string> Names => [.. Columns.Select(c => c.Name)];

    public int RowCount => Columns.Count == 0 ? 0 : Columns[0].Length;

    /// <summary>Bytes the values take in memory.</summary>
    public long Bytes => Columns.Sum(c => c.Bytes);

    public Column this[int index] => Columns[index];

    /// <summary>Index of a column by exact name, then case-insensitively; -1 when absent.</summary>
    public int IndexOf(string column)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (Columns[i].Name == column)
            {
                return i;
            }
        }

        for (var i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i].Name, column, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The column of a name (see <see cref="IndexOf"/>), or null.</summary>
    public Column? Find(string column) => IndexOf(column) is var i and >= 0 ? Columns[i] : null;

    /// <summary>This table with more columns after its own.</summary>
    public ColumnTable With(IEnumerable<Column> added) => new([.. Columns, .. added]);

    /// <summary>The rows <paramref name="rows"/> as a new table.</summary>
    public ColumnTable Take(int[] rows) => new([.. Columns.Select(c => c.Take(rows))]);

    /// <summary>Keeps only <paramref name="rows"/> (ascending), in place, without a second copy of the data.</summary>
    /// <remarks>Only for the stage that read the table and holds its one reference.</remarks>
    public void Retain(int[] rows)
    {
        for (var i = 1; i < rows.Length; i++)
        {
            if (rows[i] <= rows[i - 1])
            {
                throw new ArgumentException("Rows to keep must be ascending.", nameof(rows));
            }
        }

        if (rows.Length == RowCount)
        {
            return;
        }

        foreach (var column in Columns)
        {
            column.Retain(rows);
        }
    }

    /// <summary>A table from rows of cells (null = missing), each column kept as text or numbers as the cells suggest.</summary>
    public static ColumnTable FromRows(IReadOnlyList<string> columns, IEnumerable<string?[]> rows)
    {
        var builders = columns.Select(c => new ColumnBuilder(c, textOnly: false)).ToArray();
        foreach (var row in rows)
        {
            for (var i = 0; i < builders.Length; i++)
            {
                builders[i].Add(row[i]);
            }
        }

        return new ColumnTable([.. builders.Select(b => b.Build())]);
    }

    public static ColumnTable From(TabularData data) => FromRows(data.Columns, data.Rows);

    /// <summary>The table, or <paramref name="count"/> of its rows from <paramref name="start"/>, as rows of cells (small tables, batch chunks).</summary>
    public TabularData ToRows(int start = 0, int? count = null) =>
        new(Names, [.. Enumerable.Range(start, count ?? RowCount - start).Select(r => Columns.Select(c => c.Text(r)).ToArray())]);
}
