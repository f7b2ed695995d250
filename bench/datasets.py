#!/usr/bin/env python3
"""Writes the extra public benchmark datasets as CSV into <folder>.

Usage: python3 bench/datasets.py <folder>
  - scikit-learn's bundled datasets (no download): iris, wine, breast_cancer, digits, diabetes (label `target`);
  - from the npm package vega-datasets (installed into <folder>/npm): penguins (`Species`), cars (`Miles_per_Gallon`),
    movies (`IMDB Rating`), flights-20k and flights-5k (its first 5 000 rows) (`delay`); rows without a label dropped;
  - textreg: a seeded synthetic regression with a free-text column (`y` = 2x + noise).
Needs python3-sklearn, python3-pandas and npm.
"""
import pathlib
import random
import string
import subprocess
import sys

import pandas as pd
from sklearn import datasets

folder = pathlib.Path(sys.argv[1])
folder.mkdir(parents=True, exist_ok=True)
for name in ["iris", "wine", "breast_cancer", "digits", "diabetes"]:
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    frame = bunch.frame.copy()
    if name != "diabetes":
        frame["target"] = [str(bunch.target_names[t]) for t in bunch.target]
    frame.to_csv(folder / f"{name}.csv", index=False)

npm = folder / "npm"
npm.mkdir(exist_ok=True)
subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(npm), "vega-datasets@3.2.1"], check=True, capture_output=True)
data = npm / "node_modules" / "vega-datasets" / "data"
for name, label in [("penguins", "Species"), ("cars", "Miles_per_Gallon"), ("movies", "IMDB Rating"), ("flights-20k", "delay")]:
    frame = pd.read_json(data / f"{name}.json")
    frame = frame[frame[label].notna()]
    frame.to_csv(folder / f"{name}.csv", index=False)
    if name == "flights-20k":
        frame.head(5000).to_csv(folder / "flights-5k.csv", index=False)

random.seed(1)
vocabulary = ["".join(random.choice(string.ascii_lowercase) for _ in range(5)) for _ in range(300)]
notes = [" ".join(random.sample(vocabulary, 3)) for _ in range(400)]
with open(folder / "textreg.csv", "w") as out:
    out.write("note,x,y\n")
    for i in range(600):
        x = random.random() * 10
        out.write(f"{notes[i % 400]},{x:.3f},{2 * x + random.random():.3f}\n")
print(f"wrote {sorted(p.name for p in folder.glob('*.csv'))}")
