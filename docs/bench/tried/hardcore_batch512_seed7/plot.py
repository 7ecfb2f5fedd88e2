"""Training return, approx-KL and clip fraction of the seed-7 runs resumed from the common start at the end of the
hand-over: the entry (minibatches of 64), ``batch_size=512``, and ``batch_size=512`` with ``ent_coef=0.01``
(``../hardcore_batch512_ent_seed7/``), and ``batch_size=512`` with ``handover=1.0`` (``../hardcore_batch512_vstar_seed7/``).

Run from the repository root: python docs/bench/tried/hardcore_batch512_seed7/plot.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hardcore_plot import training_panels  # noqa: E402

HERE = Path(__file__).parent
START = HERE.parent / "hardcore_cheap_anchor_seed7"
RUNS = {
    "common start (the entry, rollouts 0-179)": START / "base",
    "the entry (batch_size 64)": START / "entry",
    "batch_size 512 after the hand-over": HERE,
    "batch_size 512, ent_coef 0.01": HERE.parent / "hardcore_batch512_ent_seed7",
    "batch_size 512, the expert's advantage throughout": HERE.parent / "hardcore_batch512_vstar_seed7",
}
COLUMNS = {
    "rollout/ep_rew_mean": "training episode return",
    "train/approx_kl": "approx-KL per update",
    "train/clip_fraction": "clip fraction",
    "train/std": "policy std",
}

title = "BipedalWalkerHardcore-v3, PPOExpert, training seed 7 (grey: the hand-over)"
training_panels(RUNS, COLUMNS, title, HERE / "training.png", log_columns=("train/approx_kl",))
