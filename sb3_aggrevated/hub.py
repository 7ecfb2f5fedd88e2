"""
Publishing PPOExpert agents on the Hugging Face Hub, in the RL Zoo's layout, so that
``python -m rl_zoo3.load_from_hub --algo ppo_expert`` + ``rl_zoo3.enjoy`` load them back.

:func:`package_agent` writes what the RL Zoo publishes for its own algorithms (model zip,
``vec_normalize.pkl``, ``config.yml``, ``args.yml``, ``env_kwargs.yml``, ``train_eval_metrics.zip``,
``results.json``, ``replay.mp4`` where rendering works) plus a model card naming the algorithm, the
expert it learned from with that expert's measured return, the expert settings and the learner's return.
The expert itself is never uploaded. :func:`push_to_hub` uploads the folder (``HF_ENDPOINT`` is honoured).

Command line::

    python -m sb3_aggrevated.hub --env Pendulum-v1 -f logs -orga ORG [--repo-name NAME] [--out DIR] [--expert REF]
        [--local-only]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path
from pprint import pformat
from typing import Any

import yaml
from stable_baselines3.common.vec_env import VecEnv

from sb3_aggrevated.callbacks import current_umask
from sb3_aggrevated.evaluate import (
    _expert_reference,
    _no_reference_note,
    evaluate_run,
    find_run,
    make_eval_env,
    positive_int,
    run_cli,
    run_env_kwargs,
    zoo_name,
)
from sb3_aggrevated.ppo_expert import PPOExpert
from sb3_aggrevated.zoo import ALGO_NAME

__all__ = ["package_agent", "push_to_hub", "model_card"]

#: PPOExpert's own settings shown on the model card (schedules and cloning options)
_EXPERT_SETTING_KEYS = (
    "beta",
    "beta_schedule",
    "beta_decay",
    "beta_rollouts",
    "mixing",
    "handover_start",
    "handover_rollouts",
    "handover",
    "bc_coef",
    "bc_schedule",
    "bc_decay",
    "bc_rollouts",
    "bc_follows_handover",
    "bc_loss",
    "bc_buffer_size",
    "bc_batch_size",
    "bc_steps",
    "bc_learning_rate",
    "bc_anchor_from",
    "bc_anchor_coef",
    "bc_skip_info_key",
    "target_kl_from",
    "handover_lr_factor",
    "log_std_from_expert",
    "expert_gae_lambda",
)


def model_card(env_id: str, organization: str, repo_name: str, results: dict[str, Any], hyperparams: dict[str, Any]) -> str:
    """
    The README.md of a published agent (Hub metadata front matter + text).

    :param env_id: the env
    :param organization: Hub organisation or user
    :param repo_name: Hub repository name
    :param results: what ``results.json`` holds (learner and expert returns)
    :param hyperparams: the training hyperparameters (``config.yml``)
    :return: the model card
    """
    expert = results.get("expert") or {}
    metadata = {
        "library_name": "stable-baselines3",
        "tags": [
            env_id,
            "deep-reinforcement-learning",
            "reinforcement-learning",
            "stable-baselines3",
            "sb3-aggrevated",
            "imitation-learning",
        ],
        "model-index": [
            {
                "name": "PPOExpert",
                "results": [
                    {
                        "task": {"type": "reinforcement-learning", "name": "reinforcement-learning"},
                        "dataset": {"name": env_id, "type": env_id},
                        "metrics": [
                            {
                                "type": "mean_reward",
                                "value": f"{results['mean_reward']:.2f} +/- {results['std_reward']:.2f}",
                                "name": "mean_reward",
                                "verified": False,
                            }
                        ],
                    }
                ],
            }
        ],
    }
    expert_settings = {k: hyperparams[k] for k in _EXPERT_SETTING_KEYS if k in hyperparams}
    expert_line = (
        f"{expert['mean_reward']:.2f} +/- {expert['std_reward']:.2f} "
        f"on the same {results['n_eval_episodes']} evaluation episodes"
        if "mean_reward" in expert
        else "not measured"
    )
    # rl_zoo3's -i restarts SB3's step count; PPOExpert's rollout counter (its schedules' index) goes on
    rollouts = results.get("n_rollouts")
    rollouts_text = f" ({rollouts} rollouts in all, counting runs continued with `-i`)" if rollouts is not None else ""
    # rl_zoo3's load_from_hub fetches ORG/ALGO-ENV unless told the repository's name
    name_option = "" if repo_name == f"{ALGO_NAME}-{zoo_name(env_id)}" else f" -name {repo_name}"
    text = f"""---
{yaml.safe_dump(metadata, sort_keys=False)}---

# **PPOExpert** agent playing **{env_id}**

A **PPOExpert** agent ([sb3-aggrevated](https://github.com/) : AggreVaTeD inside PPO, a Stable-Baselines3 plugin)
playing **{env_id}**. It learned from an expert's critic (expert-mixed roll-in, policy gradients on the expert's
advantages), then handed over to ordinary PPO.

| | return (deterministic, {results["n_eval_episodes"]} episodes) |
|---|---|
| this agent | {results["mean_reward"]:.2f} +/- {results["std_reward"]:.2f} |
| expert `{expert.get("id", "unknown")}` | {expert_line} |

- Algorithm: `PPOExpert` (`--algo {ALGO_NAME}`), {results.get("n_timesteps", "unknown")} env steps in its last training
  call{rollouts_text}.
- Expert it learned from: `{expert.get("id", "unknown")}` (not included in this repository).
- Expert settings (schedules count rollouts of n_steps x n_envs steps):

```python
{pformat(expert_settings)}
```

## Usage (with the RL Zoo and sb3-aggrevated installed)

```bash
pip install sb3-aggrevated   # registers --algo {ALGO_NAME} with rl_zoo3
python -m rl_zoo3.load_from_hub --algo {ALGO_NAME} --env {env_id} -orga {organization}{name_option} -f logs/
python -m rl_zoo3.enjoy --algo {ALGO_NAME} --env {env_id} -f logs/
```

## Hyperparameters

```python
{pformat(hyperparams)}
```
"""
    return text


def _record_replay(model: PPOExpert, env: VecEnv, out: Path, video_length: int) -> bool:
    """``replay.mp4`` where rendering and video encoding work here; False (and no file) otherwise."""
    try:
        from stable_baselines3.common.vec_env import VecVideoRecorder

        recorder = VecVideoRecorder(
            env,
            str(out / "videos"),
            record_video_trigger=lambda step: step == 0,
            video_length=video_length,
            name_prefix="replay",
        )
        obs = recorder.reset()
        for _ in range(video_length + 1):
            action, _ = model.predict(obs, deterministic=True)  # type: ignore[arg-type]
            obs, _, _, _ = recorder.step(action)
        recorder.close()
        videos = sorted((out / "videos").glob("*.mp4"))
        if videos:
            shutil.move(str(videos[0]), out / "replay.mp4")
        shutil.rmtree(out / "videos", ignore_errors=True)
        return (out / "replay.mp4").is_file()
    except Exception as err:  # no renderer / no ffmpeg: publish without a video
        print(f"No replay video ({type(err).__name__}: {err}).")
        shutil.rmtree(out / "videos", ignore_errors=True)
        return False


def package_agent(
    env_id: str,
    folder: str | Path = "logs",
    out: str | Path = "hub_package",
    *,
    exp_id: int = 0,
    organization: str = "me",
    repo_name: str | None = None,
    n_eval_episodes: int = 10,
    seed: int = 0,
    video_length: int = 0,
    expert: Any = None,
) -> dict[str, Any]:
    """
    Write a trained PPOExpert run (rl_zoo3 layout, ``FOLDER/ppo_expert/ENV_N``) as a Hub repository folder.

    :param env_id: the env
    :param folder: rl_zoo3's log folder
    :param out: the folder to write: a new or empty one, or a package written before (replaced once the new one
        is complete); a folder holding anything else, or the run, is refused
    :param exp_id: the run (0: the latest)
    :param organization: Hub organisation or user (for the usage lines of the card)
    :param repo_name: Hub repository name (default ``ppo_expert-ENV``)
    :param n_eval_episodes: evaluation episodes for the learner and the expert (same episodes)
    :param seed: seed of the evaluation episodes
    :param video_length: steps of ``replay.mp4`` (0: no video)
    :param expert: the expert to measure (default: the one recorded in the model)
    :return: the content of ``results.json``
    """
    run = find_run(str(folder), ALGO_NAME, env_id, exp_id)
    final = Path(out)
    _check_package_folder(final, run)
    # written beside it and moved into place at the end: a failure leaves a previous package as it was
    final.parent.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    out.chmod(0o777 & ~current_umask())  # mkdtemp's folder is private (0700); the package gets an ordinary folder's mode
    try:
        results = _write_package(run, env_id, out, organization, repo_name, n_eval_episodes, seed, video_length, expert)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    _swap_into_place(out, final)
    return results


def _swap_into_place(new: Path, final: Path) -> None:
    """Move the complete folder ``new`` to ``final``; an earlier package there is deleted only once ``new`` is in place."""
    old = None
    try:
        if final.exists():  # set aside (a rename, on the same file system as ``new``), restored if the move fails
            old = final.with_name(f".{final.name}.old.{uuid.uuid4().hex}")
            final.rename(old)
        new.rename(final)
    except BaseException:
        if old is not None and old.exists():
            old.rename(final)
        shutil.rmtree(new, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


#: What :func:`package_agent` writes besides the model (``ppo_expert-ENV.zip`` and its unzipped folder).
PACKAGE_FILES = frozenset(
    {
        "config.yml",
        "args.yml",
        "env_kwargs.yml",
        "vec_normalize.pkl",
        "train_eval_metrics.zip",
        "results.json",
        "README.md",
        "replay.mp4",
    }
)
#: The model zip and its unzipped folder, named after the algorithm (``ppo_expert-ENV.zip``, ``ppo_expert-ENV/...``).
MODEL_ENTRIES = f"{ALGO_NAME}-*"


def _foreign_entries(folder: Path) -> list[str]:
    """The entries of a package folder that no package holds (a clone's ``.git``, the user's own notes)."""
    return sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.name not in PACKAGE_FILES and not fnmatch.fnmatch(entry.name, MODEL_ENTRIES)
    )


def _is_package(folder: Path) -> bool:
    """Whether ``folder`` is one :func:`package_agent` wrote (its ``results.json`` names PPOExpert)."""
    try:
        return json.loads((folder / "results.json").read_text()).get("algo") == "PPOExpert"
    except (OSError, ValueError, AttributeError):
        return False


def _check_package_folder(out: Path, run: Path) -> None:
    """Refuse an output folder whose replacement would delete anything but an earlier package."""
    out_abs, run_abs = out.resolve(), run.resolve()
    if out_abs == run_abs or out_abs in run_abs.parents or run_abs in out_abs.parents:
        raise ValueError(
            f"The package folder {out} holds or lies inside the run {run}, which packaging would overwrite: choose a "
            "folder outside it (the default is hub/ORG/REPO)."
        )
    if out.exists() and not out.is_dir():
        raise ValueError(f"The package folder {out} is a file: choose a folder (the default is hub/ORG/REPO).")
    if out.is_dir() and any(out.iterdir()) and not _is_package(out):
        raise ValueError(
            f"The package folder {out} is not empty and is not a package written by sb3_aggrevated.hub (no results.json "
            "of a PPOExpert agent): packaging replaces the folder's content, so choose an empty or new folder, or empty "
            "this one yourself."
        )
    if out.is_dir() and (foreign := _foreign_entries(out)):
        raise ValueError(
            f"The package folder {out} holds an earlier package and also {', '.join(foreign)}, which no package holds: "
            "packaging replaces the whole folder and would delete them. Move them out (a clone of the Hub repository "
            "is not a package folder: package into another folder and push from there), or choose another folder."
        )


def _write_package(
    run: Path,
    env_id: str,
    out: Path,
    organization: str,
    repo_name: str | None,
    n_eval_episodes: int,
    seed: int,
    video_length: int,
    expert: Any,
) -> dict[str, Any]:
    """:func:`package_agent`'s files, written into the empty folder ``out``."""
    env_name = zoo_name(env_id)  # rl_zoo3's name of the env in files and repository names ('/' -> '-')
    repo_name = repo_name or f"{ALGO_NAME}-{env_name}"
    config_dir = run / env_name
    env_kwargs = run_env_kwargs(run, env_id)

    # the model (never with its expert: PPOExpert excludes it from the zip), named as rl_zoo3.load_from_hub fetches it
    model_name = f"{ALGO_NAME}-{env_name}"
    shutil.copy(run / f"{env_name}.zip", out / f"{model_name}.zip")
    with zipfile.ZipFile(out / f"{model_name}.zip") as archive:
        archive.extractall(out / model_name)
    for name in ("config.yml", "args.yml"):
        if (config_dir / name).is_file():
            shutil.copy(config_dir / name, out / name)
    (out / "env_kwargs.yml").write_text(yaml.safe_dump(env_kwargs))
    if (config_dir / "vecnormalize.pkl").is_file():
        shutil.copy(config_dir / "vecnormalize.pkl", out / "vec_normalize.pkl")
    with zipfile.ZipFile(out / "train_eval_metrics.zip", "w") as archive:
        for path in list(run.glob("*.monitor.csv")) + list(run.glob("evaluations.npz")):
            archive.write(path, path.name)

    # evaluations: the learner, and its expert on the same episodes
    model = PPOExpert.load(run / f"{env_name}.zip", device="cpu")
    reference, expert_kwargs = _expert_reference(model, expert)
    try:
        readings = evaluate_run(
            run, env_id, model, n_eval_episodes, seed, expert=reference, env_kwargs=env_kwargs, expert_kwargs=expert_kwargs
        )
    except FileNotFoundError as err:
        if expert is not None or reference is None:
            raise
        raise FileNotFoundError(
            f"{err}\nThe expert {reference!r} recorded in the model could not be loaded here (moved, or another "
            "machine): pass --expert REF (package_agent(expert=...): a path, embedded/NAME or Hub id) to measure it "
            "beside the learner."
        ) from err
    results: dict[str, Any] = {
        "env_id": env_id,
        "algo": "PPOExpert",
        "mean_reward": readings["learner_mean"],
        "std_reward": readings["learner_std"],
        "is_deterministic": True,
        "n_eval_episodes": n_eval_episodes,
        "eval_seed": seed,
        "n_timesteps": int(model.num_timesteps),
        "n_rollouts": int(model._n_rollouts),
    }
    if reference is not None:
        results["expert"] = {
            "id": str(reference),
            "mean_reward": readings["expert_mean"],
            "std_reward": readings["expert_std"],
        }
    elif (note := _no_reference_note(model)) is not None:
        results["expert"] = {"id": model.expert_name, "note": note}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    if video_length > 0:
        _record_replay(model, make_eval_env(run, env_id, {**env_kwargs, "render_mode": "rgb_array"}), out, video_length)
    hyperparams = {}
    if (out / "config.yml").is_file():
        from sb3_aggrevated.experts import _zoo_config

        hyperparams = _zoo_config(out / "config.yml")
    (out / "README.md").write_text(model_card(env_id, organization, repo_name, results, hyperparams))
    return results


def push_to_hub(
    local_dir: str | Path, repo_id: str, token: str | None = None, commit_message: str = "Upload PPOExpert agent"
) -> str:
    """
    Upload a folder written by :func:`package_agent` (the Hub endpoint is ``HF_ENDPOINT`` where set).

    The repository's package files are replaced by the folder's in one commit: one that an earlier push uploaded and
    this package lacks is deleted; files the package never writes (``.gitattributes``, the user's own) stay.

    :param local_dir: the folder
    :param repo_id: ``ORG/NAME``
    :param token: Hub token (default: the logged-in one)
    :param commit_message: the commit message
    :return: the commit URL
    """
    from huggingface_hub import HfApi

    local_dir = Path(local_dir)
    if not _is_package(local_dir):
        raise ValueError(
            f"{local_dir} is not a package written by sb3_aggrevated.hub (no results.json of a PPOExpert agent): write "
            "one with package_agent (python -m sb3_aggrevated.hub --local-only) and push that folder."
        )
    api = HfApi(token=token)
    api.create_repo(repo_id, exist_ok=True)
    # the repository becomes this package: files an earlier package uploaded and this one lacks (a replay.mp4 no
    # longer recorded, a file of the model's folder) are deleted in the same commit; other files on the Hub are kept
    info = api.upload_folder(
        folder_path=str(local_dir),
        repo_id=repo_id,
        commit_message=commit_message,
        delete_patterns=[*sorted(PACKAGE_FILES), MODEL_ENTRIES],
    )
    return str(getattr(info, "commit_url", info))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("-f", "--folder", default="logs")
    parser.add_argument("--exp-id", type=int, default=0)
    parser.add_argument("-orga", "--organization", required=True)
    parser.add_argument("--repo-name", default=None)
    parser.add_argument("-n", "--n-eval-episodes", type=positive_int, default=10)
    parser.add_argument("--video-length", type=int, default=1000)
    parser.add_argument("--out", default=None, help="local folder (default: hub/ORG/REPO)")
    parser.add_argument(
        "--expert", default=None, help="expert to measure beside the learner (default: the reference it learned from)"
    )
    parser.add_argument("--local-only", action="store_true", help="write the folder, do not upload")
    args = parser.parse_args(argv)
    repo_name = args.repo_name or f"{ALGO_NAME}-{zoo_name(args.env)}"
    out = Path(args.out or Path("hub") / args.organization / repo_name)
    results = package_agent(
        args.env,
        args.folder,
        out,
        exp_id=args.exp_id,
        organization=args.organization,
        repo_name=repo_name,
        n_eval_episodes=args.n_eval_episodes,
        video_length=args.video_length,
        expert=args.expert,
    )
    print(json.dumps(results, indent=2))
    if not args.local_only:
        print(push_to_hub(out, f"{args.organization}/{repo_name}"))


if __name__ == "__main__":
    run_cli(main)
