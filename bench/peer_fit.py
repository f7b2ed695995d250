#!/usr/bin/env python3
"""The peer of the memory suite: HistGradientBoosting reading a CSV or Parquet file and fitting it once, as a user
would on one machine. String columns are HGB's native categories (ordinal codes, categorical_features), not one-hot:
one-hot of a 60-level column would make the peer's table ten times wider than the file.

Usage: python3 bench/peer_fit.py <file> <label>
Prints one JSON line: {"rows", "columns", "readSeconds", "fitSeconds", "peakMb"} (peak RSS of this process).
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor


def main():
    path, label = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    frame = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
    read = time.perf_counter() - started
    y = frame.pop(label)
    categorical = [c for c in frame.columns if frame[c].dtype == object]
    for c in categorical:
        frame[c] = frame[c].astype("category").cat.codes.replace(-1, np.nan)
    classification = y.dtype == object or y.nunique() <= 10
    model = (HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor)(
        categorical_features=[c in categorical for c in frame.columns] if categorical else None, random_state=0)
    started = time.perf_counter()
    model.fit(frame, y)
    fit = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": len(frame), "columns": frame.shape[1] + 1, "readSeconds": read, "fitSeconds": fit, "peakMb": peak}))


if __name__ == "__main__":
    main()
