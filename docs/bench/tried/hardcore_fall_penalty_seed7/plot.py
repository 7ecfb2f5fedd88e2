"""Training return (the env's own, SB3's ep_rew_mean) and episode length of the seed-7 fall-penalty probe: the entry
and the two smaller fall penalties, each resumed from the same start at the end of the hand-over.

Run from the repository root: python docs/bench/tried/hardcore_fall_penalty_seed7/plot.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hardcore_plot import training_and_length  # noqa: E402

HERE = Path(__file__).parent
RUNS = {
    "the entry (fall: the env's -100)": HERE / "control",
    "fall penalty -10 in training": HERE / "penalty10",
    "fall penalty -1 in training": HERE / "penalty1",
}

title = "BipedalWalkerHardcore-v3, PPOExpert resumed at the end of the hand-over (1.47M), seed 7"
training_and_length(RUNS, title, HERE / "training.png")
