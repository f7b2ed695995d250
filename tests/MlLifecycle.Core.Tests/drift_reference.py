"""Reference values for DriftStatisticsTests.cs, computed with scipy/numpy (Debian 12: scipy 1.10.1, numpy 1.24.2).

    apt-get install -y python3-scipy python3-numpy
    /usr/bin/python3 tests/MlLifecycle.Core.Tests/drift_reference.py

Prints every constant the tests assert, to 17 significant digits. scipy 1.10 predates
scipy.stats.false_discovery_control (1.11): `bh` below is that function's algorithm, written out.
"""
import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.stats import distributions
from scipy.stats._stats_py import _attempt_exact_2kssamp

A = [0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09,
     -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47]
B = [2.2, 1.66, 1.38, 0.2, 0.36, 0, 0.96, 1.56, 0.44, 1.5, -0.3, 0.66, 2.31, 3.29, 1.25, 1.12, 0.82, 1.2]
TIES_A = [1, 2, 2, 3, 3, 3, 4, 5, 5, 6]
TIES_B = [2, 3, 3, 4, 4, 4, 4, 5, 6, 7, 7, 8]


def show(name, value):
    print(f"{name} = {float(value)!r}")


def ks(name, a, b, method):
    r = stats.ks_2samp(a, b, method=method)
    show(f"{name}.statistic", r.statistic)
    show(f"{name}.pvalue", r.pvalue)


def bh(ps):
    ps = np.asarray(ps, dtype=float)
    order = np.argsort(ps)
    s = ps[order] * (len(ps) / np.arange(1, len(ps) + 1))
    s = np.minimum.accumulate(s[::-1])[::-1]
    out = np.empty(len(ps))
    out[order] = np.clip(s, 0, 1)
    return out


ks("ks unequal auto(exact)", A, B, "auto")
ks("ks unequal asymp", A, B, "asymp")
ks("ks ties exact", TIES_A, TIES_B, "exact")
ks("ks ties asymp", TIES_A, TIES_B, "asymp")
ks("ks equal sizes exact", A[:10], B[:10], "exact")
ks("ks identical exact", A, A, "exact")
ks("ks identical asymp", A, A, "asymp")
ks("ks disjoint exact", [1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11, 12], "exact")
ks("ks disjoint equal exact", [1, 2, 3, 4, 5], [6, 7, 8, 9, 10], "exact")
for n, x in [(10, 0.08), (10, 0.95), (10, 0.6), (50, 0.1), (100, 0.15), (100, 0.25), (1000, 0.005), (1000, 0.03),
             (1000, 0.06), (500000, 0.001), (500000, 0.03)]:
    show(f"kstwo.sf({x}, {n})", distributions.kstwo.sf(x, n))
for d, n1, n2 in [(0.05, 3000, 4500), (0.02, 10000, 10000)]:
    show(f"exact p(D >= {d}; {n1}, {n2})", _attempt_exact_2kssamp(n1, n2, int(np.gcd(n1, n2)), d, "two-sided")[2])
for name, ref, cur in [("chi2 k=3", [30, 50, 20], [10, 25, 15]), ("chi2 k=2 (Yates)", [40, 60], [30, 20]),
                       ("chi2 empty category dropped", [10, 5], [3, 7])]:
    r = stats.chi2_contingency(np.array([ref, cur]))
    show(f"{name}.statistic", r[0])
    show(f"{name}.pvalue", r[1])
for name, p, q in [("js", [0.1, 0.4, 0.5], [0.3, 0.3, 0.4]), ("js zeros", [0.5, 0.5, 0], [0, 0.5, 0.5]),
                   ("js counts", [1, 2, 3], [3, 2, 1])]:
    show(name, jensenshannon(p, q, base=2))
show("wasserstein weighted", stats.wasserstein_distance([3.4, 3.9, 7.5, 7.8], [4.5, 1.4], [1.4, 0.9, 3.1, 7.2], [3.2, 3.5]))
show("wasserstein ties", stats.wasserstein_distance([1, 1, 2, 2, 3], [1, 2, 2, 2, 4], [1, 2, 1, 1, 3], None))
# Benjamini & Hochberg (1995), section 4: 15 p-values of a clinical trial; at q = 0.05 the first four are rejected.
print("bh textbook =", ", ".join(repr(float(v)) for v in bh(
    [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0])))
print("bh ties =", ", ".join(repr(float(v)) for v in bh([0.04, 0.01, 0.04, 0.03, 0.5])))
ref = np.array([1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 5, 5, 6, 7, 8, 9, 9, 10, 12, 15], dtype=float)
cur = np.array([2, 3, 3, 4, 5, 6, 6, 7, 9, 11, 12, 13, 15, 16], dtype=float)
edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10))
print("psi edges =", ", ".join(repr(float(v)) for v in edges))
r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1) / ref.size
c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1) / cur.size
print("psi reference proportions =", ", ".join(repr(float(v)) for v in r))
print("psi current proportions =", ", ".join(repr(float(v)) for v in c))
r, c = np.where(r == 0, 1e-4, r), np.where(c == 0, 1e-4, c)
show("psi (numpy, epsilon 1e-4)", np.sum((c - r) * np.log(c / r)))
