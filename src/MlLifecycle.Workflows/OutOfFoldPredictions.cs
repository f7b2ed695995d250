namespace MlLifecycle.Workflows;

/// <summary>
/// A candidate's predictions on rows it did not train on: the row indexes and a vector per row
/// (<see cref="Core.Evaluation.PredictionVectors"/>). Stored as little-endian binary, not JSON: a large dataset has a
/// row per example and a number per class.
/// </summary>
public sealed record OutOfFoldPredictions(int[] Rows, double[][] Vectors)
{
    public BinaryData ToBinary()
    {
        var width = Vectors.Length == 0 ? 0 : Vectors[0].Length;
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Rows.Length);
            writer.Write(width);
            foreach (var (row, vector) in Rows.Zip(Vectors))
            {
                writer.Write(row);
                foreach (var value in vector)
                {
                    writer.Write(value);
                }
            }
        }

        return BinaryData.FromBytes(stream.ToArray());
    }

    public static OutOfFoldPredictions FromBinary(BinaryData data)
    {
        using var reader = new BinaryReader(data.ToStream());
        var (count, width) = (reader.ReadInt32(), reader.ReadInt32());
        var rows = new int[count];
        var vectors = new double[count][];
        for (var i = 0; i < count; i++)
        {
            rows[i] = reader.ReadInt32();
            vectors[i] = new double[width];
            for (var j = 0; j < width; j++)
            {
                vectors[i][j] = reader.ReadDouble();
            }
        }

        return new OutOfFoldPredictions(rows, vectors);
    }
}
