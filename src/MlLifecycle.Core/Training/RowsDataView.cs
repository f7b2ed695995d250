using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlLifecycle.Core.Training;

/// <summary>
/// A read-only <see cref="IDataView"/> over columns computed per row index. Lets training and serving feed ML.NET
/// rows whose columns are only known at run time (from <c>schema.json</c>), through the same conversion code.
/// </summary>
internal sealed class RowsDataView : IDataView
{
    private readonly Delegate[] _getters;
    private readonly int _rows;

    private RowsDataView(DataViewSchema schema, Delegate[] getters, int rows)
    {
        Schema = schema;
        _getters = getters;
        _rows = rows;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    /// <summary>Row 0 of the view as a <see cref="DataViewRow"/> that is read again after its source changes (see <see cref="LiveRow"/>).</summary>
    public LiveRow FirstRow() => new(this);

    /// <summary>Collects columns, then builds the view.</summary>
    public sealed class Builder(int rows)
    {
        private readonly DataViewSchema.Builder _schema = new();
        private readonly List<Delegate> _getters = [];

        public Builder Add<T>(string name, DataViewType type, Func<int, T> valueAt)
        {
            _schema.AddColumn(name, type);
            _getters.Add(valueAt);
            return this;
        }

        public RowsDataView Build() => new(_schema.ToSchema(), [.. _getters], rows);
    }

    private sealed class Cursor(RowsDataView view) : DataViewRowCursor
    {
        private long _position = -1;

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => view.Schema;

        public override bool MoveNext()
        {
            if (_position + 1 < view._rows)
            {
                _position++;
                return true;
            }

            _position = view._rows;
            return false;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var valueAt = (Func<int, TValue>)view._getters[column.Index];
            return (ref TValue value) => value = valueAt((int)_position);
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => true;
    }

    /// <summary>
    /// Row 0 of a view whose source is swapped between reads (single-row scoring). <see cref="Advance"/> moves the
    /// position, which tells the transforms' per-row caches that the values changed.
    /// </summary>
    public sealed class LiveRow(RowsDataView view) : DataViewRow
    {
        private long _position;

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => view.Schema;

        public void Advance() => _position++;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var valueAt = (Func<int, TValue>)view._getters[column.Index];
            return (ref TValue value) => value = valueAt(0);
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => true;
    }
}
