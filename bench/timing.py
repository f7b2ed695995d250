#!/usr/bin/env python3
"""Time and peak memory of our training runs against the peers' 5-fold cross-validation + refit, in the same run.

For each dataset:
  - peers: HistGradientBoosting and XGBoost (defaults, the preprocessing of peers.py), each in a fresh Python process
    that reads the CSV, cross-validates 5 folds (stratified for classification, seed 0) and refits on all rows. Wall
    time of the CV + refit; peak RSS of the whole process. "peers' script" = one process doing both.
  - ours, through the CLI: `train <csv> --label L --json` with LightGBM only (`validation.trainers: ["LightGbm"]`)
    and with the defaults (4 trainers × 5 folds, tuning off, ensemble selection, refit). Wall time of the command;
    peak RSS of the process doing the work (the CLI itself, or `serve` with --serve; Azurite, a Node process, is not
    counted).
  - fixed cost: the LightGBM-only command on the dataset's first 100 rows, where the learning itself is negligible.
With --serve the script starts `serve` (once per dataset, so its peak RSS is that dataset's) and the commands are its
clients, as when a user leaves it running; one warm-up run on 100 rows comes first. Without it, every command starts
and stops its own worker and Azurite.

Usage: python3 bench/timing.py [--serve] [--repeats N] <cli> <out-folder> <csv:label> [<csv:label> ...]
Prints a Markdown table; writes timing.json. Needs python3-sklearn and python3-xgboost.
"""
import argparse
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import pandas as pd

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import peers  # noqa: E402  (the same preprocessing and peer models as the quality sweep)


def peer_cv_refit(names, csv, label):
    """Runs in its own process: {peer: seconds} of 5-fold CV + refit on all rows."""
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import LabelEncoder

    frame = pd.read_csv(csv, na_values=peers.MISSING, keep_default_na=False)
    frame = frame[frame[label].notna()]
    y = frame.pop(label)
    classification = peers.is_classification(y)
    if classification:
        y = LabelEncoder().fit_transform(y.astype(str))
    x, _, *features = peers.peer_features(frame, frame.head(1))
    folds = (StratifiedKFold if classification else KFold)(n_splits=5, shuffle=True, random_state=0)
    out = {}
    for name in names:
        pipe = make_pipeline(peers.preprocess(*features, False), peers.model(name, classification, 0))
        started = time.perf_counter()
        for fit_rows, score_rows in folds.split(x, y):
            fitted = clone(pipe).fit(x.iloc[fit_rows], y[fit_rows])
            fitted.predict(x.iloc[score_rows])
        clone(pipe).fit(x, y)
        out[name] = time.perf_counter() - started
    return out


def peer_run(names, csv, label):
    """(seconds per peer, peak RSS MB) from a fresh process."""
    code = f"import json, sys; sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r}); import timing; " \
           f"print(json.dumps(timing.peer_cv_refit({names!r}, {str(csv)!r}, {label!r})))"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    stdout = process.stdout.read()
    if status != 0:
        raise RuntimeError(f"peers failed on {csv}")
    return json.loads(stdout.strip().splitlines()[-1]), usage.ru_maxrss / 1024, time.perf_counter() - started


def ours(cli, csv, label, model, spec, serve_pid):
    """(seconds, peak RSS MB of the working process, run summary)."""
    command = [cli, "train", str(csv), "--label", label, "--model", model, "--json"] + (["--spec", str(spec)] if spec else [])
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stdout, stderr = process.stdout.read(), process.stderr.read()
    if status != 0:
        raise RuntimeError(f"train {csv} failed: {(stderr.strip().splitlines() or ['?'])[-1]}")
    summary = json.loads(stdout.strip().splitlines()[-1])
    peak = usage.ru_maxrss / 1024 if serve_pid is None else vm_hwm(serve_pid)
    return seconds, peak, summary


def vm_hwm(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_serve(cli, port):
    process = subprocess.Popen([cli, "serve", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        if "serving on" in line:
            return process
    raise RuntimeError("serve did not start")


def stop_serve(process):
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="run the commands as clients of a serve started here")
    parser.add_argument("--repeats", type=int, default=1, help="median of this many runs of each command")
    parser.add_argument("cli")
    parser.add_argument("root", type=pathlib.Path)
    parser.add_argument("datasets", nargs="+", metavar="csv:label")
    args = parser.parse_args()
    args.root.mkdir(parents=True, exist_ok=True)
    lightgbm = args.root / "lightgbm.json"
    lightgbm.write_text('{"validation": {"trainers": ["LightGbm"]}}')
    stamp = time.strftime("%H%M%S")
    results = []
    for spec in args.datasets:
        path, label = spec.rsplit(":", 1)
        name = pathlib.Path(path).stem
        head = args.root / f"{name}-100.csv"
        pd.read_csv(path, keep_default_na=False, dtype=str).head(100).to_csv(head, index=False)
        serve = start_serve(args.cli, 17800) if args.serve else None
        try:
            model = lambda kind, r: re.sub(r"[^a-z0-9-]", "-", f"t-{name}-{kind}-{r}-{stamp}".lower())[:60]
            pid = serve.pid if serve else None
            if serve:
                ours(args.cli, head, label, model("warm", 0), lightgbm, pid)
            runs = {"fixed": [], "lightgbm": [], "default": []}
            for r in range(args.repeats):
                runs["fixed"].append(ours(args.cli, head, label, model("fixed", r), lightgbm, pid))
                runs["lightgbm"].append(ours(args.cli, path, label, model("lgbm", r), lightgbm, pid))
                runs["default"].append(ours(args.cli, path, label, model("default", r), None, pid))
        finally:
            if serve:
                stop_serve(serve)
        seconds, peers_peak, peers_wall = peer_run(["sklearn HGB", "XGBoost"], path, label)
        median = lambda values: sorted(values)[len(values) // 2]
        row = {
            "dataset": name, "rows": len(pd.read_csv(path, usecols=[0])), "mode": "serve" if args.serve else "standalone",
            "hgb": seconds["sklearn HGB"], "xgb": seconds["XGBoost"], "peersPeakMb": peers_peak, "peersWall": peers_wall,
            **{f"{k}Seconds": median([s for s, _, _ in v]) for k, v in runs.items()},
            **{f"{k}PeakMb": max(p for _, p, _ in v) for k, v in runs.items()},
            "runIds": {k: [s["runId"] for _, _, s in v] for k, v in runs.items()},
        }
        results.append(row)
        print(json.dumps(row), flush=True)
    (args.root / "timing.json").write_text(json.dumps(results, indent=1))
    print("\n| dataset | rows | mode | HGB CV+refit (s) | XGB CV+refit (s) | ours LightGBM (s) | ÷ HGB | ours default (s) | ÷ HGB "
          "| fixed cost, 100 rows (s) | peak MB ours / peers' script | ÷ |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        ours_peak = max(r["lightgbmPeakMb"], r["defaultPeakMb"])
        print(f"| {r['dataset']} | {r['rows']} | {r['mode']} | {r['hgb']:.2f} | {r['xgb']:.2f} | {r['lightgbmSeconds']:.2f} | "
              f"{r['lightgbmSeconds'] / r['hgb']:.2f} | {r['defaultSeconds']:.2f} | {r['defaultSeconds'] / r['hgb']:.2f} | "
              f"{r['fixedSeconds']:.2f} | {ours_peak:.0f} / {r['peersPeakMb']:.0f} | {ours_peak / r['peersPeakMb']:.2f} |")


if __name__ == "__main__":
    main()
