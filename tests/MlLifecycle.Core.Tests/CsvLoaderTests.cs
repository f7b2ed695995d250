using System.Text;
using MlLifecycle.Core.Data;

namespace MlLifecycle.Core.Tests;

public class CsvLoaderTests
{
    private static TabularData Read(string text, Encoding? encoding = null) =>
        CsvLoader.Read(new MemoryStream((encoding ?? new UTF8Encoding(false)).GetBytes(text)));

    private static TabularData Read(byte[] bytes) => CsvLoader.Read(new MemoryStream(bytes));

    [Fact]
    public void Read_QuotedFieldsBomAndCrLf_ParsesCells()
    {
        var table = Read("\uFEFFname,age,city\r\n\"Smith, J\",42,\"New\r\nYork\"\r\nLee,7,Oslo\r\n", new UTF8Encoding(true));

        Assert.Equal(["name", "age", "city"], table.Columns);
        Assert.Equal(2, table.Rows.Count);
        Assert.Equal("Smith, J|42|New\r\nYork", string.Join('|', table.Rows[0]));
        Assert.Equal("Lee|7|Oslo", string.Join('|', table.Rows[1]));
    }

    [Fact]
    public void Open_ReadsChunksInOrder_WithTheFilesColumns()
    {
        var text = "a,b\n" + string.Concat(Enumerable.Range(0, 25).Select(i => $"{i},NA\n"));
        using var reader = CsvLoader.Open(new MemoryStream(Encoding.UTF8.GetBytes(text)));

        List<TabularData> chunks = [];
        while (reader.Read(10) is { } chunk)
        {
            chunks.Add(chunk);
        }

        Assert.Equal([10, 10, 5], chunks.Select(c => c.Rows.Count));
        Assert.All(chunks, c => Assert.Equal(["a", "b"], c.Columns));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"{i}"), chunks.SelectMany(c => c.Rows).Select(r => r[0]));
        Assert.All(chunks.SelectMany(c => c.Rows), r => Assert.Null(r[1]));
        Assert.Equal(25, reader.RowsRead);
    }

    [Fact]
    public void Open_RaggedRowInALaterChunk_NamesItsLine()
    {
        using var reader = CsvLoader.Open(new MemoryStream(Encoding.UTF8.GetBytes("a,b\n1,2\n3,4\n5\n")));

        Assert.NotNull(reader.Read(2));
        var ex = Assert.Throws<DataValidationException>(() => reader.Read(2));

        Assert.Equal(AnomalyCodes.RaggedRow, ex.Code);
        Assert.Contains("Row 4", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?")]
    [InlineData("NA")]
    [InlineData("n/a")]
    [InlineData("#N/A")]
    [InlineData("null")]
    public void Read_MissingMarker_BecomesNull(string marker)
    {
        var table = Read($"a,b\n1,{marker}\n");

        Assert.Null(table.Rows[0][1]);
        Assert.Equal("1", table.Rows[0][0]);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("NaN")]
    [InlineData("0")]
    public void Read_OrdinaryValue_IsKept(string value)
    {
        var table = Read($"a,b\n1,{value}\n");

        Assert.Equal(value, table.Rows[0][1]);
    }

    [Fact]
    public void Write_ThenRead_RoundTripsQuotesAndMissing()
    {
        var table = new TabularData(["a", "b"], [["x, \"y\"", null], ["line\nbreak", "2"]]);
        using var stream = new MemoryStream();

        CsvLoader.Write(table, stream);
        stream.Position = 0;
        var read = CsvLoader.Read(stream);

        Assert.Equal("x, \"y\"", read.Rows[0][0]);
        Assert.Null(read.Rows[0][1]);
        Assert.Equal("line\nbreak", read.Rows[1][0]);
    }

    [Fact]
    public void Read_SemicolonDelimited_DetectsDelimiter()
    {
        var table = Read("a;b;c\n1;2;3\n4;5;6\n");

        Assert.Equal(["a", "b", "c"], table.Columns);
        Assert.Equal("4|5|6", string.Join('|', table.Rows[1]));
    }

    [Theory]
    [InlineData("", AnomalyCodes.EmptyFile)]
    [InlineData("\n\n", AnomalyCodes.EmptyFile)]
    [InlineData("a,b,c\n", AnomalyCodes.NoRows)]
    [InlineData("a,b,a\n1,2,3\n", AnomalyCodes.DuplicateColumn)]
    [InlineData("a,b\n1,2\n3,4,5\n", AnomalyCodes.RaggedRow)]
    public void Read_BadFile_ThrowsWithCode(string text, string code)
    {
        var ex = Assert.Throws<DataValidationException>(() => Read(text));

        Assert.Equal(code, ex.Code);
    }

    [Fact]
    public void Read_DuplicateHeader_NamesTheColumn()
    {
        var ex = Assert.Throws<DataValidationException>(() => Read("x,y,X\n1,2,3\n"));

        Assert.Equal("X", ex.Column);
    }

    [Fact]
    public void Read_InvalidUtf8_ThrowsInvalidEncoding()
    {
        byte[] latin1 = [.. "name,city\nJos"u8.ToArray(), 0xE9, .. ",Z\xFCrich\n"u8.ToArray()];

        var ex = Assert.Throws<DataValidationException>(() => Read(latin1));

        Assert.Equal(AnomalyCodes.InvalidEncoding, ex.Code);
    }

    [Fact]
    public void Read_EmptyHeaderCell_GetsPositionalName()
    {
        var table = Read(",value\n1,2\n");

        Assert.Equal(["column_1", "value"], table.Columns);
    }
}
