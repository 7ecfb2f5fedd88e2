"""Training return, approx-KL and clip fraction of the seed-7 runs resumed from the common start at the end of the
hand-over: the entry (minibatches of 64), ``batch_size=512``, and ``batch_size=512`` with ``ent_coef=0.01``
(``../hardcore_batch512_ent_seed7/``), and ``batch_size=512`` with ``handover=1.0`` (``../hardcore_batch512_vstar_seed7/``).

Run from the repository root: python docs/bench/tried/hardcore_batch512_seed7/plot.py
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hardcore_plot import ROLLOUT  # noqa: E402

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

fig, axes = plt.subplots(1, len(COLUMNS), figsize=(20, 4.5))
for label, folder in RUNS.items():
    data = pd.read_csv(next((folder / "logs").glob("*/progress.csv")))
    steps = data["time/total_timesteps"] / 1e6
    for ax, column in zip(axes, COLUMNS, strict=True):
        ax.plot(steps, data[column].rolling(5, min_periods=1).mean(), label=label)
for ax, name in zip(axes, COLUMNS.values(), strict=True):
    ax.axvspan(60 * ROLLOUT / 1e6, 180 * ROLLOUT / 1e6, color="grey", alpha=0.15)
    ax.set_xlabel("env steps (millions)")
    ax.set_ylabel(f"{name} (5-update mean)")
    ax.grid(alpha=0.3)
axes[1].set_yscale("log")
axes[0].legend(fontsize=7, loc="lower right")
fig.suptitle("BipedalWalkerHardcore-v3, PPOExpert, training seed 7 (grey: the hand-over)")
fig.tight_layout()
fig.savefig(HERE / "training.png", dpi=100)
