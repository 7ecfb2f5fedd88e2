import pickle

import cloudpickle
import numpy as np
import pytest

from sb3_aggrevated.schedules import (
    ConstantRolloutSchedule,
    ExponentialRolloutSchedule,
    InverseRolloutSchedule,
    LinearRolloutSchedule,
    make_rollout_schedule,
)


def test_values():
    assert [ConstantRolloutSchedule(0.3)(n) for n in range(3)] == [0.3, 0.3, 0.3]
    assert ConstantRolloutSchedule(0.3, stop=2)(2) == 0.0
    lin = LinearRolloutSchedule(1.0, 0.0, n_rollouts=4, delay=2)
    assert [lin(n) for n in range(8)] == [1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    exp = ExponentialRolloutSchedule(0.5, 0.8, stop=3)
    assert [exp(n) for n in range(4)] == pytest.approx([0.5, 0.4, 0.32, 0.0])
    inv = InverseRolloutSchedule(1.0)
    assert [inv(n) for n in range(3)] == pytest.approx([1.0, 0.5, 1 / 3])


def test_make_from_names():
    assert make_rollout_schedule(0.5, "exponential", decay=0.5)(2) == 0.125
    assert make_rollout_schedule(1.0, "linear", n_rollouts=2)(1) == 0.5
    assert make_rollout_schedule(1.0, "inverse")(3) == 0.25
    # n_rollouts ends every named schedule: 0 from that rollout on
    for name in ("constant", "linear", "exponential", "inverse"):
        schedule = make_rollout_schedule(1.0, name, decay=0.5, n_rollouts=3)
        assert schedule(2) > 0.0 and schedule(3) == schedule(10) == 0.0, name
    assert make_rollout_schedule(0.2, "constant", n_rollouts=1)(1) == 0.0
    ready = LinearRolloutSchedule(1.0, 0.0, 3)
    given = make_rollout_schedule(ready, "exponential")  # a ready schedule is taken as it is: the name is not applied
    assert given == ready and [given(n) for n in range(5)] == [ready(n) for n in range(5)]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: ConstantRolloutSchedule(1.5), r"\[0.0, 1.0\]"),
        (lambda: ConstantRolloutSchedule(-0.1), r"\[0.0, 1.0\]"),
        (lambda: ExponentialRolloutSchedule(0.5, 1.2), "decay"),
        (lambda: LinearRolloutSchedule(1.0, 0.0, 0), "n_rollouts"),
        (lambda: make_rollout_schedule(0.5, "cosine"), "Unknown schedule name 'cosine'"),
        (lambda: make_rollout_schedule(0.5, "linear"), "length in rollouts"),
        (lambda: make_rollout_schedule(lambda n: 0.5), "lambdas"),
        (lambda: make_rollout_schedule(float("nan")), "finite"),
        (lambda: make_rollout_schedule("0.5"), "number"),
    ],
)
def test_bad_input(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_out_of_range_at_call():
    class Bad(ConstantRolloutSchedule):
        def value(self, n):
            return 2.0

    with pytest.raises(ValueError, match="rollout 0"):
        Bad(0.5)(0)


@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps])
def test_pickle_roundtrip(dumps):
    schedule = LinearRolloutSchedule(1.0, 0.0, n_rollouts=4, delay=2)
    restored = pickle.loads(dumps(schedule))
    assert restored == schedule and restored(3) == 0.75


def test_numpy_numbers_are_numbers():
    # values computed with numpy (np.float32, np.int64) are as good as Python's
    schedule = make_rollout_schedule(np.float32(0.5), "exponential", what="beta", decay=0.9, n_rollouts=np.int64(3))
    assert schedule(1) == pytest.approx(0.45) and schedule(3) == 0.0
    ramp = LinearRolloutSchedule(1.0, 0.0, np.int64(5), delay=np.int64(1))
    assert ramp(3) == pytest.approx(0.6) and type(ramp.n_rollouts) is int
    with pytest.raises(ValueError, match="must be a number"):
        make_rollout_schedule(np.bool_(True), what="beta")


def test_built_schedules_keep_their_keyword_bounds_delay_and_end():
    assert make_rollout_schedule(2.0, "exponential", decay=0.5, high=None)(1) == 1.0  # bc_coef above 1
    assert make_rollout_schedule(2.0, "linear", n_rollouts=2, high=None)(1) == 1.0
    delayed = make_rollout_schedule(1.0, "linear", n_rollouts=2, delay=3)
    assert delayed(3) == 1.0 and delayed(4) == 0.5
    with pytest.raises(ValueError, match="end"):
        LinearRolloutSchedule(0.5, 1.5, 4)  # refused when built, not halfway through training
    assert LinearRolloutSchedule(1.0, 0.0, 4) != LinearRolloutSchedule(1.0, 0.0, 5)


def test_a_ready_made_schedule_is_held_to_its_keywords_range():
    # a schedule built with wider bounds (high=None) cannot give a hand-over weight of 1.5 or a GAE lambda of 3
    wide = ConstantRolloutSchedule(1.5, high=None)
    checked = make_rollout_schedule(wide, what="handover")
    with pytest.raises(ValueError, match=r"handover \(ConstantRolloutSchedule\(.*\)\) at rollout 0 must lie in \[0.0, 1.0\]"):
        checked(0)
    assert checked == wide and repr(checked) == repr(wide)
    assert make_rollout_schedule(wide, what="bc_coef", high=None)(0) == 1.5  # bc_coef's range has no top
    fading = make_rollout_schedule(LinearRolloutSchedule(1.0, 0.0, 2), what="beta")
    assert [fading(n) for n in range(3)] == [1.0, 0.5, 0.0]
    assert pickle.loads(pickle.dumps(fading)) == fading
