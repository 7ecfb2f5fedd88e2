"""The entry after 2M against the same saved 2M models continued with the anchor in its cheap form
(``bc_anchor_from=180``): evaluation curves on the same episodes (evaluation seed 100000, 10 per point), and the mean
of the points both runs have. Prints the table of README.md and writes curves_vs_entry.png.

Run from the repository root: python docs/bench/hardcore_anchor_only_4M/plot.py
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = Path(__file__).parent
RUNS = {
    "the entry (full anchor: aggregated states + 200 cloning steps)": HERE.parent / "hardcore_256x256_bc_batch64_5M",
    "bc_anchor_from=180 (the anchor on the minibatch's own states only)": HERE,
}
SEEDS = (1, 2)


def curve(folder: Path, seed: int) -> dict[int, float]:
    run = json.loads((folder / "runs" / f"ppo_expert_seed{seed}.json").read_text())
    return {int(steps): mean for steps, mean, _ in run["curve"]}


curves = {label: {seed: curve(folder, seed) for seed in SEEDS} for label, folder in RUNS.items()}
expert = json.loads((HERE / "expert.json").read_text())["mean"]
fig, axes = plt.subplots(1, len(SEEDS), figsize=(12, 4.5), sharey=True)
print("| run | " + " | ".join(f"seed {seed}: mean of the points after 2M" for seed in SEEDS) + " |")
print("|---|" + "---|" * len(SEEDS))
for label, by_seed in curves.items():
    cells = []
    for ax, seed in zip(axes, SEEDS, strict=True):
        # the points both runs have, after the common 2M start
        common = sorted(step for step in by_seed[seed] if step > 2_100_000 and all(step in c[seed] for c in curves.values()))
        mean = np.mean([by_seed[seed][step] for step in common])
        cells.append(f"{mean:.1f} ({len(common)} points to {common[-1] / 1e6:.2f}M)")
        steps = sorted(by_seed[seed])
        ax.plot(np.array(steps) / 1e6, [by_seed[seed][step] for step in steps], marker=".", label=label)
    print(f"| {label} | " + " | ".join(cells) + " |")
for ax, seed in zip(axes, SEEDS, strict=True):
    ax.axhline(expert, color="black", linestyle="--", label=f"expert ({expert:.1f} on these episodes)")
    ax.set_title(f"training seed {seed}")
    ax.set_xlabel("env steps (millions)")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("evaluation return (10 episodes per point)")
axes[0].legend(fontsize=7, loc="lower left")
fig.suptitle("BipedalWalkerHardcore-v3 after the hand-over: the entry and its cheap anchor, from the same 2M models")
fig.tight_layout()
fig.savefig(HERE / "curves_vs_entry.png", dpi=100)
