"""Training return, cloning loss and std of the seed-7 runs: the common start to rollout 180, then the entry and its
anchor-only form (``bc_anchor_from=180``) resumed side by side.

Run from the repository root: python docs/bench/tried/hardcore_cheap_anchor_seed7/plot.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hardcore_plot import CLONING_COLUMNS, training_panels  # noqa: E402

HERE = Path(__file__).parent
RUNS = {
    "common start (the entry, rollouts 0-179)": HERE / "base",
    "the entry (full cloning: aggregated states + 200 cloning steps)": HERE / "entry",
    "bc_anchor_from=180 (cloning on the minibatch's own states only)": HERE / "anchor_only",
}
training_panels(RUNS, CLONING_COLUMNS, "BipedalWalkerHardcore-v3, PPOExpert, training seed 7", HERE / "training.png")
