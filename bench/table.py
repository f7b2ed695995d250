#!/usr/bin/env python3
"""One Markdown table from the suite files bench/run.sh collects: python3 bench/table.py <folder> <suite>...

Each row is a figure of ours against the peer measured in the same run; ratio = ours / peer, and the last column says
whether ours is ahead, behind or tied (ours against the peer's value itself, so a negative R² reads right; "better"
is lower for times, higher for scores). Exit 1 when a suite file is missing or one of
its checks failed.
"""
import json
import math
import pathlib
import sys


def main(folder, suites):
    ok = True
    print("| suite | figure | ours | peer | peer value | ratio | ours ahead |")
    print("|---|---|---|---|---|---|---|")
    checks = []
    for suite in suites:
        path = pathlib.Path(folder) / f"{suite}.json"
        if not path.exists():
            print(f"| {suite} | no result: the suite failed before writing {path} | | | | | |")
            ok = False
            continue
        result = json.loads(path.read_text())
        for f in result.get("figures", []):
            f["ours"], f["peerValue"], f["ratio"] = (as_float(f.get(k)) for k in ("ours", "peerValue", "ratio"))
            ratio = f.get("ratio")
            if ratio is None and f.get("peerValue"):
                ratio = f["ours"] / f["peerValue"]
            ours, peer = f["ours"], f["peerValue"]
            comparable = all(isinstance(v, (int, float)) and math.isfinite(v) for v in (ours, peer))
            ahead = "" if not comparable else "tie" if ours == peer else (
                "yes" if (ours < peer if f["better"] == "lower" else ours > peer) else "no")
            print(f"| {suite} | {f['name']} | {number(f['ours'])} {f['unit']} | {f['peer']} | {number(f['peerValue'])} | "
                  f"{'' if ratio is None else number(ratio) + '×'} | {ahead} |")
        for c in result.get("checks", []):
            checks.append((suite, c))
            ok = ok and c["passed"]
    if checks:
        print()
        for suite, c in checks:
            print(f"- {suite}: {'passed' if c['passed'] else 'FAILED'} — {c['name']} ({c['detail']})")
    return 0 if ok else 1


def as_float(value):
    """JSON numbers, and .NET's "Infinity" / "NaN" strings."""
    return float(value) if isinstance(value, str) else value


def number(value):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.4g}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
