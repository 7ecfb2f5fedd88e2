"""Training return (SB3's ep_rew_mean: the env's own, a stall-ended episode at its return so far) and episode length
of the seed-7 stall probe: the entry and the two ways of ending a stalled training episode, each resumed from the same
start at the end of the hand-over.

Run from the repository root: python docs/bench/tried/hardcore_stall_end_seed7/plot.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hardcore_plot import training_and_length  # noqa: E402

HERE = Path(__file__).parent
RUNS = {
    "the entry (no stall end)": HERE.parent / "hardcore_fall_penalty_seed7" / "control",
    "stall ended as a time limit": HERE / "truncate",
    "stall ended as a fall (-100)": HERE / "fall",
}

title = "BipedalWalkerHardcore-v3, PPOExpert resumed at the end of the hand-over (1.47M), seed 7"
training_and_length(RUNS, title, HERE / "training.png")
