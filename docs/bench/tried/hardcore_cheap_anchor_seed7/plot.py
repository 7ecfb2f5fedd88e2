"""Training return, cloning loss and std of the seed-7 runs of the cheap anchor (``bc_anchor_from=180``): this
folder's (the common start to rollout 180, then the entry and the cheap anchor resumed side by side) and
``../hardcore_anchor_only_coef_seed7/``'s (the cheap anchor at three and ten times the cloning weight), one
``training.png`` in each folder.

Run from the repository root: python docs/bench/tried/hardcore_cheap_anchor_seed7/plot.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hardcore_plot import CLONING_COLUMNS, training_panels  # noqa: E402

HERE = Path(__file__).parent
COEF = HERE.parent / "hardcore_anchor_only_coef_seed7"
ENTRY = "the entry (full cloning: aggregated states + 200 cloning steps)"
CHEAP = "bc_anchor_from=180 (cloning on the minibatch's own states only)"
FIGURES = {
    HERE: (
        "BipedalWalkerHardcore-v3, PPOExpert, training seed 7",
        {"common start (the entry, rollouts 0-179)": HERE / "base", ENTRY: HERE / "entry", CHEAP: HERE / "anchor_only"},
    ),
    COEF: (
        "BipedalWalkerHardcore-v3, PPOExpert resumed at 1.47M, training seed 7",
        {
            ENTRY: HERE / "entry",
            f"{CHEAP}, bc_coef=1": HERE / "anchor_only",
            "the same, bc_coef=3": COEF / "coef3",
            "the same, bc_coef=10": COEF / "coef10",
        },
    ),
}
for folder, (title, runs) in FIGURES.items():
    training_panels(runs, CLONING_COLUMNS, title, folder / "training.png")
