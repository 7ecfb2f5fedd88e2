"""Training return, episode length and approx-KL of the gSDE probe beside the entry on seed 7 (from nothing to the
seed-7 common start, then from there): ``training.png`` in this folder.

Run from the repository root: python docs/bench/tried/hardcore_gsde_seed7/plot.py
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
from hardcore_plot import LENGTH_COLUMNS, training_panels  # noqa: E402

runs = {
    "the entry, to 1.47M": HERE.parent / "hardcore_cheap_anchor_seed7" / "base",
    "the entry, from 1.47M": HERE.parent / "hardcore_fall_penalty_seed7" / "control",
    "gSDE, noise redrawn every 4 steps": HERE / "unsquashed_freq4",
    "gSDE, one noise matrix per rollout": HERE / "unsquashed_freq_rollout",
    "gSDE squashed, every 4 steps (diverged)": HERE / "freq4",
    "gSDE squashed, per rollout (diverged)": HERE / "freq_rollout",
}
columns = {**LENGTH_COLUMNS, "train/approx_kl": "approx-KL per update"}
title = "BipedalWalkerHardcore-v3, PPOExpert with gSDE against the entry, seed 7"
training_panels(runs, columns, title, HERE / "training.png", log_columns=("train/approx_kl",), window=10)
