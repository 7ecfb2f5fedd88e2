"""How Hardcore episodes end, for the expert and the saved learners: fall (the hull touches the ground), time limit,
or the end of the course reached, with how far along the course each episode got. A diagnosis of where the return
the learners do not gain is lost, not a benchmark.

Run from the repository root with SB3_AGGREVATED_EXPERTS set::

    python docs/bench/hardcore_failures/failures.py --who expert --out docs/bench/hardcore_failures/expert.json
    python docs/bench/hardcore_failures/failures.py --who docs/bench/hardcore_256x256_bc_batch64_5M/models/ppo_expert_seed1 \
        --out docs/bench/hardcore_failures/entry_5M_seed1.json

Episodes: one plain env reseeded once with ``--eval-seed`` and then reset unseeded, as ``benchmarks/compare.py``'s
evaluation plays them (a new env, so the same episodes every time); the learner gets its saved VecNormalize
statistics, the expert its raw observations.
"""

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.box2d import bipedal_walker as bw
from stable_baselines3.common.utils import set_random_seed
from stable_baselines3.common.vec_env import DummyVecEnv

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from compare import load_entry, model_files  # noqa: E402

from sb3_aggrevated import PPOExpert  # noqa: E402
from sb3_aggrevated.experts import load_expert, load_vec_normalize  # noqa: E402

OUTCOMES = ("finished", "fell", "time limit")


def make_act(who: str, env_id: str, stochastic: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    """The action for one raw observation of ``who``: ``"expert"`` (the entry's expert, on raw observations) or a
    saved model's path without .zip (as ``compare.py --save-models`` wrote it, with its saved VecNormalize statistics)."""
    if who == "expert":
        expert = load_expert(load_entry(None, env_id, [])["expert"], DummyVecEnv([lambda: gym.make(env_id)]))
        return lambda obs: expert.predict(obs[None].astype(np.float32), deterministic=not stochastic)[0]
    zip_path, stats_path = model_files(who)
    model = PPOExpert.load(zip_path, device="cpu")
    stats = load_vec_normalize(stats_path)
    return lambda obs: model.predict(stats.normalize_obs(obs[None]), deterministic=not stochastic)[0][0]


def outcome(walker: Any, terminated: bool) -> str:
    """How a BipedalWalker episode ended (``walker``: the env's ``unwrapped``, after its last step)."""
    return "fell" if walker.game_over or walker.hull.position.x < 0 else ("finished" if terminated else "time limit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--who", required=True, help="'expert', or a saved model's path without .zip (its _vecnormalize.pkl beside it)"
    )
    parser.add_argument("--env", default="BipedalWalkerHardcore-v3")
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--eval-seed", type=int, default=300_000)
    parser.add_argument("--stochastic", action="store_true", help="sample actions (each policy's own noise)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    set_random_seed(args.eval_seed)  # the sampled actions of --stochastic repeat
    env = gym.make(args.env)
    course_end = (bw.TERRAIN_LENGTH - bw.TERRAIN_GRASS) * bw.TERRAIN_STEP  # where the env ends an episode as done
    act = make_act(args.who, args.env, args.stochastic)

    episodes = []
    obs, _ = env.reset(seed=args.eval_seed)
    for _ in range(args.episodes):
        total, steps, done = 0.0, 0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(act(obs))
            total, steps, done = total + float(reward), steps + 1, terminated or truncated
        x = float(env.unwrapped.hull.position.x)
        how = outcome(env.unwrapped, terminated)
        episodes.append({"return": total, "steps": steps, "outcome": how, "course_fraction": min(x / course_end, 1.0)})
        obs, _ = env.reset()
    returns = np.array([e["return"] for e in episodes])
    summary = {
        "who": args.who,
        "episodes": args.episodes,
        "eval_seed": args.eval_seed,
        "stochastic": args.stochastic,
        "mean": float(returns.mean()),
        "std": float(returns.std()),
    }
    for kind in OUTCOMES:
        ended = [e for e in episodes if e["outcome"] == kind]
        summary[kind] = {
            "episodes": len(ended),
            "mean_return": float(np.mean([e["return"] for e in ended])) if ended else None,
            "mean_course_fraction": float(np.mean([e["course_fraction"] for e in ended])) if ended else None,
        }
    print(json.dumps(summary), flush=True)
    Path(args.out).write_text(json.dumps({"summary": summary, "episodes": episodes}, indent=1))


if __name__ == "__main__":
    main()
