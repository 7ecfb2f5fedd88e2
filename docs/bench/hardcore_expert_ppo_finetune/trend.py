"""The training return of this folder's runs (SB3's ``rollout/ep_rew_mean``, a mean over the last 100 training
episodes) by blocks of a million steps, and its fitted slope per million steps over the whole run, seed by seed
(neighbouring rows share episodes, so a per-seed regression interval would be too narrow; the seeds are the
independent samples). A last block shorter than half a block is folded into the one before. Prints a markdown
table. Run from the repository root: python docs/bench/hardcore_expert_ppo_finetune/trend.py [--runs FOLDER]
[--algo ppo_expert]
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
parser.add_argument("--runs", default=str(HERE), help="folder whose logs/ to read (default: this one)")
parser.add_argument("--algo", default="ppo", help="the algorithm whose logs to read (logs/ALGO_seedN)")
parser.add_argument("--block", type=float, default=1e6, help="steps per block of the table")
args = parser.parse_args()

rows, slopes = [], []
for seed in args.seeds:
    log = pd.read_csv(Path(args.runs) / "logs" / f"{args.algo}_seed{seed}" / "progress.csv")
    log = log.dropna(subset=["rollout/ep_rew_mean"])
    steps, ret = log["time/total_timesteps"].to_numpy(float), log["rollout/ep_rew_mean"].to_numpy(float)
    slope = np.polyfit(steps / 1e6, ret, 1)[0]
    slopes.append(slope)
    blocks = (steps - 1) // args.block
    last = blocks.max()
    if last > 0 and steps.max() - last * args.block < args.block / 2:  # a short last block joins the one before
        blocks[blocks == last] = last - 1
    means = [f"{ret[blocks == b].mean():.1f}" for b in np.unique(blocks)]
    rows.append(f"| {seed} | {' / '.join(means)} | {slope:+.2f} |")
print(f"| seed | training return, mean per {args.block / 1e6:g}M steps | slope per million steps |")
print("|---|---|---|")
print("\n".join(rows))
print(f"\nMean slope over {len(slopes)} seeds: {np.mean(slopes):+.2f} per million steps")
