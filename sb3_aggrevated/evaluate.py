"""
Evaluate a PPOExpert trained by rl_zoo3 next to its expert, on the same episodes.

Usage::

    python -m sb3_aggrevated.evaluate --env Pendulum-v1 -f logs [--exp-id 0] [-n 10] [--seed 0] [--expert REF]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecEnv

from sb3_aggrevated.callbacks import evaluate_expert
from sb3_aggrevated.experts import load_expert, load_vec_normalize
from sb3_aggrevated.ppo_expert import PPOExpert


def find_run(folder: str, algo: str, env_id: str, exp_id: int = 0) -> Path:
    """The run folder rl_zoo3 wrote (``FOLDER/ALGO/ENV_ID``; the latest where ``exp_id`` is 0)."""
    base = Path(folder) / algo
    if exp_id > 0:
        run = base / f"{env_id}_{exp_id}"
    else:
        runs = [p for p in base.glob(f"{env_id}_*") if p.name[len(env_id) + 1 :].isdigit()]
        if not runs:
            raise FileNotFoundError(f"No run of {algo} on {env_id} in {base}: train one with `python -m rl_zoo3.train`.")
        run = max(runs, key=lambda p: int(p.name[len(env_id) + 1 :]))
    if not (run / f"{env_id}.zip").is_file():
        raise FileNotFoundError(f"No trained model {run / f'{env_id}.zip'}.")
    return run


def make_eval_env(run: Path, env_id: str, env_kwargs: dict[str, Any] | None = None) -> VecEnv:
    """
    One env for evaluating a run, with the run's VecNormalize statistics frozen (no updates, raw rewards).

    :param run: the run folder rl_zoo3 wrote
    :param env_id: the env
    :param env_kwargs: keyword arguments of the env
    :return: the env
    """
    env = make_vec_env(env_id, n_envs=1, env_kwargs=env_kwargs)
    vec_path = run / env_id / "vecnormalize.pkl"
    if vec_path.is_file():
        vec = load_vec_normalize(vec_path)
        vec.set_venv(env)
        vec.training, vec.norm_reward = False, False
        return vec
    return env


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("-f", "--folder", default="logs")
    parser.add_argument("--algo", default="ppo_expert")
    parser.add_argument("--exp-id", type=int, default=0)
    parser.add_argument("-n", "--n-episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--expert", default=None, help="expert reference (default: the one the model learned from)")
    args = parser.parse_args(argv)

    run = find_run(args.folder, args.algo, args.env, args.exp_id)
    model = PPOExpert.load(run / f"{args.env}.zip", device="cpu")
    env = make_eval_env(run, args.env)
    env.seed(args.seed)
    mean, std = evaluate_policy(model, env, n_eval_episodes=args.n_episodes, deterministic=True)  # type: ignore[misc]
    result = {"learner_mean": float(mean), "learner_std": float(std), "timesteps": model.num_timesteps}  # type: ignore[arg-type]
    print(
        f"Learner  ({run / args.env}.zip, {model.num_timesteps} steps): "
        f"{mean:.1f} +- {std:.1f} over {args.n_episodes} episodes"
    )
    reference = args.expert or model.expert_id
    if reference:
        # a new env: one reseeded after the learner's episodes would go on from its simulator state (gymnasium's
        # BipedalWalker keeps its Box2D world across resets), not play exactly the learner's episodes
        env.close()
        env = make_eval_env(run, args.env)
        expert = load_expert(reference, env)
        e_mean, e_std = evaluate_expert(expert, env, args.n_episodes, seed=args.seed)
        result.update(expert_mean=e_mean, expert_std=e_std)
        print(f"Expert   ({reference}): {e_mean:.1f} +- {e_std:.1f} on the same episodes")
    return result


if __name__ == "__main__":
    main()
