"""Training return (SB3's ep_rew_mean) and cloning loss of the seed-7 runs: the common start to rollout 180, then
the entry and its anchor-only form (``bc_anchor_from=180``) resumed side by side.

Run from the repository root: python docs/bench/tried/hardcore_cheap_anchor_seed7/plot.py
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
RUNS = {
    "common start (the entry, rollouts 0-179)": "base",
    "the entry (full cloning: aggregated states + 200 cloning steps)": "entry",
    "bc_anchor_from=180 (cloning on the minibatch's own states only)": "anchor_only",
}

fig, (ret, bc) = plt.subplots(1, 2, figsize=(12, 4.5))
for label, name in RUNS.items():
    data = pd.read_csv(next((HERE / name / "logs").glob("*/progress.csv")))
    steps = data["time/total_timesteps"] / 1e6
    ret.plot(steps, data["rollout/ep_rew_mean"].rolling(5, min_periods=1).mean(), label=label)
    bc.plot(steps, data["train/bc_loss"].rolling(5, min_periods=1).mean(), label=label)
for ax in (ret, bc):
    ax.axvspan(60 * ROLLOUT / 1e6, 180 * ROLLOUT / 1e6, color="grey", alpha=0.15, label="hand-over (rollouts 60-180)")
    ax.set_xlabel("env steps (millions)")
    ax.grid(alpha=0.3)
ret.set_ylabel("training episode return (5-update mean)")
bc.set_ylabel("cloning loss in PPO's minibatches (5-update mean)")
ret.legend(fontsize=7, loc="lower right")
fig.suptitle("BipedalWalkerHardcore-v3, PPOExpert, training seed 7")
fig.tight_layout()
fig.savefig(HERE / "training.png", dpi=100)
