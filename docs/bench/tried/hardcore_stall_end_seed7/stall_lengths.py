"""How long the expert's Hardcore walker stands: per episode, how it ended, the longest stretch of steps in which its
hull gained less than ``--min-progress`` on its last mark (``StallEnd``'s count), and the return at the moment that
count first reached ``--patience`` against the episode's final return. A diagnosis for choosing ``StallEnd``'s
``patience`` / ``mark_after``, not a benchmark.

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
from stable_baselines3.common.vec_env import DummyVecEnv

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "benchmarks"))
from compare import load_entry  # noqa: E402

from sb3_aggrevated.experts import load_expert  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--env", default="BipedalWalkerHardcore-v3")
parser.add_argument("--episodes", type=int, default=25)
parser.add_argument("--eval-seed", type=int, default=600_000)
parser.add_argument("--min-progress", type=float, default=1.0)
parser.add_argument("--patience", type=int, default=200)
parser.add_argument("--out", required=True)
args = parser.parse_args()

env = gym.make(args.env)
expert = load_expert(load_entry(None, args.env, [])["expert"], DummyVecEnv([lambda: gym.make(args.env)]))
episodes = []
obs, _ = env.reset(seed=args.eval_seed)
for _ in range(args.episodes):
    total, steps, done = 0.0, 0, False
    mark, since, longest, at_patience = float(env.unwrapped.hull.position.x), 0, 0, None
    while not done:
        obs, reward, terminated, truncated, _ = env.step(expert.predict(obs[None].astype(np.float32), deterministic=True)[0])
        total, steps, done = total + float(reward), steps + 1, terminated or truncated
        position = float(env.unwrapped.hull.position.x)
        if position > mark + args.min_progress:
            mark, since = position, 0
        else:
            since += 1
        longest = max(longest, since)
        if since == args.patience and at_patience is None:
            at_patience = total
    walker = env.unwrapped
    outcome = "fell" if walker.game_over or walker.hull.position.x < 0 else ("finished" if terminated else "time limit")
    episodes.append(
        {"outcome": outcome, "return": total, "steps": steps, "longest_stall": longest, "return_at_patience": at_patience}
    )
    print(episodes[-1], flush=True)
    obs, _ = env.reset()
summary = {
    outcome: {
        "episodes": len(ended),
        "longest_stall": [min(e["longest_stall"] for e in ended), max(e["longest_stall"] for e in ended)] if ended else None,
    }
    for outcome in ("finished", "fell", "time limit")
    for ended in [[e for e in episodes if e["outcome"] == outcome]]
}
costs = [e["return_at_patience"] - e["return"] for e in episodes if e["return_at_patience"] is not None]
summary["standing_cost"] = [min(costs), float(np.mean(costs)), max(costs)] if costs else None
print(json.dumps(summary), flush=True)
Path(args.out).write_text(json.dumps({"args": vars(args), "summary": summary, "episodes": episodes}, indent=1))
