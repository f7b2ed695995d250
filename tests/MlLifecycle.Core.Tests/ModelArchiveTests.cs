using System.IO.Compression;
using MlLifecycle.Core.Data;
using MlLifecycle.Core.Training;

namespace MlLifecycle.Core.Tests;

public class ModelArchiveTests
{
    private static readonly Lazy<(byte[] Zip, DatasetSchema Schema)> Saved = new(() =>
    {
        var data = ColumnTable.FromRows(["x", "y"], [.. Enumerable.Range(0, 60).Select(i => new string?[] { $"{i % 10}", i % 10 > 4 ? "a" : "b" })]);
        var schema = SchemaInference.Infer(data, "y");
        var (rows, labels) = TestRows.Cells(data, schema);
        using var zip = new MemoryStream();
        TrainedModel.Train(schema, rows, labels, seed: 1, trainer: Trainers.Linear).Save(zip);
        return (zip.ToArray(), schema);
    });

    [Fact]
    public void SavedModel_PassesTheCheck_WithRelativeForwardSlashNames()
    {
        using var zip = new MemoryStream(Saved.Value.Zip);

        ModelArchive.Check(zip);
        var position = zip.Position;

        using var archive = new ZipArchive(zip);
        Assert.True(archive.Entries.Count > 3);
        Assert.All(archive.Entries, e => Assert.DoesNotContain("..", e.FullName, StringComparison.Ordinal));
        Assert.Equal(0, position);
    }

    /// <summary>A valid model with one more entry: ML.NET would load it, so the refusal shows the check runs first.</summary>
    [Theory]
    [InlineData("../../escape.txt")]
    [InlineData("TransformerChain/../../escape.txt")]
    [InlineData("/etc/cron.d/job")]
    [InlineData("C:/Windows/evil.dll")]
    [InlineData("TransformerChain\\..\\..\\escape.txt")]
    [InlineData("a\u0000b")]
    public void Load_ModelWithAnEntryOutsideTheArchive_IsRefusedBeforeMlNetOpensIt(string name)
    {
        var zip = ZipTampering.WithEntry(Saved.Value.Zip, name, [1, 2, 3]);

        var error = Assert.Throws<InvalidDataException>(() => TrainedModel.Load(new MemoryStream(zip), Saved.Value.Schema, Trainers.Linear));

        Assert.Contains("names must be relative paths inside the archive", error.Message, StringComparison.Ordinal);
        Assert.NotNull(TrainedModel.Load(new MemoryStream(ZipTampering.WithEntry(Saved.Value.Zip, "notes/ok.txt", [1])), Saved.Value.Schema, Trainers.Linear));
    }

    [Fact]
    public void Load_ZipThatDecompressesPastTheLimit_IsRefusedAsAZipBomb_CountingBytesNotTrustingHeaders()
    {
        var bomb = ZipTampering.Bomb(64 << 20);

        var error = Assert.Throws<InvalidDataException>(() => ModelArchive.Check(new MemoryStream(bomb), maxUncompressedBytes: 16 << 20));

        Assert.True(bomb.Length < 1 << 20, $"{bomb.Length} bytes");
        Assert.Contains("zip bomb", error.Message, StringComparison.Ordinal);
        Assert.Contains("payload.bin", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A bit flipped in a stored (uncompressed) entry: the zip still reads, only the CRC-32 tells.</summary>
    [Fact]
    public void Check_StoredEntryWithAFlippedBit_FailsItsCrc()
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        using (var entry = archive.CreateEntry("weights.bin", CompressionLevel.NoCompression).Open())
        {
            entry.Write(new byte[1000]);
        }

        var bytes = zip.ToArray();
        bytes[500] ^= 1;

        var error = Assert.Throws<InvalidDataException>(() => ModelArchive.Check(new MemoryStream(bytes)));
        Assert.Contains("fails its CRC-32 check", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    [InlineData("empty")]
    [InlineData("not a zip")]
    public void Load_DamagedZip_IsAnInvalidDataException_WithAMessage(string damage)
    {
        var zip = Saved.Value.Zip;
        var damaged = damage switch
        {
            "truncated" => zip[..(zip.Length / 2)],
            "flipped" => ZipTampering.Flip(zip),
            "empty" => [],
            _ => "x,y\n1,2\n"u8.ToArray(),
        };

        var error = Assert.Throws<InvalidDataException>(() => TrainedModel.Load(new MemoryStream(damaged), Saved.Value.Schema, Trainers.Linear));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }
}
