"""Training return (the env's own, SB3's ep_rew_mean) and episode length of the seed-7 probe with the cloning anchor off
(learning rate 5e-5), with and without a fall penalty of -1, beside the entry from the same start (1.47M).

Run from the repository root: python docs/bench/tried/hardcore_fall_penalty_no_anchor_seed7/plot.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hardcore_plot import training_and_length  # noqa: E402

HERE = Path(__file__).parent
RUNS = {
    "the entry (anchor on; ../hardcore_fall_penalty_seed7/)": HERE.parent / "hardcore_fall_penalty_seed7" / "control",
    "anchor off, learning rate 5e-5": HERE / "no_anchor",
    "anchor off, learning rate 5e-5, fall penalty -1": HERE / "no_anchor_penalty1",
}

title = "BipedalWalkerHardcore-v3, PPOExpert resumed at the end of the hand-over (1.47M), seed 7"
training_and_length(RUNS, title, HERE / "training.png")
