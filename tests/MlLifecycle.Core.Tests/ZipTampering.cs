using System.IO.Compression;

namespace MlLifecycle.Core.Tests;

/// <summary>Damaged and hostile zips for the model-file integrity tests (linked into the integration tests too).</summary>
public static class ZipTampering
{
    /// <summary>A zip of one entry holding <paramref name="bytes"/> zeros (deflate makes them about a thousandth of that).</summary>
    public static byte[] Bomb(long bytes)
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        using (var entry = archive.CreateEntry("payload.bin", CompressionLevel.Fastest).Open())
        {
            var zeros = new byte[1 << 20];
            for (long written = 0; written < bytes; written += zeros.Length)
            {
                entry.Write(zeros);
            }
        }

        return zip.ToArray();
    }

    /// <summary>Flips one bit in every 64th byte of the middle half (compressed data, not only headers).</summary>
    public static byte[] Flip(byte[] zip)
    {
        var copy = (byte[])zip.Clone();
        for (var i = copy.Length / 4; i < copy.Length * 3 / 4; i += 64)
        {
            copy[i] ^= 0x10;
        }

        return copy;
    }

    public static byte[] WithEntry(byte[] zip, string name, byte[] content)
    {
        using var copy = new MemoryStream();
        copy.Write(zip);
        using (var archive = new ZipArchive(copy, ZipArchiveMode.Update, leaveOpen: true))
        using (var entry = archive.CreateEntry(name).Open())
        {
            entry.Write(content);
        }

        return copy.ToArray();
    }
}
