"""Training return (SB3's ep_rew_mean: the env's own; an episode ended by the stall at its return so far) and episode
length of the seed-7 probe of not cloning where the walker stands, beside the entry, each resumed from the same start
at the end of the hand-over.

Run from the repository root: python docs/bench/tried/hardcore_no_stall_cloning_seed7/plot.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hardcore_plot import training_and_length  # noqa: E402

HERE = Path(__file__).parent
RUNS = {
    "the entry (every state cloned)": HERE.parent / "hardcore_fall_penalty_seed7" / "control",
    "standing states not cloned": HERE / "stand",
    "standing states not cloned, stall ended at 400": HERE / "stand_end400",
}

title = "BipedalWalkerHardcore-v3, PPOExpert resumed at the end of the hand-over (1.47M), seed 7"
training_and_length(RUNS, title, HERE / "training.png")
