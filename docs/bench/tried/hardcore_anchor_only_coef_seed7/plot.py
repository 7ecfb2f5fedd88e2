"""Training return, cloning loss and std of the seed-7 runs resumed at the end of the hand-over (1.47M): the entry,
its anchor-only form (``bc_anchor_from=180``) at the entry's cloning weight (both ``../hardcore_cheap_anchor_seed7/``)
and at three and ten times it.

Run from the repository root: python docs/bench/tried/hardcore_anchor_only_coef_seed7/plot.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hardcore_plot import CLONING_COLUMNS, training_panels  # noqa: E402

HERE = Path(__file__).parent
CHEAP = HERE.parent / "hardcore_cheap_anchor_seed7"
RUNS = {
    "the entry (full cloning: aggregated states + 200 cloning steps)": CHEAP / "entry",
    "bc_anchor_from=180, the entry's weight (bc_coef=1)": CHEAP / "anchor_only",
    "bc_anchor_from=180, bc_coef=3": HERE / "coef3",
    "bc_anchor_from=180, bc_coef=10": HERE / "coef10",
}
title = "BipedalWalkerHardcore-v3, PPOExpert resumed at 1.47M, training seed 7"
training_panels(RUNS, CLONING_COLUMNS, title, HERE / "training.png")
