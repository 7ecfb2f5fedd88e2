"""The Hardcore entry against PPO over the entry's whole budget (9M env steps), from the runs already in docs/bench:
every reported seed of the entry read to 9M or beyond (``hardcore_plot.ENTRY_SEEDS_9M``), and PPO (the same
hyperparameters and 256x256 width) on the seeds read to 9M (``hardcore_plot.PPO_SEEDS_9M``), each run drawn whole
from its 2M folder and its continuations.

Left: compare.py's 10-episode deterministic points (the same 10 episodes of eval seed 100000 throughout), one line per
run. Right: SB3's training return (``rollout/ep_rew_mean``), averaged per block of 250k steps, the mean over seeds
with the range of seeds shaded (over the seeds that reach each block). Run from the repository root:
python docs/bench/hardcore_vs_ppo_9M/plot.py
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from hardcore_plot import (  # noqa: E402
    ENTRY_SEEDS_9M,
    PPO_SEEDS_9M,
    entry_folders,
    mark_handover,
    panels,
    ppo_folders,
    read_parts,
    spell_seeds,
)

BUDGET = 9e6
BLOCK = 2.5e5

# algorithm -> seed -> the run's folders in step order (the first point of a continuation repeats the saved model's)
RUNS = {
    "ppo_expert": {seed: entry_folders(seed) for seed in ENTRY_SEEDS_9M},
    "ppo": {seed: ppo_folders(seed) for seed in PPO_SEEDS_9M},
}
STYLE = {"ppo_expert": ("tab:blue", "PPOExpert (the entry)"), "ppo": ("tab:red", "PPO, same hyperparameters")}


def read(algo: str, seed: int) -> tuple[list[tuple[int, float]], pd.DataFrame]:
    """One run's evaluation points and training log to ``BUDGET``, over all its folders."""
    points, log = read_parts(RUNS[algo][seed], f"{algo}_seed{seed}")
    return [(s, m) for s, m in points if s <= BUDGET], log[log["time/total_timesteps"] <= BUDGET]


def main() -> None:
    expert = json.loads((BENCH / "hardcore_seed6_9M" / "expert.json").read_text())
    # the expert over the 250 episodes the entry is read on: the 50 final ones and 200 more (evaluate_more.py)
    more = json.loads((BENCH / "hardcore_target_kl_from180_5M" / "evaluate_more.json").read_text())["expert"]
    final = expert["final"]
    expert_250 = (final["n_episodes"] * final["mean"] + more["n_episodes"] * more["mean"]) / (
        final["n_episodes"] + more["n_episodes"]
    )
    fig, (ax_eval, ax_train) = panels()
    for algo, seeds in RUNS.items():
        colour, label = STYLE[algo]
        blocks = {}
        for k, seed in enumerate(seeds):
            points, log = read(algo, seed)
            steps, returns = np.array([s for s, _ in points]) / 1e6, [m for _, m in points]
            ax_eval.plot(steps, returns, color=colour, alpha=0.45, lw=1, label=label if k == 0 else None)
            block = (log["time/total_timesteps"] // BLOCK).astype(int)
            blocks[seed] = log.groupby(block)["rollout/ep_rew_mean"].mean()
        table = pd.DataFrame(blocks).sort_index()  # a block holds the seeds that reach it
        centres = (table.index.to_numpy() + 0.5) * BLOCK / 1e6
        counts = table.count(axis=1)
        seeds_label = f"{counts.max()} seeds" + (f", {counts.min()} to the end" if counts.min() < counts.max() else "")
        ax_train.plot(centres, table.mean(axis=1), color=colour, lw=2, label=f"{label}: mean of {seeds_label}")
        ax_train.fill_between(centres, table.min(axis=1), table.max(axis=1), color=colour, alpha=0.2, label="range")
    ax_eval.axhline(expert["mean"], color="k", linestyle=":", label=f"expert on these 10 episodes ({expert['mean']:.1f})")
    ax_train.axhline(expert_250, color="k", linestyle=":", label=f"expert, 250 deterministic episodes ({expert_250:.1f})")
    for ax, ylabel in (
        (ax_eval, "return, 10 deterministic episodes"),
        (ax_train, f"training episode return, mean per {BLOCK / 1e6:g}M steps"),
    ):
        mark_handover(ax)
        ax.set_xlim(0, BUDGET / 1e6)
        ax.set_xlabel("env steps (millions)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="center right")  # between the two algorithms, hiding neither
    ax_eval.set_title(f"each run (PPOExpert seeds {spell_seeds(ENTRY_SEEDS_9M)}, PPO seeds {spell_seeds(PPO_SEEDS_9M)})")
    ax_train.set_title("mean and range over seeds")
    fig.suptitle("BipedalWalkerHardcore-v3: the entry against PPO to the 9M budget")
    fig.tight_layout()
    fig.savefig(HERE / "curves.png", dpi=100)
    print(f"wrote {HERE / 'curves.png'}")


if __name__ == "__main__":
    main()
