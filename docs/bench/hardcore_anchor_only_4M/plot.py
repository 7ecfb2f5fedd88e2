"""The entry after 2M against the same saved 2M models continued with the anchor in its cheap form
(``bc_anchor_from=180``): evaluation curves on the same episodes (evaluation seed 100000, 10 per point), and the mean
of the points both runs have. Prints the table of README.md and writes curves_vs_entry.png.

Run from the repository root: python docs/bench/hardcore_anchor_only_4M/plot.py
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hardcore_plot import against_entry  # noqa: E402

HERE = Path(__file__).parent
RUNS = {
    "the entry (full anchor: aggregated states + 200 cloning steps)": HERE.parent / "hardcore_256x256_bc_batch64_5M",
    "bc_anchor_from=180 (the anchor on the minibatch's own states only)": HERE,
}
expert = json.loads((HERE / "expert.json").read_text())["mean"]
title = "BipedalWalkerHardcore-v3 after the hand-over: the entry and its cheap anchor, from the same 2M models"
against_entry(RUNS, (1, 2), expert, 2_100_000, title, HERE / "curves_vs_entry.png")
