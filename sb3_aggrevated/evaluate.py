"""
Evaluate a PPOExpert trained by rl_zoo3 next to its expert, on the same episodes.

Usage::

    python -m sb3_aggrevated.evaluate --env Pendulum-v1 -f logs [--exp-id 0] [-n 10] [--seed 0] [--expert REF]

A run of another rl_zoo3 algorithm (``--algo ppo``) is read the same way, beside the expert given with ``--expert``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.utils import ConstantSchedule
from stable_baselines3.common.vec_env import VecEnv, VecFrameStack

from sb3_aggrevated.callbacks import evaluate_expert, seeded_episodes
from sb3_aggrevated.experts import PythonTag, _gym_alias, _zoo_config, load_expert, load_vec_normalize
from sb3_aggrevated.ppo_expert import PPOExpert
from sb3_aggrevated.zoo import ALGO_NAME


def zoo_name(env_id: str) -> str:
    """The name rl_zoo3 gives an env's run folders and files: ``huggingface_sb3.EnvironmentName`` (``ALE/Pong-v5`` ->
    ``ALE-Pong-v5``; ``module:Env-v0`` -> ``Env-v0``); the env id itself where it has neither."""
    from huggingface_sb3 import EnvironmentName

    return str(EnvironmentName(env_id))


def find_run(folder: str, algo: str, env_id: str, exp_id: int = 0) -> Path:
    """The run folder rl_zoo3 wrote (``FOLDER/ALGO/ENV_N``, ``ENV`` the env's :func:`zoo_name`; the latest where
    ``exp_id`` is 0)."""
    base = Path(folder) / algo
    name = zoo_name(env_id)
    # rl_zoo3's run folders ENV_N, by N
    runs = sorted(
        (p for p in base.glob(f"{name}_*") if p.name[len(name) + 1 :].isdigit()),
        key=lambda p: int(p.name[len(name) + 1 :]),
    )
    if exp_id > 0:
        run = base / f"{name}_{exp_id}"
    else:
        if not runs:
            raise FileNotFoundError(f"No run of {algo} on {env_id} in {base}: train one with `python -m rl_zoo3.train`.")
        run = runs[-1]
    if not (run / f"{name}.zip").is_file():
        others = [p for p in runs if (p / f"{name}.zip").is_file()]
        hint = (
            f" Runs of {env_id} with a model: {', '.join(p.name for p in others)}; choose one with --exp-id N."
            if others
            else ""
        )
        latest = " (the latest run: one that stopped before saving, e.g. on a wrong setting)" if exp_id <= 0 else ""
        raise FileNotFoundError(f"No trained model {run / f'{name}.zip'}{latest}.{hint}")
    return run


def run_env_kwargs(run: Path, env_id: str) -> dict[str, Any]:
    """
    The env keyword arguments a run was trained with, read as ``rl_zoo3.enjoy`` reads them: the entry's
    ``env_kwargs`` (``config.yml``), replaced by an ``env_kwargs.yml`` beside it (a run from the Hub) and by the
    ``--env-kwargs`` given to ``rl_zoo3.train`` (``args.yml``).

    :param run: the run folder rl_zoo3 wrote
    :param env_id: the env
    :return: the keyword arguments (a new dict)
    """
    config_dir = run / zoo_name(env_id)
    env_kwargs: dict[str, Any] = {}
    if (config_dir / "config.yml").is_file():
        env_kwargs = dict(_zoo_config(config_dir / "config.yml").get("env_kwargs") or {})
    if (config_dir / "env_kwargs.yml").is_file():
        env_kwargs = dict(yaml.safe_load((config_dir / "env_kwargs.yml").read_text()) or {})
    if (config_dir / "args.yml").is_file():
        given = _zoo_config(config_dir / "args.yml").get("env_kwargs")
        if given is not None:
            env_kwargs = dict(given)
    objects = sorted(key for key, value in env_kwargs.items() if isinstance(value, PythonTag))
    if objects:
        raise ValueError(
            f"The run {run} was trained with env_kwargs holding Python objects ({', '.join(objects)}: "
            f"{', '.join(str(env_kwargs[key]) for key in objects)}), which sb3_aggrevated reads from its YAML files but "
            "does not construct: evaluate it from Python with make_eval_env(run, env_id, env_kwargs={...}) and "
            "evaluate_run, or train with plain values."
        )
    return env_kwargs


def make_eval_env(run: Path, env_id: str, env_kwargs: dict[str, Any] | None = None) -> VecEnv:
    """
    One env for evaluating a run, as the run trained (as ``rl_zoo3.enjoy`` makes it): its env keyword arguments,
    ``env_wrapper`` and ``vec_env_wrapper``, its VecNormalize statistics frozen (no updates, raw rewards), and its
    ``frame_stack``.

    :param run: the run folder rl_zoo3 wrote
    :param env_id: the env
    :param env_kwargs: keyword arguments of the env (default: the run's own, :func:`run_env_kwargs`)
    :return: the env
    """
    from rl_zoo3.utils import get_wrapper_class

    if env_kwargs is None:
        env_kwargs = run_env_kwargs(run, env_id)
    config_dir = run / zoo_name(env_id)
    config_path = config_dir / "config.yml"
    config = _zoo_config(config_path) if config_path.is_file() else {}
    # as rl_zoo3's create_test_env builds it: env_wrapper, vec_env_wrapper, VecNormalize, then frame_stack
    # every episode seeded (the same episodes for the learner and the expert), around the run's own wrapper
    env = make_vec_env(env_id, n_envs=1, env_kwargs=env_kwargs, wrapper_class=seeded_episodes(get_wrapper_class(config)))
    vec_env_wrapper = get_wrapper_class(config, "vec_env_wrapper")
    if vec_env_wrapper is not None:
        env = vec_env_wrapper(env)  # type: ignore[arg-type,assignment]  # rl_zoo3 types it as a gym wrapper
    vec_path = config_dir / "vecnormalize.pkl"
    if config.get("normalize") and not vec_path.is_file():  # as rl_zoo3's create_test_env refuses it
        raise FileNotFoundError(
            f"The run {run} trained with VecNormalize (normalize: {config['normalize']} in {config_path}) but its "
            f"statistics {vec_path} are missing: without them the model sees wrongly scaled observations and its "
            "return means nothing. Put the run's vecnormalize.pkl back (rl_zoo3 writes it beside config.yml)."
        )
    if vec_path.is_file():
        vec = load_vec_normalize(vec_path)
        vec.set_venv(env)
        vec.training, vec.norm_reward = False, False
        env = vec
    if int(config.get("frame_stack") or 0) > 0:
        env = VecFrameStack(env, int(config["frame_stack"]))
    return env


def evaluate_run(
    run: Path,
    env_id: str,
    model: BaseAlgorithm,
    n_episodes: int,
    seed: int,
    expert: Any = None,
    env_kwargs: dict[str, Any] | None = None,
    expert_kwargs: dict[str, Any] | None = None,
) -> dict[str, float]:
    """
    The learner's deterministic return on ``n_episodes`` episodes seeded with ``seed`` and, where ``expert`` is given,
    the expert's on exactly those episodes. Each plays on a new env with the run's frozen VecNormalize statistics: one
    reseeded after the other's episodes would go on from its simulator state (gymnasium's BipedalWalker keeps its
    Box2D world across resets) instead of playing the same episodes.

    :param run: the run folder rl_zoo3 wrote
    :param env_id: the env
    :param model: the learner (a PPOExpert, or any SB3 model)
    :param n_episodes: evaluation episodes of each
    :param seed: seed of the evaluation episodes
    :param expert: the expert (anything :func:`~sb3_aggrevated.experts.load_expert` takes), or None: the learner only
    :param env_kwargs: keyword arguments of the env
    :param expert_kwargs: keyword arguments for :func:`~sb3_aggrevated.experts.load_expert` (``vec_normalize``,
        ``algo``, ``trusted``)
    :return: ``learner_mean``, ``learner_std``, and ``expert_mean``, ``expert_std`` where an expert was given
    """
    env = make_eval_env(run, env_id, env_kwargs)
    env.seed(seed)
    mean, std = evaluate_policy(model, env, n_eval_episodes=n_episodes, deterministic=True)  # type: ignore[misc]
    env.close()
    result = {"learner_mean": float(mean), "learner_std": float(std)}  # type: ignore[arg-type]
    if expert is not None:
        result.update(evaluate_run_expert(run, env_id, expert, n_episodes, seed, env_kwargs, expert_kwargs))
    return result


def evaluate_run_expert(
    run: Path,
    env_id: str,
    expert: Any,
    n_episodes: int,
    seed: int,
    env_kwargs: dict[str, Any] | None = None,
    expert_kwargs: dict[str, Any] | None = None,
) -> dict[str, float]:
    """
    The expert's deterministic return on the episodes :func:`evaluate_run` plays (a new env, the same seed).

    :param run: the run folder rl_zoo3 wrote
    :param env_id: the env
    :param expert: the expert (anything :func:`~sb3_aggrevated.experts.load_expert` takes)
    :param n_episodes: evaluation episodes
    :param seed: seed of the evaluation episodes
    :param env_kwargs: keyword arguments of the env (default: the run's own)
    :param expert_kwargs: keyword arguments for :func:`~sb3_aggrevated.experts.load_expert`
    :return: ``expert_mean``, ``expert_std``
    """
    env = make_eval_env(run, env_id, env_kwargs)
    try:
        mean, std = evaluate_expert(load_expert(expert, env, **(expert_kwargs or {})), env, n_episodes, seed=seed)
    finally:
        env.close()
    return {"expert_mean": mean, "expert_std": std}


def _expert_reference(model: BaseAlgorithm, given: Any) -> tuple[Any, dict[str, Any]]:
    """
    The expert to measure and the keywords to load it with: the one given (with none), else the reference the model
    learned from with the ``expert_kwargs`` it was loaded with (an expert ``vec_normalize`` given by hand, say; on the
    CPU); ``(None, {})`` where there is none.
    """
    if given is not None:
        return given, {}
    reference = getattr(model, "expert_id", None)  # only PPOExpert records one
    if reference is None:
        return None, {}
    return reference, {key: value for key, value in getattr(model, "expert_kwargs", {}).items() if key != "device"}


def _no_reference_note(model: BaseAlgorithm) -> str | None:
    """Why the expert is not measured, where the model names none that can be loaded again."""
    if not isinstance(model, PPOExpert):
        return (
            f"not measured: a {type(model).__name__} model names no expert; pass --expert REF (a path, embedded/NAME "
            "or Hub id) to measure one on the same episodes."
        )
    if model.expert_id is None and model.expert_name is not None:
        return (
            f"not measured: the model learned from the expert {model.expert_name}, given as an object, not as a "
            "reference that can be loaded again; pass --expert REF (a path, embedded/NAME or Hub id) to measure it."
        )
    return None


def load_run_model(run: Path, env_id: str, algo: str = ALGO_NAME) -> BaseAlgorithm:
    """
    The model of an rl_zoo3 run, loaded with its algorithm's class (rl_zoo3's ``ALGOS``; PPOExpert for ``ppo_expert``).

    :param run: the run folder
    :param env_id: the env
    :param algo: rl_zoo3's name of the algorithm that trained it
    :return: the model, on the CPU
    """
    path = run / f"{zoo_name(env_id)}.zip"
    if algo == ALGO_NAME:
        return PPOExpert.load(path, device="cpu")
    from rl_zoo3.utils import ALGOS

    if algo not in ALGOS:
        raise ValueError(f"--algo {algo!r} is not an rl_zoo3 algorithm: use one of {', '.join(sorted(ALGOS))}.")
    # as rl_zoo3.enjoy loads: the training schedules, pickled functions that another Python may not read, are not
    # needed to predict; runs saved in the gym era name gym's classes in their pickles
    unused = {"learning_rate": 0.0, "lr_schedule": ConstantSchedule(0.0), "clip_range": ConstantSchedule(0.0)}
    with _gym_alias():
        return ALGOS[algo].load(path, device="cpu", custom_objects=unused)


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return value


def run_cli(main_fn: Callable[[], Any]) -> None:
    """
    Run a command line entry point, printing a user error (a missing run, file or expert, a value refused) as its
    message on stderr with exit status 1, as argparse does for its own, instead of a traceback.

    :param main_fn: the entry point
    """
    try:
        main_fn()
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("-f", "--folder", default="logs")
    parser.add_argument("--algo", default=ALGO_NAME, help="rl_zoo3's name of the algorithm of the run")
    parser.add_argument("--exp-id", type=int, default=0)
    parser.add_argument("-n", "--n-episodes", type=positive_int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--expert", default=None, help="expert reference (default: the one the model learned from)")
    args = parser.parse_args(argv)

    run = find_run(args.folder, args.algo, args.env, args.exp_id)
    model = load_run_model(run, args.env, args.algo)
    reference, expert_kwargs = _expert_reference(model, args.expert)
    result = evaluate_run(run, args.env, model, args.n_episodes, args.seed)
    result["timesteps"] = model.num_timesteps
    print(
        f"Learner  ({run / zoo_name(args.env)}.zip, {model.num_timesteps} steps): "
        f"{result['learner_mean']:.1f} +- {result['learner_std']:.1f} over {args.n_episodes} episodes"
    )
    if reference is not None:
        try:
            result.update(evaluate_run_expert(run, args.env, reference, args.n_episodes, args.seed, None, expert_kwargs))
        except FileNotFoundError as err:
            if args.expert is not None:
                raise
            raise FileNotFoundError(
                f"{err}\nThe learner's return is above; the expert {reference!r} recorded in the model could not be "
                "loaded: pass --expert REF (a path, embedded/NAME or Hub id) to measure it."
            ) from err
        print(f"Expert   ({reference}): {result['expert_mean']:.1f} +- {result['expert_std']:.1f} on the same episodes")
    elif (note := _no_reference_note(model)) is not None:
        print(f"Expert   ({getattr(model, 'expert_name', None) or 'none'}): {note}")
    return result


if __name__ == "__main__":
    run_cli(main)
