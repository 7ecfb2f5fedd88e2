"""
Schedules over the rollout index ``n`` (0 for the first rollout collected).

The roll-in probability ``beta``, the hand-over weight and the behaviour-cloning coefficient change
once per rollout, as in DAgger / AggreVaTe(D) where ``beta_n`` is fixed for iteration ``n``.
They are module-level classes, never lambdas: a lambda saved with a model is silently replaced
by a default when the model is loaded (``cloudpickle`` cannot always restore it), a class is
restored by reference.

NOTE: SB3's own schedules (``learning_rate``, ``clip_range``) are functions of
``progress_remaining``; these are functions of the rollout index so that a schedule means the same
thing whatever the total budget passed to ``learn()``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = [
    "RolloutSchedule",
    "ConstantRolloutSchedule",
    "LinearRolloutSchedule",
    "ExponentialRolloutSchedule",
    "InverseRolloutSchedule",
    "KeywordRangeSchedule",
    "SCHEDULE_NAMES",
    "make_rollout_schedule",
]


def yaml_number_hint(value: object, integer: bool = False) -> str:
    """
    The fix for a number that arrived as a string, for an error message: YAML (rl_zoo3's hyperparameter files,
    ``-params``) reads ``1e-3`` as the string ``'1e-3'``. Empty for anything else.

    :param value: the value that was refused
    :param integer: the setting takes an integer (a number of rollouts, steps or states)
    :return: the hint, starting with a space, or ``""``
    """
    if not isinstance(value, str):
        return ""
    try:
        number = float(value)
    except ValueError:
        return ""
    if integer:
        if not number.is_integer():
            return ""
        return f" (YAML reads {value} as a string: write {int(number)})"
    return f" (YAML reads {value} as a string: write {number!r} or !!float {value})"


def _check_range(name: str, value: float, low: float | None, high: float | None, hint: str = "") -> None:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):  # numpy's too
        raise ValueError(f"{name} must be a finite number, got {value!r}{yaml_number_hint(value)}.")
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            bounds = f"lie in [{low}, {high}]"
        else:
            bounds = f"be >= {low}" if low is not None else f"be <= {high}"
        raise ValueError(f"{name} must {bounds}, got {value}.{hint}")


#: for a schedule instance out of its own bounds: they are the schedule's (default [0, 1]), not the keyword's
_BOUNDS_HINT = (
    " These are the schedule's own bounds (low=0.0, high=1.0 by default): for a keyword that takes values outside "
    "[0, 1] (bc_coef above 1), build it with high=None (or low=None)."
)


def _check_integer(name: str, value: Any, lowest: int, what: str = "", allow_none: bool = False) -> None:
    """
    Refuse ``value`` unless it is an integer (not a bool) >= ``lowest``, or ``None`` where ``allow_none``.

    :param name: the setting, for the message
    :param value: its value
    :param lowest: the smallest legal value
    :param what: what the number counts, for the message (e.g. ``" (a number of rollouts)"``)
    :param allow_none: ``None`` is legal
    """
    if value is None and allow_none:
        return
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < lowest:
        legal = f"an integer >= {lowest}{what}" + (" or None" if allow_none else "")
        raise ValueError(f"{name} must be {legal}, got {value!r}{yaml_number_hint(value, integer=True)}.")


def _check_rollouts(name: str, value: int | None, allow_zero: bool = False) -> None:
    """A number of rollouts (``None`` legal: no limit)."""
    if value is not None:
        _check_integer(name, value, 0 if allow_zero else 1, " (a number of rollouts)")


class RolloutSchedule:
    """
    Base class: a value as a function of the rollout index ``n >= 0``.

    Subclasses implement ``value(n)``; ``__call__`` adds the optional cut-off after ``stop``
    rollouts (the value is ``0`` from rollout ``stop`` on) and the range check.

    :param low: smallest legal value (checked on every call)
    :param high: largest legal value (checked on every call)
    :param stop: number of rollouts after which the schedule returns 0 (``None``: never)
    """

    def __init__(self, low: float | None = 0.0, high: float | None = 1.0, stop: int | None = None) -> None:
        _check_rollouts("stop", stop, allow_zero=True)
        self.low = low
        self.high = high
        self.stop = None if stop is None else int(stop)

    def value(self, n: int) -> float:
        raise NotImplementedError

    def __call__(self, n: int) -> float:
        if n < 0:
            raise ValueError(f"The rollout index must be >= 0, got {n}.")
        if self.stop is not None and n >= self.stop:
            return 0.0
        out = float(self.value(n))
        _check_range(f"{self!r} at rollout {n}", out, self.low, self.high, _BOUNDS_HINT)
        return out

    def _check(self, **values: float) -> None:
        for name, val in values.items():
            _check_range(f"{type(self).__name__}: {name}", val, self.low, self.high, _BOUNDS_HINT)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k not in ("low", "high"))
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)


class ConstantRolloutSchedule(RolloutSchedule):
    """
    ``value`` at every rollout (up to ``stop``).

    :param value: the constant
    :param stop: rollouts after which the value is 0 (``None``: never)
    :param low: smallest legal value
    :param high: largest legal value
    """

    def __init__(self, value: float, stop: int | None = None, low: float | None = 0.0, high: float | None = 1.0) -> None:
        super().__init__(low, high, stop)
        self.constant = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else value
        self._check(value=self.constant)

    def value(self, n: int) -> float:
        return self.constant


class LinearRolloutSchedule(RolloutSchedule):
    """
    Holds ``start`` for ``delay`` rollouts, then moves linearly to ``end`` over ``n_rollouts`` rollouts
    and stays there.

    :param start: value for rollouts ``0 .. delay``
    :param end: value from rollout ``delay + n_rollouts`` on
    :param n_rollouts: length of the ramp in rollouts (>= 1)
    :param delay: rollouts at ``start`` before the ramp
    :param low: smallest legal value
    :param high: largest legal value
    """

    def __init__(
        self,
        start: float,
        end: float,
        n_rollouts: int,
        delay: int = 0,
        low: float | None = 0.0,
        high: float | None = 1.0,
    ) -> None:
        super().__init__(low, high, None)
        _check_rollouts("n_rollouts", n_rollouts)
        _check_rollouts("delay", delay, allow_zero=True)
        self._check(start=start, end=end)
        self.start = float(start)
        self.end = float(end)
        self.n_rollouts = int(n_rollouts)
        self.delay = int(delay)

    def value(self, n: int) -> float:
        frac = min(max(n - self.delay, 0) / self.n_rollouts, 1.0)
        return self.start + frac * (self.end - self.start)


class ExponentialRolloutSchedule(RolloutSchedule):
    """
    ``start * decay ** n`` (DAgger's ``beta_n = p ** n``), 0 from rollout ``stop`` on.

    :param start: value at rollout 0
    :param decay: factor per rollout, in [0, 1]
    :param stop: rollouts after which the value is 0 (``None``: never)
    :param low: smallest legal value
    :param high: largest legal value
    """

    def __init__(
        self, start: float, decay: float, stop: int | None = None, low: float | None = 0.0, high: float | None = 1.0
    ) -> None:
        super().__init__(low, high, stop)
        self._check(start=start)
        _check_range("ExponentialRolloutSchedule: decay", decay, 0.0, 1.0)
        self.start = float(start)
        self.decay = float(decay)

    def value(self, n: int) -> float:
        return self.start * self.decay**n


class InverseRolloutSchedule(RolloutSchedule):
    """
    ``start / (n + 1)`` (the no-regret rate of AggreVaTe), 0 from rollout ``stop`` on.

    :param start: value at rollout 0
    :param stop: rollouts after which the value is 0 (``None``: never)
    :param low: smallest legal value
    :param high: largest legal value
    """

    def __init__(self, start: float = 1.0, stop: int | None = None, low: float | None = 0.0, high: float | None = 1.0) -> None:
        super().__init__(low, high, stop)
        self._check(start=start)
        self.start = float(start)

    def value(self, n: int) -> float:
        return self.start / (n + 1)


class KeywordRangeSchedule(RolloutSchedule):
    """
    A ready-made schedule given for a keyword, checked at every call against the keyword's range as well as its own
    bounds, which may be wider (built with ``high=None``): a hand-over weight of 1.5 or a GAE lambda of 3 is refused,
    not trained on. It compares equal to, and reads as, the schedule it holds.

    :param schedule: the schedule given
    :param what: the keyword, for error messages
    :param low: the keyword's smallest legal value
    :param high: the keyword's largest legal value
    """

    def __init__(self, schedule: RolloutSchedule, what: str, low: float | None, high: float | None) -> None:
        super().__init__(low, high, None)
        self.schedule = schedule
        self.what = what

    def value(self, n: int) -> float:
        return self.schedule(n)

    def __call__(self, n: int) -> float:
        out = self.schedule(n)
        _check_range(f"{self.what} ({self.schedule!r}) at rollout {n}", out, self.low, self.high)
        return out

    def __repr__(self) -> str:
        return repr(self.schedule)

    def __eq__(self, other: object) -> bool:
        return self.schedule == (other.schedule if isinstance(other, KeywordRangeSchedule) else other)


#: Names accepted where a schedule is given by name (YAML-friendly hyperparameters).
SCHEDULE_NAMES = ("constant", "linear", "exponential", "inverse")


def make_rollout_schedule(
    value: float | RolloutSchedule,
    name: str = "constant",
    *,
    what: str = "value",
    decay: float = 0.8,
    n_rollouts: int | None = None,
    delay: int = 0,
    low: float | None = 0.0,
    high: float | None = 1.0,
) -> RolloutSchedule:
    """
    Build a schedule from YAML-friendly pieces: a start value and a schedule name.

    :param value: start value, or a ready ``RolloutSchedule`` (returned as it is, checked against ``low`` / ``high``
        at every call as well: :class:`KeywordRangeSchedule`)
    :param name: one of ``SCHEDULE_NAMES``
    :param what: name of the hyperparameter, for error messages
    :param decay: factor per rollout for ``"exponential"``
    :param n_rollouts: for ``"linear"``, the ramp length to 0; for the others, a cut-off to 0 after that
        many rollouts (``None``: none)
    :param delay: for ``"linear"``, rollouts at the start value before the ramp
    :param low: smallest legal value
    :param high: largest legal value
    :return: the schedule
    """
    if isinstance(value, RolloutSchedule):
        return value if low is None and high is None else KeywordRangeSchedule(value, what, low, high)
    if callable(value):
        raise ValueError(
            f"{what}: got a callable {value!r}. Pass a number or a RolloutSchedule instance "
            "(sb3_aggrevated.schedules); plain functions and lambdas are not restored when a model is loaded."
        )
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"{what} must be a number or a RolloutSchedule, got {value!r}{yaml_number_hint(value)}.")
    value = float(value)  # numpy's numbers too
    _check_range(what, value, low, high)
    if name == "constant":
        return ConstantRolloutSchedule(value, stop=n_rollouts, low=low, high=high)
    if name == "linear":
        if n_rollouts is None:
            raise ValueError(f"{what}: a 'linear' schedule needs its length in rollouts (the *_rollouts keyword).")
        return LinearRolloutSchedule(value, 0.0, n_rollouts, delay=delay, low=low, high=high)
    if name == "exponential":
        return ExponentialRolloutSchedule(value, decay, stop=n_rollouts, low=low, high=high)
    if name == "inverse":
        return InverseRolloutSchedule(value, stop=n_rollouts, low=low, high=high)
    raise ValueError(f"Unknown schedule name {name!r} for {what}; use one of {', '.join(SCHEDULE_NAMES)}.")
