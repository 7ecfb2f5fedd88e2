"""
Training-env wrappers for benchmark probes, named in an entry's ``env_wrapper`` (rl_zoo3's key), e.g.
``--params "env_wrapper={bench_wrappers.FallPenalty: {penalty: -10.0}}"``. ``compare.py`` wraps the training envs
only, inside their ``Monitor``: the training log and the evaluations read the env's own return.
"""

from __future__ import annotations

import time
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


class StallEnd(gym.Wrapper):
    """
    A training episode of BipedalWalker ended once the walker has stalled: its hull has not moved ``min_progress``
    along the course (``env.unwrapped.hull.position.x``) in ``patience`` steps. The expert's episodes that reach the
    time limit stand in front of an obstacle for 646-1827 of their 2000 steps, where walking ones never stalled for
    more than 128 steps (``docs/bench/tried/hardcore_stall_end_seed7/``).

    Ended as a time limit (``penalty=None``: truncated, the step's reward unchanged, so PPO bootstraps from the value
    of the stalled state) or as a fall (``penalty`` a number: terminated, the step's reward replaced by it, as the env
    does on a fall). The ``Monitor`` below this wrapper does not see the end, so the wrapper reports the episode itself
    in ``info["episode"]`` with the env's own return so far (without the penalty): the training log keeps the
    stalled episodes instead of silently dropping them. With ``mark_after``, every step from that many steps without
    progress on carries ``info["standing"] = True`` (for PPOExpert's ``bc_skip_info_key="standing"``: the states where
    the walker stands are not cloned).

    :param env: a BipedalWalker-v3 / BipedalWalkerHardcore-v3 env (its ``Monitor``)
    :param patience: steps without ``min_progress`` after which the episode ends; ``None``: never ends it
    :param min_progress: the distance (Box2D units) the hull must gain on its last mark to reset the count
    :param penalty: ``None`` to truncate, else the reward of the terminating step
    :param mark_after: steps without ``min_progress`` from which ``info["standing"]`` is set; ``None``: never set
    """

    def __init__(
        self,
        env: gym.Env,
        patience: int | None = 200,
        min_progress: float = 1.0,
        penalty: float | None = None,
        mark_after: int | None = None,
    ):
        super().__init__(env)
        if not hasattr(env.unwrapped, "hull"):
            raise ValueError(f"StallEnd reads the walker's hull position; {env.unwrapped} has no 'hull': use BipedalWalker.")
        if any(n is not None and n < 1 for n in (patience, mark_after)) or min_progress <= 0:
            raise ValueError(
                f"StallEnd needs patience and mark_after >= 1 (or None) and min_progress > 0, got {patience}, "
                f"{mark_after} and {min_progress}."
            )
        self.patience = patience
        self.mark_after = mark_after
        self.min_progress = float(min_progress)
        self.penalty = None if penalty is None else float(penalty)
        self._mark = 0.0
        self._since = 0
        self._return = 0.0
        self._length = 0
        self._start = time.time()

    @property
    def steps_standing(self) -> int:
        """Steps since the hull last gained ``min_progress`` on its mark (the count ``patience`` and ``mark_after``
        are compared with)."""
        return self._since

    def _position(self) -> float:
        return float(self.env.unwrapped.hull.position.x)  # type: ignore[attr-defined]

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self._mark, self._since, self._return, self._length, self._start = self._position(), 0, 0.0, 0, time.time()
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._return += float(reward)
        self._length += 1
        position = self._position()
        if position > self._mark + self.min_progress:
            self._mark, self._since = position, 0
        else:
            self._since += 1
        if self.mark_after is not None:
            info = {**info, "standing": self._since >= self.mark_after}
        if self.patience is not None and self._since >= self.patience and not (terminated or truncated):
            info = {**info, "stalled": True, "episode": {"r": self._return, "l": self._length, "t": time.time() - self._start}}
            if self.penalty is None:
                truncated = True
            else:
                terminated, reward = True, self.penalty
        return obs, reward, terminated, truncated, info
