"""The Hardcore entry with cloning kept as a fading anchor against the entry before it (cloning faded with the
hand-over) and PPO: evaluation curves (10 deterministic episodes per point) and training return, the hand-over marked.

Run from the repository root: python docs/bench/hardcore_anchor/plot.py
(``--this docs/bench/hardcore_anchor_5M`` plots the same entry's 5M runs against the same runs before it;
``--this docs/bench/hardcore_lr_factor --before docs/bench/hardcore_anchor_5M --this-label ... --before-label ...``
plots the entry after it against this one.)
"""

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--this", default=str(Path(__file__).parent), help="folder of the current entry's runs")
# the same command with the entry before (default: docs/bench/hardcore)
parser.add_argument("--before", default=str(Path(__file__).parent.parent / "hardcore"), help="folder of the entry before")
parser.add_argument("--this-label", default="PPOExpert, cloning kept (this entry)")
parser.add_argument("--before-label", default="PPOExpert, cloning faded with the hand-over")
args = parser.parse_args()
HERE = Path(args.this)
BEFORE = Path(args.before)
PPO_RUNS = Path(__file__).parent.parent / "hardcore"  # PPO ignores the expert keys: these runs stand for every entry
RUNS = [  # label, folders (the first that has the run), run name, colour
    (args.this_label, (HERE,), "ppo_expert_seed{}", "tab:blue"),
    (args.before_label, (BEFORE,), "ppo_expert_seed{}", "tab:orange"),
    ("PPO, same hyperparameters", (PPO_RUNS, HERE, Path(__file__).parent), "ppo_seed{}", "tab:green"),
]
expert = json.loads((HERE / "expert.json").read_text())

fig, (ax_eval, ax_train) = plt.subplots(1, 2, figsize=(13, 5.5))
for label, folders, name, colour in RUNS:
    for seed in (1, 2):
        folder = next((f for f in folders if (f / "runs" / f"{name.format(seed)}.json").is_file()), None)
        if folder is None:
            continue
        run = folder / "runs" / f"{name.format(seed)}.json"
        steps, means, _ = zip(*json.loads(run.read_text())["curve"], strict=True)
        style = "-" if seed == 1 else "--"
        ax_eval.plot([s / 1e6 for s in steps], means, style, color=colour, label=f"{label}, seed {seed}")
        data = pd.read_csv(folder / "logs" / name.format(seed) / "progress.csv")
        smooth = data["rollout/ep_rew_mean"].rolling(5, min_periods=1).mean()
        ax_train.plot(data["time/total_timesteps"] / 1e6, smooth, style, color=colour, label=f"{label}, seed {seed}")
ax_eval.axhline(expert["mean"], color="k", linestyle=":", label=f"expert on these 10 episodes ({expert['mean']:.1f})")
ax_eval.axhline(
    expert["final"]["mean"], color="grey", linestyle=":", label=f"expert on 50 episodes ({expert['final']['mean']:.1f})"
)
for ax, ylabel in ((ax_eval, "return, 10 deterministic episodes"), (ax_train, "training episode return (5-update mean)")):
    ax.axvspan(60 * 8192 / 1e6, 180 * 8192 / 1e6, color="grey", alpha=0.12, label="hand-over (rollouts 60-180)")
    ax.set_xlabel("env steps (millions)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
handles, labels = ax_eval.get_legend_handles_labels()
fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=3)
fig.suptitle("BipedalWalkerHardcore-v3, training seeds 1 and 2")
fig.tight_layout(rect=(0, 0.17, 1, 1))
fig.savefig(HERE / "curves_vs_before.png", dpi=100)
