"""How fast the Hardcore entry's learner improves after the hand-over: the slope of its return per million env steps,
from the hand-over's end (rollout 180, 1.47M steps) to the entry's budget (9M), seed by seed and over the seeds.

Each reported seed's run is read whole from its 2M folder and its continuations (``hardcore_seedN``, ``_5M``, ``_9M``;
seeds 1 and 2: ``hardcore_256x256_bc_batch64``, ``_5M``, ``_10M``, cut at 9M). Two readings of the return:

- training return: SB3's ``rollout/ep_rew_mean`` (a mean over the last 100 training episodes, about 17 rollouts, so
  neighbouring rows are not independent), the slope fitted to the rows (one per rollout, each weighing the same);
  shown as means over blocks of ``--block`` steps (a last block shorter than half a block is marked);
- evaluation: compare.py's 10-episode deterministic points (the same 10 episodes of eval seed 100000 every time),
  the slope fitted to the points (the first point of a continuation repeats the saved model's, so it is dropped).

The seeds are the independent samples: the mean slope over them, its standard error and a t interval. Prints a
markdown table. Run from the repository root: python docs/bench/hardcore_seed6_9M/trend.py
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))
from hardcore_plot import ENTRY_SEEDS_9M, ROLLOUT, entry_folders, read_parts  # noqa: E402

START = 180 * ROLLOUT  # the hand-over's end
END = 1099 * ROLLOUT  # the 9M budget's last step (rollout 1099 ends at 9,003,008)
# two-sided 95% quantiles of Student's t by degrees of freedom (scipy is not a dependency of the project)
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


def read_run(seed: int, end: float) -> tuple[pd.DataFrame, list[tuple[int, float]]]:
    """The seed's training log rows and evaluation points from ``START`` to ``end`` env steps, over all its parts."""
    points, log = read_parts(entry_folders(seed), f"ppo_expert_seed{seed}")
    steps = log["time/total_timesteps"]
    log = log[(steps > START) & (steps <= end)]
    return log, [(s, m) for s, m in points if START < s <= end]


def slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of ``y`` on ``x``."""
    return float(np.polyfit(x, y, 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(ENTRY_SEEDS_9M))
    parser.add_argument("--end", type=float, default=END, help="last env step read (default: the entry's 9M budget)")
    parser.add_argument("--block", type=float, default=5e5, help="env steps per block of training return")
    args = parser.parse_args()

    print("| seed | training return, mean per block | its slope per 1M steps | evaluation points | their slope per 1M |")
    print("|---|---|---|---|---|")
    train_slopes, eval_slopes = [], []
    for seed in args.seeds:
        log, points = read_run(seed, args.end)
        blocks = ((log["time/total_timesteps"] - START) // args.block).astype(int)
        means = log.groupby(blocks)["rollout/ep_rew_mean"].mean()
        sizes = log.groupby(blocks).size()
        train_slopes.append(slope(log["time/total_timesteps"].to_numpy() / 1e6, log["rollout/ep_rew_mean"].to_numpy()))
        steps, returns = np.array([s for s, _ in points]) / 1e6, np.array([m for _, m in points])
        eval_slopes.append(slope(steps, returns))
        full = sizes.iloc[0]
        blocks_text = " / ".join(
            f"{m:.0f}" + (f" (last {n} rollouts)" if n < full / 2 else "") for m, n in zip(means, sizes, strict=True)
        )
        print(
            f"| {seed} | {blocks_text} | {train_slopes[-1]:+.1f} | {len(points)} points, mean {returns.mean():.1f} "
            f"| {eval_slopes[-1]:+.1f} |"
        )
    for what, values in (("training return", train_slopes), ("evaluation points", eval_slopes)):
        values = np.array(values)
        mean, sem = values.mean(), values.std(ddof=1) / np.sqrt(len(values))
        low, high = mean - T95[len(values) - 1] * sem, mean + T95[len(values) - 1] * sem
        print(
            f"\n{what}: mean slope over {len(values)} seeds {mean:+.2f} per 1M steps (standard error {sem:.2f}, "
            f"95% interval {low:+.2f} to {high:+.2f})"
        )


if __name__ == "__main__":
    main()
