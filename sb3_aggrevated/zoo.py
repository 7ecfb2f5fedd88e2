"""
rl_zoo3 integration: ``--algo ppo_expert`` for ``rl_zoo3.train`` / ``enjoy`` / ``record_video`` /
``push_to_hub`` / ``load_from_hub``, the packaged ``hyperparams/ppo_expert.yml`` as default config, and
an Optuna sampler for ``-optimize``.

The functions here are called by the startup hook (``_sb3_aggrevated_hook``) right after the rl_zoo3
module they extend has executed; :func:`register` does all of it by hand (for example in a script that
imported rl_zoo3 with the hook turned off).
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from sb3_aggrevated.ppo_expert import PPOExpert, constructor_keywords, unknown_key_hints
from sb3_aggrevated.schedules import yaml_number_hint

__all__ = [
    "ALGO_NAME",
    "hyperparams_path",
    "register",
    "register_algo",
    "register_sampler",
    "register_default_config",
    "patch_huggingface_sb3",
    "check_hyperparams",
]

ALGO_NAME = "ppo_expert"


def hyperparams_path() -> Path:
    """
    The default ``ppo_expert.yml``: the installed package's copy, or the repository's
    ``hyperparams/ppo_expert.yml`` (the source of that copy) when running from a checkout.
    """
    packaged = Path(__file__).parent / "hyperparams" / f"{ALGO_NAME}.yml"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "hyperparams" / f"{ALGO_NAME}.yml"


def register_algo(utils: ModuleType) -> None:
    """Add PPOExpert to ``rl_zoo3.utils.ALGOS`` (in place: every rl_zoo3 module shares that dict)."""
    utils.ALGOS.setdefault(ALGO_NAME, PPOExpert)


def sample_ppo_expert_params(trial: Any, n_actions: int, n_envs: int, additional_args: dict) -> dict[str, Any]:
    """
    Optuna sampler: PPO's (rl_zoo3's own) plus the expert schedules; the roll-in's decay and length only where the
    sampled roll-in probability ``beta`` is above 0.

    :param trial: the Optuna trial
    :param n_actions: size of the action space
    :param n_envs: number of envs
    :param additional_args: rl_zoo3's extra arguments
    :return: keyword arguments for PPOExpert
    """
    from rl_zoo3.hyperparams_opt import sample_ppo_params

    params = sample_ppo_params(trial, n_actions, n_envs, additional_args)
    params["beta"] = trial.suggest_float("beta", 0.0, 1.0)
    if params["beta"] > 0.0:  # the roll-in's decay and length act only on a roll-in (the entry's values otherwise)
        params.update(
            beta_decay=trial.suggest_float("beta_decay", 0.5, 1.0),
            beta_rollouts=trial.suggest_int("beta_rollouts", 1, 50),
        )
    params.update(
        handover_start=trial.suggest_int("handover_start", 0, 50),
        handover_rollouts=trial.suggest_int("handover_rollouts", 1, 50),
        bc_coef=trial.suggest_float("bc_coef", 0.0, 1.0),
        expert_gae_lambda=trial.suggest_float("expert_gae_lambda", 0.0, 0.99),
    )
    return params


def _convert_ppo_expert_params(sampled_params: dict[str, Any]) -> dict[str, Any]:
    from rl_zoo3.hyperparams_opt import convert_onpolicy_params

    expert_keys = (
        "beta",
        "beta_decay",
        "beta_rollouts",
        "handover_start",
        "handover_rollouts",
        "bc_coef",
        "expert_gae_lambda",
    )
    ppo_part = {k: v for k, v in sampled_params.items() if k not in expert_keys}
    return {**convert_onpolicy_params(ppo_part), **{k: sampled_params[k] for k in expert_keys if k in sampled_params}}


def register_sampler(hyperparams_opt: ModuleType) -> None:
    """Add the ``ppo_expert`` sampler (and its converter, used with ``--storage``) to rl_zoo3."""
    hyperparams_opt.HYPERPARAMS_SAMPLER.setdefault(ALGO_NAME, sample_ppo_expert_params)
    hyperparams_opt.HYPERPARAMS_CONVERTER.setdefault(ALGO_NAME, _convert_ppo_expert_params)


#: Keys rl_zoo3 consumes itself (never passed to the algorithm's constructor).
ZOO_RESERVED_KEYS = frozenset(
    {
        "n_envs",
        "n_timesteps",
        "normalize",
        "policy",
        "env_wrapper",
        "vec_env_wrapper",
        "callback",
        "frame_stack",
        "monitor_kwargs",
        "env_kwargs",
        "noise_type",
        "noise_std",
    }
)

#: Keys that read like rl_zoo3's but that rl_zoo3 (2.9) leaves in the entry, where they would reach the constructor.
_ZOO_LOOKALIKE_HINTS = {
    "normalize_kwargs": "VecNormalize's keywords go into normalize itself: normalize: "
    '"dict(norm_obs=True, norm_reward=False)"',
    "eval_env_kwargs": "the evaluation env's keywords go on the command line: --eval-env-kwargs KEY:VALUE",
}


#: rl_zoo3's keys for off-policy action noise (it passes them as ``action_noise``, which PPO has not).
_ACTION_NOISE_KEYS = ("noise_type", "noise_std")

#: Keys whose values are free text, where a string that reads as a number may be meant.
_TEXT_KEYS = frozenset({"expert", "bc_skip_info_key", "tensorboard_log", "device"})

#: Keys that take integers (for the fix of a number YAML read as a string).
_INTEGER_KEYS = frozenset(
    {"n_timesteps", "n_envs", "n_steps", "batch_size", "n_epochs", "sde_sample_freq", "stats_window_size", "seed"}
    | set(PPOExpert.INTEGER_KEYWORDS)
)

#: The expert schedules (counted in rollouts) and how an entry shapes them.
_ROLLOUT_SCHEDULE_HINTS = {
    "beta": "beta: 0.5 with beta_schedule: linear and beta_rollouts: N",
    "bc_coef": "bc_coef: 1.0 with bc_schedule: linear and bc_rollouts: N",
    "handover": "handover_start: N and handover_rollouts: M for a linear hand-over (or handover: a number)",
    "expert_gae_lambda": "a number (a RolloutSchedule from Python)",
}


def _value_problems(hyperparams: dict[str, Any]) -> list[str]:
    """The values of an entry that would fail later, inside rl_zoo3 or the constructor, each with its fix."""
    problems = []
    for key, value in hyperparams.items():
        if not isinstance(value, str) or key in _TEXT_KEYS:
            continue
        hint = (key in _INTEGER_KEYS and yaml_number_hint(value, integer=True)) or yaml_number_hint(value)
        if hint:
            problems.append(f"{key}: {value!r}{hint}")
        elif key in _ROLLOUT_SCHEDULE_HINTS and value.startswith("lin_"):
            problems.append(
                f"{key}: {value!r} (rl_zoo3's lin_ schedules follow SB3's training progress, for learning_rate and "
                f"clip_range; the expert schedules count rollouts: {_ROLLOUT_SCHEDULE_HINTS[key]})"
            )
    return problems


def check_hyperparams(hyperparams: dict[str, Any], where: str) -> None:
    """
    Raise a ``ValueError`` naming every key PPOExpert does not know (with the closest known key), every key for
    off-policy action noise, and every value that would fail later (a number YAML read as a string, rl_zoo3's ``lin_``
    schedule on an expert schedule), each with its fix, before rl_zoo3 creates any folder or env.

    :param hyperparams: one entry of the YAML (env id -> its keys)
    :param where: where the entry came from, for the message
    """
    known = constructor_keywords(PPOExpert)
    unknown = sorted(set(hyperparams) - known - ZOO_RESERVED_KEYS)
    if unknown:
        hints = unknown_key_hints(unknown, known | ZOO_RESERVED_KEYS)
        lookalikes = "".join(f" {key}: {_ZOO_LOOKALIKE_HINTS[key]}." for key in unknown if key in _ZOO_LOOKALIKE_HINTS)
        raise ValueError(
            f"Unknown hyperparameter(s) for {ALGO_NAME} in {where}: {hints}.{lookalikes} Fix or remove them; "
            f"PPOExpert takes: {', '.join(sorted(known))}."
        )
    noise = [key for key in _ACTION_NOISE_KEYS if key in hyperparams]
    if noise:
        raise ValueError(
            f"{', '.join(noise)} in {where}: rl_zoo3 turns them into action_noise for off-policy algorithms (SAC, TD3); "
            f"{ALGO_NAME}, like PPO, explores with its own Gaussian policy. Remove them; its starting noise is "
            'policy_kwargs: "dict(log_std_init=...)" or log_std_from_expert: true.'
        )
    problems = _value_problems(hyperparams)
    if problems:
        raise ValueError(f"Hyperparameter value(s) for {ALGO_NAME} in {where} that would fail later: {'; '.join(problems)}.")


def register_default_config(exp_manager: ModuleType) -> None:
    """
    Make ``ExperimentManager`` read the packaged ``ppo_expert.yml`` when no ``-conf`` is given, and check the
    keys of the ``ppo_expert`` entry before anything is created.
    """
    manager_cls = exp_manager.ExperimentManager
    if getattr(manager_cls.__init__, "_sb3_aggrevated", False):
        return
    original = manager_cls.__init__
    original_read = manager_cls.read_hyperparameters

    @functools.wraps(original_read)
    def read_hyperparameters(self):  # type: ignore[no-untyped-def]
        hyperparams, saved_hyperparams = original_read(self)
        if self.algo == ALGO_NAME:
            check_hyperparams(hyperparams, f"{self.config} (entry {self.env_name}, after any -params overrides)")
        return hyperparams, saved_hyperparams

    manager_cls.read_hyperparameters = read_hyperparameters

    @functools.wraps(original)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.algo == ALGO_NAME and not kwargs.get("config"):
            self.config = str(hyperparams_path())

    __init__._sb3_aggrevated = True  # type: ignore[attr-defined]
    manager_cls.__init__ = __init__


def patch_huggingface_sb3(module: ModuleType) -> None:
    """
    Compatibility: ``rl_zoo3.push_to_hub`` 2.9 imports ``generate_metadata`` from ``huggingface_sb3.push_to_hub``,
    which sb3-team-hf-integration 3.x renamed ``_generate_metadata`` (returning ``ModelCardData``); without
    this, ``python -m rl_zoo3.push_to_hub`` fails on import for every algorithm.
    """
    if hasattr(module, "generate_metadata") or not hasattr(module, "_generate_metadata"):
        return

    def generate_metadata(model_name: str, env_id: str, mean_reward: float, std_reward: float) -> dict[str, Any]:
        data = module._generate_metadata(model_name, env_id, mean_reward, std_reward)
        return data.to_dict() if hasattr(data, "to_dict") else data

    module.generate_metadata = generate_metadata  # type: ignore[attr-defined]


def register() -> None:
    """Register PPOExpert with every rl_zoo3 module (imports rl_zoo3), and make ``rl_zoo3.push_to_hub`` importable
    (:func:`patch_huggingface_sb3`): by hand, what the startup hook does on import."""
    import rl_zoo3.exp_manager
    import rl_zoo3.hyperparams_opt
    import rl_zoo3.utils

    register_algo(rl_zoo3.utils)
    register_sampler(rl_zoo3.hyperparams_opt)
    register_default_config(rl_zoo3.exp_manager)
    try:  # the module (the package's own `push_to_hub` attribute is the function of that name)
        hub_module = importlib.import_module("huggingface_sb3.push_to_hub")
    except ImportError:  # no Hub integration installed: nothing to patch
        return
    patch_huggingface_sb3(hub_module)
