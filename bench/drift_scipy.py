"""The peer of the `drift` bench suite: scipy's ks_2samp and a numpy PSI on the arrays the bench wrote.

    /usr/bin/python3 bench/drift_scipy.py <folder> <rows> <features> <repeats>

Reads <folder>/reference.f64 and <folder>/current.f64 (little-endian float64, one feature after another), writes
<folder>/scipy.json: per feature the KS statistic and p-value (ks_2samp defaults: two-sided, method='auto', which is
the asymptotic kstwo distribution above 10,000 values) and the PSI, plus the seconds of each repeat.
PSI as Core/Monitoring/Psi.cs documents it: bins at the reference deciles (numpy's default linear quantiles, equal
edges merged), bin i = edges[i-1] <= x < edges[i], an empty bin counted as 1e-4.
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy import stats


def psi(reference, current, bins=10, epsilon=1e-4):
    edges = np.unique(np.quantile(reference, np.arange(1, bins) / bins))
    expected = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=edges.size + 1) / reference.size
    actual = np.bincount(np.searchsorted(edges, current, side="right"), minlength=edges.size + 1) / current.size
    expected = np.where(expected == 0, epsilon, expected)
    actual = np.where(actual == 0, epsilon, actual)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def main(folder, rows, features, repeats):
    reference = np.fromfile(f"{folder}/reference.f64", dtype="<f8").reshape(features, rows)
    current = np.fromfile(f"{folder}/current.f64", dtype="<f8").reshape(features, rows)
    results, ks_seconds, psi_seconds = [], [], []
    for repeat in range(repeats):
        ks_total = psi_total = 0.0
        for f in range(features):
            start = time.perf_counter()
            ks = stats.ks_2samp(reference[f], current[f])
            middle = time.perf_counter()
            index = psi(reference[f], current[f])
            ks_total += middle - start
            psi_total += time.perf_counter() - middle
            if repeat == 0:
                results.append({"statistic": float(ks.statistic), "pValue": float(ks.pvalue), "psi": index})
        ks_seconds.append(ks_total)
        psi_seconds.append(psi_total)
    with open(f"{folder}/scipy.json", "w") as out:
        json.dump({"scipy": scipy.__version__, "numpy": np.__version__, "features": results,
                   "ksSeconds": ks_seconds, "psiSeconds": psi_seconds}, out)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
