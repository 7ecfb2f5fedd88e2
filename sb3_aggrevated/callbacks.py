"""
Callbacks for learning from an expert: evaluation against the expert's own return (with early stop
at a fraction of expert level) and the learner-to-expert action distance on visited states.

Usable from Python and from rl_zoo3 YAML, e.g.::

    callback:
      - sb3_aggrevated.callbacks.ExpertEvalCallback:
          eval_env: Pendulum-v1
          eval_freq: 10000
          stop_at_expert_fraction: 1.0
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import pickle
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from stable_baselines3.common.callbacks import BaseCallback, CheckpointCallback, EvalCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecEnv, VecNormalize, sync_envs_normalization, unwrap_vec_normalize

from sb3_aggrevated.experts import Expert, load_expert

__all__ = [
    "EpisodeSeeds",
    "seeded_episodes",
    "ExpertEvalCallback",
    "ExpertActionDistanceCallback",
    "AtomicCheckpointCallback",
    "evaluate_expert",
    "atomic_write",
    "latest_checkpoint",
    "checkpoint_replay_buffer",
]


def current_umask() -> int:
    """The process's umask, for files and folders that ``tempfile`` creates private but that should get an ordinary
    file's or folder's mode: read from ``/proc/self/status`` where Linux gives it, else by setting it and setting it
    back at once (a moment in which another thread creating a file would get 022)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """
    Write ``data`` to ``path`` so that a crash at any moment leaves either the old file or the new one,
    never a truncated one: write a temporary file in the same folder, flush it to disk, rename it.

    :param path: destination
    :param data: content
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as file:  # closes the descriptor whatever follows
            # an ordinary file's mode, as open() gives (mkstemp's is private, 0600), where the platform and the file
            # system have modes (no os.fchmod on Windows before Python 3.13; vfat / exFAT / some CIFS mounts refuse it)
            with contextlib.suppress(AttributeError, OSError):
                os.fchmod(file.fileno(), 0o666 & ~current_umask())
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _complete_model_zip(path: str) -> bool:
    """Whether ``path`` is a whole SB3 model zip (its ``data`` entry there, every member's checksum right)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "data" in archive.namelist() and archive.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False


def latest_checkpoint(save_path: str | os.PathLike, name_prefix: str = "rl_model") -> tuple[str, str | None] | None:
    """
    The newest complete checkpoint written by :class:`AtomicCheckpointCallback` or SB3's ``CheckpointCallback``. SB3's
    writes the zip in place and its statistics after it, so a run killed meanwhile leaves a truncated newest zip, or
    one without the statistics that its earlier checkpoints have: such a checkpoint is passed over for the one before.
    Its cloning dataset, where one was saved, is :func:`checkpoint_replay_buffer` of the zip.

    :param save_path: the callback's folder (one that does not exist yet holds none)
    :param name_prefix: the callback's prefix
    :return: (model zip, VecNormalize pkl or None), or None where there is none
    """
    import re

    if not os.path.isdir(save_path):
        return None
    names = os.listdir(save_path)
    pattern = re.compile(rf"^{re.escape(name_prefix)}_(\d+)_steps\.zip$")
    steps = sorted((int(m.group(1)) for f in names if (m := pattern.match(f))), reverse=True)
    with_statistics = any(re.match(rf"^{re.escape(name_prefix)}_vecnormalize_\d+_steps\.pkl$", f) for f in names)
    for step in steps:
        model = os.path.join(save_path, f"{name_prefix}_{step}_steps.zip")
        vec = os.path.join(save_path, f"{name_prefix}_vecnormalize_{step}_steps.pkl")
        if with_statistics and not os.path.isfile(vec):
            continue  # saved with statistics, killed before this checkpoint's were written
        if _complete_model_zip(model):
            return model, vec if os.path.isfile(vec) else None
    return None


def checkpoint_replay_buffer(zip_path: str | os.PathLike) -> str | None:
    """
    The cloning dataset saved with a checkpoint (``save_replay_buffer=True``; SB3's file name), for
    ``model.load_replay_buffer``; None where the checkpoint has none.

    :param zip_path: the checkpoint's model zip (``PREFIX_STEPS_steps.zip``)
    :return: the dataset's path, or None
    """
    import re

    folder, name = os.path.split(os.fspath(zip_path))
    match = re.match(r"^(.*)_(\d+)_steps\.zip$", name)
    if match is None:
        return None
    path = os.path.join(folder, f"{match.group(1)}_replay_buffer_{match.group(2)}_steps.pkl")
    return path if os.path.isfile(path) else None


class AtomicCheckpointCallback(CheckpointCallback):
    """
    ``CheckpointCallback`` whose model and VecNormalize files are written atomically (a crash mid-write
    never leaves a corrupt checkpoint), between rollouts (a checkpoint holds only trained-on steps), once
    at least ``save_freq`` calls have passed since the last one, and at the end of training (not where a
    callback stopped training inside a rollout: that rollout's steps were never trained on). With
    ``save_replay_buffer=True``, PPOExpert's aggregated cloning dataset is written too (SB3's file name;
    :func:`checkpoint_replay_buffer` finds it). The statistics and the dataset are written before the model,
    so a checkpoint whose model exists is complete; :func:`latest_checkpoint` finds the newest one. Same
    arguments as ``CheckpointCallback``; usable from rl_zoo3 YAML (``callback:``).
    """

    def _init_callback(self) -> None:
        super()._init_callback()
        self._last_saved_calls = self.n_calls
        self._in_rollout = False

    def _on_step(self) -> bool:
        return True

    def _on_rollout_start(self) -> None:
        # Between rollouts, right after train(): every counted step has been trained on, so a resumed run
        # neither repeats nor loses a step (a checkpoint in the middle of a rollout would count steps whose
        # data is lost).
        if self.n_calls - self._last_saved_calls >= self.save_freq:
            self._save()
        self._in_rollout = True

    def _on_rollout_end(self) -> None:
        self._in_rollout = False

    def _on_training_end(self) -> None:
        if self._in_rollout:
            if self.verbose >= 1:
                print(f"No final checkpoint: training stopped inside a rollout ({self.num_timesteps} steps counted).")
            return
        if self.n_calls > self._last_saved_calls:
            self._save()

    def _save(self) -> None:
        self._last_saved_calls = self.n_calls
        buffer = io.BytesIO()
        self.model.save(buffer)
        vec_normalize = self.model.get_vec_normalize_env()
        if self.save_vecnormalize and vec_normalize is not None:
            atomic_write(self._checkpoint_path("vecnormalize_", extension="pkl"), pickle.dumps(vec_normalize))
        # PPOExpert's aggregated cloning dataset, or an off-policy model's replay buffer (as SB3's CheckpointCallback)
        has_dataset = getattr(self.model, "bc_buffer_size", 0) > 0 or getattr(self.model, "replay_buffer", None) is not None
        if self.save_replay_buffer and has_dataset:
            dataset = io.BytesIO()
            self.model.save_replay_buffer(dataset)  # type: ignore[attr-defined]
            atomic_write(self._checkpoint_path("replay_buffer_", extension="pkl"), dataset.getvalue())
        atomic_write(self._checkpoint_path(extension="zip"), buffer.getvalue())
        if self.verbose >= 2:
            print(f"Saved checkpoint at {self.num_timesteps} steps to {self.save_path}")


class EpisodeSeeds(gym.Wrapper):
    """
    Seeds every episode of an evaluation env: after a reset with seed ``s`` (``VecEnv.seed(s)`` then its reset), the
    ``k``-th reset without a seed (a VecEnv's automatic reset at the end of an episode) uses ``s + k``. Seeding the
    first episode alone fixes the later ones only where the env's ``step`` draws no random numbers (Pendulum,
    BipedalWalker); where it does (LunarLander's engine dispersion), the start of each later episode would depend on
    how long the policy's earlier episodes lasted, and two policies would play different episodes after the first.
    For single-env evaluation (``make_vec_env(env_id, n_envs=1, wrapper_class=EpisodeSeeds)``): in a VecEnv of several
    envs, env ``j`` seeded ``s + j`` would replay the episodes of env ``j + 1``.
    """

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self._next_seed: int | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        if seed is None:
            seed = self._next_seed
        if seed is not None:
            self._next_seed = seed + 1
        return self.env.reset(seed=seed, options=options)


def seeded_episodes(wrapper: Callable[[gym.Env], gym.Env] | None = None) -> Callable[[gym.Env], gym.Env]:
    """``make_vec_env``'s ``wrapper_class`` for an evaluation env: ``wrapper`` (the training env's, if any), inside
    :class:`EpisodeSeeds`, so that every episode is seeded."""
    if wrapper is None:
        return EpisodeSeeds
    return lambda env: EpisodeSeeds(wrapper(env))


def obs_changed_above(env: VecEnv, vec_normalize: VecNormalize | None) -> bool:
    """Whether a wrapper above ``vec_normalize`` (rl_zoo3's ``frame_stack`` sits above its ``normalize``; SB3's
    VecTransposeImage) changes the observations, so that VecNormalize's original observations are not ``env``'s."""
    return vec_normalize is not None and env.observation_space != vec_normalize.observation_space


def check_raw_obs_source(env: VecEnv, vec_normalize: VecNormalize | None, consequence: str, fix: str) -> None:
    """
    Refuse to read an expert's raw observations from ``vec_normalize`` where a wrapper above it changes them.

    :param env: the outermost env
    :param vec_normalize: the VecNormalize inside it (``None``: nothing to check)
    :param consequence: what would go wrong, for the message
    :param fix: the alternative to wrapping VecNormalize outermost, for the message
    """
    if not obs_changed_above(env, vec_normalize):
        return
    assert vec_normalize is not None
    raise ValueError(
        f"The expert reads the env's own observations from VecNormalize, but a wrapper above it changes them "
        f"({type(env).__name__}: observation space {env.observation_space}, VecNormalize's "
        f"{vec_normalize.observation_space}): {consequence}. "
        f"Wrap VecNormalize outermost (e.g. VecNormalize(VecFrameStack(env, n))), {fix}."
    )


class _RawObsPredictor:
    """Lets ``evaluate_policy`` drive an expert: it acts on the env's raw observations."""

    def __init__(self, expert: Expert, env: VecEnv, act: str = "expert", seed: int | None = None):
        self.expert = expert
        self.vec_normalize = unwrap_vec_normalize(env)
        check_raw_obs_source(
            env,
            self.vec_normalize,
            consequence="the expert would play on other observations than the env's",
            fix="or evaluate without it",
        )
        # a copy seeded for the random baseline: the same actions for the same seed, the env's own space untouched
        self.action_space = copy.deepcopy(env.action_space)
        self.action_space.seed(seed)
        self.act = act

    def predict(self, observation, state=None, episode_start=None, deterministic=True):
        if self.act == "random":
            return np.stack([self.action_space.sample() for _ in range(len(observation))]), None
        raw = self.vec_normalize.get_original_obs() if self.vec_normalize is not None else observation
        return self.expert.predict(raw, deterministic=deterministic), None


def evaluate_expert(
    expert: Expert, env: VecEnv, n_eval_episodes: int = 10, seed: int | None = None, random_policy: bool = False
) -> tuple[float, float]:
    """
    The expert's return on ``env`` (a learner's eval env: the expert gets its raw observations).

    :param expert: the expert
    :param env: the evaluation env (VecNormalize is undone for the expert)
    :param n_eval_episodes: episodes
    :param seed: reseed the env first, to play the same episodes as a learner evaluated with that seed (every
        episode the same only where the env's envs are wrapped in :class:`EpisodeSeeds` or their ``step`` draws no
        random numbers)
    :param random_policy: evaluate uniformly random actions instead (the baseline of the expert score)
    :return: mean and std of the episode returns
    """
    if seed is not None:
        env.seed(seed)
    predictor = _RawObsPredictor(expert, env, "random" if random_policy else "expert", seed=seed)
    mean, std = evaluate_policy(predictor, env, n_eval_episodes=n_eval_episodes, deterministic=True)  # type: ignore[arg-type]
    return float(mean), float(std)  # type: ignore[arg-type]  # (float, float) without return_episode_rewards


def _wrapper_class(env_wrapper: Any) -> Callable[[gym.Env], gym.Env] | None:
    """A gym wrapper callable from a callable or from rl_zoo3's ``env_wrapper`` entry (resolved as rl_zoo3 does)."""
    if env_wrapper is None or callable(env_wrapper):
        return env_wrapper
    if not isinstance(env_wrapper, (str, dict, list)):
        raise TypeError(
            f"env_wrapper must be a callable (a gym wrapper class) or rl_zoo3's env_wrapper entry (a class path, a "
            f"{{path: kwargs}} dict or a list of them), got {env_wrapper!r}."
        )
    from rl_zoo3.utils import get_wrapper_class

    try:
        return get_wrapper_class({"env_wrapper": env_wrapper})
    except (ImportError, AttributeError, AssertionError, ValueError) as error:
        raise ValueError(
            f"env_wrapper {env_wrapper!r} could not be resolved ({type(error).__name__}: {error}): give the wrapper "
            "as 'module.Class', {'module.Class': {keyword: value}} or a list of them, as in rl_zoo3's env_wrapper."
        ) from error


def _check_eval_callback_keywords(kwargs: dict[str, Any]) -> None:
    """Refuse keywords neither ExpertEvalCallback nor EvalCallback takes, with the closest known one (a misspelled
    key in an rl_zoo3 ``callback:`` entry would otherwise be reported as EvalCallback's)."""
    import inspect

    from sb3_aggrevated.ppo_expert import unknown_key_hints

    known = {
        name
        for cls in (ExpertEvalCallback, EvalCallback)
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if name != "self" and parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)
    }
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise TypeError(
            f"Unknown keyword argument(s) for ExpertEvalCallback: {unknown_key_hints(unknown, known)}. "
            f"It takes: {', '.join(sorted(known))}."
        )


class ExpertEvalCallback(EvalCallback):
    """
    ``EvalCallback`` that also evaluates the expert (once, on the same eval env and episodes) and a
    random policy, and reports the learner's return as a fraction of expert level:
    ``eval/expert_score = (R - R_random) / (R_expert - R_random)`` (1 means expert level, above 1 better), logged
    with ``eval/expert_mean_reward`` in the evaluation's own row, beside ``eval/mean_reward``.
    Every evaluation is reseeded with ``eval_seed``: the same start states for the learner, the expert and the
    random policy. Given an env id, the callback makes a new env for each evaluation, each episode seeded
    (:class:`EpisodeSeeds`), so the episodes are exactly the same; a VecEnv passed in is reused (its episodes after
    the first follow its own random stream unless its envs are wrapped in :class:`EpisodeSeeds`), and an env whose
    reset keeps simulator state goes on from it
    (gymnasium 1.x's BipedalWalker keeps its Box2D world across resets: the same policy can end its episodes
    differently from one evaluation to the next). The best model is saved with its VecNormalize statistics
    (``vecnormalize.pkl`` beside ``best_model.zip``).

    Takes every argument of ``EvalCallback``, plus:

    :param eval_env: the evaluation env, or an env id (made with ``make_vec_env``, anew for each evaluation;
        wrapped in a frozen VecNormalize when the training env has one, its statistics synced before each evaluation)
    :param expert: the expert (anything :func:`~sb3_aggrevated.experts.load_expert` takes); default: the
        model's own ``expert`` (PPOExpert)
    :param stop_at_expert_fraction: stop training once ``eval/expert_score`` reaches this (``None``: never)
    :param eval_seed: seed of the evaluation episodes
    :param env_kwargs: keyword arguments of the env made from an env id (the training env's, e.g. rl_zoo3's
        ``env_kwargs``), so that the learner and the expert are scored on the env they train on
    :param env_wrapper: the training env's gym wrapper(s) for the env made from an env id: a callable taking and
        returning a ``gym.Env`` (``make_vec_env``'s ``wrapper_class``), or rl_zoo3's ``env_wrapper`` entry (a class
        path, a ``{path: kwargs}`` dict or a list of them); applied inside :class:`EpisodeSeeds`
    """

    def __init__(
        self,
        eval_env: VecEnv | str | Any,
        expert: Any = None,
        stop_at_expert_fraction: float | None = None,
        eval_seed: int = 0,
        env_kwargs: dict[str, Any] | None = None,
        env_wrapper: Callable[[gym.Env], gym.Env] | str | dict[str, Any] | list[Any] | None = None,
        n_eval_episodes: int = 10,
        eval_freq: int = 10000,
        best_model_save_path: str | None = None,
        log_path: str | None = None,
        deterministic: bool = True,
        verbose: int = 1,
        **kwargs: Any,
    ):
        _check_eval_callback_keywords(kwargs)
        eval_env_id = eval_env if isinstance(eval_env, str) else None
        for name, value in (("env_kwargs", env_kwargs), ("env_wrapper", env_wrapper)):
            if value is not None and eval_env_id is None:
                raise ValueError(
                    f"ExpertEvalCallback: {name} is for an eval env given as an env id; make the VecEnv with it, or "
                    "pass the env id."
                )
        self.env_kwargs = dict(env_kwargs or {})
        self.env_wrapper = _wrapper_class(env_wrapper)
        if eval_env_id is not None:
            eval_env = self._make_eval_env(eval_env_id)
        if stop_at_expert_fraction is not None and not stop_at_expert_fraction > 0:
            raise ValueError(f"stop_at_expert_fraction must be > 0 (1.0 = expert level), got {stop_at_expert_fraction}.")
        super().__init__(
            eval_env,  # type: ignore[arg-type]
            n_eval_episodes=n_eval_episodes,
            eval_freq=eval_freq,
            best_model_save_path=best_model_save_path,
            log_path=log_path,
            deterministic=deterministic,
            verbose=verbose,
            **kwargs,
        )
        self.eval_env_id = eval_env_id
        self.expert_source = expert
        self.stop_at_expert_fraction = stop_at_expert_fraction
        self.eval_seed = eval_seed
        self.expert_mean_reward: float | None = None
        self.random_mean_reward: float | None = None
        self.expert_score: float | None = None

    def _check_eval_env_spaces(self) -> None:
        """Refuse an eval env whose spaces are not the model's (another env id), naming it: loading the expert on it
        would blame the expert."""
        obs_space, act_space = self.model.observation_space, self.model.action_space
        env_obs, env_act = self.eval_env.observation_space, self.eval_env.action_space
        shape = tuple(getattr(env_obs, "shape", None) or ())
        # SB3's VecTransposeImage may have made the model's image observations channel-first
        shapes = {shape, (shape[-1], *shape[:-1])} if len(shape) == 3 else {shape}
        same_obs = type(env_obs) is type(obs_space) and (
            tuple(getattr(obs_space, "shape", None) or ()) in shapes if shape else env_obs == obs_space
        )
        if not same_obs or env_act != act_space:
            which = repr(self.eval_env_id) if self.eval_env_id is not None else type(self.eval_env).__name__
            raise ValueError(
                f"ExpertEvalCallback: the eval env {which} has observation space {env_obs} and action space {env_act}, "
                f"but the model trains on {obs_space} and {act_space}. Evaluate on the env the model trains on (its env "
                "id, with the training env's env_kwargs / env_wrapper)."
            )

    def _init_callback(self) -> None:
        self._check_eval_env_spaces()
        if unwrap_vec_normalize(self.training_env) is not None and unwrap_vec_normalize(self.eval_env) is None:
            self.eval_env = self._frozen_normalization(self.eval_env)
        super()._init_callback()
        source = self.expert_source if self.expert_source is not None else getattr(self.model, "expert", None)
        if source is None:
            raise ValueError("ExpertEvalCallback: the model has no expert; pass expert=... (a path, model or Expert).")
        self.expert = load_expert(source, self.eval_env)
        sync_envs_normalization(self.training_env, self.eval_env)
        self.expert_mean_reward, _ = evaluate_expert(self.expert, self.eval_env, self.n_eval_episodes, self.eval_seed)
        self._renew_eval_env()
        sync_envs_normalization(self.training_env, self.eval_env)
        self.random_mean_reward, _ = evaluate_expert(self.expert, self.eval_env, self.n_eval_episodes, self.eval_seed, True)
        if self.verbose >= 1:
            print(f"Expert return {self.expert_mean_reward:.2f}, random policy {self.random_mean_reward:.2f}")

    def _renew_eval_env(self) -> None:
        """A new eval env where it was made from an env id (a VecEnv passed in is kept); its statistics are synced
        by whoever plays on it next (``EvalCallback._on_step`` does for the learner)."""
        if self.eval_env_id is not None:
            self.eval_env.close()
            self.eval_env = self._make_eval_env(self.eval_env_id)
            if unwrap_vec_normalize(self.training_env) is not None:
                self.eval_env = self._frozen_normalization(self.eval_env)

    def _make_eval_env(self, env_id: str) -> VecEnv:
        """One env made from an env id, with ``env_kwargs`` and ``env_wrapper``, every episode seeded
        (:class:`EpisodeSeeds`)."""
        return make_vec_env(env_id, n_envs=1, env_kwargs=self.env_kwargs, wrapper_class=seeded_episodes(self.env_wrapper))

    def _frozen_normalization(self, env: VecEnv) -> VecNormalize:
        """``env`` under a frozen VecNormalize with the training env's settings (which observations it normalises,
        their clip and epsilon; raw rewards): ``sync_envs_normalization`` copies the statistics only."""
        train = unwrap_vec_normalize(self.training_env)
        assert train is not None
        return VecNormalize(
            env,
            training=False,
            norm_obs=train.norm_obs,
            norm_reward=False,
            clip_obs=train.clip_obs,
            gamma=train.gamma,
            epsilon=train.epsilon,
            norm_obs_keys=train.norm_obs_keys,
        )

    def _record_expert_keys(self) -> None:
        """The expert's return and the learner's score (from ``last_mean_reward``) into the logger's current row."""
        assert self.expert_mean_reward is not None and self.random_mean_reward is not None
        span = self.expert_mean_reward - self.random_mean_reward
        self.expert_score = (self.last_mean_reward - self.random_mean_reward) / span if abs(span) > 1e-8 else float("nan")
        self.logger.record("eval/expert_mean_reward", self.expert_mean_reward)
        self.logger.record("eval/expert_score", self.expert_score)

    def _on_step(self) -> bool:
        if not (self.eval_freq > 0 and self.n_calls % self.eval_freq == 0):
            return True
        self._renew_eval_env()
        self.eval_env.seed(self.eval_seed)  # the same episodes as the expert's
        previous_best = self.best_mean_reward
        logger = self.logger
        dump, own_attribute = logger.dump, "dump" in vars(logger)
        recorded = []

        def dump_with_expert_keys(step: int = 0) -> None:
            # EvalCallback dumps its row right after computing the learner's mean: the expert's keys join that row
            self._record_expert_keys()
            recorded.append(step)
            dump(step)

        logger.dump = dump_with_expert_keys  # type: ignore[method-assign]
        try:
            continue_training = super()._on_step()
        finally:  # the logger's own dump again
            if own_attribute:
                logger.dump = dump  # type: ignore[method-assign]
            else:
                del logger.dump
        if not recorded:  # an EvalCallback that did not dump its row: the expert's keys in a row of their own
            self._record_expert_keys()
            logger.dump(self.num_timesteps)
        vec_normalize = self.model.get_vec_normalize_env()
        if self.best_mean_reward > previous_best and self.best_model_save_path is not None and vec_normalize is not None:
            # beside best_model.zip, written whole or not at all (a crash mid-write keeps the earlier statistics)
            atomic_write(os.path.join(self.best_model_save_path, "vecnormalize.pkl"), pickle.dumps(vec_normalize))
        assert self.expert_score is not None  # recorded with this evaluation's row
        if self.stop_at_expert_fraction is not None and self.expert_score >= self.stop_at_expert_fraction:
            if self.verbose >= 1:
                print(f"Stopping: the learner reached {self.expert_score:.2f} of expert level.")
            return False
        return continue_training


class ExpertActionDistanceCallback(BaseCallback):
    """
    Logs how far the learner's deterministic action is from the expert's on the states of each rollout:
    ``rollout/expert_action_distance`` (mean L2 distance, in env action units) for Box actions,
    ``rollout/expert_action_agreement`` (fraction of equal actions, all components equal for MultiDiscrete and
    MultiBinary) for discrete ones. Works with
    PPOExpert (its own expert) and with plain PPO (pass ``expert``).

    :param expert: the expert (default: the model's own)
    :param max_states: at most this many states of the rollout are compared
    :param verbose: verbosity
    """

    def __init__(self, expert: Any = None, max_states: int = 4096, verbose: int = 0):
        super().__init__(verbose)
        self.expert_source = expert
        self.max_states = max_states
        self._raw: list[np.ndarray] | None = None  # the env's own observations of the rollout, where read from VecNormalize
        self._raw_source: VecNormalize | None = None  # the VecNormalize they are read from (this rollout's)

    def _init_callback(self) -> None:
        source = self.expert_source if self.expert_source is not None else getattr(self.model, "expert", None)
        if source is None:
            raise ValueError("ExpertActionDistanceCallback: the model has no expert; pass expert=...")
        self.expert = load_expert(source, self.model.get_env())

    def _on_rollout_start(self) -> None:
        # Another model's buffer keeps the observations VecNormalize gave it, each normalised with the statistics of
        # its own step (and clipped): the env's own are read from VecNormalize as the rollout goes, the rollout's
        # first state now and each next one after its step (the last is the next rollout's first).
        vec_normalize = self.model.get_vec_normalize_env()
        self._raw, self._raw_source = None, None
        if vec_normalize is not None and not hasattr(self.model.rollout_buffer, "raw_observations"):  # type: ignore[attr-defined]
            self._raw, self._raw_source = [np.array(vec_normalize.get_original_obs())], vec_normalize

    def _on_step(self) -> bool:
        if self._raw is not None:
            assert self._raw_source is not None
            self._raw.append(np.array(self._raw_source.get_original_obs()))
        return True

    def _on_rollout_end(self) -> None:
        buffer = self.model.rollout_buffer  # type: ignore[attr-defined]
        obs = buffer.observations.reshape(-1, *buffer.obs_shape)[: self.max_states]
        if hasattr(buffer, "raw_observations"):
            raw = buffer.raw_observations.reshape(-1, *buffer.obs_shape)[: self.max_states]
        elif self._raw is not None:
            raw = np.stack(self._raw[: buffer.buffer_size]).reshape(-1, *buffer.obs_shape)[: self.max_states]
        else:
            raw = obs
        learner, _ = self.model.predict(obs, deterministic=True)
        expert = self.expert.predict(raw, deterministic=True)
        if isinstance(self.model.action_space, spaces.Box):
            distance = np.linalg.norm(np.reshape(learner, (len(obs), -1)) - np.reshape(expert, (len(obs), -1)), axis=1)
            self.logger.record("rollout/expert_action_distance", float(distance.mean()))
        else:
            # a whole action agrees (every component of a MultiDiscrete / MultiBinary one), not each component
            same = np.reshape(learner, (len(obs), -1)) == np.reshape(expert, (len(obs), -1))
            self.logger.record("rollout/expert_action_agreement", float(same.all(axis=1).mean()))
