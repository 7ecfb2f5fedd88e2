"""Analytic checks of the expert advantages on hand-computed rollouts."""

import numpy as np
import pytest

from sb3_aggrevated.buffers import blend_advantages, q_expert_advantages, v_expert_advantages


def test_q_advantage_has_a_baseline():
    # Q* - V*, not Q* alone and not a [0, 1] min-max of Q*: the expert's own action scores 0,
    # better actions score > 0, worse < 0.
    q = np.array([-1.0, -3.0, -0.5])
    v = np.array([-1.0, -1.0, -1.0])
    assert q_expert_advantages(q, v).tolist() == [0.0, -2.0, 0.5]


def _rollout():
    # one env, 4 steps; episode ends at step 1 (flag set per case), then continues
    rewards = np.array([[1.0], [2.0], [3.0], [4.0]])
    values = np.array([[10.0], [20.0], [30.0], [40.0]])
    next_values = np.array([[20.0], [100.0], [40.0], [50.0]])  # 100: V* of the terminal observation
    return rewards, values, next_values


def test_v_advantage_lambda0_terminated():
    r, v, nv = _rollout()
    terminated = np.array([[0], [1], [0], [0]])
    adv = v_expert_advantages(r, v, nv, terminated, terminated, gamma=0.5, gae_lambda=0.0)
    # delta_t = r + gamma V(s') (1 - term) - V(s)
    assert adv[:, 0].tolist() == [1 + 10 - 10, 2 + 0 - 20, 3 + 20 - 30, 4 + 25 - 40]


def test_v_advantage_lambda0_truncated_bootstraps_from_terminal_obs():
    r, v, nv = _rollout()
    terminated = np.zeros((4, 1))
    dones = np.array([[0], [1], [0], [0]])
    adv = v_expert_advantages(r, v, nv, terminated, dones, gamma=0.5, gae_lambda=0.0)
    assert adv[1, 0] == 2 + 0.5 * 100 - 20


@pytest.mark.parametrize("terminated_flag", [1, 0])
def test_v_advantage_lambda_positive_stops_at_episode_end(terminated_flag):
    r, v, nv = _rollout()
    dones = np.array([[0], [1], [0], [0]])
    terminated = dones * terminated_flag
    gamma, lam = 0.5, 0.8
    delta = r[:, 0] + gamma * nv[:, 0] * (1 - terminated[:, 0]) - v[:, 0]
    expected = [
        delta[0] + gamma * lam * delta[1],  # the sum runs to the episode end ...
        delta[1],  # ... and not past it
        delta[2] + gamma * lam * delta[3],
        delta[3],  # end of the rollout
    ]
    adv = v_expert_advantages(r, v, nv, terminated, dones, gamma=gamma, gae_lambda=lam)
    np.testing.assert_allclose(adv[:, 0], expected)


def test_v_advantage_lambda1_is_return_minus_baseline():
    r = np.ones((3, 2))
    v = np.zeros((3, 2))
    nv = np.zeros((3, 2))
    dones = np.zeros((3, 2))
    dones[-1] = 1
    adv = v_expert_advantages(r, v, nv, dones, dones, gamma=1.0, gae_lambda=1.0)
    np.testing.assert_allclose(adv[:, 0], [3, 2, 1])


def test_blend_weight_zero_is_learner_exactly():
    learner = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    learner_valid = np.array([[1, 0], [1, 1], [0, 1], [1, 1], [1, 0]], dtype=bool)
    adv, mask = blend_advantages(np.ones((5, 2)), np.ones((5, 2), dtype=bool), learner, learner_valid, 0.0)
    assert np.array_equal(adv, learner) and np.array_equal(mask.astype(bool), learner_valid)  # the learner's mask


def test_blend_weight_one_is_expert_and_masks():
    expert = np.arange(6.0).reshape(3, 2)
    expert_valid = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    learner_valid = np.array([[1, 1], [0, 1], [1, 1]], dtype=bool)  # other steps: w = 1 leaves them out
    adv, mask = blend_advantages(expert, expert_valid, np.full((3, 2), 100.0), learner_valid, 1.0)
    np.testing.assert_allclose(adv, np.where(expert_valid, expert, 0.0))
    assert np.array_equal(mask.astype(bool), expert_valid)


def test_blend_scale_does_not_jump_when_the_hand_over_starts():
    rng = np.random.default_rng(0)
    expert, learner = rng.normal(0, 50.0, (64, 2)), rng.normal(0, 0.5, (64, 2))
    valid = np.ones((64, 2), dtype=bool)
    at_one, _ = blend_advantages(expert, valid, learner, valid, 1.0)
    just_below, _ = blend_advantages(expert, valid, learner, valid, 0.999)
    np.testing.assert_allclose(at_one, learner.std() / expert.std() * expert, rtol=1e-5)  # c applies at w = 1 too
    assert abs(at_one.std() - just_below.std()) < 0.01 * just_below.std()


def test_blend_rescales_expert_to_learner_units():
    rng = np.random.default_rng(1)
    expert = rng.normal(scale=50.0, size=(200, 1))  # reward units
    learner = rng.normal(scale=0.5, size=(200, 1))  # e.g. VecNormalize-scaled rewards
    valid = np.ones((200, 1), dtype=bool)
    adv, _ = blend_advantages(expert, valid, learner, valid, 0.5)
    scale = learner.std() / expert.std()
    np.testing.assert_allclose(adv, 0.5 * scale * expert + 0.5 * learner, rtol=1e-5)


def test_blending_scales_by_the_expert_advantages_of_the_valid_steps_only():
    # the steps the expert executed carry no advantage of the learner's: whatever they hold does not move the scale
    rng = np.random.default_rng(0)
    expert, learner = rng.normal(0, 2.0, (50, 1)), rng.normal(0, 1.0, (50, 1))
    valid = np.ones((50, 1), bool)
    valid[:10] = False
    polluted = expert.copy()
    polluted[~valid] = 1e6
    np.testing.assert_allclose(
        blend_advantages(expert, valid, learner, valid, 1.0)[0], blend_advantages(polluted, valid, learner, valid, 1.0)[0]
    )
