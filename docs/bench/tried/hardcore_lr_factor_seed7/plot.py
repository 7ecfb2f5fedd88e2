"""Seed-7 tuning runs after the hand-over against the entry: handover_lr_factor (this folder) and no hand-over at all
(../hardcore_no_handover_seed7/); evaluation points and training return.

Run from the repository root: python docs/bench/tried/hardcore_lr_factor_seed7/plot.py
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).parent
ENTRY = HERE.parent / "hardcore_entry_seed7_3M"
RUNS = {
    "entry (learning rate 2.5e-4 throughout)": ENTRY,
    "handover_lr_factor 0.2, cloning anchor kept": HERE / "anchor",
    "handover_lr_factor 0.2, cloning fades with the hand-over": HERE / "no_anchor",
    "no hand-over (expert's advantage throughout), cloning anchor kept": HERE.parent / "hardcore_no_handover_seed7" / "anchor",
    "no hand-over, cloning fades over rollouts 0-180": HERE.parent / "hardcore_no_handover_seed7" / "bc180",
}
HANDOVER = (60 * 8192 / 1e6, 180 * 8192 / 1e6)

fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 9), sharex=True)
for color, (label, folder) in zip(("C0", "C1", "C2", "C3", "C4"), RUNS.items(), strict=True):
    if not (folder / "runs" / "ppo_expert_seed7.json").exists():
        continue
    curve = json.loads((folder / "runs" / "ppo_expert_seed7.json").read_text())["curve"]
    top.plot([c[0] / 1e6 for c in curve], [c[1] for c in curve], marker=".", color=color, label=label)
    logs = list((folder / "logs").glob("*/progress.csv"))
    if logs:  # the entry's run kept no SB3 log
        data = pd.read_csv(logs[0])
        smooth = data["rollout/ep_rew_mean"].rolling(5, min_periods=1).mean()
        bottom.plot(data["time/total_timesteps"] / 1e6, smooth, color=color, label=label)
expert = json.loads((HERE / "anchor" / "expert.json").read_text())
top.axhline(expert["mean"], color="black", linestyle="--", label=f"expert, same 10 episodes ({expert['mean']:.1f})")
for ax in (top, bottom):
    ax.axvspan(*HANDOVER, color="grey", alpha=0.15)
    ax.grid(alpha=0.3)
top.set_ylabel("deterministic return, 10 episodes (seed 200000)")
bottom.set_ylabel("training episode return (5-update mean)")
bottom.set_xlabel("env steps (millions); grey: hand-over, rollouts 60-180")
top.set_title("BipedalWalkerHardcore-v3, PPOExpert, tuning seed 7")
top.legend(fontsize=8)
bottom.legend(fontsize=8)
fig.tight_layout()
fig.savefig(HERE / "curves.png", dpi=100)
print(f"wrote {HERE / 'curves.png'}")
