"""The entry and the entry with ``target_kl=0.02``, each from scratch to 2M on the reported seeds: evaluation curves on
the same episodes (evaluation seed 100000, 10 per point), and the mean of the points both runs have. Prints the table
row of README.md and writes curves_vs_entry.png.

Run from the repository root: python docs/bench/hardcore_target_kl_2M/plot.py
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hardcore_plot import against_entry  # noqa: E402

HERE = Path(__file__).parent
RUNS = {
    "the entry (10 epochs per update)": HERE.parent / "hardcore_256x256_bc_batch64",
    "target_kl=0.02 (an epoch ends at approx-KL 0.03)": HERE,
}
expert = json.loads((HERE / "expert.json").read_text())["mean"]
title = "BipedalWalkerHardcore-v3 from scratch to 2M: the entry with and without a KL-bounded PPO step"
against_entry(RUNS, (1, 2), expert, 0, title, HERE / "curves_vs_entry.png")
