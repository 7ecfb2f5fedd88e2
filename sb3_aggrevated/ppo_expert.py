"""PPOExpert: PPO with expert-mixed roll-in and expert-critic advantages (Deeply AggreVaTeD)."""

from __future__ import annotations

import difflib
import importlib
import inspect
import io
import os
import pathlib
import warnings
from collections.abc import Iterable
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.distributions import CategoricalDistribution, DiagGaussianDistribution
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy
from stable_baselines3.common.preprocessing import get_action_dim
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback, Schedule
from stable_baselines3.common.utils import explained_variance, obs_as_tensor, update_learning_rate
from stable_baselines3.common.vec_env import VecEnv, VecNormalize
from torch.nn import functional as F

from sb3_aggrevated.buffers import (
    ExpertRolloutBuffer,
    ExpertRolloutBufferSamples,
    blend_advantages,
    q_expert_advantages,
    v_expert_advantages,
)
from sb3_aggrevated.callbacks import atomic_write, check_raw_obs_source, obs_changed_above
from sb3_aggrevated.experts import Expert, load_expert
from sb3_aggrevated.policies import ACTION_EPS, TanhGaussianDistribution, TanhGaussianPolicy
from sb3_aggrevated.schedules import (
    LinearRolloutSchedule,
    RolloutSchedule,
    _check_integer,
    _check_rollouts,
    make_rollout_schedule,
    yaml_number_hint,
)

__all__ = ["PPOExpert"]

SelfPPOExpert = TypeVar("SelfPPOExpert", bound="PPOExpert")

MIXING_MODES = ("step", "episode")
BC_LOSSES = ("mse", "nll")


def _positive_finite(value: Any) -> bool:
    """Whether ``value`` is a real number (not a bool, not a string) in (0, inf)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 < value < float("inf")


def constructor_keywords(algo_cls: type) -> set[str]:
    """
    The keyword arguments of ``algo_cls(policy, env, ...)`` a user sets (``policy`` included, ``env`` and SB3's
    ``_init_setup_model`` not): what a hyperparameter file, ``--params`` or ``load(**kwargs)`` may name.

    :param algo_cls: PPOExpert, or another SB3 algorithm class
    :return: the keywords
    """
    return set(inspect.signature(algo_cls).parameters) - {"env", "_init_setup_model"}


def unknown_key_hints(unknown: list[str], known: set[str]) -> str:
    """
    ``'key' (did you mean 'close'?)``, comma-separated, for each unknown key: the closest known key where there is one.

    :param unknown: the keys refused
    :param known: the keys accepted
    :return: the text for an error message
    """
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hints.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return ", ".join(hints)


def expert_keywords() -> list[str]:
    """PPOExpert's own constructor keywords (those PPO does not take), in the constructor's order."""
    ppo = inspect.signature(PPO).parameters
    return [name for name in inspect.signature(PPOExpert).parameters if name not in ppo]


def _expert_settings_given(values: dict[str, Any]) -> list[str]:
    """
    The expert settings among ``values`` (:func:`expert_keywords`, but ``expert`` and ``target_kl_from``, which
    applies without an expert) set to something other than their default.

    :param values: constructor keywords and their values
    :return: ``name=value`` for each, in the constructor's order
    """
    parameters = inspect.signature(PPOExpert).parameters
    given = []
    for name in expert_keywords():
        if name in ("expert", "target_kl_from"):
            continue
        default = parameters[name].default
        value = values.get(name, default)
        try:
            same = value is default or bool(value == default)
        except Exception:  # an object without a plain comparison (an array): not the default
            same = False
        if not same:
            given.append(f"{name}={value!r}")
    return given


def _npz_path(path: str | pathlib.Path) -> pathlib.Path:
    """``path`` with ``.npz`` added where it has no suffix (SB3 adds ``.pkl`` to a replay buffer's name alike)."""
    path = pathlib.Path(path)
    return path if path.suffix else path.with_name(path.name + ".npz")


def _masked_mean(values: th.Tensor, mask: th.Tensor | None) -> th.Tensor:
    if mask is None:
        return values.mean()
    return (values * mask).sum() / mask.sum().clamp(min=1.0)


def _masked_normalize(advantages: th.Tensor, mask: th.Tensor) -> th.Tensor:
    """Normalise over the steps that count only; the others become 0."""
    count = mask.sum()
    if count < 2:
        return advantages * mask
    mean = (advantages * mask).sum() / count
    std = th.sqrt(((advantages - mean) ** 2 * mask).sum() / (count - 1))
    return (advantages - mean) / (std + 1e-8) * mask


def _expert_rollout_buffer_class(buffer_class: Any) -> type[ExpertRolloutBuffer]:
    """
    The rollout buffer class PPOExpert fills: an ``ExpertRolloutBuffer`` (subclass) as given, or as a dotted path (rl_zoo3's
    ``-params`` and YAML give classes that way); SB3's plain ``RolloutBuffer``, which the zip of an SB3 PPO or A2C model
    records, is replaced by ``ExpertRolloutBuffer`` (the same arrays, plus the expert's), so such a model starts a
    PPOExpert from its weights. Anything else is refused.
    """
    given = buffer_class
    if isinstance(buffer_class, str):
        module_name, _, class_name = buffer_class.rpartition(".")
        try:
            buffer_class = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError, ValueError) as error:
            raise ValueError(
                f"rollout_buffer_class {given!r} could not be imported ({type(error).__name__}: {error}): give a class "
                "or its dotted path, e.g. 'sb3_aggrevated.buffers.ExpertRolloutBuffer', or leave the key out."
            ) from error
    if buffer_class is None or buffer_class is RolloutBuffer:
        return ExpertRolloutBuffer
    if not (isinstance(buffer_class, type) and issubclass(buffer_class, ExpertRolloutBuffer)):
        raise ValueError(
            f"PPOExpert needs an ExpertRolloutBuffer (or a subclass of sb3_aggrevated.buffers.ExpertRolloutBuffer), got "
            f"rollout_buffer_class={given!r}: leave rollout_buffer_class out, or derive the class from ExpertRolloutBuffer."
        )
    return buffer_class


def _settings(values: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.3g}" for name, value in values.items())


class _Spaces:
    """The two spaces an expert is checked against, where no env is given (``load()`` without ``env``)."""

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space) -> None:
        self.observation_space = observation_space
        self.action_space = action_space


class PPOExpert(PPO):
    """
    Proximal Policy Optimization with an expert: expert-mixed roll-in, policy-gradient steps on the
    expert critic's advantages, then a hand-over to ordinary PPO so the learner can exceed the expert.

    Paper: Sun et al., "Deeply AggreVaTeD: Differentiable Imitation Learning for Sequential Prediction",
    ICML 2017, https://arxiv.org/abs/1703.01030; PPO: https://arxiv.org/abs/1707.06347;
    THOR (Sun et al. 2018) for the lambda-generalisation with the expert's value as baseline.
    Code: built on stable-baselines3's PPO (https://github.com/DLR-RM/stable-baselines3).

    At each rollout ``n`` (0-based):

    - **roll-in**: with probability ``beta_n`` (per step, or per episode) the expert's action is
      executed instead of the learner's. The learner's *own* sampled action and its log-prob are
      stored at every step, so PPO's ratio is always the learner's against itself.
    - **expert advantage** at the visited states: for a Q-expert ``A* = Q*(s, a) - V*(s)`` at the
      learner's action, at every step; for a V-expert GAE(``expert_gae_lambda``) over the TD errors
      ``r + gamma* V*(s') (1 - terminated) - V*(s)`` (raw rewards, V* in reward units), on the steps the
      learner executed (the steps the expert executed are masked out of the policy loss).
    - **hand-over**: the policy loss uses ``w_n * A* + (1 - w_n) * A_GAE`` (A* rescaled to the learner's
      advantage units), ``w_n`` going from 1 to 0; the learner's value function is always trained on
      the returns of the executed trajectories.
    - optional **behaviour cloning** (DAgger / kickstarting) of the expert's action at the visited states:
      ``bc_coef_n * ||mu(s) - a*(s)||^2`` (``bc_loss="mse"``) or ``bc_coef_n * -log pi(a*|s)`` (``"nll"``; always
      for discrete actions), by default scaled by the hand-over weight.

    With ``expert=None``, or ``beta = 0``, weight 0 and ``bc_coef = 0``, the update is PPO's exactly.

    IMPORTANT: the schedules count rollouts (``n_steps * n_envs`` env steps each), not env steps.
    The expert is never saved with the model: pass ``expert=...`` to ``load()`` to continue training.

    Takes every argument of :class:`stable_baselines3.PPO`, plus:

    :param expert: an :class:`~sb3_aggrevated.experts.Expert`, an SB3 model, a path to a model zip, an RL Zoo
        folder (``ALGO/ENV_1/``), ``embedded/NAME`` (an expert shipped with the package) or a Hugging Face Hub id
        (``sb3/ppo-BipedalWalkerHardcore-v3``; see :func:`~sb3_aggrevated.experts.load_expert`); ``None`` means plain PPO
    :param beta: roll-in probability of executing the expert's action at rollout 0, or a
        :class:`~sb3_aggrevated.schedules.RolloutSchedule`
    :param beta_schedule: how beta changes: ``"constant"``, ``"linear"`` (to 0 over ``beta_rollouts``),
        ``"exponential"`` (``beta * beta_decay ** n``) or ``"inverse"`` (``beta / (n + 1)``)
    :param beta_decay: factor per rollout of the exponential schedule
    :param beta_rollouts: rollouts after which beta is 0 (the ramp length for ``"linear"``); ``None``: never
    :param mixing: ``"step"`` (a fresh draw for each env at each step) or ``"episode"`` (one draw per episode)
    :param expert_deterministic: execute the expert's deterministic action during roll-in
    :param expert_gae_lambda: lambda of the GAE over a V-expert's TD errors (0: AggreVaTeD's one-step
        advantage; towards 1: RL with V* as baseline); a number or a RolloutSchedule
    :param handover_start: the last rollout at which the policy gradient uses the expert's advantage only (the
        hand-over weight is 1 at rollouts 0 to ``handover_start``)
    :param handover_rollouts: rollouts over which the weight then goes linearly from 1 to 0 (0 from rollout
        ``handover_start + handover_rollouts`` on)
    :param handover: the hand-over weight as a number or a RolloutSchedule (overrides the two above)
    :param bc_coef: coefficient of the behaviour-cloning loss at rollout 0 (a number or a RolloutSchedule)
    :param bc_schedule: how ``bc_coef`` changes, as ``beta_schedule`` (default ``"constant"``); with
        ``bc_follows_handover=False`` a ``"linear"`` schedule over many more rollouts than the hand-over keeps
        cloning as an anchor that fades slowly (kickstarting)
    :param bc_decay: factor per rollout of the exponential ``bc_schedule``
    :param bc_rollouts: rollouts after which ``bc_coef`` is 0 (the ramp length for ``"linear"``); ``None``: never
    :param bc_loss: for Box actions, ``"mse"`` (squared distance of the learner's deterministic action to the
        expert's, in the policy's action units; bounded where expert actions sit on the bounds) or ``"nll"``
        (``-log pi(a*|s)``); discrete actions always use the negative log-likelihood (cross-entropy)
    :param bc_buffer_size: keep this many (state, expert action) pairs across rollouts and clone on
        minibatches drawn from them (DAgger's aggregated dataset; raw observations, normalised with the learner's
        current statistics at each update); 0 clones on the current rollout only. Not saved with the model.
    :param bc_batch_size: size of the minibatches drawn from the aggregated dataset, one per PPO minibatch
        (``None``: ``batch_size``); larger batches clone on more states per gradient step at little extra cost
    :param bc_steps: supervised gradient steps on the cloning loss alone after each PPO update (DAgger's
        supervised step), on minibatches of ``bc_batch_size`` from the aggregated dataset (or the rollout). The
        cloning term inside PPO's loss shares its gradient-norm clipping with the value loss; these steps clip
        the policy's own gradient only, so cloning progresses at the optimizer's pace. Weighted by the current
        ``bc_coef`` (0 after the hand-over by default).
    :param bc_anchor_from: from this rollout on, cloning goes on only as an anchor inside PPO's loss, on each PPO
        minibatch's own states (labelled by the expert): no states drawn from the aggregated dataset and no
        ``bc_steps`` cloning steps. The cheap form of a long, slowly fading cloning term after the hand-over
        (it adds no network pass to PPO's); ``None``: cloning keeps its full form while ``bc_coef > 0``
    :param bc_anchor_coef: factor on the cloning weight (``bc_coef``'s schedule) in that anchor-only form, from
        ``bc_anchor_from`` on (a finite number > 0): on the minibatch's own states alone the anchor fits the expert
        more loosely than the full form at the same weight, and a larger weight buys the fit back (3 in the Hardcore probes).
        Needs ``bc_anchor_from`` where it is not 1
    :param bc_skip_info_key: an ``info`` key (e.g. set by an env wrapper) marking steps whose states are kept out of
        the aggregated cloning dataset; the info a step returns marks the state that step was taken from (the row it
        is stored with), so a wrapper marks a state ``s`` in the info of the step leaving ``s`` (a flag computed
        from the state the step reaches marks one step late). Where the expert is known to fail (a walker standing
        at an obstacle), the learner is not held to its action there and PPO's own update decides. Needs
        ``bc_buffer_size > 0`` and no ``bc_anchor_from`` (both clone only on the aggregated dataset then); ``None``:
        every state is cloned
    :param target_kl_from: the rollout from which SB3's ``target_kl`` early stop applies (the updates of earlier
        rollouts run all ``n_epochs``), e.g. the end of the hand-over, so that PPO's steps on the expert's advantages
        keep their size and only the PPO phase is KL-bounded; ``None``: from the first rollout, as in PPO. No effect
        without ``target_kl``
    :param bc_learning_rate: learning rate of the ``bc_steps`` cloning steps (a number > 0; the optimizer's
        moment estimates stay shared with PPO's updates); ``None``: PPO's current learning rate
    :param bc_follows_handover: multiply ``bc_coef`` by the hand-over weight, so that cloning fades out with
        the expert's advantage and the learner is free to improve past the expert
    :param handover_lr_factor: multiply the learning rate (of PPO's updates, and of the cloning steps unless
        ``bc_learning_rate`` is set) by ``w + (1 - w) * handover_lr_factor``, ``w`` the hand-over weight: 1 keeps
        SB3's ``learning_rate``; below 1, the PPO phase takes smaller steps from the hand-over on (without an
        expert the factor is 1)
    :param log_std_from_expert: start the learner's (state-independent) log standard deviation at the expert's
        (SB3 PPO, A2C or TRPO experts with a Box action space; for ``"TanhMlpPolicy"`` the pre-tanh noise of the
        same width in the policy's [-1, 1] units) instead of ``log_std_init``, so that the learner's own roll-in
        and the PPO phase after the hand-over start with the expert's exploration noise; a new model only
        (``load()`` restores the saved log-std)
    :param expert_kwargs: keyword arguments for :func:`~sb3_aggrevated.experts.load_expert`
        (``algo``, ``vec_normalize``, ``device``, ``trusted``)
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {
        **PPO.policy_aliases,
        "TanhMlpPolicy": TanhGaussianPolicy,
    }
    rollout_buffer: ExpertRolloutBuffer

    #: The expert keywords that take whole numbers (rollouts, states, steps): a float such as 2e5 is taken as one.
    INTEGER_KEYWORDS: ClassVar[tuple[str, ...]] = (
        "beta_rollouts",
        "handover_start",
        "handover_rollouts",
        "bc_rollouts",
        "bc_buffer_size",
        "bc_batch_size",
        "bc_steps",
        "bc_anchor_from",
        "target_kl_from",
    )

    def __init__(
        self,
        policy: str | type[ActorCriticPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 3e-4,
        n_steps: int = 2048,
        batch_size: int = 64,
        n_epochs: int = 10,
        gamma: float = 0.99,
        gae_lambda: float = 0.95,
        clip_range: float | Schedule = 0.2,
        clip_range_vf: float | Schedule | None = None,
        normalize_advantage: bool = True,
        ent_coef: float = 0.0,
        vf_coef: float = 0.5,
        max_grad_norm: float = 0.5,
        use_sde: bool = False,
        sde_sample_freq: int = -1,
        rollout_buffer_class: type[RolloutBuffer] | None = None,
        rollout_buffer_kwargs: dict[str, Any] | None = None,
        target_kl: float | None = None,
        expert: Expert | Any | str | os.PathLike | None = None,
        beta: float | RolloutSchedule = 0.5,
        beta_schedule: str = "exponential",
        beta_decay: float = 0.8,
        beta_rollouts: int | None = 20,
        mixing: str = "step",
        expert_deterministic: bool = True,
        expert_gae_lambda: float | RolloutSchedule = 0.0,
        handover_start: int = 10,
        handover_rollouts: int = 10,
        handover: float | RolloutSchedule | None = None,
        bc_coef: float | RolloutSchedule = 0.0,
        bc_schedule: str = "constant",
        bc_decay: float = 0.8,
        bc_rollouts: int | None = None,
        bc_follows_handover: bool = True,
        bc_loss: str = "mse",
        bc_buffer_size: int = 0,
        bc_batch_size: int | None = None,
        bc_steps: int = 0,
        bc_learning_rate: float | None = None,
        bc_anchor_from: int | None = None,
        bc_anchor_coef: float = 1.0,
        bc_skip_info_key: str | None = None,
        target_kl_from: int | None = None,
        handover_lr_factor: float = 1.0,
        log_std_from_expert: bool = False,
        expert_kwargs: dict[str, Any] | None = None,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ):
        if rollout_buffer_class is None:
            rollout_buffer_class = ExpertRolloutBuffer
        super().__init__(
            policy,
            env,
            learning_rate=learning_rate,
            n_steps=n_steps,
            batch_size=batch_size,
            n_epochs=n_epochs,
            gamma=gamma,
            gae_lambda=gae_lambda,
            clip_range=clip_range,
            clip_range_vf=clip_range_vf,
            normalize_advantage=normalize_advantage,
            ent_coef=ent_coef,
            vf_coef=vf_coef,
            max_grad_norm=max_grad_norm,
            use_sde=use_sde,
            sde_sample_freq=sde_sample_freq,
            rollout_buffer_class=rollout_buffer_class,
            rollout_buffer_kwargs=rollout_buffer_kwargs,
            target_kl=target_kl,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            policy_kwargs=policy_kwargs,
            verbose=verbose,
            seed=seed,
            device=device,
            _init_setup_model=False,
        )
        # the source until _setup_model() resolves it to an Expert (load() sets it the same way)
        self.expert: Any = expert
        #: the reference the expert was loaded from (a path, ``embedded/NAME`` or Hub id): what ``load(expert=...)``,
        #: ``sb3_aggrevated.evaluate`` and ``sb3_aggrevated.hub`` load again; None for an expert given as an object
        self.expert_id: str | None = None
        #: the expert's name, for messages and model cards (set for every expert, objects too)
        self.expert_name: str | None = None
        self.beta = beta
        self.beta_schedule = beta_schedule
        self.beta_decay = beta_decay
        self.beta_rollouts = beta_rollouts
        self.mixing = mixing
        self.expert_deterministic = expert_deterministic
        self.expert_gae_lambda = expert_gae_lambda
        self.handover_start = handover_start
        self.handover_rollouts = handover_rollouts
        self.handover = handover
        self.bc_coef = bc_coef
        self.bc_schedule = bc_schedule
        self.bc_decay = bc_decay
        self.bc_rollouts = bc_rollouts
        self.bc_follows_handover = bc_follows_handover
        self.bc_loss = bc_loss
        self.bc_buffer_size = bc_buffer_size
        self.bc_batch_size = bc_batch_size
        self.bc_steps = bc_steps
        self.bc_learning_rate = bc_learning_rate
        self.bc_anchor_from = bc_anchor_from
        self.bc_anchor_coef = bc_anchor_coef
        self.bc_skip_info_key = bc_skip_info_key
        self.target_kl_from = target_kl_from
        self.handover_lr_factor = handover_lr_factor
        self.log_std_from_expert = log_std_from_expert
        self._bc_data: dict[str, Any] | None = None  # DAgger's aggregated dataset (not saved with the model)
        self.expert_kwargs = expert_kwargs or {}
        #: number of rollouts collected so far: the index of every schedule of this class
        self._n_rollouts = 0
        self._expert_rng: np.random.Generator | None = None
        self._episode_expert: np.ndarray | None = None
        self._bc_coef_now = 0.0
        self._bc_anchor_only_now = False
        self._target_kl_now: float | None = target_kl
        self._handover_weight_now = 1.0

        if _init_setup_model:
            given = _expert_settings_given(locals()) if expert is None else []
            self._setup_model()
            if given:  # (after the checks: a value refused is an error, not this warning)
                warnings.warn(
                    f"expert=None: PPOExpert trains as plain PPO, so the expert settings {', '.join(given)} have no "
                    "effect. Pass expert=... (an SB3 model, a zip, an RL Zoo folder or a Hub id), or leave them out.",
                    UserWarning,
                    stacklevel=2,
                )

    def _setup_model(self) -> None:
        for key in constructor_keywords(type(self)):  # numpy's numbers (np.int64(5), np.float32(0.5)) as Python's
            if isinstance(value := self.__dict__.get(key), np.generic) and not isinstance(value, (np.str_, np.bytes_)):
                setattr(self, key, value.item())
        for key in self.INTEGER_KEYWORDS:  # a whole number written as a float (rl_zoo3's !!float 2e5, -params 1e5)
            if isinstance(value := self.__dict__.get(key), float) and value.is_integer():
                setattr(self, key, int(value))
        self._build_expert_schedules()
        self.rollout_buffer_class = _expert_rollout_buffer_class(self.rollout_buffer_class)
        # Load the expert before the seeding in super()._setup_model(): loading builds networks.
        self._resolve_expert()
        loaded_rng = self._expert_rng  # restored by load(): keep its state
        super()._setup_model()
        if loaded_rng is not None:
            self._expert_rng = loaded_rng
        if self.log_std_from_expert and self.expert is not None and self._n_rollouts == 0:
            self._init_log_std_from_expert()  # a fresh start only: a trained model keeps its own (load() restores it)
        self._raw_obs_source()  # refuse now, not at the first rollout, an env whose raw observations are not the learner's

    def _init_log_std_from_expert(self) -> None:
        """Start the learner's state-independent log-std at the expert's (load() then restores the saved one)."""
        expert_log_std = self.expert.action_log_std() if hasattr(self.expert, "action_log_std") else None
        if expert_log_std is None:
            raise ValueError(
                f"log_std_from_expert=True needs an expert with state-independent Gaussian action noise (an SB3 PPO, "
                f"A2C or TRPO agent with a Box action space, without gSDE); {self.expert!r} has none. Set "
                "log_std_from_expert=False, or choose the learner's noise with policy_kwargs=dict(log_std_init=...)."
            )
        log_std = getattr(self.policy, "log_std", None)
        if not isinstance(log_std, th.nn.Parameter) or tuple(log_std.shape) != tuple(expert_log_std.shape) or self.use_sde:
            raise ValueError(
                "log_std_from_expert=True needs a learner policy with a state-independent log-std of shape "
                f"{tuple(expert_log_std.shape)} ('MlpPolicy' or 'TanhMlpPolicy' without gSDE or state_dependent_std). "
                "Set log_std_from_expert=False, or change the policy."
            )
        assert isinstance(self.action_space, spaces.Box)
        target = np.asarray(expert_log_std, dtype=np.float64)
        if self.policy.squash_output:
            # the learner acts in [-1, 1] (unscaled to the bounds by SB3): the same noise is narrower there
            target = target - np.log((self.action_space.high - self.action_space.low) / 2.0).reshape(-1)
        bounds = getattr(self.policy, "log_std_bounds", None)
        if bounds is not None and ((target < bounds[0]) | (target > bounds[1])).any():
            warnings.warn(
                f"log_std_from_expert: the expert's log-std in the learner's units, {np.round(target, 3).tolist()}, is "
                f"outside the policy's log_std_bounds {tuple(bounds)}; the learner starts at the nearest bound instead. "
                "Widen policy_kwargs=dict(log_std_bounds=...) to start at the expert's noise.",
                stacklevel=2,
            )
            target = np.clip(target, *bounds)
        with th.no_grad():
            log_std.copy_(th.as_tensor(target, dtype=log_std.dtype, device=log_std.device))

    def set_random_seed(self, seed: int | None = None) -> None:
        super().set_random_seed(seed)
        # The roll-in draws come from their own generator, so they never shift PPO's random stream.
        self._expert_rng = np.random.default_rng(seed)

    def _build_expert_schedules(self) -> None:
        _check_integer("bc_buffer_size", self.bc_buffer_size, 0)
        _check_integer("bc_batch_size", self.bc_batch_size, 1, allow_none=True)
        _check_integer("bc_steps", self.bc_steps, 0)
        _check_rollouts("bc_anchor_from", self.bc_anchor_from, allow_zero=True)
        _check_rollouts("target_kl_from", self.target_kl_from, allow_zero=True)
        if not _positive_finite(self.bc_anchor_coef):
            raise ValueError(
                f"bc_anchor_coef must be a finite number > 0 (1: bc_coef's own weight), got {self.bc_anchor_coef!r}"
                f"{yaml_number_hint(self.bc_anchor_coef)}."
            )
        if self.bc_anchor_coef != 1.0 and self.bc_anchor_from is None:
            raise ValueError(
                f"bc_anchor_coef={self.bc_anchor_coef} scales the cloning weight of the anchor-only form, which starts at "
                "rollout bc_anchor_from, but bc_anchor_from is None: set bc_anchor_from, or leave bc_anchor_coef at 1."
            )
        if self.bc_skip_info_key is not None:
            if not isinstance(self.bc_skip_info_key, str) or not self.bc_skip_info_key:
                raise ValueError(
                    f"bc_skip_info_key must be an info key (a non-empty string) or None, got {self.bc_skip_info_key!r}."
                )
            if self.bc_buffer_size == 0 or self.bc_anchor_from is not None:
                raise ValueError(
                    f"bc_skip_info_key={self.bc_skip_info_key!r} keeps marked states out of the aggregated cloning dataset, "
                    f"but with bc_buffer_size={self.bc_buffer_size} and bc_anchor_from={self.bc_anchor_from} cloning also "
                    "runs on the rollout's own states: set bc_buffer_size > 0 and bc_anchor_from=None, or drop the key."
                )
        rate = self.bc_learning_rate
        if rate is not None and not _positive_finite(rate):
            raise ValueError(
                f"bc_learning_rate must be a finite number > 0, or None for PPO's learning rate; got {rate!r}"
                f"{yaml_number_hint(rate)}."
            )
        if self.bc_loss not in BC_LOSSES:
            raise ValueError(f"bc_loss must be one of {BC_LOSSES}, got {self.bc_loss!r}.")
        factor = self.handover_lr_factor
        if not _positive_finite(factor):
            raise ValueError(
                f"handover_lr_factor must be a finite number > 0 (1: SB3's learning rate throughout), got {factor!r}"
                f"{yaml_number_hint(factor)}."
            )
        if self.mixing not in MIXING_MODES:
            raise ValueError(f"mixing must be one of {MIXING_MODES}, got {self.mixing!r}.")
        self._beta_fn = make_rollout_schedule(
            self.beta, self.beta_schedule, what="beta", decay=self.beta_decay, n_rollouts=self.beta_rollouts
        )
        if self.handover is not None:
            self._handover_fn = make_rollout_schedule(self.handover, what="handover")
        else:
            _check_integer("handover_rollouts", self.handover_rollouts, 1)
            _check_integer("handover_start", self.handover_start, 0)
            self._handover_fn = LinearRolloutSchedule(1.0, 0.0, self.handover_rollouts, delay=self.handover_start)
        self._bc_coef_fn = make_rollout_schedule(
            self.bc_coef, self.bc_schedule, what="bc_coef", decay=self.bc_decay, n_rollouts=self.bc_rollouts, high=None
        )
        self._expert_lambda_fn = make_rollout_schedule(self.expert_gae_lambda, what="expert_gae_lambda")
        for schedule in (self._beta_fn, self._handover_fn, self._bc_coef_fn, self._expert_lambda_fn):
            schedule(self._n_rollouts)  # raises on an out-of-range value now, not mid-training

    def _resolve_expert(self) -> None:
        if self.expert is None:
            return
        source = self.expert
        # load() without an env still checks the expert against the learner's (saved) spaces
        spaces_of = self.env if self.env is not None else _Spaces(self.observation_space, self.action_space)
        self.expert = load_expert(source, spaces_of, **self.expert_kwargs)
        saved_id, saved = self.expert_id, self._trained_with  # a loaded model's: the expert it learned from
        # the reference evaluate.py and the hub card reload the expert from: none for an object (a loaded model's
        # saved id named the expert it trained with, not this one)
        self.expert_id = str(source) if isinstance(source, (str, os.PathLike)) else None
        self.expert_name = str(getattr(self.expert, "name", type(self.expert).__name__))
        swapped = self._n_rollouts > 0 and saved is not None and saved not in (self.expert_name, self.expert_id)
        if swapped and (in_use := self._expert_in_use(self._n_rollouts)):
            warnings.warn(
                f"This model learned from the expert {saved} and its schedules still use an expert at rollout "
                f"{self._n_rollouts} ({_settings(in_use)}); it goes on with another one, {self.expert_name}. If that "
                f"is not meant (rl_zoo3's -i takes `expert` from the hyperparameters, not from the model), give the first "
                f"one back: {f'expert={saved_id!r}' if saved_id else 'the expert object it learned from'}.",
                stacklevel=5,  # the caller of PPOExpert.load (through BaseAlgorithm.load and _setup_model)
            )

    def _excluded_save_params(self) -> list[str]:
        # The expert is never pickled into the model; give it back with load(..., expert=...).
        # (The episode draws of mixing="episode" are saved, as SB3 saves _last_obs: load(force_reset=False) goes on
        # with the episodes in progress, each with the actor drawn for it.)
        return [*super()._excluded_save_params(), "expert", "_bc_data"]

    # --- roll-in -----------------------------------------------------------------------------------

    def _raw_obs_source(self) -> VecNormalize | None:
        """
        The VecNormalize whose original observations (``get_original_obs``) are the learner's own, un-normalised;
        ``None`` without one. A wrapper above VecNormalize that changes the observations (rl_zoo3's ``frame_stack``
        sits above its ``normalize``; SB3's VecTransposeImage for images) makes them another array than the
        learner's: refused with an expert (its inputs and the cloning dataset would not match the learner's);
        without one the learner's observations stand in (only the buffer keeps them).
        """
        vec_normalize = self._vec_normalize_env
        if self.env is None or not obs_changed_above(self.env, vec_normalize):
            return vec_normalize
        if self.expert is not None:
            check_raw_obs_source(
                self.env,
                vec_normalize,
                consequence="the expert, its advantages and the cloning dataset would see other observations than the learner",
                fix="or with rl_zoo3, drop frame_stack or normalize for PPOExpert",
            )
        return None

    def _raw_obs(self, obs: Any, source: VecNormalize | None) -> np.ndarray:
        """The env's own observation (undo the learner's VecNormalize; ``source`` from ``_raw_obs_source``)."""
        if source is not None:
            return np.asarray(source.get_original_obs())
        return np.asarray(obs)

    def _expert_mask(self, beta: float, episode_starts: np.ndarray) -> np.ndarray:
        assert self._expert_rng is not None
        n_envs = len(episode_starts)
        draws = self._expert_rng.random(n_envs) < beta
        if self.mixing == "step":
            return draws
        if self._episode_expert is None or len(self._episode_expert) != n_envs:
            self._episode_expert = np.zeros(n_envs, dtype=bool)
        self._episode_expert = np.where(episode_starts, draws, self._episode_expert)
        return self._episode_expert.copy()

    def _to_env_actions(self, actions: np.ndarray) -> np.ndarray:
        """Policy-space actions (as stored in the buffer) -> the actions the env receives."""
        if isinstance(self.action_space, spaces.Box):
            if self.policy.squash_output:
                return self.policy.unscale_action(actions)
            return np.clip(actions, self.action_space.low, self.action_space.high)
        return actions

    def _to_policy_actions(self, env_actions: np.ndarray) -> np.ndarray:
        """Env actions (the expert's) -> the learner's action representation, strictly inside tanh bounds."""
        if isinstance(self.action_space, spaces.Box) and self.policy.squash_output:
            return np.clip(self.policy.scale_action(env_actions), -1.0 + ACTION_EPS, 1.0 - ACTION_EPS)
        return env_actions

    def collect_rollouts(
        self,
        env: VecEnv,
        callback: BaseCallback,
        rollout_buffer: RolloutBuffer,
        n_rollout_steps: int,
    ) -> bool:
        """
        Collect experiences with the expert-mixed roll-in and fill an ``ExpertRolloutBuffer``.

        NOTE: a copy of ``OnPolicyAlgorithm.collect_rollouts`` keeping its structure and local names
        (callbacks read ``locals()``); the lines that differ are marked ``# PPOExpert``.

        :param env: The training environment
        :param callback: Callback that will be called at each step
            (and at the beginning and end of the rollout)
        :param rollout_buffer: Buffer to fill with rollouts
        :param n_rollout_steps: Number of experiences to collect per environment
        :return: True if function returned with at least `n_rollout_steps`
            collected, False if callback terminated rollout prematurely.
        """
        assert self._last_obs is not None, "No previous observation was provided"
        assert isinstance(rollout_buffer, ExpertRolloutBuffer)
        # Switch to eval mode (this affects batch norm / dropout)
        self.policy.set_training_mode(False)

        n_steps = 0
        rollout_buffer.reset()
        # Sample new weights for the state dependent exploration
        if self.use_sde:
            self.policy.reset_noise(env.num_envs)

        # PPOExpert: the roll-in probability of this rollout
        beta = self._beta_fn(self._n_rollouts)
        use_rollin = self.expert is not None and (beta > 0.0 or self.mixing == "episode")
        raw_source = self._raw_obs_source()  # PPOExpert: where the env's own observations come from
        clipped_terminals = 0  # PPOExpert: truncations whose terminal observation VecNormalize clipped

        callback.on_rollout_start()

        while n_steps < n_rollout_steps:
            if self.use_sde and self.sde_sample_freq > 0 and n_steps % self.sde_sample_freq == 0:
                # Sample a new noise matrix
                self.policy.reset_noise(env.num_envs)

            with th.no_grad():
                # Convert to pytorch tensor or to TensorDict
                obs_tensor = obs_as_tensor(self._last_obs, self.device)  # type: ignore[arg-type]
                actions, values, log_probs = self.policy(obs_tensor)
            actions = actions.cpu().numpy()

            # Rescale and perform action
            clipped_actions = self._to_env_actions(actions)  # PPOExpert: same rescale / clip as PPO

            raw_obs = self._raw_obs(self._last_obs, raw_source)  # type: ignore[arg-type]  # PPOExpert
            expert_executed = np.zeros(env.num_envs, dtype=bool)  # PPOExpert
            if use_rollin:  # PPOExpert: execute the expert's action where the draw says so
                assert self.expert is not None
                expert_executed = self._expert_mask(beta, self._last_episode_starts)  # type: ignore[arg-type]
                if expert_executed.any():
                    expert_actions = self.expert.predict(raw_obs, deterministic=self.expert_deterministic)
                    if isinstance(self.action_space, spaces.Box):
                        expert_actions = np.clip(expert_actions, self.action_space.low, self.action_space.high)
                    mask = expert_executed.reshape(-1, *([1] * (np.ndim(clipped_actions) - 1)))
                    clipped_actions = np.where(mask, np.reshape(expert_actions, np.shape(clipped_actions)), clipped_actions)

            new_obs, rewards, dones, infos = env.step(clipped_actions)

            # PPOExpert: the env's own reward and next observation (the terminal one at episode ends)
            if self._vec_normalize_env is not None:
                raw_rewards = self._vec_normalize_env.get_original_reward()
            else:
                raw_rewards = np.array(rewards, dtype=np.float32)
            raw_next_obs = np.array(self._raw_obs(new_obs, raw_source), dtype=np.float32)
            truncated = np.array([info.get("TimeLimit.truncated", False) for info in infos], dtype=bool)
            for idx in np.flatnonzero(dones):
                terminal_obs = infos[idx].get("terminal_observation")
                if terminal_obs is not None:
                    if raw_source is not None:
                        # VecNormalize keeps no raw copy of the terminal observation: un-normalise its clipped one
                        if truncated[idx] and raw_source.norm_obs and np.any(np.abs(terminal_obs) >= raw_source.clip_obs):
                            clipped_terminals += 1
                        terminal_obs = raw_source.unnormalize_obs(terminal_obs)
                    raw_next_obs[idx] = np.asarray(terminal_obs)

            self.num_timesteps += env.num_envs

            # Give access to local variables
            callback.update_locals(locals())
            if not callback.on_step():
                return False

            self._update_info_buffer(infos, dones)
            n_steps += 1

            if isinstance(self.action_space, spaces.Discrete):
                # Reshape in case of discrete action
                actions = actions.reshape(-1, 1)

            # Handle timeout by bootstrapping with value function
            # see GitHub issue #633
            for idx, done in enumerate(dones):  # type: ignore[assignment]
                if (
                    done
                    and infos[idx].get("terminal_observation") is not None
                    and infos[idx].get("TimeLimit.truncated", False)
                ):
                    terminal_obs = self.policy.obs_to_tensor(infos[idx]["terminal_observation"])[0]
                    with th.no_grad():
                        terminal_value = self.policy.predict_values(terminal_obs)[0]  # type: ignore[arg-type]
                    rewards[idx] += self.gamma * terminal_value

            rollout_buffer.add(
                self._last_obs,  # type: ignore[arg-type]
                actions,
                rewards,
                self._last_episode_starts,  # type: ignore[arg-type]
                values,
                log_probs,
                raw_obs=raw_obs,  # PPOExpert
                raw_next_obs=raw_next_obs,
                raw_reward=raw_rewards,
                terminated=dones & ~truncated,
                dones=dones,
                expert_executed=expert_executed,
                bc_skipped=(  # PPOExpert: steps kept out of the cloning dataset
                    None
                    if self.bc_skip_info_key is None
                    else np.array([bool(info.get(self.bc_skip_info_key, False)) for info in infos])
                ),
            )
            self._last_obs = new_obs  # type: ignore[assignment]
            self._last_episode_starts = dones

        with th.no_grad():
            # Compute value for the last timestep
            values = self.policy.predict_values(obs_as_tensor(new_obs, self.device))  # type: ignore[arg-type]

        rollout_buffer.compute_returns_and_advantage(last_values=values, dones=dones)
        if clipped_terminals and self.expert is not None and self.expert.kind == "v":  # PPOExpert: V*(s_T) reads them
            self.logger.record("rollout/clipped_terminal_observations", clipped_terminals)
            warnings.warn(
                "VecNormalize clipped the terminal observation of truncated episodes (some |normalised value| >= its "
                "clip_obs) and keeps no raw copy of it: the expert's value V*(s_T) at those truncations reads the clipped "
                "state (rollout/clipped_terminal_observations counts them per rollout). Raise VecNormalize's clip_obs "
                '(rl_zoo3: normalize: "dict(clip_obs=...)") if it persists.',
                stacklevel=2,
            )
        self._set_expert_targets(rollout_buffer, beta)  # PPOExpert
        self._n_rollouts += 1  # PPOExpert

        callback.update_locals(locals())

        callback.on_rollout_end()

        return True

    # --- expert advantages ------------------------------------------------------------------------

    def _check_finite(self, what: str, values: np.ndarray) -> None:
        bad = int(np.size(values) - np.isfinite(values).sum())
        if bad:
            raise ValueError(
                f"The expert's {what} gave {bad} non-finite values (NaN or inf) out of {np.size(values)} "
                f"in rollout {self._n_rollouts} (timestep {self.num_timesteps}). Training stopped before this "
                "rollout was used, so the policy is the one of the last update. Check the expert's files, its "
                "observation normalisation (vecnormalize.pkl) and that it was trained on this env."
            )

    def _bc_weight(self, n: int) -> float:
        """The cloning weight at rollout ``n``: ``bc_coef``'s schedule, times the hand-over weight where cloning follows
        it (before the anchor-only form's ``bc_anchor_coef``)."""
        weight = self._bc_coef_fn(n)
        if self.bc_follows_handover:
            weight *= self._handover_fn(n)
        return weight

    def _set_expert_targets(self, buffer: ExpertRolloutBuffer, beta: float) -> None:
        """Replace the policy-gradient advantages by the hand-over blend, batched over the whole buffer."""
        n = self._n_rollouts
        weight = self._handover_fn(n) if self.expert is not None else 0.0
        self._handover_weight_now = weight
        self._bc_coef_now = self._bc_weight(n) if self.expert is not None else 0.0
        self._bc_anchor_only_now = self.bc_anchor_from is not None and n >= self.bc_anchor_from
        if self._bc_anchor_only_now:
            self._bc_coef_now *= self.bc_anchor_coef
        kl_bounded = self.target_kl_from is None or n >= self.target_kl_from
        self._target_kl_now = self.target_kl if kl_bounded else None
        learner_valid = ~buffer.expert_executed
        self.logger.record("rollout/beta", beta)
        self.logger.record("rollout/expert_fraction", float(buffer.expert_executed.mean()))
        self.logger.record("train/handover_weight", weight)
        if self.expert is None or (weight == 0.0 and self._bc_coef_now == 0.0):
            # Plain PPO on the learner's own steps (expert-executed steps do not score its action).
            if not learner_valid.all():
                buffer.set_policy_targets(buffer.advantages, learner_valid)
            return
        flat_obs = buffer.raw_observations.reshape(-1, *buffer.obs_shape)
        if weight > 0.0:
            if self.expert.kind == "q":
                # in the env's shape (the buffer keeps them flat: a 2x2 Box action as 4 numbers)
                env_actions = self._to_env_actions(buffer.actions.reshape(-1, *(self.action_space.shape or ())))
                if isinstance(self.action_space, spaces.Discrete):
                    env_actions = env_actions.astype(np.int64)
                q_values = self.expert.q_value(flat_obs, env_actions)
                state_values = self.expert.value(flat_obs)
                self._check_finite("Q-function", q_values)
                self._check_finite("state value", state_values)
                expert_adv = q_expert_advantages(q_values, state_values).reshape(buffer.advantages.shape)
                expert_valid = np.ones_like(learner_valid)
                self.logger.record("rollout/expert_q_mean", float(np.mean(q_values)))
            else:
                flat_next = buffer.raw_next_observations.reshape(-1, *buffer.obs_shape)
                both = self.expert.value(np.concatenate([flat_obs, flat_next]))
                self._check_finite("value function", both)
                state_values, next_values = np.split(both, 2)
                lam = self._expert_lambda_fn(n)
                expert_adv = v_expert_advantages(
                    buffer.raw_rewards,
                    state_values.reshape(buffer.advantages.shape),
                    next_values.reshape(buffer.advantages.shape),
                    buffer.terminated,
                    buffer.dones,
                    gamma=self.expert.gamma,
                    gae_lambda=lam,
                )
                expert_valid = learner_valid
                self.logger.record("rollout/expert_gae_lambda", lam)
            advantages, mask = blend_advantages(expert_adv, expert_valid, buffer.advantages, learner_valid, weight)
            buffer.set_policy_targets(advantages, mask)
            self.logger.record("rollout/expert_value_mean", float(np.mean(state_values)))
            self.logger.record("rollout/expert_value_min", float(np.min(state_values)))
            self.logger.record("rollout/expert_value_max", float(np.max(state_values)))
            self.logger.record(
                "rollout/expert_adv_mean", float(np.mean(expert_adv[expert_valid])) if expert_valid.any() else 0.0
            )
            self.logger.record(
                "rollout/expert_adv_std", float(np.std(expert_adv[expert_valid])) if expert_valid.any() else 0.0
            )
        elif not learner_valid.all():
            buffer.set_policy_targets(buffer.advantages, learner_valid)
        if self._bc_coef_now > 0.0:
            expert_actions = self.expert.predict(flat_obs, deterministic=True)
            buffer.expert_actions = (
                self._to_policy_actions(expert_actions).reshape(buffer.expert_actions.shape).astype(np.float32)
            )
            if self.bc_buffer_size > 0:
                bc_obs, bc_actions = flat_obs, buffer.expert_actions.reshape(len(flat_obs), -1)
                if self.bc_skip_info_key is not None:  # marked states stay out of the dataset
                    keep = ~buffer.bc_skipped.reshape(-1)
                    bc_obs, bc_actions = bc_obs[keep], bc_actions[keep]
                    self.logger.record("rollout/bc_skipped_fraction", 1.0 - float(keep.mean()))
                self._aggregate_bc_data(bc_obs, bc_actions)

    def _aggregate_bc_data(self, raw_obs: np.ndarray, expert_actions: np.ndarray) -> None:
        """Add the rollout's (raw state, expert action) pairs to the FIFO aggregated dataset (none: nothing changes)."""
        if len(raw_obs) == 0:
            return
        if self._bc_data is None:
            self._bc_data = {
                "obs": np.zeros((self.bc_buffer_size, *raw_obs.shape[1:]), dtype=np.float32),
                "actions": np.zeros((self.bc_buffer_size, expert_actions.shape[1]), dtype=np.float32),
                "pos": 0,
                "size": 0,
            }
        data = self._bc_data
        idx = (data["pos"] + np.arange(len(raw_obs))) % self.bc_buffer_size
        keep = slice(-self.bc_buffer_size, None)  # a rollout larger than the dataset keeps its newest pairs
        data["obs"][idx[keep]] = raw_obs[keep]
        data["actions"][idx[keep]] = expert_actions[keep]
        data["pos"] = int((data["pos"] + len(raw_obs)) % self.bc_buffer_size)
        data["size"] = min(data["size"] + len(raw_obs), self.bc_buffer_size)

    def save_replay_buffer(self, path: str | pathlib.Path | io.BufferedIOBase) -> None:
        """
        Save DAgger's aggregated cloning dataset (the ``bc_buffer_size`` (raw state, expert action) pairs, which the
        model zip leaves out) as a numpy ``.npz`` archive, so that a continued run clones on the same states. Named
        after SB3's off-policy method: rl_zoo3 calls it with ``--save-replay-buffer`` and reads the file back when it
        continues a run (``-i``).

        :param path: file to write (its folder is created; a name without a suffix gets ``.npz``, as SB3's gets
            ``.pkl``), or an open binary file object (left open)
        """
        if isinstance(path, (str, pathlib.Path)):
            path = _npz_path(path)
        data = self._bc_data
        if data is None or data["size"] == 0:
            arrays = {
                "obs": np.zeros((0, *(self.observation_space.shape or ())), dtype=np.float32),
                "actions": np.zeros((0, get_action_dim(self.action_space)), dtype=np.float32),
            }
        else:
            size = data["size"]
            order = (data["pos"] - size + np.arange(size)) % len(data["obs"])  # oldest first
            arrays = {"obs": data["obs"][order], "actions": data["actions"][order]}
        if isinstance(path, (str, pathlib.Path)):
            # written whole beside it and renamed into place: an interrupted save leaves the earlier dataset intact
            # (a file object, not the name, so that numpy adds no ".npz" to the name)
            content = io.BytesIO()
            np.savez_compressed(content, obs=arrays["obs"], actions=arrays["actions"])
            pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, content.getvalue())
        else:  # the caller's file object stays open, as np.savez leaves it
            np.savez_compressed(path, obs=arrays["obs"], actions=arrays["actions"])

    def load_replay_buffer(self, path: str | pathlib.Path | io.BufferedIOBase, truncate_last_traj: bool = True) -> None:
        """
        Load an aggregated cloning dataset written by :meth:`save_replay_buffer` (no pickle: plain arrays). Where this
        model keeps fewer pairs (``bc_buffer_size``), the newest are kept. An empty dataset loads as none; a model that
        keeps none (``bc_buffer_size=0``) ignores a dataset with a warning (rl_zoo3's ``-i`` loads the file whenever it
        is there, so refusing would stop the run; the file is left as it is).

        :param path: the file (a name without a suffix: with ``.npz`` where only that exists, as SB3 adds ``.pkl``),
            or an open binary file object
        :param truncate_last_traj: unused (the signature of SB3's off-policy method, which rl_zoo3 calls)
        """
        if isinstance(path, (str, pathlib.Path)) and not pathlib.Path(path).exists():
            path = _npz_path(path)
        with np.load(path, allow_pickle=False) as archive:
            obs, actions = archive["obs"], archive["actions"]
        if self.bc_buffer_size <= 0:
            if len(obs) > 0:
                warnings.warn(
                    f"{path}: the aggregated cloning dataset ({len(obs)} pairs) is not loaded, because this model keeps "
                    f"none (bc_buffer_size={self.bc_buffer_size}); set bc_buffer_size > 0 to clone on it.",
                    stacklevel=2,
                )
            return
        obs_shape, action_shape = tuple(self.observation_space.shape or ()), (get_action_dim(self.action_space),)
        if obs.shape[1:] != obs_shape or actions.shape[1:] != action_shape or len(actions) != len(obs):
            raise ValueError(
                f"{path}: the dataset holds {len(obs)} observations of shape {obs.shape[1:]} and {len(actions)} actions "
                f"of shape {actions.shape[1:]}, where this model's are {obs_shape} and {action_shape}: it was saved "
                "for another env or is damaged."
            )
        self._bc_data = None
        self._aggregate_bc_data(obs.astype(np.float32), actions.astype(np.float32))

    # --- update -----------------------------------------------------------------------------------

    def _evaluate_actions(
        self,
        obs: th.Tensor,
        actions: th.Tensor,
        bc_obs: th.Tensor | None = None,
        bc_actions: th.Tensor | None = None,
    ) -> tuple[th.Tensor, th.Tensor, th.Tensor | None, Any, th.Tensor | None]:
        """
        ``ActorCriticPolicy.evaluate_actions`` that also returns the distribution, for the PPO loss and the
        behaviour-cloning term in one actor pass.

        :param obs: the PPO minibatch's observations
        :param actions: its actions
        :param bc_obs: states of an aggregated-dataset minibatch, run through the same actor pass (stacked below
            ``obs``); the critic sees ``obs`` only
        :param bc_actions: the expert's actions at ``bc_obs`` (policy units)
        :return: values, log-prob and entropy on ``obs``, the distribution on ``obs``, and the cloning loss on
            ``bc_obs`` (``None`` without it)
        """
        policy = self.policy
        n_obs = len(obs)
        if bc_obs is not None:
            obs = th.cat([obs, bc_obs])
        if policy.share_features_extractor:
            features = BasePolicy.extract_features(policy, obs, policy.features_extractor)
            pi_features, vf_features = features, features[:n_obs]
        else:
            pi_features = BasePolicy.extract_features(policy, obs, policy.pi_features_extractor)
            vf_features = BasePolicy.extract_features(policy, obs[:n_obs], policy.vf_features_extractor)
        latent_pi = policy.mlp_extractor.forward_actor(pi_features)
        values = policy.value_net(policy.mlp_extractor.forward_critic(vf_features))
        # the cloning loss first: SB3's distributions are one object re-parametrised by each call
        bc_loss = None
        if bc_obs is not None:
            assert bc_actions is not None, "bc_obs needs bc_actions"
            if self._lean_bc_applies():
                bc_loss = self._lean_bc_loss_from_output(policy.action_net(latent_pi[n_obs:]), bc_actions)
            else:
                bc_loss = self._bc_loss_on(bc_obs, bc_actions, policy._get_action_dist_from_latent(latent_pi[n_obs:]))
        distribution = policy._get_action_dist_from_latent(latent_pi[:n_obs])
        log_prob, entropy = distribution.log_prob(actions), distribution.entropy()
        return values, log_prob, entropy, distribution, bc_loss

    def _bc_sample(self, batch_size: int) -> tuple[th.Tensor, th.Tensor]:
        """A minibatch of (learner-normalised state, expert action in policy units) for cloning: from the
        aggregated dataset where there is one, else from the current rollout."""
        if self._bc_data is not None and self._bc_data["size"] > 0:
            idx = np.random.randint(0, self._bc_data["size"], size=batch_size)
            raw = self._bc_data["obs"][idx]
            # normalised with the learner's current statistics
            obs = self._vec_normalize_env.normalize_obs(raw) if self._vec_normalize_env is not None else raw
            return th.as_tensor(obs, device=self.device), th.as_tensor(self._bc_data["actions"][idx], device=self.device)
        buffer = self.rollout_buffer
        idx = np.random.randint(0, buffer.buffer_size * buffer.n_envs, size=batch_size)
        observations = buffer.observations.reshape(-1, *buffer.obs_shape)[idx]
        expert_actions = buffer.expert_actions.reshape(-1, buffer.action_dim)[idx]
        return th.as_tensor(observations, device=self.device), th.as_tensor(expert_actions, device=self.device)

    def _bc_loss(self, rollout_data: ExpertRolloutBufferSamples, distribution: Any = None) -> th.Tensor:
        """
        Behaviour cloning of the expert's action at the minibatch's states (see ``bc_loss``).

        :param rollout_data: the PPO minibatch (its states and expert labels)
        :param distribution: the policy's distribution on the minibatch's states, where already computed
        """
        return self._bc_loss_on(rollout_data.observations, rollout_data.expert_actions, distribution)

    def _bc_loss_on(self, observations: th.Tensor, expert_actions: th.Tensor, distribution: Any = None) -> th.Tensor:
        if distribution is None:
            lean = self._lean_bc_loss(observations, expert_actions)
            if lean is not None:
                return lean
            distribution = self.policy.get_distribution(observations)
        if isinstance(self.action_space, spaces.Discrete):
            return -distribution.log_prob(expert_actions.long().flatten()).mean()
        if self.bc_loss == "mse" and isinstance(self.action_space, spaces.Box):
            return ((distribution.mode() - expert_actions) ** 2).sum(dim=-1).mean()
        return -distribution.log_prob(expert_actions).mean()

    def _lean_bc_applies(self) -> bool:
        """
        Whether the cloning loss can be computed from the actor's output alone, without building a distribution
        object (the supervised steps run it ``bc_steps`` times per update, the stacked pass once per minibatch):
        the categorical cross-entropy, or the squared error of the mode of SB3's diagonal Gaussian / the
        tanh-squashed Gaussian. Not for other cases (gSDE, other distributions, ``bc_loss="nll"`` on Box actions).
        """
        dist = self.policy.action_dist
        if isinstance(self.action_space, spaces.Discrete):
            return isinstance(dist, CategoricalDistribution)
        if not (self.bc_loss == "mse" and isinstance(self.action_space, spaces.Box)):
            return False
        return isinstance(dist, TanhGaussianDistribution) or (
            type(dist) is DiagGaussianDistribution and not self.policy.squash_output
        )

    def _lean_bc_loss_from_output(self, out: th.Tensor, expert_actions: th.Tensor) -> th.Tensor:
        """The lean cloning loss from the action net's output (see ``_lean_bc_applies``)."""
        dist = self.policy.action_dist
        if isinstance(dist, CategoricalDistribution):
            return F.cross_entropy(out, expert_actions.long().flatten())
        if isinstance(dist, TanhGaussianDistribution):
            mean = out[..., : dist.action_dim]  # the state-dependent-std head stacks (mean, log_std)
            mode = th.clamp(th.tanh(mean), -1.0 + ACTION_EPS, 1.0 - ACTION_EPS)
        else:
            mode = out
        return ((mode - expert_actions) ** 2).sum(dim=-1).mean()

    def _lean_bc_loss(self, observations: th.Tensor, expert_actions: th.Tensor) -> th.Tensor | None:
        """The lean cloning loss at ``observations`` (an actor pass), ``None`` where it does not apply."""
        if not self._lean_bc_applies():
            return None
        policy = self.policy
        features = BasePolicy.extract_features(policy, observations, policy.pi_features_extractor)
        return self._lean_bc_loss_from_output(policy.action_net(policy.mlp_extractor.forward_actor(features)), expert_actions)

    def _clip_grad_norm(self, params: Iterable[th.nn.Parameter], stage: str) -> None:
        """
        SB3's gradient clipping (``max_grad_norm``), stopping with a clear error where the gradient is not finite:
        the optimizer step would otherwise write NaN into every parameter and the run would fail later, in the next
        forward pass, with the policy lost. Raised before the step, so the parameters stay those of the last step.
        """
        norm = th.nn.utils.clip_grad_norm_(params, self.max_grad_norm)
        if bool(th.isfinite(norm)):
            return
        hint = "a smaller learning_rate, a target_kl, or a larger ent_coef (train/std falling fast goes with it)"
        if self.use_sde and self.policy.squash_output:
            hint = (
                "policy_kwargs squash_output=False: with gSDE, SB3 scores a squashed action through the inverse tanh, "
                "and as the noise shrinks a saturated action's log-probability grows without bound; else " + hint
            )
        raise RuntimeError(
            f"The update diverged: a non-finite gradient (norm {float(norm)}) in {stage}, at rollout {self._n_rollouts} "
            f"(timestep {self.num_timesteps}). Training stopped before this step, so the policy's parameters are those "
            "of the last finite step (model.save() keeps them). The log's train/approx_kl and train/clip_fraction show "
            f"the updates growing before it; try {hint}."
        )

    def _train_bc(self, bc_coef: float) -> list[float]:
        """``bc_steps`` gradient steps on the cloning loss alone (the policy's parameters, its optimizer)."""
        batch_size = self.bc_batch_size or self.batch_size
        # every minibatch drawn (and normalised) at once
        observations, expert_actions = self._bc_sample(batch_size * self.bc_steps)
        optimizer = self.policy.optimizer
        params = [p for group in optimizer.param_groups for p in group["params"]]
        ppo_rates = [group["lr"] for group in optimizer.param_groups]
        if self.bc_learning_rate is not None:
            update_learning_rate(optimizer, self.bc_learning_rate)
            self.logger.record("train/bc_learning_rate", self.bc_learning_rate)
        losses = []
        try:
            for step in range(self.bc_steps):
                batch = slice(step * batch_size, (step + 1) * batch_size)
                loss = self._bc_loss_on(observations[batch], expert_actions[batch])
                optimizer.zero_grad()
                (bc_coef * loss).backward()
                self._clip_grad_norm(params, "a supervised cloning step")
                optimizer.step()
                losses.append(loss.detach())
        finally:  # PPO's next update starts from its own rate (SB3 sets it again anyway)
            for group, rate in zip(optimizer.param_groups, ppo_rates, strict=True):
                group["lr"] = rate
        return th.stack(losses).tolist() if losses else []

    def _update_learning_rate(self, optimizers: list[th.optim.Optimizer] | th.optim.Optimizer) -> None:
        """SB3's learning rate, times the hand-over factor (``handover_lr_factor``) of the current rollout."""
        if self.handover_lr_factor == 1.0 or (self.expert is None and self._trained_with is None):
            super()._update_learning_rate(optimizers)  # never had an expert: PPO's rate
            return
        weight = self._handover_weight_now
        factor = weight + (1.0 - weight) * self.handover_lr_factor
        learning_rate = self.lr_schedule(self._current_progress_remaining) * factor
        self.logger.record("train/learning_rate", learning_rate)
        for optimizer in optimizers if isinstance(optimizers, list) else [optimizers]:
            update_learning_rate(optimizer, learning_rate)

    def train(self) -> None:
        """
        Update policy using the currently gathered rollout buffer.

        NOTE: a copy of ``PPO.train`` (the loss changes, as in sb3-contrib's MaskablePPO); the lines that
        differ are marked ``# PPOExpert``: the policy loss and the advantage normalisation count only the
        steps of the policy mask, and the behaviour-cloning term is added. Where every step counts and
        ``bc_coef`` is 0, every operation is PPO's, except that a non-finite gradient stops training with an error
        before its step (PPO would step and fill the policy with NaN).
        """
        # Switch to train mode (this affects batch norm / dropout)
        self.policy.set_training_mode(True)
        # Update optimizer learning rate
        self._update_learning_rate(self.policy.optimizer)
        # Compute current clip range
        clip_range = self.clip_range(self._current_progress_remaining)  # type: ignore[operator]
        # Optional: clip range for the value function
        if self.clip_range_vf is not None:
            clip_range_vf = self.clip_range_vf(self._current_progress_remaining)  # type: ignore[operator]

        entropy_losses = []
        pg_losses, value_losses = [], []
        clip_fractions = []
        bc_losses = []  # PPOExpert
        bc_coef = self._bc_coef_now  # PPOExpert
        all_valid = self.rollout_buffer.all_valid  # PPOExpert
        # PPOExpert: cloning minibatches from the aggregated dataset, one of bc_batch_size per PPO minibatch
        # (without bc_batch_size, each the size of its PPO minibatch): drawn once per epoch, sliced per minibatch;
        # none in the anchor-only form (bc_anchor_from), which clones on the PPO minibatch's own states
        anchor_only = self._bc_anchor_only_now
        aggregated = bc_coef > 0.0 and not anchor_only and self._bc_data is not None and self._bc_data["size"] > 0
        if self.bc_skip_info_key is not None and not aggregated:  # PPOExpert: every state so far skipped
            bc_coef = 0.0
        n_samples = self.rollout_buffer.buffer_size * self.rollout_buffer.n_envs
        ppo_sizes = [min(self.batch_size, n_samples - start) for start in range(0, n_samples, self.batch_size)]
        bc_ends = np.cumsum([self.bc_batch_size or size for size in ppo_sizes])

        continue_training = True
        # train for n_epochs epochs
        for epoch in range(self.n_epochs):
            approx_kl_divs = []
            bc_epoch = None  # PPOExpert
            # Do a complete pass on the rollout buffer
            for minibatch, rollout_data in enumerate(self.rollout_buffer.get(self.batch_size)):  # PPOExpert: enumerate
                actions = rollout_data.actions
                if isinstance(self.action_space, spaces.Discrete):
                    # Convert discrete action from float to long
                    actions = rollout_data.actions.long().flatten()

                distribution = bc_loss = None
                if bc_coef > 0.0:  # PPOExpert: one actor pass for the PPO loss and the cloning term
                    bc_obs = bc_actions = None
                    if aggregated:  # this minibatch's share of the epoch's draw from the aggregated dataset
                        if bc_epoch is None:  # after the buffer's permutation, as one draw per minibatch would be
                            bc_epoch = self._bc_sample(int(bc_ends[-1]))
                        batch = slice(int(bc_ends[minibatch - 1]) if minibatch else 0, int(bc_ends[minibatch]))
                        bc_obs, bc_actions = bc_epoch[0][batch], bc_epoch[1][batch]
                    values, log_prob, entropy, distribution, bc_loss = self._evaluate_actions(
                        rollout_data.observations, actions, bc_obs, bc_actions
                    )
                else:
                    values, log_prob, entropy = self.policy.evaluate_actions(rollout_data.observations, actions)
                values = values.flatten()
                # Normalize advantage
                advantages = rollout_data.advantages
                policy_mask = None if all_valid else rollout_data.policy_mask  # PPOExpert
                # Normalization does not make sense if mini batchsize == 1, see GH issue #325
                if self.normalize_advantage and len(advantages) > 1:
                    if policy_mask is None:
                        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
                    else:  # PPOExpert
                        advantages = _masked_normalize(advantages, policy_mask)

                # ratio between old and new policy, should be one at the first iteration
                ratio = th.exp(log_prob - rollout_data.old_log_prob)

                # clipped surrogate loss
                policy_loss_1 = advantages * ratio
                policy_loss_2 = advantages * th.clamp(ratio, 1 - clip_range, 1 + clip_range)
                policy_loss = -_masked_mean(th.min(policy_loss_1, policy_loss_2), policy_mask)  # PPOExpert

                # Logging
                pg_losses.append(policy_loss.item())
                clip_fraction = th.mean((th.abs(ratio - 1) > clip_range).float()).item()
                clip_fractions.append(clip_fraction)

                if self.clip_range_vf is None:
                    # No clipping
                    values_pred = values
                else:
                    # Clip the difference between old and new value
                    # NOTE: this depends on the reward scaling
                    values_pred = rollout_data.old_values + th.clamp(
                        values - rollout_data.old_values, -clip_range_vf, clip_range_vf
                    )
                # Value loss using the TD(gae_lambda) target
                value_loss = F.mse_loss(rollout_data.returns, values_pred)
                value_losses.append(value_loss.item())

                # Entropy loss favor exploration
                if entropy is None:
                    # Approximate entropy when no analytical form
                    entropy_loss = -th.mean(-log_prob)
                else:
                    entropy_loss = -th.mean(entropy)

                entropy_losses.append(entropy_loss.item())

                loss = policy_loss + self.ent_coef * entropy_loss + self.vf_coef * value_loss

                if bc_coef > 0.0:  # PPOExpert: behaviour cloning on the expert's actions
                    if bc_loss is None:  # on the PPO minibatch's own states
                        bc_loss = self._bc_loss(rollout_data, distribution)
                    bc_losses.append(bc_loss.item())
                    loss = loss + bc_coef * bc_loss

                # Calculate approximate form of reverse KL Divergence for early stopping
                # see issue #417: https://github.com/DLR-RM/stable-baselines3/issues/417
                # and discussion in PR #419: https://github.com/DLR-RM/stable-baselines3/pull/419
                # and Schulman blog: http://joschu.net/blog/kl-approx.html
                with th.no_grad():
                    log_ratio = log_prob - rollout_data.old_log_prob
                    approx_kl_div = th.mean((th.exp(log_ratio) - 1) - log_ratio).cpu().numpy()
                    approx_kl_divs.append(approx_kl_div)

                target_kl = self._target_kl_now  # PPOExpert: from rollout target_kl_from on
                if target_kl is not None and approx_kl_div > 1.5 * target_kl:
                    continue_training = False
                    if self.verbose >= 1:
                        print(f"Early stopping at step {epoch} due to reaching max kl: {approx_kl_div:.2f}")
                    break

                # Optimization step
                self.policy.optimizer.zero_grad()
                loss.backward()
                # Clip grad norm
                self._clip_grad_norm(self.policy.parameters(), "PPO's update")  # PPOExpert: stops where not finite
                self.policy.optimizer.step()

            self._n_updates += 1
            if not continue_training:
                break

        if bc_coef > 0.0 and self.bc_steps > 0 and not anchor_only:  # PPOExpert: DAgger's supervised step
            self.policy.set_training_mode(True)
            bc_step_losses = self._train_bc(bc_coef)
            self.logger.record("train/bc_step_loss", np.mean(bc_step_losses))

        explained_var = explained_variance(self.rollout_buffer.values.flatten(), self.rollout_buffer.returns.flatten())

        # Logs
        self.logger.record("train/entropy_loss", np.mean(entropy_losses))
        self.logger.record("train/policy_gradient_loss", np.mean(pg_losses))
        self.logger.record("train/value_loss", np.mean(value_losses))
        self.logger.record("train/approx_kl", np.mean(approx_kl_divs))
        self.logger.record("train/clip_fraction", np.mean(clip_fractions))
        self.logger.record("train/loss", loss.item())
        self.logger.record("train/explained_variance", explained_var)
        if hasattr(self.policy, "log_std"):
            self.logger.record("train/std", th.exp(self.policy.log_std).mean().item())
        if bc_losses:  # PPOExpert
            self.logger.record("train/bc_loss", np.mean(bc_losses))
            self.logger.record("train/bc_coef", bc_coef)
            self.logger.record("train/bc_anchor_only", float(anchor_only))

        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/clip_range", clip_range)
        if self.clip_range_vf is not None:
            self.logger.record("train/clip_range_vf", clip_range_vf)

    @classmethod
    def load(  # type: ignore[override]
        cls: type[SelfPPOExpert],
        path: str | pathlib.Path | io.BufferedIOBase,
        env: GymEnv | None = None,
        device: th.device | str = "auto",
        custom_objects: dict[str, Any] | None = None,
        print_system_info: bool = False,
        force_reset: bool = True,
        **kwargs: Any,
    ) -> SelfPPOExpert:
        """
        SB3's ``load`` (see :meth:`stable_baselines3.common.base_class.BaseAlgorithm.load`), refusing keyword arguments
        that are not constructor keywords (SB3 would set them as attributes nobody reads, and a misspelled setting
        would silently keep its saved value). Pass ``expert=...`` to continue training. The roll-in draws go on from
        the saved generator's state, unless ``seed=...`` is given: then they are reseeded with it, as SB3 reseeds
        torch and numpy.
        """
        known = constructor_keywords(cls) - {"policy"}  # load() takes the policy from the file
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ValueError(
                f"Unknown keyword argument(s) for {cls.__name__}.load: {unknown_key_hints(unknown, known)}. "
                f"load() takes the constructor's keywords: {', '.join(sorted(known))}."
            )
        model = super().load(
            path,
            env=env,
            device=device,
            custom_objects=custom_objects,
            print_system_info=print_system_info,
            force_reset=force_reset,
            **kwargs,
        )
        if "seed" in kwargs:  # _setup_model() kept the saved generator; a seed given here replaces it
            model._expert_rng = np.random.default_rng(kwargs["seed"])
        return model  # type: ignore[return-value]

    @property
    def _trained_with(self) -> str | None:
        """The expert this model learned from (its name, or its reference), ``None`` for a model that never had one."""
        return self.expert_name or self.expert_id

    def _expert_in_use(self, n: int) -> dict[str, float]:
        """The schedules that use the expert at rollout ``n``, with their values (none: it trains as PPO)."""
        values = {
            "beta": self._beta_fn(n),
            "handover weight": self._handover_fn(n),
            "bc_coef": self._bc_weight(n),  # the weight cloning actually has (0 after the hand-over where it follows it)
        }
        return {name: value for name, value in values.items() if value > 0.0}

    def _check_expert_present(self) -> None:
        """Refuse to train a model that learned from an expert, without it, while its schedules still use it."""
        trained_with = self._trained_with
        if self.expert is not None or trained_with is None:
            return
        n = self._n_rollouts
        in_use = self._expert_in_use(n)
        if in_use:
            settings = _settings(in_use)
            reference = self.expert_id or "EXPERT"
            raise ValueError(
                f"This model learned from the expert {trained_with} and its schedules still use it at rollout {n} "
                f"({settings}), but it has no expert: a model is saved without its expert. Load it with "
                f"PPOExpert.load(path, env=env, expert={reference!r}) (rl_zoo3 -i reads `expert` from the "
                "hyperparameters). To continue it as plain PPO instead, load it with beta=0.0, handover=0.0, bc_coef=0.0."
            )

    def learn(
        self: SelfPPOExpert,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 1,
        tb_log_name: str = "PPOExpert",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfPPOExpert:
        self._check_expert_present()
        return super().learn(
            total_timesteps=total_timesteps,
            callback=callback,
            log_interval=log_interval,
            tb_log_name=tb_log_name,
            reset_num_timesteps=reset_num_timesteps,
            progress_bar=progress_bar,
        )
