"""
PPOExpert against PPO (and against the expert), side by side.

Both algorithms get the same env, seeds, budget, VecNormalize and PPO hyperparameters (the
``hyperparams/ppo_expert.yml`` entry of the env, minus the expert keys for PPO); they differ only in
the expert. Each (algo, seed) run is a process with one torch thread; runs of the same seed go in
parallel, so both algorithms see the same machine load and their frames per second compare as a ratio.

Writes ``OUT/runs/*.json`` (learning curves), ``OUT/results.md`` (table, with this command) and
``OUT/curves.png`` (mean and min-max over seeds, the expert's return as a line).

Example::

    python benchmarks/compare.py --env Pendulum-v1 --seeds 1 2 3 --n-timesteps 30000 --eval-freq 2048 --out docs/bench/pendulum
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shlex
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import yaml

#: the checkout this script belongs to. Its sb3_aggrevated and hyperparams/ are what runs, not an installed copy: a
#: regular install is a snapshot, and an entry edited since would silently not apply (spawned workers inherit sys.path)
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def expert_keys() -> set[str]:
    """PPOExpert's own keywords (those PPO does not take): dropped for the PPO runs."""
    from sb3_aggrevated.ppo_expert import expert_keywords

    return set(expert_keywords())


ZOO_KEYS = ("n_envs", "n_timesteps", "normalize", "policy", "env_wrapper")
EVAL_SEED_BASE = 100_000  # evaluation seeds of the reported runs; tune with --eval-seed set to another value


def load_entry(conf: str | None, env_id: str, overrides: list[str]) -> dict[str, Any]:
    """
    The env's entry of the hyperparameter YAML with ``--params`` on top. A key neither PPOExpert nor the benchmark
    takes, or an item that is not ``key=value``, is a ``ValueError`` (with the closest key), before anything runs.
    """
    from sb3_aggrevated import PPOExpert
    from sb3_aggrevated.ppo_expert import constructor_keywords, unknown_key_hints
    from sb3_aggrevated.zoo import hyperparams_path

    entries = yaml.safe_load(Path(conf or hyperparams_path()).read_text())
    if env_id not in entries:
        raise SystemExit(f"No entry for {env_id} in {conf or hyperparams_path()}")
    entry = {**entries[env_id], **load_entry_overrides(overrides)}
    known = constructor_keywords(PPOExpert) | set(ZOO_KEYS)
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ValueError(
            f"Unknown hyperparameter(s) in the {env_id} entry of {conf or hyperparams_path()} or --params: "
            f"{unknown_key_hints(unknown, known)}."
        )
    return entry


def load_entry_overrides(params: list[str]) -> dict[str, Any]:
    """``--params key=value`` items as a dict (YAML values)."""
    bad = [item for item in params if "=" not in item or item.startswith("=")]
    if bad:
        raise ValueError(
            f"--params / --variants items must be key=value (YAML values), got {', '.join(repr(b) for b in bad)} "
            "(rl_zoo3's -params writes key:value; here it is key=value)."
        )
    return {key: yaml.safe_load(value) for key, value in (item.split("=", 1) for item in params)}


def _schedule(value: Any) -> Any:
    from rl_zoo3.utils import linear_schedule

    if isinstance(value, str) and value.startswith("lin_"):
        return linear_schedule(float(value[4:]))
    return value


def _with_schedules(hyperparams: dict[str, Any]) -> dict[str, Any]:
    """``hyperparams`` with rl_zoo3's ``lin_X`` strings of ``learning_rate`` and ``clip_range`` made schedules."""
    return {key: _schedule(value) if key in ("learning_rate", "clip_range") else value for key, value in hyperparams.items()}


def build(algo: str, env_id: str, entry: dict[str, Any], seed: int, eval_seed: int = EVAL_SEED_BASE, threads: int = 1):
    """The model, as rl_zoo3 would build it for this entry, and a function making its eval env (see ``evaluate``).
    ``threads``: torch's intra-op threads (1 for every learning benchmark: two runs share the 2 cores)."""
    import torch as th
    from rl_zoo3.utils import get_wrapper_class
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    from sb3_aggrevated import PPOExpert, TanhGaussianPolicy

    th.set_num_threads(threads)
    hp = _with_schedules({k: v for k, v in entry.items() if k not in ZOO_KEYS})
    if isinstance(hp.get("policy_kwargs"), str):
        hp["policy_kwargs"] = eval(hp["policy_kwargs"], {"nn": th.nn, "th": th, "dict": dict})  # as rl_zoo3 does
    # the entry's env_wrapper (rl_zoo3's key and format) wraps the training envs only, inside their Monitor: the
    # training log and every evaluation read the env's own return
    env = make_vec_env(env_id, n_envs=entry.get("n_envs", 1), seed=seed, wrapper_class=get_wrapper_class(entry))
    if entry.get("normalize"):
        env = VecNormalize(env, gamma=hp.get("gamma", 0.99))
    policy = entry.get("policy", "MlpPolicy")
    if algo == "ppo":
        hp = {k: v for k, v in hp.items() if k not in expert_keys()}
        model = PPO(TanhGaussianPolicy if policy == "TanhMlpPolicy" else policy, env, seed=seed, device="cpu", **hp)
    else:
        model = PPOExpert(policy, env, seed=seed, device="cpu", **hp)
    return model, partial(make_eval_env, env_id, bool(entry.get("normalize")), eval_seed + seed)


# How make_eval_env chooses the episodes, recorded with readings that others may reuse (evaluate_more.py's
# --expert-from): episode i starts from seed eval_seed + i (EpisodeSeeds, since commit 1b418ec; before it only the
# first episode was seeded, the same eval seed giving other episodes). Change it with make_eval_env.
EPISODE_SEEDS = "eval_seed + i"


def make_eval_env(env_id: str, normalize: bool, seed: int):
    """A new evaluation env (frozen VecNormalize where the entry normalises; ``evaluate`` syncs its statistics)."""
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    from sb3_aggrevated.callbacks import EpisodeSeeds

    eval_env = make_vec_env(env_id, n_envs=1, seed=seed, wrapper_class=EpisodeSeeds)  # every episode seeded
    return VecNormalize(eval_env, training=False, norm_reward=False) if normalize else eval_env


def evaluate(model, make_eval_env, n_episodes: int, eval_seed: int = EVAL_SEED_BASE) -> tuple[float, float]:
    """Deterministic return of ``model`` over ``n_episodes`` episodes seeded with ``eval_seed``, on a new env from
    ``make_eval_env`` (the function ``build`` returns), closed after it. Only a new env plays exactly the same
    episodes every time: seeding fixes the start states and terrain, but an env whose reset keeps simulator state
    goes on from it (gymnasium 1.x's BipedalWalker keeps its Box2D world across resets, so the same policy on a
    reseeded env can end its episodes differently)."""
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import sync_envs_normalization

    env = make_eval_env()
    try:
        sync_envs_normalization(model.get_env(), env)
        env.seed(eval_seed)  # the same episodes at every point and for every algorithm
        mean, std = evaluate_policy(model, env, n_eval_episodes=n_episodes, deterministic=True)
    finally:
        env.close()
    return float(mean), float(std)


def evaluate_expert(env_id: str, entry: dict[str, Any], n_episodes: int, eval_seed: int = EVAL_SEED_BASE) -> dict[str, float]:
    """The expert's own return on the same evaluation episodes (raw observations, its own normalisation)."""
    from sb3_aggrevated.callbacks import evaluate_expert as play
    from sb3_aggrevated.experts import load_expert

    env = make_eval_env(env_id, False, eval_seed)  # the learners' evaluation env; the expert normalises on its own
    expert = load_expert(entry["expert"], env, **(entry.get("expert_kwargs") or {}))
    mean, std = play(expert, env, n_episodes, seed=eval_seed)
    return {"mean": mean, "std": std, "n_episodes": n_episodes}


def model_files(base: str | Path) -> tuple[Path, Path]:
    """The files ``--save-models`` writes for one run: ``BASE.zip`` and its VecNormalize statistics."""
    base = str(base).removesuffix(".zip")
    return Path(base + ".zip"), Path(base + "_vecnormalize.pkl")


def bc_data_file(base: str | Path) -> Path:
    """PPOExpert's aggregated cloning dataset that ``--save-models`` writes next to ``BASE.zip`` (where it has one)."""
    return Path(str(base).removesuffix(".zip") + "_bc_data.npz")


def init_paths(template: str, seed: int) -> tuple[Path, Path]:
    """The saved model and its VecNormalize statistics that ``--init-from TEMPLATE`` reads for one seed."""
    return model_files(template.format(seed=seed))


def load_stats(model, stats_path: Path) -> None:
    """Give ``model``'s VecNormalize (where its env has one) the statistics ``--save-models`` saved with a model.
    The return statistics scale rewards by the spread of the discounted return at the saved run's ``gamma``: where
    ``--params gamma=...`` changes it, the observation statistics are carried over and the return statistics start
    anew (they would otherwise take millions of steps to move to the new return's spread)."""
    from stable_baselines3.common.running_mean_std import RunningMeanStd

    from sb3_aggrevated.experts import load_vec_normalize

    vec_normalize = model.get_vec_normalize_env()
    if vec_normalize is not None:
        saved = load_vec_normalize(stats_path)
        vec_normalize.obs_rms, vec_normalize.ret_rms = saved.obs_rms, saved.ret_rms
        if saved.gamma != vec_normalize.gamma:
            vec_normalize.ret_rms = RunningMeanStd(shape=())
            print(
                f"{stats_path}: saved with gamma={saved.gamma}, this run uses gamma={vec_normalize.gamma}: "
                "the reward scaling's return statistics start anew",
                flush=True,
            )


def init_from(model, template: str, seed: int) -> Path:
    """Start ``model`` from a saved model of the same architecture: its weights, its optimizer's state and, where
    the env is normalised, its VecNormalize statistics (the saved run's step counter and schedules are not carried
    over: the new run counts its own steps from 0). Returns the model file read."""
    zip_path, stats_path = init_paths(template, seed)
    model.set_parameters(str(zip_path), exact_match=True, device="cpu")
    load_stats(model, stats_path)
    return zip_path


def saved_run(zip_path: Path) -> dict[str, Any]:
    """What ``--resume-from`` needs to know of a saved model before anything runs: its step count and whether
    PPOExpert saved it (its rollout counter is in the file). Reads the zip's JSON only, no weights."""
    from sb3_aggrevated.experts import _read_zip_metadata

    data = _read_zip_metadata(zip_path)
    return {"num_timesteps": int(data.get("num_timesteps", 0)), "ppo_expert": "_n_rollouts" in data}


def saved_log_std(zip_path: Path) -> bool:
    """Whether a saved model's policy has a state-independent ``log_std`` parameter (what ``--freeze-log-std`` holds):
    the keys of the zip's ``policy.pth``, without building the model or reading its cloning dataset."""
    import io
    import zipfile

    import torch as th

    with zipfile.ZipFile(zip_path) as archive:
        weights = th.load(io.BytesIO(archive.read("policy.pth")), map_location="cpu", weights_only=True)
    return "log_std" in weights


# what a resumed run cannot change: the env and the network it was built with, and the rollout size its schedules count
# (a training-env wrapper can change: it is applied to the new envs, not to the saved model)
RESUME_FIXED_KEYS = (*(key for key in ZOO_KEYS if key != "env_wrapper"), "policy_kwargs", "n_steps")


def resume_overrides(algo: str, params: list[str]) -> dict[str, Any]:
    """The ``--params`` of a ``--resume-from`` run, as keyword arguments of ``load()`` (set on top of the saved
    hyperparameters). Raises ``ValueError`` on a key the algorithm does not take or a resumed run cannot change."""
    from stable_baselines3 import PPO

    from sb3_aggrevated import PPOExpert
    from sb3_aggrevated.ppo_expert import constructor_keywords

    known = constructor_keywords(PPOExpert if algo == "ppo_expert" else PPO)
    overrides = load_entry_overrides(params)
    overrides.pop("env_wrapper", None)  # wraps the new envs (build), not a parameter of the model
    for key in overrides:
        if key in RESUME_FIXED_KEYS:
            raise ValueError(
                f"--params {key}: a resumed run keeps the saved run's {', '.join(RESUME_FIXED_KEYS)}; "
                "start a new run (or --init-from) to change it."
            )
        if key not in known:
            raise ValueError(f"--params {key}: not a parameter of {algo}; a resumed run takes the algorithm's own keys.")
    return _with_schedules(overrides)


def resume_from(model, template: str, seed: int, entry: dict[str, Any], overrides: dict[str, Any] | None = None):
    """Continue a run saved by ``--save-models`` on ``model``'s env: the saved model whole (weights, optimizer state,
    hyperparameters, step count, and PPOExpert's rollout counter, so its schedules go on where they were) with its
    VecNormalize statistics, and PPOExpert's aggregated cloning dataset where ``--save-models`` wrote one (else it
    refills from the next rollouts). ``overrides`` (``--params``) are set on top of the saved hyperparameters. Not
    carried over: the random generators of numpy and torch. Returns the loaded model and the file read."""
    from sb3_aggrevated import PPOExpert

    zip_path, stats_path = init_paths(template, seed)
    expert = {}
    if isinstance(model, PPOExpert):
        expert = {"expert": entry["expert"], "expert_kwargs": entry.get("expert_kwargs") or {}}
    # an expert given in --params is in the entry already (load_entry merged it): the entry's is the one to pass
    kwargs = {**expert, **{key: value for key, value in (overrides or {}).items() if key not in expert}}
    loaded = type(model).load(zip_path, env=model.get_env(), device="cpu", **kwargs)
    load_stats(loaded, stats_path)
    if isinstance(loaded, PPOExpert) and loaded.bc_buffer_size > 0 and bc_data_file(zip_path).is_file():
        loaded.load_replay_buffer(bc_data_file(zip_path))
    return loaded, zip_path


NO_LOG_STD = "(its std is state-dependent, or its actions are discrete)."


def freeze_log_std(model) -> None:
    """Keep the policy's state-independent log standard deviation where it starts (the saved run's, for a resumed
    one): PPO's updates no longer change the exploration noise (a probe of the noise collapsing after the hand-over).
    The optimizer skips a parameter without a gradient."""
    import torch as th

    log_std = getattr(model.policy, "log_std", None)
    if not isinstance(log_std, th.nn.Parameter):
        raise ValueError(
            f"--freeze-log-std: {type(model.policy).__name__} has no state-independent log_std parameter to freeze "
            + NO_LOG_STD
        )
    log_std.requires_grad_(False)


def exit_with_parent(parent_pid: int, interval: float = 1.0) -> None:
    """
    Pool initializer: end this worker once the process that started it is gone. A spawned worker outlives a main
    process killed by a signal (``kill``, ``pkill -f compare.py``, which does not match the worker's command line) and
    would go on training, writing into folders a later run may reuse.

    :param parent_pid: the main process
    :param interval: seconds between checks
    """
    import threading

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit_with_parent").start()


def run_one(job: dict[str, Any]) -> dict[str, Any]:
    from stable_baselines3.common.callbacks import BaseCallback

    algo, env_id, seed, entry = job["algo"], job["env_id"], job["seed"], job["entry"]
    model, eval_env = build(algo, env_id, entry, seed, job["eval_seed"])
    started_from = init_from(model, job["init_from"], seed) if job.get("init_from") else None
    resumed_from = None
    if job.get("resume_from"):
        overrides = resume_overrides(algo, job.get("params", []))
        model, resumed_from = resume_from(model, job["resume_from"], seed, entry, overrides)
    if job.get("freeze_log_std"):
        freeze_log_std(model)
    start_steps = model.num_timesteps
    # a started or resumed run's first point is the saved model as saved: read before learn(), whose reset of the
    # training envs adds their first observations to the loaded VecNormalize statistics
    first_point = None
    if (started_from or resumed_from) and not job.get("eval_from"):
        first_point = (start_steps, *evaluate(model, eval_env, job["eval_episodes"], job["eval_seed"]))

    class Evaluate(BaseCallback):
        """Evaluates every eval_freq env steps inside one learn() call (schedules see the whole budget)."""

        def __init__(self):
            super().__init__()
            self.curve: list = []
            # the first evaluation at or after eval_from (a multiple of eval_freq), 0: from the start
            self.next_eval = max(job["eval_freq"], -(-job.get("eval_from", 0) // job["eval_freq"]) * job["eval_freq"])
            self.eval_time = 0.0

        def _evaluate(self, point: tuple | None = None) -> None:
            start = time.perf_counter()
            steps, mean, std = point or (
                self.model.num_timesteps,
                *evaluate(self.model, eval_env, job["eval_episodes"], job["eval_seed"]),
            )
            self.eval_time += time.perf_counter() - start
            self.curve.append((steps, mean, std))
            print(f"[{algo} seed {seed}] {steps} steps: {mean:.1f} +- {std:.1f}", flush=True)

        def _on_training_start(self) -> None:
            # a resumed run: its first point is the saved model, the next ones on the grid above its step count
            self.next_eval = max(self.next_eval, (self.model.num_timesteps // job["eval_freq"] + 1) * job["eval_freq"])
            if not job.get("eval_from"):
                self._evaluate(first_point)

        def _on_step(self) -> bool:
            return True

        def _on_rollout_start(self) -> None:
            # after the update on every rollout so far: the point at N steps is the policy that N env steps
            # produced (SB3's EvalCallback evaluates inside the rollout, before its update: one rollout behind)
            if self.model.num_timesteps >= self.next_eval:
                self._evaluate()
                while self.next_eval <= self.model.num_timesteps:
                    self.next_eval += job["eval_freq"]

    from stable_baselines3.common.logger import configure

    # SB3's own training log (progress.csv: losses, beta, hand-over weight, std) next to the curves
    model.set_logger(configure(str(Path(job["out"], "logs", f"{algo}_seed{seed}")), ["csv"]))
    callback = Evaluate()
    start = time.perf_counter()
    # a resumed run trains up to --n-timesteps in all, its step count going on from the saved one
    model.learn(job["n_timesteps"] - start_steps, callback=callback, reset_num_timesteps=resumed_from is None)
    train_time = time.perf_counter() - start - callback.eval_time
    if not callback.curve or callback.curve[-1][0] != model.num_timesteps:
        callback._evaluate()
    fps = (model.num_timesteps - start_steps) / train_time
    import sb3_aggrevated

    result = {"algo": algo, "env_id": env_id, "seed": seed, "curve": callback.curve, "fps": fps}
    # what a report rebuilt later (--report-only, over runs of several invocations) states of each run
    result.update(eval_episodes=job["eval_episodes"], command=job.get("command"), invocation=job.get("invocation"))
    # what was trained: the package's source, the entry with the overrides, and the networks' widths as built
    result["source"] = str(Path(sb3_aggrevated.__file__).resolve().parent)
    plain = (bool, int, float, str, type(None))
    result["entry"] = {key: value if isinstance(value, plain) else repr(value) for key, value in entry.items()}
    result["net_arch"] = {
        name: [layer.out_features for layer in net if hasattr(layer, "out_features")]
        for name, net in (("pi", model.policy.mlp_extractor.policy_net), ("vf", model.policy.mlp_extractor.value_net))
    }
    if started_from is not None:
        result["init_from"] = str(started_from)
    if resumed_from is not None:
        result["resumed_from"] = str(resumed_from)
    if job.get("final_eval_episodes"):
        # the same episodes as the curve's points first, then more: one final reading with a smaller standard error
        mean, std = evaluate(model, eval_env, job["final_eval_episodes"], job["eval_seed"])
        result["final_eval"] = {"mean": mean, "std": std, "n_episodes": job["final_eval_episodes"]}
    if job.get("save_model"):
        models = Path(job["out"], "models")
        models.mkdir(parents=True, exist_ok=True)
        zip_path, stats_path = model_files(models / f"{algo}_seed{seed}")
        model.save(zip_path)
        vec_normalize = model.get_vec_normalize_env()
        if vec_normalize is not None:
            vec_normalize.save(str(stats_path))
        if getattr(model, "bc_buffer_size", 0) > 0:  # PPOExpert's aggregated cloning dataset, for --resume-from
            model.save_replay_buffer(bc_data_file(zip_path))
    Path(job["out"], "runs").mkdir(parents=True, exist_ok=True)
    Path(job["out"], "runs", f"{algo}_seed{seed}.json").write_text(json.dumps(result))
    return result


def steps_to(curve: list, threshold: float) -> int | None:
    return next((int(steps) for steps, mean, _ in curve if mean >= threshold), None)


def _median_steps(reach: list[int | None]) -> float | None:
    """Median over seeds of the steps to a threshold, a seed that never reached it counting as infinite;
    None where the median itself is not reached."""
    median = float(np.median([np.inf if steps is None else steps for steps in reach]))
    return median if np.isfinite(median) else None


def _median_steps_lower_bound(reach: list[int | None], last_steps: list[int]) -> float:
    """A lower bound of that median where it is not reached: a seed that never reached the threshold counts with its
    last evaluated step (it needs more). With an even number of seeds and one middle seed short of it, the median
    is the mean of the two middle seeds, so it is bounded by this, not by the budget."""
    return float(np.median([last if steps is None else steps for steps, last in zip(reach, last_steps, strict=True)]))


def _eval_episodes(results: list[dict]) -> str:
    """The evaluation episodes per point, as ``N episodes`` where every run agrees, else per run."""
    counts = {r["eval_episodes"] for r in results}
    if len(counts) == 1:
        return f"{counts.pop()} episodes"
    return (
        "episodes differing by run ("
        + ", ".join(
            f"{r['algo']} seed {r['seed']}: {r['eval_episodes']}"
            for r in sorted(results, key=lambda r: (r["algo"], r["seed"]))
        )
        + ")"
    )


def report(
    out: Path, env_id: str, results: list[dict], expert: dict, threshold: float, command: str, near: float = 0.05
) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    algos = sorted({r["algo"] for r in results}, key=lambda a: a != "ppo_expert")
    near_threshold = expert["mean"] - near * abs(expert["mean"])
    lines = [
        f"# {env_id}: PPOExpert vs PPO",
        "",
        f"Command: `{command}`",
        "",
        f"Expert on the same evaluation episodes: {expert['mean']:.1f} +- {expert['std']:.1f} "
        f"({expert['n_episodes']} episodes).",
        f"Threshold: {threshold:.1f}. Deterministic evaluation, {_eval_episodes(results)} per point.",
        f"Near the expert: {near_threshold:.1f} (within {near:.0%} of the expert's return).",
        *(
            [
                "Hidden layers as built (actor / critic): "
                + "; ".join(
                    f"{algo} {'/'.join(str(widths) for widths in arch.values())}" for algo, arch in sorted(archs.items())
                )
                + "."
            ]
            if (archs := {r["algo"]: r["net_arch"] for r in results if r.get("net_arch")})
            else []
        ),
        *(
            [f"Curves evaluated from step {first} on (--eval-from): steps to a threshold count from there only."]
            if (first := min(int(r["curve"][0][0]) for r in results)) > 0 and not any(r.get("resumed_from") for r in results)
            else []
        ),
        *(
            [f"Runs started from saved models (--init-from): {', '.join(sorted(starts))}; steps count from there."]
            if (starts := {r["init_from"] for r in results if r.get("init_from")})
            else []
        ),
        *(
            [
                f"Runs resumed from saved models (--resume-from): {', '.join(sorted(resumed))}; steps count on from "
                "theirs, and steps to a threshold count from the first point of this invocation."
            ]
            if (resumed := {r["resumed_from"] for r in results if r.get("resumed_from")})
            else []
        ),
        "",
        "| algo | seeds | final return (mean +- sample std over seeds) | steps to threshold (per seed) | median steps "
        f"| steps to within {near:.0%} of the expert (per seed) | median steps | fps |",
        "|---|---|---|---|---|---|---|---|",
    ]
    medians, near_medians = {}, {}
    lower_bounds: dict[str, dict[str, float]] = {"threshold": {}, "near": {}}  # where a median is not reached
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for algo in algos:
        runs = sorted((r for r in results if r["algo"] == algo), key=lambda r: r["seed"])
        finals = [r["curve"][-1][1] for r in runs]
        reach = [steps_to(r["curve"], threshold) for r in runs]
        medians[algo] = _median_steps(reach)
        reach_near = [steps_to(r["curve"], near_threshold) for r in runs]
        near_medians[algo] = _median_steps(reach_near)
        last_steps = [int(r["curve"][-1][0]) for r in runs]
        lower_bounds["threshold"][algo] = _median_steps_lower_bound(reach, last_steps)
        lower_bounds["near"][algo] = _median_steps_lower_bound(reach_near, last_steps)
        fps = np.mean([r["fps"] for r in runs])
        lines.append(
            f"| {algo} | {', '.join(str(r['seed']) for r in runs)} | {np.mean(finals):.1f} +- "
            f"{f'{np.std(finals, ddof=1):.1f}' if len(finals) > 1 else 'n/a (one seed)'} | "
            f"{', '.join('not reached' if s is None else str(s) for s in reach)} | "
            f"{'n/a' if medians[algo] is None else int(medians[algo])} | "
            f"{', '.join('not reached' if s is None else str(s) for s in reach_near)} | "
            f"{'n/a' if near_medians[algo] is None else int(near_medians[algo])} | {fps:.0f} |"
        )
        steps = np.array([p[0] for p in runs[0]["curve"]])
        n = min(len(r["curve"]) for r in runs)
        means = np.array([[p[1] for p in r["curve"][:n]] for r in runs])
        ax.plot(steps[:n], means.mean(axis=0), label=algo)
        ax.fill_between(steps[:n], means.min(axis=0), means.max(axis=0), alpha=0.2)
    ax.axhline(expert["mean"], color="k", linestyle="--", label="expert")
    ax.set_xlabel("env steps")
    ax.set_ylabel("return (deterministic eval)")
    ax.set_title(env_id)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=100)
    fps_by_algo = {a: np.mean([r["fps"] for r in results if r["algo"] == a]) for a in algos}
    lines.append("")
    if "ppo" in fps_by_algo and "ppo_expert" in fps_by_algo:
        ratio = fps_by_algo["ppo_expert"] / fps_by_algo["ppo"]
        if len(invocations := {r.get("invocation") for r in results}) == 1 and None not in invocations:
            lines.append(f"FPS ratio PPOExpert / PPO (one invocation: the runs shared the machine's load): {ratio:.2f}.")
        else:  # a report rebuilt over runs of several invocations, or of runs that did not record theirs
            lines.append(
                f"FPS ratio PPOExpert / PPO over runs of different invocations, or not recorded as one (not side by side: "
                f"the loads may have differed): {ratio:.2f}."
            )
    commands = {r.get("command") for r in results}
    if commands != {command}:  # each run's own command, where they differ from this report's
        lines += ["", "Runs' own commands:", ""]
        for run_command in sorted(commands, key=str):
            runs = sorted((r for r in results if r.get("command") == run_command), key=lambda r: (r["algo"], r["seed"]))
            which = ", ".join(f"{r['algo']} seed {r['seed']}" for r in runs)
            lines.append(f"- {which}: " + (f"`{run_command}`" if run_command else "not recorded (runs before it was)"))
    for label, meds, bounds in (
        ("threshold", medians, lower_bounds["threshold"]),
        (f"within {near:.0%} of the expert", near_medians, lower_bounds["near"]),
    ):
        if meds.get("ppo_expert") and meds.get("ppo"):
            lines.append(f"Median steps to {label}, PPOExpert / PPO: {meds['ppo_expert'] / meds['ppo']:.3f}.")
        elif meds.get("ppo_expert") and "ppo" in meds:
            # PPO's median is not reached: it exceeds the median with each unreached seed at its last evaluated step
            lines.append(
                f"Median steps to {label}, PPOExpert / PPO: < {meds['ppo_expert'] / bounds['ppo']:.3f} "
                f"(PPO's median is not reached: it is above {bounds['ppo']:.0f} steps, the median with each seed that "
                "did not reach it counted at its last evaluated step)."
            )
    finals = [r for r in results if "final_eval" in r]
    if finals:
        n_final = finals[0]["final_eval"]["n_episodes"]
        lines += ["", f"Final evaluation on {n_final} episodes (the first {results[0]['eval_episodes']} are the curve's):", ""]
        if "final" in expert:
            lines.append(f"- expert: {expert['final']['mean']:.1f} +- {expert['final']['std']:.1f}")
        for r in sorted(finals, key=lambda r: (r["algo"] != "ppo_expert", r["seed"])):
            lines.append(f"- {r['algo']} seed {r['seed']}: {r['final_eval']['mean']:.1f} +- {r['final_eval']['std']:.1f}")
    lines.append("")
    lines.append("![curves](curves.png)")
    text = "\n".join(lines) + "\n"
    (out / "results.md").write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--algos", nargs="+", default=["ppo_expert", "ppo"], choices=["ppo_expert", "ppo"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--n-timesteps", type=int, required=True)
    parser.add_argument("--eval-freq", type=int, required=True, help="env steps between evaluations")
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument(
        "--eval-from",
        type=int,
        default=0,
        help="first evaluation at this step (rounded up to the --eval-freq grid): extends a known curve without "
        "re-evaluating its start (evaluation does not touch the training's random state, so training is the same)",
    )
    parser.add_argument("--threshold", type=float, default=None, help="return to reach (default: the expert's mean)")
    parser.add_argument(
        "--eval-seed",
        type=int,
        default=EVAL_SEED_BASE,
        help="seed of the evaluation episodes (keep the default for reported runs, use another one for tuning)",
    )
    parser.add_argument("--near", type=float, default=0.05, help="also report steps to within this fraction of the expert")
    parser.add_argument("--conf", default=None, help="hyperparameter YAML (default: the packaged ppo_expert.yml)")
    parser.add_argument("--params", nargs="*", default=[], help="overrides key=value (YAML values), for both algorithms")
    parser.add_argument(
        "--final-eval-episodes",
        type=int,
        default=0,
        help="also evaluate the final models and the expert on this many episodes (0: no final evaluation)",
    )
    parser.add_argument("--save-models", action="store_true", help="save the final models (and VecNormalize) in OUT/models")
    parser.add_argument(
        "--init-from",
        default=None,
        help="start every run from a model saved by --save-models, as a path template with {seed} "
        "(e.g. docs/bench/X/models/ppo_expert_seed{seed}): its weights, optimizer state and VecNormalize statistics; "
        "the architecture must match",
    )
    parser.add_argument(
        "--resume-from",
        default=None,
        help="continue runs saved by --save-models (path template with {seed}, saved by the same algorithm): the "
        "saved model whole, with its step count, hyperparameters, VecNormalize statistics and PPOExpert's rollout "
        "counter (its schedules go on), and the aggregated cloning dataset where it was saved; --n-timesteps is then "
        "the total to reach, and of the entry only --params apply, set on top of the saved hyperparameters (not the env, "
        "network or n_steps). Not carried over: the random generators' states",
    )
    parser.add_argument(
        "--freeze-log-std",
        action="store_true",
        help="keep the policy's log standard deviation where the run starts (the saved one with --resume-from): "
        "PPO's updates do not change the exploration noise",
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", required=True)
    parser.add_argument("--report-only", action="store_true", help="rebuild the report from OUT/runs")
    args = parser.parse_args()

    if not 0 <= args.eval_from < args.n_timesteps:
        parser.error(
            f"--eval-from {args.eval_from}: must be >= 0 and below --n-timesteps {args.n_timesteps} "
            "(0 evaluates from the start)."
        )
    if args.init_from and args.resume_from:
        parser.error("--init-from and --resume-from exclude each other: start afresh from weights, or continue a run.")
    for option, value, lowest in (
        ("--eval-freq", args.eval_freq, 1),
        ("--eval-episodes", args.eval_episodes, 1),
        ("--final-eval-episodes", args.final_eval_episodes, 0),
        ("--n-jobs", args.n_jobs, 1),
        ("--n-timesteps", args.n_timesteps, 1),
    ):
        if value < lowest:
            parser.error(f"{option} must be >= {lowest}, got {value}.")
    start_option, template = ("--init-from", args.init_from) if args.init_from else ("--resume-from", args.resume_from)
    if args.resume_from and not args.report_only:
        for algo in args.algos:
            try:
                resume_overrides(algo, args.params)
            except ValueError as error:
                parser.error(str(error))
    try:
        entry = load_entry(args.conf, args.env, args.params)
    except ValueError as error:
        parser.error(str(error))
    if template and not args.report_only:  # refused before anything is written or trained
        for seed in args.seeds:
            zip_path, stats_path = init_paths(template, seed)
            if not zip_path.is_file():
                parser.error(f"{start_option}: no saved model {zip_path} for seed {seed} (save one with --save-models).")
            if entry.get("normalize") and not stats_path.is_file():
                parser.error(f"{start_option}: {args.env} is normalised but {stats_path} is missing (saved with the model).")
            if not entry.get("normalize") and stats_path.is_file():
                parser.error(
                    f"{start_option}: {zip_path} was trained on normalised observations ({stats_path}) but this "
                    f"{args.env} entry is not normalised, so the model would see raw ones: set normalize: true in the "
                    "entry (--conf FILE, or --params normalize=true with --init-from)."
                )
            if not args.resume_from:
                continue
            if args.freeze_log_std and not saved_log_std(zip_path):  # the saved model's own policy
                parser.error(f"--freeze-log-std: {zip_path} has no state-independent log_std parameter to freeze {NO_LOG_STD}")
            saved = saved_run(zip_path)
            saved_by, name = ("ppo_expert", "PPOExpert") if saved["ppo_expert"] else ("ppo", "PPO")
            if args.algos != [saved_by]:
                parser.error(
                    f"--resume-from: {zip_path} was saved by {name}; resume it with --algos {saved_by} alone "
                    "(--init-from starts another algorithm from its weights)."
                )
            if args.n_timesteps <= saved["num_timesteps"]:
                parser.error(
                    f"--resume-from: {zip_path} has trained {saved['num_timesteps']} steps already; --n-timesteps is "
                    f"the total to reach, so it must be above that (got {args.n_timesteps})."
                )
    if args.freeze_log_std and not args.report_only and not args.resume_from:  # resumed runs: checked above
        for algo in args.algos:  # the policy the entry builds (--init-from loads weights into it)
            model, _ = build(algo, args.env, entry, args.seeds[0], args.eval_seed)
            try:
                freeze_log_std(model)
            except ValueError as error:
                parser.error(f"{algo}: {error}")
            del model
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    expert_file = out / "expert.json"
    if args.report_only and expert_file.is_file():
        expert = json.loads(expert_file.read_text())
    else:
        # exactly the learners' evaluation episodes
        expert = evaluate_expert(args.env, entry, args.eval_episodes, args.eval_seed)
        if args.final_eval_episodes:
            expert["final"] = evaluate_expert(args.env, entry, args.final_eval_episodes, args.eval_seed)
        expert_file.write_text(json.dumps(expert))
    print(f"expert: {expert}", flush=True)
    command = "python benchmarks/compare.py " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "--report-only")
    invocation = f"{os.getpid()}-{time.time():.0f}"  # runs of one invocation shared the machine's load
    jobs = [
        dict(
            algo=a,
            env_id=args.env,
            seed=s,
            entry=entry,
            n_timesteps=args.n_timesteps,
            eval_freq=args.eval_freq,
            eval_from=args.eval_from,
            eval_episodes=args.eval_episodes,
            eval_seed=args.eval_seed,
            final_eval_episodes=args.final_eval_episodes,
            save_model=args.save_models,
            command=command,
            invocation=invocation,
            init_from=args.init_from,
            resume_from=args.resume_from,
            freeze_log_std=args.freeze_log_std,
            params=args.params,
            out=str(out),
        )
        for s in args.seeds
        for a in args.algos
    ]
    if args.report_only:
        results = [json.loads(p.read_text()) for p in sorted((out / "runs").glob("*.json"))]
    else:
        with mp.get_context("spawn").Pool(args.n_jobs, initializer=exit_with_parent, initargs=(os.getpid(),)) as pool:
            results = pool.map(run_one, jobs, chunksize=1)
    for r in results:
        r.setdefault("eval_episodes", args.eval_episodes)  # runs from before runs recorded it: as this command says
    threshold = args.threshold if args.threshold is not None else expert["mean"]
    print(report(out, args.env, results, expert, threshold, command, near=args.near))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
