"""
Rollout buffer for PPOExpert and the expert-advantage arithmetic (pure numpy, analytically testable).

The buffer keeps what PPO keeps (the learner's *own* sampled action and its log-prob at every
step, also where the expert's action was executed) plus what the expert needs: the env's raw
observations, the next raw observation (the terminal one at episode ends), raw rewards,
``terminated`` flags and which steps the expert executed. It yields PPO's samples plus a
policy-loss mask and the expert's actions (for the behaviour-cloning term).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import NamedTuple

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.vec_env import VecNormalize

__all__ = [
    "ExpertRolloutBuffer",
    "ExpertRolloutBufferSamples",
    "q_expert_advantages",
    "v_expert_advantages",
    "blend_advantages",
]


class ExpertRolloutBufferSamples(NamedTuple):
    observations: th.Tensor
    actions: th.Tensor
    old_values: th.Tensor
    old_log_prob: th.Tensor
    advantages: th.Tensor
    returns: th.Tensor
    policy_mask: th.Tensor
    expert_actions: th.Tensor


def q_expert_advantages(q_values: np.ndarray, state_values: np.ndarray) -> np.ndarray:
    """
    ``A*(s, a) = Q*(s, a) - V*(s)``: AggreVaTeD's signal for a Q-expert, valid at every visited state
    whoever acted there (the learner's own action is scored, so no importance weight is needed).

    :param q_values: ``Q*(s_t, a_t)`` at the learner's sampled actions
    :param state_values: ``V*(s_t) = Q*(s_t, pi*(s_t))`` (or ``max_a Q*`` for discrete actions)
    :return: the advantages, same shape
    """
    return np.asarray(q_values, dtype=np.float64) - np.asarray(state_values, dtype=np.float64)


def v_expert_advantages(
    rewards: np.ndarray,
    values: np.ndarray,
    next_values: np.ndarray,
    terminated: np.ndarray,
    dones: np.ndarray,
    gamma: float,
    gae_lambda: float,
) -> np.ndarray:
    """
    GAE over the expert's TD errors, with ``V*`` as the baseline (THOR / MAMBA style):

    ``delta_t = r_t + gamma * V*(s'_t) * (1 - terminated_t) - V*(s_t)`` and
    ``A_t = delta_t + gamma * lambda * (1 - done_t) * A_{t+1}``.

    ``lambda = 0`` is AggreVaTeD's one-step advantage; ``lambda -> 1`` is RL with the expert's value as
    baseline. ``s'_t`` is the next observation, the terminal one where the episode ended: a truncated
    episode bootstraps from it, a terminated one does not. The sum stops at episode ends and at the
    end of the rollout. Arrays are ``(n_steps, n_envs)``, time first.

    :param rewards: raw rewards ``r_t``
    :param values: ``V*(s_t)``
    :param next_values: ``V*(s'_t)``
    :param terminated: 1 where the episode terminated at step t (no bootstrap)
    :param dones: 1 where the episode ended at step t (terminated or truncated)
    :param gamma: discount of the expert's critic
    :param gae_lambda: the lambda of the sum
    :return: the advantages ``(n_steps, n_envs)``
    """
    rewards, values, next_values = (np.asarray(x, dtype=np.float64) for x in (rewards, values, next_values))
    not_terminated = 1.0 - np.asarray(terminated, dtype=np.float64)
    deltas = rewards + gamma * next_values * not_terminated - values
    if gae_lambda == 0.0:
        return deltas
    not_done = 1.0 - np.asarray(dones, dtype=np.float64)
    advantages = np.zeros_like(deltas)
    last = np.zeros(deltas.shape[1:], dtype=np.float64)
    for step in reversed(range(len(deltas))):
        last = deltas[step] + gamma * gae_lambda * not_done[step] * last
        advantages[step] = last
    return advantages


def blend_advantages(
    expert_advantages: np.ndarray,
    expert_valid: np.ndarray,
    learner_advantages: np.ndarray,
    learner_valid: np.ndarray,
    weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """
    The hand-over: ``w * c * A_expert + (1 - w) * A_learner`` where each part counts only where it is
    valid, and ``c = std(A_learner) / std(A_expert)`` puts the expert's advantages (reward units) in the
    learner's units (its rewards may be normalised by VecNormalize), so that the weight, not the
    scales, decides the mix: at every ``w > 0``, ``w = 1`` included, so the advantages' scale does not jump when the
    hand-over starts (it matters with ``normalize_advantage=False``; PPO's per-minibatch normalisation cancels ``c``).
    ``c = 1`` where either part has fewer than two valid steps or no spread. ``w = 0`` returns the learner's
    advantages unchanged.

    :param expert_advantages: the expert's advantages
    :param expert_valid: where they score the learner's own action
    :param learner_advantages: the learner's GAE advantages
    :param learner_valid: where the learner's action was executed
    :param weight: ``w`` in [0, 1]
    :return: (advantages as float32, policy-loss mask as float32)
    """
    expert_valid = np.asarray(expert_valid, dtype=bool)
    learner_valid = np.asarray(learner_valid, dtype=bool)
    if weight == 0.0:
        return np.asarray(learner_advantages, dtype=np.float32), learner_valid.astype(np.float32)
    scale = 1.0
    if expert_valid.sum() > 1 and learner_valid.sum() > 1:
        expert_std = float(np.std(expert_advantages[expert_valid]))
        learner_std = float(np.std(learner_advantages[learner_valid]))
        if expert_std > 1e-8 and learner_std > 1e-8:
            scale = learner_std / expert_std
    mask = expert_valid | (learner_valid if weight < 1.0 else False)
    advantages = np.where(expert_valid, weight * scale * expert_advantages, 0.0)
    if weight < 1.0:
        advantages = advantages + np.where(learner_valid, (1.0 - weight) * learner_advantages, 0.0)
    return advantages.astype(np.float32), mask.astype(np.float32)


class ExpertRolloutBuffer(RolloutBuffer):
    """
    ``RolloutBuffer`` with the expert's data.

    Extra arrays, ``(n_steps, n_envs, ...)``: ``raw_observations`` / ``raw_next_observations`` (the env's
    own observations, before the learner's VecNormalize; the next one is the terminal observation at
    episode ends), ``raw_rewards``, ``terminated``, ``dones``, ``expert_executed``, ``bc_skipped``, and, filled after the
    rollout, ``policy_mask`` (1 where the policy loss counts the step) and ``expert_actions`` (in the
    learner's action representation, for behaviour cloning).

    :param buffer_size: Max number of element in the buffer
    :param observation_space: Observation space
    :param action_space: Action space
    :param device: PyTorch device
    :param gae_lambda: Factor for trade-off of bias vs variance for Generalized Advantage Estimator
    :param gamma: Discount factor
    :param n_envs: Number of parallel environments
    """

    raw_observations: np.ndarray
    raw_next_observations: np.ndarray
    raw_rewards: np.ndarray
    terminated: np.ndarray
    dones: np.ndarray
    expert_executed: np.ndarray
    bc_skipped: np.ndarray
    policy_mask: np.ndarray
    expert_actions: np.ndarray

    def __init__(
        self,
        buffer_size: int,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        device: th.device | str = "auto",
        gae_lambda: float = 1,
        gamma: float = 0.99,
        n_envs: int = 1,
    ):
        if not isinstance(observation_space, spaces.Box):
            raise ValueError(f"PPOExpert supports Box observation spaces, got {observation_space}.")
        super().__init__(
            buffer_size, observation_space, action_space, device, gae_lambda=gae_lambda, gamma=gamma, n_envs=n_envs
        )

    def reset(self) -> None:
        shape = (self.buffer_size, self.n_envs)
        self.raw_observations = np.zeros((*shape, *self.obs_shape), dtype=np.float32)
        self.raw_next_observations = np.zeros((*shape, *self.obs_shape), dtype=np.float32)
        self.raw_rewards = np.zeros(shape, dtype=np.float32)
        self.terminated = np.zeros(shape, dtype=np.float32)
        self.dones = np.zeros(shape, dtype=np.float32)
        self.expert_executed = np.zeros(shape, dtype=bool)
        self.bc_skipped = np.zeros(shape, dtype=bool)
        self.policy_mask = np.ones(shape, dtype=np.float32)
        self.expert_actions = np.zeros((*shape, self.action_dim), dtype=np.float32)
        #: True while every step counts in the policy loss (then PPO's update is used unchanged)
        self.all_valid = True
        super().reset()

    def add(  # type: ignore[override]
        self,
        *args,
        raw_obs: np.ndarray | None = None,
        raw_next_obs: np.ndarray | None = None,
        raw_reward: np.ndarray | None = None,
        terminated: np.ndarray | None = None,
        dones: np.ndarray | None = None,
        expert_executed: np.ndarray | None = None,
        bc_skipped: np.ndarray | None = None,
        **kwargs,
    ) -> None:
        """
        :param raw_obs: the env's own observation at this step
        :param raw_next_obs: the next raw observation (the terminal one where the episode ended)
        :param raw_reward: the env's own reward
        :param terminated: where the episode terminated (no bootstrap)
        :param dones: where the episode ended (terminated or truncated)
        :param expert_executed: where the expert's action, not the learner's, was executed
        :param bc_skipped: where the state is kept out of the aggregated cloning dataset (``bc_skip_info_key``)
        """
        pos = self.pos
        for name, value in (
            ("raw_observations", raw_obs),
            ("raw_next_observations", raw_next_obs),
            ("raw_rewards", raw_reward),
            ("terminated", terminated),
            ("dones", dones),
            ("expert_executed", expert_executed),
            ("bc_skipped", bc_skipped),
        ):
            if value is not None:
                self.__dict__[name][pos] = np.asarray(value).reshape(self.__dict__[name][pos].shape)
        super().add(*args, **kwargs)

    def set_policy_targets(self, advantages: np.ndarray, policy_mask: np.ndarray) -> None:
        """
        Replace the advantages used by the policy loss and set which steps count in it.
        The returns (the value targets) stay the learner's own.

        :param advantages: ``(n_steps, n_envs)``
        :param policy_mask: ``(n_steps, n_envs)``, 1 where the step counts in the policy loss
        """
        self.advantages = np.asarray(advantages, dtype=np.float32).reshape(self.buffer_size, self.n_envs)
        self.policy_mask = np.asarray(policy_mask, dtype=np.float32).reshape(self.buffer_size, self.n_envs)
        self.all_valid = bool(self.policy_mask.all())

    def get(self, batch_size: int | None = None) -> Generator[ExpertRolloutBufferSamples, None, None]:  # type: ignore[override]
        if not self.generator_ready:
            for name in ("policy_mask", "expert_actions"):
                self.__dict__[name] = self.swap_and_flatten(self.__dict__[name])
        yield from super().get(batch_size)  # type: ignore[misc]

    def _get_samples(self, batch_inds: np.ndarray, env: VecNormalize | None = None) -> ExpertRolloutBufferSamples:  # type: ignore[override]
        samples = super()._get_samples(batch_inds, env)
        return ExpertRolloutBufferSamples(
            *samples,
            policy_mask=self.to_torch(self.policy_mask[batch_inds].flatten()),
            expert_actions=self.to_torch(self.expert_actions[batch_inds]),
        )
