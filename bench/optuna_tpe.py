#!/usr/bin/env python3
"""Optuna's TPE on the same objective as `MlLifecycle.Bench tuning`: trials needed to reach a target score.

The objective (LightGBM trained by ML.NET, validation AUC) runs in the C# harness, served over stdin/stdout, so both
TPEs optimize exactly the same function.
Usage: /usr/bin/python3 bench/optuna_tpe.py <csv> <label> <target> [seeds] [json-out]   (Debian package python3-optuna)
"""
import json
import subprocess
import sys

import optuna


def main(csv, label, target, seeds, json_out=None):
    server = subprocess.Popen(
        ["dotnet", "run", "-c", "Release", "--no-build", "--project", "bench/MlLifecycle.Bench", "--", "tuning", csv, label, "serve"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    header = json.loads(server.stdout.readline())
    space = header["space"]

    def objective(trial):
        params = {}
        for p in space:
            if p.get("choices"):
                params[p["name"]] = trial.suggest_categorical(p["name"], p["choices"])
            elif p.get("integer"):
                params[p["name"]] = trial.suggest_int(p["name"], int(p["min"]), int(p["max"]), log=p.get("log", False))
            else:
                params[p["name"]] = trial.suggest_float(p["name"], p["min"], p["max"], log=p.get("log", False))
        server.stdin.write(json.dumps(params) + "\n")
        return float(server.stdout.readline())

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    needed = []
    for seed in range(seeds):
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
        count = None
        for n in range(1, 61):
            study.optimize(objective, n_trials=1)
            if study.best_value >= target - 1e-12:
                count = n
                break
        needed.append(count)
    server.stdin.close()
    server.wait()
    reached = sorted(n if n is not None else float("inf") for n in needed)
    median = reached[len(reached) // 2]
    print(f"Optuna TPE {optuna.__version__}: trials to reach {target:.4f}: {needed}, median {median}")
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"optuna": optuna.__version__, "needed": needed, "median": None if median == float("inf") else median}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 5, sys.argv[5] if len(sys.argv) > 5 else None)
