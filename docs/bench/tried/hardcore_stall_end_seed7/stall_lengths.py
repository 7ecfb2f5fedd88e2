"""How long the expert's Hardcore walker stands: per episode, how it ended, the longest stretch of steps in which its
hull gained less than ``--min-progress`` on its last mark (``StallEnd``'s count, read from the wrapper itself), and the
return at the moment that count first reached ``--patience`` against the episode's final return. A diagnosis for
choosing ``StallEnd``'s ``patience`` / ``mark_after``, not a benchmark.

Run from the repository root with SB3_AGGREVATED_EXPERTS set::

    python docs/bench/tried/hardcore_stall_end_seed7/stall_lengths.py --episodes 25 --eval-seed 600000 \
        --out docs/bench/tried/hardcore_stall_end_seed7/stall_lengths.json
"""

import argparse
import json
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "docs" / "bench" / "hardcore_failures"))
from bench_wrappers import StallEnd  # noqa: E402
from failures import OUTCOMES, make_act, outcome  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--env", default="BipedalWalkerHardcore-v3")
parser.add_argument("--episodes", type=int, default=25)
parser.add_argument("--eval-seed", type=int, default=600_000)
parser.add_argument("--min-progress", type=float, default=1.0)
parser.add_argument("--patience", type=int, default=200)
parser.add_argument("--out", required=True)
args = parser.parse_args()

env = StallEnd(gym.make(args.env), patience=None, min_progress=args.min_progress)  # counts, never ends an episode
act = make_act("expert", args.env)
episodes = []
obs, _ = env.reset(seed=args.eval_seed)
for _ in range(args.episodes):
    total, steps, done, longest, at_patience = 0.0, 0, False, 0, None
    while not done:
        obs, reward, terminated, truncated, _ = env.step(act(obs))
        total, steps, done = total + float(reward), steps + 1, terminated or truncated
        longest = max(longest, env.steps_standing)
        if env.steps_standing == args.patience and at_patience is None:
            at_patience = total
    episodes.append(
        {
            "outcome": outcome(env.unwrapped, terminated),
            "return": total,
            "steps": steps,
            "longest_stall": longest,
            "return_at_patience": at_patience,
        }
    )
    print(episodes[-1], flush=True)
    obs, _ = env.reset()
summary = {}
for kind in OUTCOMES:
    stalls = [e["longest_stall"] for e in episodes if e["outcome"] == kind]
    summary[kind] = {"episodes": len(stalls), "longest_stall": [min(stalls), max(stalls)] if stalls else None}
costs = [e["return_at_patience"] - e["return"] for e in episodes if e["return_at_patience"] is not None]
summary["standing_cost"] = [min(costs), float(np.mean(costs)), max(costs)] if costs else None
print(json.dumps(summary), flush=True)
Path(args.out).write_text(json.dumps({"args": vars(args), "summary": summary, "episodes": episodes}, indent=1))
