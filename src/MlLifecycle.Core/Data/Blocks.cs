namespace MlLifecycle.Core.Data;

/// <summary>
/// A column's values in fixed-size blocks: they grow a block at a time as a file is read and are never copied into one
/// array. One array would need the whole column twice at the moment it is made (ten million doubles: 80 MB more per
/// column, and for a whole table its size again), and a heap held to a budget has no room for that.
/// </summary>
public sealed class Blocks<T>
{
    /// <summary>Values a block holds (a block is 256 KiB of ints, 512 KiB of doubles).</summary>
    public const int Size = 1 << Shift;

    private const int Shift = 16;
    private const int Mask = Size - 1;

    private readonly List<T[]> _blocks = [];

    public int Count { get; private set; }

    /// <summary>Bytes the blocks take.</summary>
    public long Bytes => (long)_blocks.Count * Size * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    public T this[int index]
    {
        get => _blocks[index >> Shift][index & Mask];
        set => _blocks[index >> Shift][index & Mask] = value;
    }

    public void Add(T value)
    {
        if ((Count & Mask) == 0)
        {
            _blocks.Add(new T[Size]);
        }

        _blocks[^1][Count++ & Mask] = value;
    }

    public static Blocks<T> Of(ReadOnlySpan<T> values)
    {
        var blocks = new Blocks<T>();
        foreach (var value in values)
        {
            blocks.Add(value);
        }

        return blocks;
    }

    /// <summary>The values as spans, block by block (the last one cut to the count).</summary>
    public IEnumerable<ReadOnlyMemory<T>> Spans()
    {
        for (var b = 0; b < _blocks.Count; b++)
        {
            yield return _blocks[b].AsMemory(0, Math.Min(Size, Count - (b * Size)));
        }
    }

    /// <summary>Blocks filled from a source block by block (the last one cut to the count): how a saved table loads.</summary>
    public static Blocks<T> Read(int count, Action<Memory<T>> fill)
    {
        var blocks = new Blocks<T>();
        for (var start = 0; start < count; start += Size)
        {
            var block = new T[Size];
            fill(block.AsMemory(0, Math.Min(Size, count - start)));
            blocks._blocks.Add(block);
        }

        blocks.Count = count;
        return blocks;
    }

    /// <summary>Keeps only <paramref name="rows"/> (ascending), moving them forward in place; emptied blocks are let go.</summary>
    public void Retain(ReadOnlySpan<int> rows)
    {
        for (var i = 0; i < rows.Length; i++)
        {
            this[i] = this[rows[i]];
        }

        Count = rows.Length;
        _blocks.RemoveRange((Count + Mask) >> Shift, _blocks.Count - ((Count + Mask) >> Shift));
    }
}
