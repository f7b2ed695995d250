using System.IO.Compression;
using System.IO.Hashing;

namespace MlLifecycle.Core.Training;

/// <summary>
/// Checks a saved model's zip before ML.NET opens it: it must be a readable zip whose entries have relative names
/// (no <c>..</c>, no rooted or drive paths, no backslashes or control characters) and whose content, decompressed, is
/// not more than <see cref="MaxEntries"/> entries and <see cref="MaxUncompressedBytes"/> bytes. Every entry is read to
/// its end: its CRC-32 is checked, and a lying size header is caught by counting what comes out, not by trusting it.
/// </summary>
public static class ModelArchive
{
    /// <summary>Most entries in one model's zip (an ML.NET chain writes a few dozen).</summary>
    public const int MaxEntries = 10_000;

    /// <summary>Most bytes one model's zip may decompress to (1 GiB).</summary>
    public const long MaxUncompressedBytes = 1L << 30;

    /// <summary>Reads <paramref name="zip"/> through and leaves it at position 0.</summary>
    /// <exception cref="InvalidDataException">The zip is damaged, too big once decompressed, or names a path outside itself.</exception>
    public static void Check(Stream zip, long maxUncompressedBytes = MaxUncompressedBytes)
    {
        zip.Position = 0;
        long total = 0;
        var buffer = new byte[81920];
        try
        {
            using var archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
            if (archive.Entries.Count > MaxEntries)
            {
                throw new InvalidDataException($"The model's zip has {archive.Entries.Count} entries, more than {MaxEntries}.");
            }

            foreach (var entry in archive.Entries)
            {
                if (UnsafeName(entry.FullName))
                {
                    throw new InvalidDataException($"The model's zip has an entry named '{Printable(entry.FullName)}': names must be relative paths inside the archive.");
                }

                using var content = entry.Open();
                var crc = new Crc32();
                int read;
                while ((read = content.Read(buffer)) > 0)
                {
                    if ((total += read) > maxUncompressedBytes)
                    {
                        throw new InvalidDataException($"The model's zip decompresses to more than {maxUncompressedBytes:N0} bytes (at entry '{Printable(entry.FullName)}'): refusing it as a zip bomb.");
                    }

                    crc.Append(buffer.AsSpan(0, read));
                }

                // .NET does not check an entry's CRC-32 when reading it: a flipped bit in stored data would load.
                if (crc.GetCurrentHashAsUInt32() != entry.Crc32)
                {
                    throw new InvalidDataException($"The model's zip entry '{Printable(entry.FullName)}' fails its CRC-32 check: the file is damaged.");
                }
            }
        }
        catch (Exception ex) when (ex is not InvalidDataException and (IOException or ArgumentException or NotSupportedException))
        {
            throw new InvalidDataException($"The model's zip cannot be read: {ex.Message}", ex);
        }
        finally
        {
            zip.Position = 0;
        }
    }

    private static bool UnsafeName(string name) =>
        name.Length == 0 || name[0] == '/' || name.Contains('\\') || name.Contains(':') || name.Any(char.IsControl)
        || name.Split('/').Any(part => part == "..");

    private static string Printable(string name) => new([.. name.Take(200).Select(c => char.IsControl(c) ? '?' : c)]);
}
