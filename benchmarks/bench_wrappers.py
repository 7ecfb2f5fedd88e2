"""
Training-env wrappers for benchmark probes, named in an entry's ``env_wrapper`` (rl_zoo3's key), e.g.
``--params "env_wrapper={bench_wrappers.FallPenalty: {penalty: -10.0}}"``. ``compare.py`` wraps the training envs
only, inside their ``Monitor``: the training log and the evaluations read the env's own return.
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym


class FallPenalty(gym.Wrapper):
    """
    BipedalWalker's reward for falling (the hull touches the ground, or the walker leaves the course to the left:
    the episode ends with a reward of exactly ``env_penalty``) replaced by ``penalty``. Reward shaping for training
    only: a walker stuck in front of an obstacle loses less by trying to cross it.

    :param env: a BipedalWalker-v3 / BipedalWalkerHardcore-v3 env
    :param penalty: the reward given on a fall instead
    :param env_penalty: the env's own reward on a fall
    """

    def __init__(self, env: gym.Env, penalty: float = -10.0, env_penalty: float = -100.0):
        super().__init__(env)
        self.penalty = float(penalty)
        self.env_penalty = float(env_penalty)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated and float(reward) == self.env_penalty:
            reward = self.penalty
        return obs, reward, terminated, truncated, info
