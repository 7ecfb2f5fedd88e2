"""Shared fixtures: the pretrained experts folder (via SB3_AGGREVATED_EXPERTS) and small analytic envs / experts."""

from __future__ import annotations

import os
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.callbacks import BaseCallback

from sb3_aggrevated.experts import Expert

EXPERTS_ENV_VAR = "SB3_AGGREVATED_EXPERTS"

th.set_num_threads(1)


def experts_dir() -> Path | None:
    value = os.environ.get(EXPERTS_ENV_VAR)
    return Path(value) if value and Path(value).is_dir() else None


@pytest.fixture
def experts() -> Path:
    folder = experts_dir()
    if folder is None:
        pytest.skip(f"needs the pretrained RL Zoo experts: set {EXPERTS_ENV_VAR} to a folder in RL Zoo layout (ALGO/ENV_1/)")
    return folder


def expert_path(folder: Path, algo: str, env_id: str) -> Path:
    path = folder / algo / f"{env_id}_1"
    if not path.is_dir():
        pytest.skip(f"expert {algo}/{env_id}_1 is not in {folder}")
    return path


class CountEnv(gym.Env):
    """
    obs = [t] (steps taken), reward = 1 + a[0] (or 1 + a for Discrete(2)), terminates when t == terminate_at.
    Wrap in TimeLimit to get truncations.
    """

    def __init__(self, terminate_at: int = 3, discrete: bool = False):
        self.observation_space = spaces.Box(0.0, 100.0, (1,), dtype=np.float32)
        self.action_space = spaces.Discrete(2) if discrete else spaces.Box(-1.0, 1.0, (1,), dtype=np.float32)
        self.terminate_at = terminate_at
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.array([self.t], dtype=np.float32), {}

    def step(self, action):
        self.t += 1
        a = float(np.asarray(action).reshape(-1)[0])
        return np.array([self.t], dtype=np.float32), 1.0 + a, self.t >= self.terminate_at, False, {}


class LinearVExpert(Expert):
    """V*(s) = slope * s[0]; acts `action`; records every observation it is given."""

    kind = "v"

    def __init__(self, observation_space, action_space, slope=2.0, gamma=0.9, action=0.5):
        self.observation_space, self.action_space = observation_space, action_space
        self.slope, self.gamma, self.action = slope, gamma, action
        self.seen: list[np.ndarray] = []

    def predict(self, obs, deterministic=True):
        self.seen.append(np.array(obs))
        shape = (len(obs), *self.action_space.shape)
        return np.full(shape, self.action, dtype=self.action_space.dtype)

    def value(self, obs):
        self.seen.append(np.array(obs))
        return self.slope * np.asarray(obs, dtype=np.float64)[:, 0]


class QuadraticQExpert(LinearVExpert):
    """Q*(s, a) = -(a - target)^2 + slope * s[0], so V*(s) = slope * s[0] and pi*(s) = target."""

    kind = "q"

    def q_value(self, obs, actions):
        self.seen.append(np.array(obs))
        a = np.asarray(actions, dtype=np.float64).reshape(len(obs), -1)[:, 0]
        return -((a - self.action) ** 2) + self.slope * np.asarray(obs, dtype=np.float64)[:, 0]


class RolloutEndRecorder(BaseCallback):
    """Collects ``read(model)`` at the end of every rollout (after the expert targets are set) in ``values``."""

    def __init__(self, read):
        super().__init__()
        self.read = read
        self.values: list = []

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        self.values.append(self.read(self.model))
