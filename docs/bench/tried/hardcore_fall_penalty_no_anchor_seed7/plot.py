"""Training return (the env's own, SB3's ep_rew_mean) and episode length of the seed-7 probe with the cloning anchor off
(learning rate 5e-5), with and without a fall penalty of -1, beside the entry from the same start (1.47M).

Run from the repository root: python docs/bench/tried/hardcore_fall_penalty_no_anchor_seed7/plot.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).parent
RUNS = {
    "the entry (anchor on; ../hardcore_fall_penalty_seed7/)": HERE.parent / "hardcore_fall_penalty_seed7" / "control",
    "anchor off, learning rate 5e-5": HERE / "no_anchor",
    "anchor off, learning rate 5e-5, fall penalty -1": HERE / "no_anchor_penalty1",
}

fig, (ret, length) = plt.subplots(1, 2, figsize=(12, 4.5))
for label, name in RUNS.items():
    data = pd.read_csv(next((name / "logs").glob("*/progress.csv")))
    steps = data["time/total_timesteps"] / 1e6
    ret.plot(steps, data["rollout/ep_rew_mean"].rolling(10, min_periods=1).mean(), label=label)
    length.plot(steps, data["rollout/ep_len_mean"].rolling(10, min_periods=1).mean(), label=label)
for ax in (ret, length):
    ax.set_xlabel("env steps (millions)")
    ax.grid(alpha=0.3)
ret.set_ylabel("training return, the env's own (10-update mean)")
length.set_ylabel("training episode length (2000: time limit)")
ret.legend(fontsize=8, loc="lower right")
fig.suptitle("BipedalWalkerHardcore-v3, PPOExpert resumed at the end of the hand-over (1.47M), seed 7", y=0.99)
fig.tight_layout()
fig.savefig(HERE / "training.png", dpi=100)
