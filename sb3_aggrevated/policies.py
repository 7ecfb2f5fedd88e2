"""
A tanh-squashed Gaussian actor-critic policy for PPO-style algorithms.

SB3's ``ActorCriticPolicy`` samples from an unbounded Gaussian and clips the action before the env
step, so the stored action (and its log-prob) is not the executed one, and an expert's action at a
bound has no meaningful likelihood. :class:`TanhGaussianPolicy` samples ``u ~ N(mu, sigma)`` and acts
``a = tanh(u)`` in [-1, 1] (unscaled to the Box bounds by SB3, as for SAC), with the exact
change-of-variables log-prob. Discrete action spaces fall back to SB3's categorical policy.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import torch as th
import torch.nn.functional as F
from gymnasium import spaces
from stable_baselines3.common.distributions import Distribution
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.preprocessing import get_action_dim
from torch import nn

__all__ = ["TanhGaussianDistribution", "TanhGaussianPolicy", "ACTION_EPS", "LOG_STD_BOUNDS"]

#: Actions are kept in [-1 + ACTION_EPS, 1 - ACTION_EPS], where ``atanh`` and the log-prob are finite.
ACTION_EPS = 1e-6
#: Default clamp of the log standard deviation of the pre-tanh Gaussian.
LOG_STD_BOUNDS = (-5.0, 2.0)


class _ClampInward(th.autograd.Function):
    """
    ``clamp(x, low, high)`` whose gradient also passes outside the bounds where it points back inside. A plain clamp
    has no gradient there, so a log-std parameter pushed past a bound (a cloning NLL against a deterministic expert
    drives it towards -inf) would stay there for good, whatever the entropy bonus or PPO's loss asked later. Where the
    loss pushes further out the gradient is 0, as with ``clamp``: the parameter does not drift.
    """

    @staticmethod
    def forward(ctx: Any, x: th.Tensor, low: float, high: float) -> th.Tensor:
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        return x.clamp(low, high)

    @staticmethod
    def backward(ctx: Any, grad: th.Tensor) -> tuple[th.Tensor, None, None]:
        (x,) = ctx.saved_tensors
        # gradient descent moves x along -grad: below the low bound it may only go up (grad < 0), above high only down
        passes = ((x >= ctx.low) | (grad < 0)) & ((x <= ctx.high) | (grad > 0))
        return grad * passes, None, None


def clamp_inward(x: th.Tensor, low: float, high: float) -> th.Tensor:
    """``x`` clamped to ``[low, high]``; the gradient passes inside the bounds, and outside them where it points back in."""
    return _ClampInward.apply(x, low, high)


def _log_one_minus_tanh2(u: th.Tensor) -> th.Tensor:
    """Stable ``log(1 - tanh(u)**2) = 2 * (log 2 - u - softplus(-2u))``."""
    return 2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u))


class TanhGaussianDistribution(Distribution):
    """
    ``a = tanh(u)``, ``u ~ N(mu, diag(sigma^2))``, with ``log sigma`` clamped to ``log_std_bounds`` (a clamp whose
    gradient brings a log-std that went past a bound back inside, where the loss asks for it: never stuck there).

    The log-prob is ``sum_i [log N(u_i) - log(1 - tanh(u_i)^2)]`` with ``u = atanh(a)``, ``a`` clamped
    strictly inside (-1, 1): sampled actions are clamped the same way, so the log-prob stored during
    the rollout is the one recomputed during training. Exact except at that clamp: a sample with
    ``|u| > atanh(1 - 1e-6) ~ 7.25`` lands on it, where the probability piles up as a point mass and the log-prob
    is the density there (PPO's ratio stays exact, the gradient on such samples is not the exact score). That needs a
    mean or a std far out (at mean 0, a std of exp(2), the default bound, puts a third of the samples there; a std
    below 1 with ``|mu| < 4`` practically none). The entropy has no closed form; ``entropy()``
    is the Gaussian's entropy plus a one-sample (reparameterised) estimate of ``E[log(1 - tanh(u)^2)]``.

    :param action_dim: dimension of the action space
    :param log_std_bounds: (min, max) of the log standard deviation
    """

    distribution: th.distributions.Normal

    def __init__(self, action_dim: int, log_std_bounds: tuple[float, float] = LOG_STD_BOUNDS):
        super().__init__()
        self.action_dim = action_dim
        self.log_std_bounds = log_std_bounds
        self.mean_actions: th.Tensor | None = None
        self.log_std: th.Tensor | None = None

    def proba_distribution_net(self, latent_dim: int, log_std_init: float = 0.0) -> tuple[nn.Module, nn.Parameter]:
        mean_actions = nn.Linear(latent_dim, self.action_dim)
        log_std = nn.Parameter(th.ones(self.action_dim) * log_std_init, requires_grad=True)
        return mean_actions, log_std

    def proba_distribution(self, mean_actions: th.Tensor, log_std: th.Tensor) -> TanhGaussianDistribution:
        self.mean_actions = mean_actions
        self.log_std = clamp_inward(log_std, *self.log_std_bounds)
        if self.log_std.dim() < mean_actions.dim():
            self.log_std = self.log_std.expand_as(mean_actions)
        self.distribution = th.distributions.Normal(mean_actions, self.log_std.exp())
        return self

    @staticmethod
    def _clamp(actions: th.Tensor) -> th.Tensor:
        return th.clamp(actions, -1.0 + ACTION_EPS, 1.0 - ACTION_EPS)

    def log_prob(self, actions: th.Tensor) -> th.Tensor:
        u = th.atanh(self._clamp(actions))
        return (self.distribution.log_prob(u) - _log_one_minus_tanh2(u)).sum(dim=-1)

    def entropy(self) -> th.Tensor:
        u = self.distribution.rsample()
        return (self.distribution.entropy() + _log_one_minus_tanh2(u)).sum(dim=-1)

    def sample(self) -> th.Tensor:
        return self._clamp(th.tanh(self.distribution.rsample()))

    def mode(self) -> th.Tensor:
        return self._clamp(th.tanh(self.distribution.mean))

    def actions_from_params(self, mean_actions: th.Tensor, log_std: th.Tensor, deterministic: bool = False) -> th.Tensor:
        self.proba_distribution(mean_actions, log_std)
        return self.get_actions(deterministic=deterministic)

    def log_prob_from_params(self, mean_actions: th.Tensor, log_std: th.Tensor) -> tuple[th.Tensor, th.Tensor]:
        actions = self.actions_from_params(mean_actions, log_std)
        return actions, self.log_prob(actions)


class TanhGaussianPolicy(ActorCriticPolicy):
    """
    Actor-critic policy with a tanh-squashed Gaussian for Box action spaces (any finite bounds), and
    SB3's categorical / multi-categorical / Bernoulli distributions otherwise. Usable with ``PPO`` and
    ``A2C`` (``PPO(TanhGaussianPolicy, env)``) and as ``"TanhMlpPolicy"`` with ``PPOExpert``.

    Takes every argument of ``ActorCriticPolicy`` plus:

    :param state_dependent_std: the log-std is an output of the actor network (True) or a learned
        vector independent of the state (False, as in SB3's default)
    :param log_std_bounds: clamp of the log-std, default ``(-5, 2)`` (sigma in [0.007, 7.4] before tanh)
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Any,
        *args: Any,
        state_dependent_std: bool = False,
        log_std_bounds: tuple[float, float] = LOG_STD_BOUNDS,
        **kwargs: Any,
    ):
        if len(log_std_bounds) != 2 or not log_std_bounds[0] < log_std_bounds[1]:
            raise ValueError(f"log_std_bounds must be (min, max) with min < max, got {log_std_bounds}.")
        if isinstance(action_space, spaces.Box):
            if not (th.isfinite(th.as_tensor(action_space.low)).all() and th.isfinite(th.as_tensor(action_space.high)).all()):
                raise ValueError(
                    f"TanhGaussianPolicy needs finite action bounds, got {action_space}. "
                    "Use 'MlpPolicy' for unbounded actions, or bound the env's action space."
                )
            if kwargs.get("use_sde"):
                raise ValueError("TanhGaussianPolicy does not support gSDE (use_sde=True); use 'MlpPolicy' with gSDE.")
        self.state_dependent_std = state_dependent_std
        self.log_std_bounds = tuple(float(b) for b in log_std_bounds)
        kwargs.pop("squash_output", None)  # set by the action space, not by the caller
        super().__init__(observation_space, action_space, lr_schedule, *args, **kwargs)

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)
        if not isinstance(self.action_space, spaces.Box):
            return
        # Actions live in [-1, 1]; SB3 unscales them to the Box bounds before the env step.
        self._squash_output = True
        # one number per action component (a 2x2 Box: 4), as SB3 sizes its own heads
        self.action_dist = TanhGaussianDistribution(get_action_dim(self.action_space), self.log_std_bounds)  # type: ignore[arg-type]
        if self.state_dependent_std:
            # One head for the mean and the log-std; the state-independent log_std is not used.
            latent_dim_pi = self.mlp_extractor.latent_dim_pi
            self.action_net = nn.Linear(latent_dim_pi, 2 * self.action_dist.action_dim)
            if self.ortho_init:
                self.action_net.apply(partial(self.init_weights, gain=0.01))
            with th.no_grad():
                self.action_net.bias[self.action_dist.action_dim :].fill_(self.log_std_init)
            del self.log_std
            self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)  # type: ignore[call-arg]

    def _get_action_dist_from_latent(self, latent_pi: th.Tensor) -> Distribution:
        if not isinstance(self.action_dist, TanhGaussianDistribution):
            return super()._get_action_dist_from_latent(latent_pi)
        out = self.action_net(latent_pi)
        if self.state_dependent_std:
            mean_actions, log_std = th.chunk(out, 2, dim=-1)
            return self.action_dist.proba_distribution(mean_actions, log_std)
        return self.action_dist.proba_distribution(out, self.log_std)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(state_dependent_std=self.state_dependent_std, log_std_bounds=self.log_std_bounds)
        return data
