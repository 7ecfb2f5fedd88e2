"""The training return (SB3's ``rollout/ep_rew_mean``, the last 100 training episodes) and PPO's clip fraction over
2-5M of this folder's runs beside the entry's own continuation from the same 2M models
(``../hardcore_256x256_bc_batch64_5M/``), one column per seed. Unlike the 10-episode evaluation points, the training
return does not depend on which evaluation episodes a folder was read on. Writes training.png here.

Run from the repository root: python docs/bench/hardcore_entry_lr2.5e-5_5M/plot.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
RUNS = {
    "the entry (learning rate 2.5e-4)": HERE.parent / "hardcore_256x256_bc_batch64_5M",
    "handover_lr_factor=0.1 (2.5e-5)": HERE,
}
SEEDS = (1, 2)

fig, axes = plt.subplots(2, len(SEEDS), figsize=(6 * len(SEEDS), 7), sharex=True, squeeze=False)
for col, seed in enumerate(SEEDS):
    for label, folder in RUNS.items():
        log = pd.read_csv(folder / "logs" / f"ppo_expert_seed{seed}" / "progress.csv")
        ret = log.dropna(subset=["rollout/ep_rew_mean"])
        axes[0, col].plot(ret["time/total_timesteps"] / 1e6, ret["rollout/ep_rew_mean"], label=label)
        clip = log.dropna(subset=["train/clip_fraction"])
        axes[1, col].plot(clip["time/total_timesteps"] / 1e6, clip["train/clip_fraction"], label=label)
    axes[0, col].set_title(f"seed {seed}")
    axes[0, col].set_ylabel("training return (last 100 episodes)")
    axes[1, col].set_ylabel("PPO clip fraction")
    axes[1, col].set_xlabel("env steps (millions)")
    axes[0, col].grid(alpha=0.3)
    axes[1, col].grid(alpha=0.3)
axes[0, 0].legend(loc="lower left", fontsize=8)
fig.suptitle("BipedalWalkerHardcore-v3 after 2M: the entry and a tenth of its learning rate, from the same 2M models")
fig.tight_layout()
fig.savefig(HERE / "training.png", dpi=100)
print(f"wrote {HERE / 'training.png'}")
