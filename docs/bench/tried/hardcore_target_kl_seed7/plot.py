"""Training return (SB3's ep_rew_mean) of the seed-7 probes, with the hand-over marked.

Run from the repository root: python docs/bench/tried/hardcore_target_kl_seed7/plot.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).parent
RUNS = {
    "target_kl 0.03 (cloning fades with the hand-over)": "kl003",
    "target_kl 0.03, bc_batch_size 64": "kl003_bc64",
    "target_kl 0.03, cloning kept (bc_follows_handover false)": "kl003_bc_kept",
    "target_kl 0.03, cloning kept, 256x256 learner": "kl003_bc_kept_256",
}

fig, ax = plt.subplots(figsize=(8, 4.5))
for label, name in RUNS.items():
    data = pd.read_csv(next((HERE / name / "logs").glob("*/progress.csv")))
    smooth = data["rollout/ep_rew_mean"].rolling(5, min_periods=1).mean()
    ax.plot(data["time/total_timesteps"] / 1e6, smooth, label=label)
ax.axvspan(60 * 8192 / 1e6, 180 * 8192 / 1e6, color="grey", alpha=0.15, label="hand-over (rollouts 60-180)")
ax.set_xlabel("env steps (millions)")
ax.set_ylabel("training episode return (5-update mean)")
ax.set_title("BipedalWalkerHardcore-v3, PPOExpert, training seed 7")
ax.legend(fontsize=8, loc="lower left")
ax.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(HERE / "training_return.png", dpi=100)
