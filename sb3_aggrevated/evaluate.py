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


def evaluate_run(
    run: Path,
    env_id: str,
    model: PPOExpert,
    n_episodes: int,
    seed: int,
    expert: Any = None,
    env_kwargs: dict[str, Any] | None = None,
) -> dict[str, float]:
    """
    The learner's deterministic return on ``n_episodes`` episodes seeded with ``seed`` and, where ``expert`` is given,
    the expert's on exactly those episodes. Each plays on a new env with the run's frozen VecNormalize statistics: one
    reseeded after the other's episodes would go on from its simulator state (gymnasium's BipedalWalker keeps its
    Box2D world across resets) instead of playing the same episodes.

    :param run: the run folder rl_zoo3 wrote
    :param env_id: the env
    :param model: the learner
    :param n_episodes: evaluation episodes of each
    :param seed: seed of the evaluation episodes
    :param expert: the expert (anything :func:`~sb3_aggrevated.experts.load_expert` takes), or None: the learner only
    :param env_kwargs: keyword arguments of the env
    :return: ``learner_mean``, ``learner_std``, and ``expert_mean``, ``expert_std`` where an expert was given
    """
    env = make_eval_env(run, env_id, env_kwargs)
    env.seed(seed)
    mean, std = evaluate_policy(model, env, n_eval_episodes=n_episodes, deterministic=True)  # type: ignore[misc]
    env.close()
    result = {"learner_mean": float(mean), "learner_std": float(std)}  # type: ignore[arg-type]
    if expert is not None:
        env = make_eval_env(run, env_id, env_kwargs)
        result["expert_mean"], result["expert_std"] = evaluate_expert(load_expert(expert, env), env, n_episodes, seed=seed)
        env.close()
    return result


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
    reference = args.expert or model.expert_id or None
    result = evaluate_run(run, args.env, model, args.n_episodes, args.seed, expert=reference)
    result["timesteps"] = model.num_timesteps
    print(
        f"Learner  ({run / args.env}.zip, {model.num_timesteps} steps): "
        f"{result['learner_mean']:.1f} +- {result['learner_std']:.1f} over {args.n_episodes} episodes"
    )
    if reference is not None:
        print(f"Expert   ({reference}): {result['expert_mean']:.1f} +- {result['expert_std']:.1f} on the same episodes")
    return result


if __name__ == "__main__":
    main()
