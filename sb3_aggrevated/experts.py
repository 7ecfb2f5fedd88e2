"""
Experts: a pretrained agent seen through the interface AggreVaTeD needs.

An :class:`Expert` works batched on the env's own (raw) observations, before any VecNormalize of
the learner, and applies its own observation normalisation. It gives actions in the env's action
space, state values ``V*(s)`` in reward units and, for Q-experts, ``Q*(s, a)``.

:func:`load_expert` turns an SB3 model, a model zip, an RL Zoo folder (``ALGO/ENV_1/``, what
``python -m rl_zoo3.load_from_hub -f DIR`` writes), ``embedded/NAME`` (an expert shipped with this package) or a
Hugging Face Hub id (``sb3/ppo-BipedalWalkerHardcore-v3``) into an :class:`SB3Expert`. It loads files
saved by older SB3 / gym versions, and by default it executes no pickled code (see
:mod:`sb3_aggrevated.safe_pickle`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import numbers
import os
import random
import re
import sys
import warnings
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.distributions import (
    CategoricalDistribution,
    DiagGaussianDistribution,
    SquashedDiagGaussianDistribution,
    StateDependentNoiseDistribution,
)
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy
from stable_baselines3.common.preprocessing import get_action_dim
from stable_baselines3.common.utils import ConstantSchedule
from stable_baselines3.common.vec_env import VecEnv, VecNormalize

from sb3_aggrevated.safe_pickle import UnsafePickleError, safe_loads

__all__ = [
    "EXPERTS_ENV_VAR",
    "resolve_expert_source",
    "download_expert_from_hub",
    "Expert",
    "SB3Expert",
    "ObsNormalizer",
    "load_expert",
    "check_expert",
    "check_spaces",
    "EXPERT_ALGOS",
]

#: Algorithms whose models can serve as experts, by RL Zoo name: (module, class name, kind).
EXPERT_ALGOS: dict[str, tuple[str, str, str]] = {
    "ppo": ("stable_baselines3", "PPO", "v"),
    "a2c": ("stable_baselines3", "A2C", "v"),
    "trpo": ("sb3_contrib", "TRPO", "v"),
    # a PPOExpert learner as an expert: loaded as PPO (its policy and critic are all an expert needs; PPOExpert.load
    # would want the learner's own expert, and the restricted unpickler drops its rollout buffer class)
    "ppo_expert": ("stable_baselines3", "PPO", "v"),
    "sac": ("stable_baselines3", "SAC", "q"),
    "td3": ("stable_baselines3", "TD3", "q"),
    "ddpg": ("stable_baselines3", "DDPG", "q"),
    "tqc": ("sb3_contrib", "TQC", "q"),
    "crossq": ("sb3_contrib", "CrossQ", "q"),
    "dqn": ("stable_baselines3", "DQN", "q"),
    "qrdqn": ("sb3_contrib", "QRDQN", "q"),
}

# Policy module (as written in a model zip's readable metadata) -> RL Zoo algo name.
_POLICY_MODULE_TO_ALGO = {
    "stable_baselines3.sac.policies": "sac",
    "stable_baselines3.td3.policies": "td3",
    "stable_baselines3.dqn.policies": "dqn",
    "sb3_contrib.tqc.policies": "tqc",
    "sb3_contrib.crossq.policies": "crossq",
    "sb3_contrib.qrdqn.policies": "qrdqn",
    "stable_baselines3.common.policies": "ppo",
    "sb3_aggrevated.policies": "ppo",
}

# Defaults for serialized model fields that are refused by the safe loader (schedules are
# functions) or not needed to use a model as an expert.
_SAFE_DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.0,
    "lr_schedule": ConstantSchedule(0.0),
    "clip_range": ConstantSchedule(0.2),
    "clip_range_vf": None,
    "exploration_schedule": ConstantSchedule(0.0),
    "_last_obs": None,
    "_last_original_obs": None,
    "_last_episode_starts": None,
    "_last_dones": None,
    "ep_info_buffer": None,
    "ep_success_buffer": None,
    "action_noise": None,
}

#: Environment variable naming a local folder of experts in RL Zoo layout (``ALGO/ENV_1/``).
EXPERTS_ENV_VAR = "SB3_AGGREVATED_EXPERTS"
#: Prefix of the experts shipped inside this package (trained by the project, see ``recipes/``).
EMBEDDED_PREFIX = "embedded/"
_HUB_ID = re.compile(r"^(?P<org>[A-Za-z0-9][\w.-]*)/(?P<algo>[a-z0-9_]+)-(?P<env>[A-Za-z0-9][\w.:-]*)$")

_HOW_TO_GET = (
    "Download an RL Zoo agent with `python -m rl_zoo3.load_from_hub --algo ALGO --env ENV -orga sb3 -f DIR` "
    "and pass DIR/ALGO/ENV_1, or train one with `python -m rl_zoo3.train --algo ALGO --env ENV`."
)


class ObsNormalizer:
    """
    The observation normalisation of a ``VecNormalize`` (its frozen statistics), applied batched.

    :param mean: running mean of the observations
    :param var: running variance of the observations
    :param clip_obs: clipping bound of the normalised observations
    :param epsilon: added to the variance
    """

    def __init__(self, mean: np.ndarray, var: np.ndarray, clip_obs: float, epsilon: float) -> None:
        self.mean = np.array(mean, dtype=np.float64)  # copies: a snapshot, whatever updates the source later
        self.var = np.array(var, dtype=np.float64)
        self.clip_obs = float(clip_obs)
        self.epsilon = float(epsilon)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        out = (np.asarray(obs, dtype=np.float64) - self.mean) / np.sqrt(self.var + self.epsilon)
        return np.clip(out, -self.clip_obs, self.clip_obs).astype(np.float32)

    @classmethod
    def from_vec_normalize(cls, vec_normalize: VecNormalize) -> ObsNormalizer | None:
        """
        :param vec_normalize: a (loaded) VecNormalize
        :return: its observation normalisation, or ``None`` where it does not normalise observations
        """
        if not vec_normalize.norm_obs:
            return None
        if isinstance(vec_normalize.obs_rms, dict):
            raise ValueError("Experts with dict observations are not supported (VecNormalize with a dict obs_rms).")
        return cls(vec_normalize.obs_rms.mean, vec_normalize.obs_rms.var, vec_normalize.clip_obs, vec_normalize.epsilon)


class Expert(ABC):
    """
    What PPOExpert needs of an expert. All methods are batched over the first axis and take the
    env's raw observations (before the learner's VecNormalize).

    Attributes: ``kind`` (``"q"``: has ``q_value``; ``"v"``: state values only), ``gamma`` (the
    discount its critic was trained with), ``observation_space`` and ``action_space``.
    """

    kind: str
    gamma: float
    observation_space: spaces.Space
    action_space: spaces.Space

    @abstractmethod
    def predict(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """
        :param obs: raw observations, shape ``(n, *obs_shape)``
        :param deterministic: whether to take the expert's deterministic action
        :return: actions in the env's action space, shape ``(n, *action_shape)``
        """

    @abstractmethod
    def value(self, obs: np.ndarray) -> np.ndarray:
        """
        :param obs: raw observations, shape ``(n, *obs_shape)``
        :return: ``V*(s)`` in reward units, shape ``(n,)``
        """

    def q_value(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """
        :param obs: raw observations, shape ``(n, *obs_shape)``
        :param actions: actions in the env's action space, shape ``(n, *action_shape)``
        :return: ``Q*(s, a)`` in reward units, shape ``(n,)``
        """
        raise NotImplementedError(f"{type(self).__name__} is a '{self.kind}' expert and gives no Q-values.")

    def action_log_std(self) -> np.ndarray | None:
        """
        :return: the log standard deviation of the expert's state-independent Gaussian action noise, in the
            env's action units, flat (``get_action_dim`` numbers, as SB3's policies keep it; a 2x2 Box action: 4);
            ``None`` where the expert has none (deterministic actors, discrete actions, state-dependent noise)
        """
        return None


class SB3Expert(Expert):
    """
    An SB3 / sb3-contrib model as an expert.

    - ``PPO``, ``A2C``, ``TRPO`` (actor-critic policies): ``kind = "v"``, ``value`` from the value head.
    - ``SAC``, ``TD3``, ``DDPG``, ``TQC``, ``CrossQ``: ``kind = "q"``; ``q_value`` from the critic (min over
      twin heads, mean over TQC's quantiles) with actions rescaled to [-1, 1] as the critic expects,
      ``value(s) = Q*(s, pi*(s))`` with the deterministic actor.
    - ``DQN``, ``QR-DQN``: ``kind = "q"``; ``value(s) = max_a Q*(s, a)``.

    NOTE: SAC's critic is a *soft* Q-function (it includes the entropy bonus); the advantage
    ``Q*(s, a) - Q*(s, pi*(s))`` is still a valid signal.

    :param model: the SB3 model
    :param obs_normalizer: the expert's own observation normalisation (``None``: none)
    :param value_scale: factor that turns the critic's outputs into reward units (an expert trained with
        VecNormalize reward scaling predicts values divided by ``sqrt(ret_rms.var + epsilon)``)
    :param name: where the expert came from, for logs and model cards
    :param batch_size: largest batch sent through the networks at once
    """

    def __init__(
        self,
        model: BaseAlgorithm,
        obs_normalizer: ObsNormalizer | None = None,
        value_scale: float = 1.0,
        name: str | None = None,
        batch_size: int = 16384,
    ) -> None:
        self.model = model
        self.policy: Any = model.policy  # the algorithm's own policy class (actor-critic, SAC, DQN ...)
        self.policy.set_training_mode(False)
        self.obs_normalizer = obs_normalizer
        self.value_scale = float(value_scale)
        self.name = name or type(model).__name__
        self.batch_size = batch_size
        self.gamma = float(getattr(model, "gamma", 0.99))
        self.observation_space = model.observation_space
        self.action_space = model.action_space
        if not isinstance(self.observation_space, spaces.Box):
            raise ValueError(f"Expert {self.name}: only Box observation spaces are supported, got {self.observation_space}.")
        if "Recurrent" in type(self.policy).__name__:
            raise ValueError(f"Expert {self.name}: recurrent policies cannot give state values without their LSTM state.")
        if obs_normalizer is not None and obs_normalizer.mean.shape != self.observation_space.shape:
            # rl_zoo3 normalises each frame before VecFrameStack stacks them: the statistics are one frame's
            raise ValueError(
                f"Expert {self.name}: its VecNormalize statistics have shape {obs_normalizer.mean.shape} but its "
                f"observations {self.observation_space.shape}. A frame-stacked expert (frame_stack in its config.yml) "
                "is not supported: the expert sees the env's own observations, not a stack of them. Use an expert "
                "trained without frame_stack, or pass the vecnormalize.pkl that belongs to this model."
            )
        if isinstance(self.policy, ActorCriticPolicy):
            self.kind = "v"
        elif hasattr(self.policy, "q_net") or hasattr(self.policy, "quantile_net"):
            self.kind = "q"
        elif getattr(model, "critic", None) is not None and isinstance(self.action_space, spaces.Box):
            self.kind = "q"
        else:
            raise ValueError(
                f"Expert {self.name} ({type(model).__name__}) cannot give advantages: it has neither a value head "
                f"nor a Q-function. Supported algorithms: {', '.join(sorted(EXPERT_ALGOS))}."
            )

    def __repr__(self) -> str:
        return f"SB3Expert({self.name}, kind={self.kind!r}, gamma={self.gamma}, value_scale={self.value_scale:.4g})"

    def _batch(self, obs: Any) -> np.ndarray:
        """``obs`` as an array, refusing a single observation (the interface is batched)."""
        obs = np.asarray(obs)
        shape = tuple(self.observation_space.shape or ())
        if obs.shape[1:] != shape:
            hint = ": pass obs[None] for one" if obs.shape == shape else ""
            raise ValueError(
                f"Expert {self.name} takes a batch of observations of shape (n, {', '.join(map(str, shape))}), got an "
                f"array of shape {obs.shape}{hint}."
            )
        return obs

    def _obs_batches(self, obs: np.ndarray, *others: np.ndarray) -> Iterator[list[th.Tensor]]:
        obs = self._batch(obs)
        if self.obs_normalizer is not None:
            obs = self.obs_normalizer(obs)
        device = self.policy.device
        for start in range(0, max(len(obs), 1), self.batch_size):
            chunk = slice(start, start + self.batch_size)
            batch = [th.as_tensor(np.asarray(obs[chunk], dtype=np.float32), device=device)]
            yield batch + [th.as_tensor(np.asarray(other[chunk]), device=device) for other in others]

    @th.no_grad()
    def predict(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        # A lean path (no per-call mode switch or space checks of BasePolicy.predict): it runs at every
        # roll-in step. Same result as ``policy.predict``.
        obs = self._batch(obs)
        if self.obs_normalizer is not None:
            obs = self.obs_normalizer(obs)
        obs_t = th.as_tensor(obs, dtype=th.float32, device=self.policy.device)
        actions = self._policy_actions(obs_t, deterministic).cpu().numpy()
        if isinstance(self.action_space, spaces.Box):
            if self.policy.squash_output:
                actions = self.policy.unscale_action(actions)
            else:
                actions = np.clip(actions, self.action_space.low, self.action_space.high)
        return actions.reshape((-1, *(self.action_space.shape or ())))

    def _policy_actions(self, obs_t: th.Tensor, deterministic: bool) -> th.Tensor:
        """``policy._predict``, through the lean path where there is one (actions in the policy's units)."""
        lean = self._deterministic_actions(obs_t) if deterministic else None
        return lean if lean is not None else self.policy._predict(obs_t, deterministic=deterministic)

    def _deterministic_actions(self, obs_t: th.Tensor) -> th.Tensor | None:
        """
        ``policy._predict(obs, deterministic=True)`` without building a distribution object (most of the
        cost of a SAC expert's roll-in step otherwise): the mean of a Gaussian policy (through tanh where the
        distribution squashes, as SAC's and gSDE's do), or the argmax of categorical logits.

        :return: the actions in the policy's units, or ``None`` for other distributions: the caller takes
            the full path then
        """
        policy = self.policy
        actor = policy if isinstance(policy, ActorCriticPolicy) else getattr(policy, "actor", None)
        dist = getattr(actor, "action_dist", None)
        lean = (CategoricalDistribution, SquashedDiagGaussianDistribution, StateDependentNoiseDistribution)
        if not (isinstance(dist, lean) or type(dist) is DiagGaussianDistribution):
            return None
        if isinstance(policy, ActorCriticPolicy):
            features = BasePolicy.extract_features(policy, obs_t, policy.pi_features_extractor)
            out = policy.action_net(policy.mlp_extractor.forward_actor(features))
        else:  # SAC-style actors: features -> latent_pi -> mu
            mu, latent_pi = getattr(actor, "mu", None), getattr(actor, "latent_pi", None)
            if not (isinstance(actor, BasePolicy) and isinstance(mu, th.nn.Module) and isinstance(latent_pi, th.nn.Module)):
                return None
            out = mu(latent_pi(actor.extract_features(obs_t, actor.features_extractor)))
        if isinstance(dist, CategoricalDistribution):
            return out.argmax(dim=1)
        if isinstance(dist, SquashedDiagGaussianDistribution):
            return th.tanh(out)
        if isinstance(dist, StateDependentNoiseDistribution) and dist.bijector is not None:
            return dist.bijector.forward(out)  # gSDE's squashed mode
        return out

    def action_log_std(self) -> np.ndarray | None:
        # SB3's unsquashed diagonal Gaussian (PPO / A2C / TRPO without gSDE) acts in the env's units
        if not isinstance(self.policy, ActorCriticPolicy) or not isinstance(self.action_space, spaces.Box):
            return None
        if not isinstance(self.policy.action_dist, DiagGaussianDistribution) or self.policy.squash_output:
            return None
        log_std = getattr(self.policy, "log_std", None)
        if not isinstance(log_std, th.Tensor) or tuple(log_std.shape) != (get_action_dim(self.action_space),):
            return None
        return log_std.detach().cpu().numpy().astype(np.float64)

    def _critic(self, obs_t: th.Tensor, scaled_actions: th.Tensor) -> th.Tensor:
        out = self.model.critic(obs_t, scaled_actions)  # type: ignore[attr-defined]
        if isinstance(out, (tuple, list)):
            return th.cat(out, dim=1).min(dim=1).values  # twin heads: min, as in SAC / TD3 targets
        if out.dim() == 3:
            return out.mean(dim=2).mean(dim=1)  # TQC: (batch, n_critics, n_quantiles)
        return out.reshape(-1)

    def _discrete_q(self, obs_t: th.Tensor) -> th.Tensor:
        if hasattr(self.policy, "quantile_net"):
            return self.policy.quantile_net(obs_t).mean(dim=1)  # (batch, n_quantiles, n_actions)
        return self.policy.q_net(obs_t)  # type: ignore[operator]

    @th.no_grad()
    def value(self, obs: np.ndarray) -> np.ndarray:
        out = []
        for (obs_t,) in self._obs_batches(obs):
            if self.kind == "v":
                values = self.policy.predict_values(obs_t).reshape(-1)  # type: ignore[operator]
            elif isinstance(self.action_space, spaces.Discrete):
                values = self._discrete_q(obs_t).max(dim=1).values
            else:
                values = self._critic(obs_t, self._policy_actions(obs_t, deterministic=True))
            out.append(values.cpu().numpy())
        return np.concatenate(out).astype(np.float64) * self.value_scale

    @th.no_grad()
    def q_value(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        if self.kind != "q":
            return super().q_value(obs, actions)
        out = []
        if isinstance(self.action_space, spaces.Discrete):
            for obs_t, act_t in self._obs_batches(obs, np.asarray(actions).reshape(-1).astype(np.int64)):
                out.append(self._discrete_q(obs_t).gather(1, act_t.long().reshape(-1, 1)).reshape(-1).cpu().numpy())
        else:
            scaled = np.clip(self.policy.scale_action(np.asarray(actions, dtype=np.float32)), -1.0, 1.0)
            scaled = scaled.reshape(len(scaled), -1)  # flat, as SB3's critics take them (and its buffers keep them)
            for obs_t, act_t in self._obs_batches(obs, scaled.astype(np.float32)):
                out.append(self._critic(obs_t, act_t).cpu().numpy())
        return np.concatenate(out).astype(np.float64) * self.value_scale


def check_spaces(expert: Any, observation_space: spaces.Space, action_space: spaces.Space, name: str = "expert") -> None:
    """
    Raise a ``ValueError`` naming both spaces where an expert cannot act in or score an env.

    :param expert: the expert (anything with ``observation_space`` and ``action_space``)
    :param observation_space: the env's observation space
    :param action_space: the env's action space
    :param name: the expert's name, for the message
    """
    fix = "Use an expert trained on this env (same observation and action spaces, same env wrappers)."
    e_obs, e_act = expert.observation_space, expert.action_space
    if type(e_obs) is not type(observation_space) or getattr(e_obs, "shape", None) != getattr(
        observation_space, "shape", None
    ):
        raise ValueError(
            f"The {name}'s observation space {e_obs} does not match the env's observation space {observation_space}. {fix}"
        )
    if isinstance(e_obs, spaces.Box) and (
        np.issubdtype(e_obs.dtype, np.integer) != np.issubdtype(observation_space.dtype, np.integer)  # type: ignore[arg-type]
    ):
        # SB3 scales integer (image) observations by 1/255 before its network: float ones would be read wrongly
        raise ValueError(
            f"The {name}'s observations are {e_obs.dtype} but the env's are {observation_space.dtype} ({e_obs} against "
            f"{observation_space}): SB3 preprocesses integer (image) and float observations differently. {fix}"
        )
    if isinstance(e_act, spaces.Discrete) != isinstance(action_space, spaces.Discrete):
        kinds = (
            "discrete" if isinstance(e_act, spaces.Discrete) else "continuous",
            "discrete" if isinstance(action_space, spaces.Discrete) else "continuous",
        )
        raise ValueError(
            f"The {name} has a {kinds[0]} action space {e_act} but the env a {kinds[1]} one {action_space}. {fix}"
        )
    if type(e_act) is not type(action_space):
        raise ValueError(f"The {name}'s action space {e_act} does not match the env's action space {action_space}. {fix}")
    if not isinstance(action_space, spaces.Box) and e_act != action_space:  # Discrete, MultiDiscrete, MultiBinary
        raise ValueError(f"The {name}'s action space {e_act} does not match the env's action space {action_space}. {fix}")
    if isinstance(action_space, spaces.Box) and (
        e_act.shape != action_space.shape
        or not np.allclose(e_act.low, action_space.low)  # type: ignore[attr-defined]
        or not np.allclose(e_act.high, action_space.high)  # type: ignore[attr-defined]
    ):
        raise ValueError(
            f"The {name}'s action space {e_act} (bounds {e_act.low} .. {e_act.high}) does not match the env's action space "  # type: ignore[attr-defined]
            f"{action_space} (bounds {action_space.low} .. {action_space.high}). {fix}"
        )


def check_expert(expert: Any) -> None:
    """
    Check that a user-supplied object has the expert interface PPOExpert relies on.

    :param expert: the object
    """
    missing = [
        attr
        for attr in ("kind", "gamma", "observation_space", "action_space", "predict", "value")
        if not hasattr(expert, attr)
    ]
    if missing:
        raise ValueError(f"{expert!r} is not an Expert: it lacks {', '.join(missing)}. Subclass sb3_aggrevated.Expert.")
    if expert.kind not in ("q", "v"):
        raise ValueError(f"Expert {expert!r} has kind {expert.kind!r}; it must be 'q' (gives q_value) or 'v' (gives value).")
    q_value = getattr(type(expert), "q_value", None)
    if expert.kind == "q" and (not callable(getattr(expert, "q_value", None)) or q_value is Expert.q_value):
        raise ValueError(
            f"Expert {expert!r} says kind 'q' but has no q_value(obs, actions) of its own: implement it, or set kind 'v'."
        )
    gamma = expert.gamma
    if not isinstance(gamma, numbers.Real) or isinstance(gamma, bool) or not 0.0 < float(gamma) <= 1.0:
        raise ValueError(f"Expert {expert!r} has gamma {gamma!r}; it must be a number in (0, 1].")


@contextlib.contextmanager
def preserve_global_rng() -> Iterator[None]:
    """Loading a model builds networks (and may seed): keep the caller's random streams untouched."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    with th.random.fork_rng(devices=[]):
        try:
            yield
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)


@contextlib.contextmanager
def _gym_alias() -> Iterator[None]:
    """For trusted loads: let pickles that name ``gym`` find ``gymnasium`` (only while loading)."""
    import gymnasium

    names = {"gym": gymnasium, "gym.spaces": gymnasium.spaces}
    for sub in ("box", "discrete", "multi_discrete", "multi_binary", "dict", "tuple"):
        names[f"gym.spaces.{sub}"] = getattr(gymnasium.spaces, sub)
    added = [name for name in names if name not in sys.modules]
    for name in added:
        sys.modules[name] = names[name]
    try:
        yield
    finally:
        for name in added:
            sys.modules.pop(name, None)


def _algo_class(algo: str) -> type[BaseAlgorithm]:
    import importlib

    try:
        module, cls_name, _ = EXPERT_ALGOS[algo]
    except KeyError:
        raise ValueError(
            f"Unknown or unsupported expert algorithm {algo!r}: it cannot give advantages. "
            f"Supported: {', '.join(sorted(EXPERT_ALGOS))}."
        ) from None
    return getattr(importlib.import_module(module), cls_name)


def _read_zip_metadata(path: Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("data").decode())
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a readable SB3 model zip ({type(err).__name__}: {err}). {_HOW_TO_GET}") from err


def _infer_algo(metadata: dict[str, Any], path: Path) -> str:
    module = metadata.get("policy_class", {}).get("__module__", "")
    algo = _POLICY_MODULE_TO_ALGO.get(module)
    if algo is None:
        raise ValueError(
            f"Cannot tell which algorithm saved {path} (policy module {module!r}), or it cannot give advantages. "
            f"Pass algo=... (one of {', '.join(sorted(EXPERT_ALGOS))})."
        )
    # SB3's DDPG is TD3 with policy_delay=1 and target_noise_clip=0.0 (its target_policy_noise stays 0.1)
    if algo == "td3" and metadata.get("policy_delay") == 1 and metadata.get("target_noise_clip") == 0.0:
        return "ddpg"
    if algo == "ppo" and "cg_max_steps" in metadata:
        return "trpo"
    if algo == "ppo" and "clip_range" not in metadata:
        return "a2c"
    return algo


#: algorithms whose models share one policy module (the module tells the family, not the member)
_ALGO_FAMILY = {"a2c": "ppo", "trpo": "ppo", "ppo_expert": "ppo", "ddpg": "td3"}


def _check_algo_matches(algo: str, metadata: dict[str, Any], path: Path) -> None:
    """Refuse an ``algo`` (given, or read from an RL Zoo folder's name) that the file's policy class contradicts."""
    module = metadata.get("policy_class", {}).get("__module__", "")
    saved_by = _POLICY_MODULE_TO_ALGO.get(module)
    if saved_by is not None and _ALGO_FAMILY.get(algo, algo) != saved_by:
        saved = _infer_algo(metadata, path)
        raise ValueError(
            f"{path} was saved by {saved.upper()} (policy module {module!r}), not by {algo.upper()}: "
            f"pass algo={saved!r}, or leave algo out to read it from the file (an RL Zoo folder "
            "gives it by its name, ALGO/ENV_N: check that the model sits under the right algorithm's folder)."
        )


def _safe_custom_objects(
    metadata: dict[str, Any], path: Path, observation_space: spaces.Space | None, action_space: spaces.Space | None
) -> dict[str, Any]:
    """Decode every pickled field of a model zip with the restricted unpickler, or replace it."""
    objects: dict[str, Any] = {}
    for key, item in metadata.items():
        if not (isinstance(item, dict) and ":serialized:" in item):
            continue
        try:
            objects[key] = safe_loads(base64.b64decode(item[":serialized:"].encode()), what=f"{path} field '{key}'")
        except UnsafePickleError:
            if key in _SAFE_DEFAULTS:
                objects[key] = _SAFE_DEFAULTS[key]
            elif key == "observation_space" and observation_space is not None:
                objects[key] = observation_space
            elif key == "action_space" and action_space is not None:
                objects[key] = action_space
            elif key in ("policy_class", "policy_kwargs", "observation_space", "action_space"):
                raise
            else:
                objects[key] = None
    for key in ("learning_rate", "lr_schedule", "clip_range", "exploration_schedule"):
        if key in metadata:
            objects[key] = _SAFE_DEFAULTS[key]
    return objects


def load_sb3_model(
    path: str | os.PathLike,
    algo: str | None = None,
    observation_space: spaces.Space | None = None,
    action_space: spaces.Space | None = None,
    device: th.device | str = "cpu",
    trusted: bool = False,
) -> BaseAlgorithm:
    """
    Load an SB3 model zip for inference, also one saved with old SB3 / gym versions.

    IMPORTANT: with ``trusted=False`` (default) no pickled code is executed: pickled fields are read
    by a restricted unpickler (schedules are replaced by constants), the weights as tensors only.

    :param path: the model zip
    :param algo: RL Zoo algorithm name (inferred from the zip where ``None``)
    :param observation_space: the env's observation space, used where the stored one cannot be read
    :param action_space: the env's action space, used where the stored one cannot be read
    :param device: torch device for the expert's networks
    :param trusted: load the ordinary way (cloudpickle), for files whose origin you trust
    :return: the model
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No expert model at {path}. {_HOW_TO_GET}")
    metadata = _read_zip_metadata(path)
    if algo is not None:
        _check_algo_matches(algo, metadata, path)
    algo = algo or _infer_algo(metadata, path)
    algo_cls = _algo_class(algo)
    kwargs: dict[str, Any] = {"seed": None}
    if issubclass(algo_cls, OffPolicyAlgorithm):
        kwargs["buffer_size"] = 1
    with preserve_global_rng(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(truncated the optimizer state|Could not deserialize).*")
        if trusted:
            custom: dict[str, Any] = {
                key: _SAFE_DEFAULTS[key] for key in ("learning_rate", "lr_schedule", "clip_range") if key in metadata
            }
            with _gym_alias():
                return algo_cls.load(path, device=device, custom_objects=custom, print_system_info=False, **kwargs)
        custom = _safe_custom_objects(metadata, path, observation_space, action_space)
        return algo_cls.load(path, device=device, custom_objects=custom, print_system_info=False, **kwargs)


def load_vec_normalize(path: str | os.PathLike, trusted: bool = False) -> VecNormalize:
    """
    Read a ``vecnormalize.pkl`` without an env (statistics only).

    :param path: the file
    :param trusted: unpickle the ordinary way instead of with the restricted unpickler
    :return: the VecNormalize object (no ``venv``; use its statistics)
    """
    data = Path(path).read_bytes()
    if trusted:
        import pickle

        with _gym_alias():
            obj = pickle.loads(data)
    else:
        obj = safe_loads(data, what=str(path))
    if not isinstance(obj, VecNormalize):
        raise ValueError(f"{path} does not hold a VecNormalize object (got {type(obj).__name__}).")
    return obj


def _model_vec_normalize(model: BaseAlgorithm) -> VecNormalize | None:
    """
    The VecNormalize of an SB3 model object's env (SB3 keeps a model's statistics there, not in the model), refused
    where it holds no statistics yet: a model loaded onto a new ``VecNormalize`` env (``PPO.load(path, env=env)``)
    was trained with other statistics, which that env does not have.
    """
    vec = model.get_vec_normalize_env()
    if vec is None or not vec.norm_obs or isinstance(vec.obs_rms, dict):
        return vec
    if vec.obs_rms.count < 1.0:  # RunningMeanStd starts at count=epsilon: not one observation seen
        raise ValueError(
            f"The expert {type(model).__name__}'s env is wrapped in a VecNormalize that has seen no observation yet, so "
            "it does not hold the statistics the model was trained with (a model loaded onto a new VecNormalize env?). "
            "Pass the model's own statistics: vec_normalize=PATH_OR_VECNORMALIZE (expert_kwargs=dict(vec_normalize="
            "...) for PPOExpert), e.g. VecNormalize.load('vecnormalize.pkl', venv), or load the model without env."
        )
    return vec


def _value_scale(vec_normalize: VecNormalize | None) -> float:
    if vec_normalize is None or not vec_normalize.norm_reward:
        return 1.0
    return float(np.sqrt(vec_normalize.ret_rms.var + vec_normalize.epsilon))


#: zips that sit beside a model in an RL Zoo / Hub folder without being one
NOT_MODEL_ZIPS = ("train_eval_metrics.zip",)


def resolve_expert_files(source: str | os.PathLike) -> tuple[Path, Path | None, str | None]:
    """
    Find the model zip and ``vecnormalize.pkl`` of an expert given as a zip or a folder.

    Folders in the RL Zoo layout (``ALGO/ENV_1/ENV.zip`` with ``ALGO/ENV_1/ENV/vecnormalize.pkl``) and
    flat folders (``model.zip`` + ``vecnormalize.pkl``, as the Hub stores them) are understood.

    :param source: path to a zip or a folder
    :return: (zip path, vecnormalize path or None, algo name from the folder layout or None)
    """
    path = Path(source).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"No expert found at {path} (neither a model zip nor a folder). {_HOW_TO_GET}")
    algo_hint = None
    if path.is_dir():
        # rl_zoo3's push_to_hub puts its training and evaluation logs beside the model as train_eval_metrics.zip
        zips = sorted(z for z in path.glob("*.zip") if z.name not in NOT_MODEL_ZIPS)
        run_name = _run_env_name(path)
        preferred = [z for z in zips if z.stem == run_name] or [z for z in zips if z.stem != "best_model"] or zips
        if not preferred:
            raise FileNotFoundError(f"No model zip in the expert folder {path}. {_HOW_TO_GET}")
        if len(preferred) > 1:
            raise ValueError(f"Several model zips in {path} ({', '.join(z.name for z in preferred)}); pass the zip itself.")
        zip_path = preferred[0]
        if path.parent.name.lower() in EXPERT_ALGOS:
            algo_hint = path.parent.name.lower()
    else:
        zip_path = path
        if path.parent.parent.name.lower() in EXPERT_ALGOS:
            algo_hint = path.parent.parent.name.lower()
    candidates = [folder / "vecnormalize.pkl" for folder in _config_folders(zip_path)]
    checkpoint = _SB3_CHECKPOINT.fullmatch(zip_path.stem)
    if checkpoint:  # SB3's CheckpointCallback(save_vecnormalize=True) saves the statistics of each checkpoint beside it
        candidates.insert(0, zip_path.parent / f"{checkpoint.group(1)}_vecnormalize_{checkpoint.group(2)}_steps.pkl")
    candidates.append(zip_path.parent / "vec_normalize.pkl")
    vec_path = next((c for c in candidates if c.is_file()), None)
    return zip_path, vec_path, algo_hint


def _warn_if_unclaimed_statistics(zip_path: Path, vec_path: Path) -> None:
    """
    Warn where the statistics found for an expert are only a ``vec_normalize.pkl`` / ``vecnormalize.pkl`` lying in the
    zip's own folder with no RL Zoo ``config.yml`` there saying the model was trained with ``normalize`` and no Hub
    ``config.json`` (a Hub snapshot has one or the other): the file may be another model's (SB3's docs save a
    learner's statistics under that name), and the wrong statistics make the expert act and score wrongly without
    any error.
    """
    if vec_path.parent != zip_path.parent or vec_path.name not in ("vec_normalize.pkl", "vecnormalize.pkl"):
        return  # RL Zoo layout (ENV/vecnormalize.pkl) or a checkpoint's own PREFIX_vecnormalize_N_steps.pkl
    config = _zoo_config_file(zip_path)
    if (config is not None and _says_normalize(config)) or (zip_path.parent / "config.json").is_file():
        return  # claimed by the model's config.yml, or a Hub snapshot of huggingface_sb3's (its config.json beside)
    said = f"{config} does not say normalize: true" if config else "no RL Zoo config.yml says it was trained with them"
    warnings.warn(
        f"The expert {zip_path} is read with the statistics of {vec_path}, found beside it ({said}). If that file "
        "belongs to another model, the expert sees wrongly scaled observations. Pass the expert's statistics "
        "explicitly (vec_normalize=PATH; expert_kwargs=dict(vec_normalize=PATH) for PPOExpert), which also silences "
        "this warning, or move the file away.",
        UserWarning,
        stacklevel=3,
    )


#: SB3's CheckpointCallback names its zips PREFIX_N_steps.zip (rl_zoo3: rl_model_N_steps.zip)
_SB3_CHECKPOINT = re.compile(r"(.+)_(\d+)_steps")


def _run_env_name(folder: Path) -> str:
    """The env name of an rl_zoo3 run folder (``ENV_N`` -> ``ENV``); other folders' own name."""
    name, _, number = folder.name.rpartition("_")
    return name if name and number.isdigit() else folder.name


def _config_folders(zip_path: Path) -> list[Path]:
    """
    The folders where a model's RL Zoo ``config.yml`` and ``vecnormalize.pkl`` may be, most specific first: the
    model's own (``ENV_1/ENV/`` beside ``ENV_1/ENV.zip``), the run's (rl_zoo3 keeps them in ``ENV_1/ENV/`` for its
    ``best_model.zip`` and ``rl_model_N_steps.zip`` checkpoints too), and the zip's folder (a Hub snapshot).
    """
    folders = [zip_path.parent / zip_path.stem, zip_path.parent / _run_env_name(zip_path.parent), zip_path.parent]
    return list(dict.fromkeys(folders))


def embedded_experts_dir() -> Path:
    """Folder of the experts shipped with the package (``embedded/NAME`` references)."""
    return Path(__file__).parent / "data" / "experts"


def _latest_run(folder: Path, algo: str, env_id: str) -> Path | None:
    """The latest rl_zoo3 run ``ALGO/ENV_N`` in ``folder`` that holds its final model (``ENV.zip``): a later run still
    training, or one that stopped before saving, is passed over (it may hold only checkpoints); the latest run where
    none has its model (its error then names what is missing); ``None`` where there is no run."""
    runs = [p for p in (folder / algo).glob(f"{env_id}_*") if p.is_dir() and p.name[len(env_id) + 1 :].isdigit()]
    runs.sort(key=lambda p: int(p.name[len(env_id) + 1 :]))
    finished = [p for p in runs if (p / f"{env_id}.zip").is_file()]
    candidates = finished or runs
    return candidates[-1] if candidates else None


def download_expert_from_hub(repo_id: str) -> Path:
    """
    Fetch an expert (model zip, ``vec_normalize.pkl``, config) from the Hugging Face Hub through
    ``huggingface_hub``'s cache: a second call, and a call with ``HF_HUB_OFFLINE=1``, use the cache.

    :param repo_id: e.g. ``"sb3/ppo-BipedalWalkerHardcore-v3"``
    :return: the local snapshot folder
    """
    from huggingface_hub import constants, snapshot_download

    try:
        snapshot = Path(
            snapshot_download(
                repo_id, allow_patterns=["*.zip", "*.pkl", "*.yml", "*.json"], ignore_patterns=list(NOT_MODEL_ZIPS)
            )
        )
    except Exception as err:  # offline, not cached, no such repo: say where we looked and how to fix it
        raise FileNotFoundError(
            f"Could not get the expert {repo_id!r} from the Hugging Face Hub ({type(err).__name__}: {err}); "
            f"it is not in the local Hub cache {constants.HF_HUB_CACHE} either"
        ) from err
    # Every agent that rl_zoo3's or huggingface_sb3's push_to_hub publishes has its config (config.yml / config.json),
    # and whether it needs its vec_normalize.pkl is read from there. Offline, or where the Hub cannot be reached,
    # snapshot_download returns what the cache holds, which may be the model zip alone (fetched by itself with
    # hf_hub_download, as huggingface_sb3.load_from_hub does): an expert loaded from that would miss its statistics.
    if not any((snapshot / name).is_file() for name in ("config.yml", "config.json")):
        raise ValueError(
            f"The Hub snapshot of {repo_id!r} at {snapshot} holds no config.yml or config.json, which every agent "
            "published by rl_zoo3 or huggingface_sb3 has: the local cache holds only some of its files (fetched one by "
            "one, then read offline), or the repository is not such an agent. Run once with access to the Hub (every "
            "file is fetched then), or download the model zip (and its vec_normalize.pkl) and pass their paths "
            "(expert=PATH, expert_kwargs=dict(vec_normalize=PATH))."
        )
    return snapshot


def resolve_expert_source(reference: str | os.PathLike) -> tuple[Path, str | None]:
    """
    Find an expert given by reference. ``embedded/NAME`` is always an expert shipped with this package (never
    shadowed by a folder of that name); any other reference is looked up in this order:

    1. the folder named by ``$SB3_AGGREVATED_EXPERTS`` (RL Zoo layout: a Hub id ``sb3/ALGO-ENV`` maps to
       ``ALGO/ENV_N`` there, the latest N; other references are taken relative to it),
    2. a path (a model zip or a folder),
    3. a Hugging Face Hub id (``ORG/ALGO-ENV``), downloaded once and cached.

    :param reference: the reference
    :return: (local path, algo name where the reference tells it)
    """
    ref = str(reference)
    hub = _HUB_ID.match(ref)
    algo_hint = hub.group("algo") if hub and hub.group("algo") in EXPERT_ALGOS else None
    if ref.startswith(EMBEDDED_PREFIX):
        # the shipped expert, whatever $SB3_AGGREVATED_EXPERTS holds (the "embedded/sac-ENV" form also reads as a Hub id)
        embedded = embedded_experts_dir() / ref[len(EMBEDDED_PREFIX) :]
        if embedded.exists():
            return embedded, algo_hint
        names = sorted(p.name for p in embedded_experts_dir().glob("*")) if embedded_experts_dir().is_dir() else []
        raise FileNotFoundError(
            f"No embedded expert {ref!r}: the package ships {', '.join(EMBEDDED_PREFIX + n for n in names) or 'none'}. "
            "Use one of them, or give a path or a Hub id."
        )
    looked = []
    folder = os.environ.get(EXPERTS_ENV_VAR)
    # the algorithm a Hub id names holds for what the id maps to (the RL Zoo folder, the download); a path that merely
    # looks like one (mine/ppo-vs-sac.zip) tells nothing: its zip does
    if folder:
        candidates: list[tuple[Path, str | None]] = [(Path(folder) / ref, None)]
        if hub:
            latest = _latest_run(Path(folder), hub.group("algo"), hub.group("env"))
            candidates.insert(0, (latest or Path(folder) / hub.group("algo") / f"{hub.group('env')}_1", algo_hint))
        for candidate, hint in candidates:
            if candidate.exists():
                return candidate, hint
        looked.append(f"${EXPERTS_ENV_VAR} ({', '.join(str(c) for c, _ in candidates)})")
    else:
        looked.append(f"${EXPERTS_ENV_VAR} (not set)")
    path = Path(ref).expanduser()
    if path.exists():
        return path, None
    zipped = path.with_name(path.name + ".zip")
    if path.suffix != ".zip" and zipped.is_file():  # as SB3's load() reads "model" (model.save("model") -> model.zip)
        return zipped, None
    looked.append(f"the path {path.absolute()}")
    if hub:
        try:
            return download_expert_from_hub(ref), algo_hint
        except FileNotFoundError as err:
            looked.append(str(err))
    raise FileNotFoundError(
        f"No expert found for {ref!r}. Looked in: " + "; ".join(looked) + f". {_HOW_TO_GET} "
        f"Then set {EXPERTS_ENV_VAR}=DIR or pass the folder's path."
    )


class PythonTag(str):
    """A value an RL Zoo YAML file holds as a Python object (``!!python/name:torch.nn.ReLU``, ...), kept as its tag and
    text: read, never constructed (rl_zoo3 writes them where ``-params`` held Python objects)."""


def _python_tag(loader: Any, tag_suffix: str, node: Any) -> Any:
    """A ``!!python/...`` node: a tuple read as one (rl_zoo3 writes ``!!python/tuple`` for tuples in ``-params`` and
    ``--env-kwargs``), anything else as a :class:`PythonTag` of its text."""
    import yaml

    if isinstance(node, yaml.ScalarNode):
        value: Any = node.value
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
        if tag_suffix == "tuple":
            return tuple(value)
    else:
        value = loader.construct_mapping(node, deep=True)
    return PythonTag(f"!!python/{tag_suffix}{' ' + str(value) if value not in ('', None) else ''}")


def _zoo_config(path: Path) -> dict[str, Any]:
    """Read an RL Zoo ``config.yml`` / ``args.yml`` (an OrderedDict dumped by PyYAML) without constructing arbitrary
    objects: any other Python object in it is read as a :class:`PythonTag`."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_constructor(
        "tag:yaml.org,2002:python/object/apply:collections.OrderedDict",
        lambda loader, node: dict(loader.construct_sequence(node.value[0], deep=True)),
    )
    _Loader.add_multi_constructor("tag:yaml.org,2002:python/", _python_tag)
    try:
        config = yaml.load(Path(path).read_text(), Loader=_Loader)  # noqa: S506 (a safe loader plus one tag)
    except yaml.YAMLError as err:  # never read as empty: normalize, env_kwargs and frame_stack would be lost silently
        raise ValueError(
            f"Could not read the RL Zoo file {path} ({type(err).__name__}: {err}). Mend the file (rl_zoo3 writes it with "
            "yaml.dump), or move it away and pass the model's settings by hand (vec_normalize=PATH for an expert)."
        ) from err
    return config if isinstance(config, dict) else {}


def _zoo_config_file(zip_path: Path) -> Path | None:
    """A model's RL Zoo ``config.yml``: the first found in :func:`_config_folders`, ``None`` where there is none."""
    return next((folder / "config.yml" for folder in _config_folders(zip_path) if (folder / "config.yml").is_file()), None)


def _says_normalize(config: Path) -> bool:
    """Whether an RL Zoo ``config.yml`` says the model was trained with VecNormalize (``normalize: true`` or its
    keywords; not ``false`` / ``'false'``)."""
    normalize = _zoo_config(config).get("normalize", False)
    return bool(normalize) and str(normalize).lower() != "false"


def _normalize_config(zip_path: Path) -> Path | None:
    """The RL Zoo ``config.yml`` of a model where it says the model was trained with ``normalize: true``, else
    ``None`` (the first config found in :func:`_config_folders` decides)."""
    config = _zoo_config_file(zip_path)
    return config if config is not None and _says_normalize(config) else None


def load_expert(
    source: Any,
    env: VecEnv | Any | None = None,
    *,
    algo: str | None = None,
    vec_normalize: str | os.PathLike | VecNormalize | None = None,
    device: th.device | str = "cpu",
    trusted: bool = False,
) -> Expert:
    """
    Turn ``source`` into an :class:`Expert`.

    :param source: an :class:`Expert` (or any object with its interface), an SB3 model, a path to a model
        zip, a folder in RL Zoo layout (``ALGO/ENV_1/``), ``embedded/NAME`` or a Hub id (see
        :func:`resolve_expert_source` for the order in which references are looked up)
    :param env: the env the expert will act in (a VecEnv or gymnasium env); its spaces are checked
        against the expert's
    :param algo: RL Zoo name of the expert's algorithm (inferred from the folder layout or the zip)
    :param vec_normalize: the expert's VecNormalize (object or ``.pkl`` path); by default the
        ``vecnormalize.pkl`` beside the zip in RL Zoo layout, and for an SB3 model object its env's VecNormalize
        (``model.get_vec_normalize_env()``, as SB3 keeps a model's statistics)
    :param device: torch device of the expert's networks
    :param trusted: load pickled fields the ordinary way (runs code from the file); default: the
        restricted unpickler, which runs none
    :return: the expert
    """
    obs_space = getattr(env, "observation_space", None)
    act_space = getattr(env, "action_space", None)
    if source is None:
        raise ValueError("No expert given (source is None).")
    if isinstance(source, BaseAlgorithm):
        vec = load_vec_normalize(vec_normalize, trusted) if isinstance(vec_normalize, (str, os.PathLike)) else vec_normalize
        if vec is None:  # as SB3 keeps them: the statistics a model goes with are its env's VecNormalize
            vec = _model_vec_normalize(source)
        expert: Any = SB3Expert(
            source,
            ObsNormalizer.from_vec_normalize(vec) if vec is not None else None,
            _value_scale(vec),
            name=type(source).__name__,
        )
    elif isinstance(source, (str, os.PathLike)):
        path, ref_algo = resolve_expert_source(source)
        zip_path, vec_path, algo_hint = resolve_expert_files(path)
        if isinstance(vec_normalize, VecNormalize):
            vec = vec_normalize
        else:
            vec_file = vec_normalize if vec_normalize is not None else vec_path
            config = _normalize_config(zip_path) if vec_file is None else None
            if config is not None:
                raise FileNotFoundError(
                    f"The expert {zip_path} was trained with VecNormalize (normalize: true in {config}) but no "
                    f"vecnormalize.pkl was found beside it ({config.parent / 'vecnormalize.pkl'}). "
                    "Without its statistics it sees wrongly scaled observations. Copy the file there, or pass "
                    "vec_normalize=PATH (expert_kwargs=dict(vec_normalize=PATH) for PPOExpert)."
                )
            if vec_normalize is None and vec_path is not None:
                _warn_if_unclaimed_statistics(zip_path, vec_path)
            vec = load_vec_normalize(vec_file, trusted) if vec_file is not None else None
        model = load_sb3_model(zip_path, algo or algo_hint or ref_algo, obs_space, act_space, device=device, trusted=trusted)
        expert = SB3Expert(
            model,
            ObsNormalizer.from_vec_normalize(vec) if vec is not None else None,
            _value_scale(vec),
            name=str(source) if Path(source) == path else f"{source} ({path})",
        )
    else:
        expert = source
    check_expert(expert)
    if obs_space is not None and act_space is not None:
        check_spaces(expert, obs_space, act_space, name=f"expert {getattr(expert, 'name', type(expert).__name__)}")
    return expert
