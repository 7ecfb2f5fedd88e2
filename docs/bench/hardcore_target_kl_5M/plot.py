"""The entry after 2M against the same saved 2M models continued with a KL-bounded PPO step (``target_kl=0.02``, the
anchor as it is): evaluation curves on the same episodes (evaluation seed 100000, 10 per point), and the mean of the
points both runs have. Prints the table row of README.md and writes curves_vs_entry.png.

Run from the repository root: python docs/bench/hardcore_target_kl_5M/plot.py
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hardcore_plot import against_entry  # noqa: E402

HERE = Path(__file__).parent
RUNS = {
    "the entry (10 epochs per update)": HERE.parent / "hardcore_256x256_bc_batch64_5M",
    "target_kl=0.02 (an epoch ends at approx-KL 0.03)": HERE,
}
expert = json.loads((HERE / "expert.json").read_text())["mean"]
title = "BipedalWalkerHardcore-v3 after 2M: the entry and a KL-bounded PPO step, from the same 2M models"
against_entry(RUNS, (1, 2), expert, 2_100_000, title, HERE / "curves_vs_entry.png")
