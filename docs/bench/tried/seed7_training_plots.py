"""Training return (the env's own, SB3's ep_rew_mean; an episode ended by a ``StallEnd`` wrapper at its return so far)
and episode length of the tuning-seed probes resumed from the seed-7 start at the end of the hand-over (1.47M), each
beside the entry from the same start: one figure per probe folder, its ``training.png``.

Run from the repository root: python docs/bench/tried/seed7_training_plots.py [PROBE_FOLDER ...]   (default: all)
"""

import sys
from pathlib import Path

TRIED = Path(__file__).resolve().parent
sys.path.insert(0, str(TRIED.parent))
from hardcore_plot import LENGTH_COLUMNS, training_panels  # noqa: E402

ENTRY = TRIED / "hardcore_fall_penalty_seed7" / "control"
#: probe folder -> (label, run folder inside it) of its runs, drawn after the entry
PROBES = {
    "hardcore_fall_penalty_seed7": [
        ("fall penalty -10 in training", "penalty10"),
        ("fall penalty -1 in training", "penalty1"),
    ],
    "hardcore_fall_penalty_no_anchor_seed7": [
        ("anchor off, learning rate 5e-5", "no_anchor"),
        ("anchor off, learning rate 5e-5, fall penalty -1", "no_anchor_penalty1"),
    ],
    "hardcore_stall_end_seed7": [
        ("stall ended as a time limit", "truncate"),
        ("stall ended as a fall (-100)", "fall"),
    ],
    "hardcore_no_stall_cloning_seed7": [
        ("standing states not cloned", "stand"),
        ("standing states not cloned, stall ended at 400", "stand_end400"),
    ],
    "hardcore_gamma_seed7": [
        ("gamma 0.995", "gamma0.995"),
        ("gamma 0.999", "gamma0.999"),
    ],
    "hardcore_frozen_noise_no_anchor_seed7": [
        ("anchor off, learning rate 5e-5 (earlier probe)", "../hardcore_fall_penalty_no_anchor_seed7/no_anchor"),
        ("anchor off, learning rate 5e-5, noise frozen", "lr5e-5"),
        ("anchor off, learning rate 2.5e-4, noise frozen (stopped at 2.37M)", "lr2.5e-4"),
    ],
}

title = "BipedalWalkerHardcore-v3, PPOExpert resumed at the end of the hand-over (1.47M), seed 7"
for name in sys.argv[1:] or PROBES:
    runs = {"the entry": ENTRY, **{label: TRIED / name / run for label, run in PROBES[name]}}
    training_panels(runs, LENGTH_COLUMNS, title, TRIED / name / "training.png", window=10, handover=False)
