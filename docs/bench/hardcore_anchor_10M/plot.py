"""The Hardcore entry over its whole budget (n_timesteps 1e7): the 5M runs of ``../hardcore_anchor_5M/`` and their
continuation to 10M (``compare.py --resume-from``) drawn as one run per seed: evaluation curves (10 deterministic
episodes per point) and training return, with the hand-over, the resumption and the end of the cloning anchor marked.

Run from the repository root: python docs/bench/hardcore_anchor_10M/plot.py
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).parent
FIRST = HERE.parent / "hardcore_anchor_5M"
ROLLOUT = 16 * 512  # env steps per rollout of the entry
expert = json.loads((HERE / "expert.json").read_text())

fig, (ax_eval, ax_train) = plt.subplots(1, 2, figsize=(13, 5.5))
for seed, style in ((1, "-"), (2, "--")):
    name = f"ppo_expert_seed{seed}"
    for folder, colour, part in ((FIRST, "tab:blue", "0-5M"), (HERE, "tab:purple", "resumed, 5-10M")):
        steps, means, _ = zip(*json.loads((folder / "runs" / f"{name}.json").read_text())["curve"], strict=True)
        ax_eval.plot([s / 1e6 for s in steps], means, style, color=colour, label=f"seed {seed}, {part}")
        data = pd.read_csv(folder / "logs" / name / "progress.csv")
        smooth = data["rollout/ep_rew_mean"].rolling(5, min_periods=1).mean()
        ax_train.plot(data["time/total_timesteps"] / 1e6, smooth, style, color=colour, label=f"seed {seed}, {part}")
ax_eval.axhline(expert["mean"], color="k", linestyle=":", label=f"expert on these 10 episodes ({expert['mean']:.1f})")
ax_eval.axhline(
    expert["final"]["mean"], color="grey", linestyle=":", label=f"expert on 50 episodes ({expert['final']['mean']:.1f})"
)
for ax, ylabel in ((ax_eval, "return, 10 deterministic episodes"), (ax_train, "training episode return (5-update mean)")):
    ax.axvspan(60 * ROLLOUT / 1e6, 180 * ROLLOUT / 1e6, color="grey", alpha=0.12, label="hand-over (rollouts 60-180)")
    ax.axvline(1200 * ROLLOUT / 1e6, color="tab:red", alpha=0.5, label="cloning anchor at 0 (rollout 1200)")
    ax.set_xlabel("env steps (millions)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
handles, labels = ax_eval.get_legend_handles_labels()
fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=4)
fig.suptitle("BipedalWalkerHardcore-v3, the entry to its 10M budget, training seeds 1 and 2")
fig.tight_layout(rect=(0, 0.14, 1, 1))
fig.savefig(HERE / "curves_10M.png", dpi=100)
