import math

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.distributions import CategoricalDistribution

from sb3_aggrevated import PPOExpert, TanhGaussianPolicy
from sb3_aggrevated.policies import ACTION_EPS, LOG_STD_BOUNDS, TanhGaussianDistribution


def _policy(action_space, **kwargs):
    obs_space = spaces.Box(-1, 1, (3,), dtype=np.float32)
    return TanhGaussianPolicy(obs_space, action_space, lambda _: 1e-3, net_arch=[8], **kwargs)


def test_log_prob_matches_change_of_variables():
    dist = TanhGaussianDistribution(2).proba_distribution(th.tensor([[0.3, -0.2]]), th.tensor([-0.5, 0.1]))
    a = th.tensor([[0.4, -0.9]])
    u = th.atanh(a)
    expected = (
        th.distributions.Normal(th.tensor([[0.3, -0.2]]), th.tensor([-0.5, 0.1]).exp()).log_prob(u) - th.log(1 - a**2)
    ).sum()
    assert dist.log_prob(a).item() == pytest.approx(expected.item(), rel=1e-5)


def test_log_prob_finite_at_and_beyond_bounds():
    dist = TanhGaussianDistribution(1).proba_distribution(th.zeros(3, 1), th.zeros(1))
    log_prob = dist.log_prob(th.tensor([[1.0], [-1.0], [1.5]]))
    assert th.isfinite(log_prob).all()


def test_samples_stay_strictly_inside_and_log_std_is_clamped():
    dist = TanhGaussianDistribution(1, log_std_bounds=(-5.0, 2.0))
    dist.proba_distribution(th.full((1000, 1), 30.0), th.full((1,), 10.0))  # far out: tanh saturates
    assert dist.log_std.max().item() == 2.0
    a = dist.sample()
    assert (a.abs() <= 1 - ACTION_EPS).all()
    # the log-prob recomputed from the stored action is the one of the sample itself
    assert th.isfinite(dist.log_prob(a)).all()
    assert th.isfinite(dist.entropy()).all()


def test_log_std_past_a_bound_is_not_stuck_there():
    """A clamp without gradient outside the bounds would keep a log-std pushed past -5 there for good."""
    low, high = LOG_STD_BOUNDS
    log_std = th.nn.Parameter(th.tensor([low - 1.0, high + 1.0, 0.0]))
    dist = TanhGaussianDistribution(3).proba_distribution(th.zeros(4, 3), log_std)
    assert dist.log_std[0].tolist() == [low, high, 0.0]
    dist.distribution.scale.sum().backward()  # a loss that wants every std smaller
    # below the low bound it pushes further out: no gradient (no drift); above high it points back in: passes
    assert log_std.grad[0].item() == 0.0 and log_std.grad[1].item() > 0.0 and log_std.grad[2].item() > 0.0
    log_std.grad = None
    dist = TanhGaussianDistribution(3).proba_distribution(th.zeros(4, 3), log_std)
    (-dist.distribution.scale.sum()).backward()  # one that wants them larger: back in from below, not past high
    assert log_std.grad[0].item() < 0.0 and log_std.grad[1].item() == 0.0 and log_std.grad[2].item() < 0.0


def test_cloning_nll_to_a_deterministic_target_then_entropy_brings_the_std_back():
    th.manual_seed(0)
    obs_space = spaces.Box(-1, 1, (3,), dtype=np.float32)
    policy = TanhGaussianPolicy(obs_space, spaces.Box(-1, 1, (1,)), lambda _: 2e-2, net_arch=[8])
    obs, target = th.zeros(64, 3), th.full((64, 1), 0.3)
    for _ in range(600):  # the NLL of a deterministic expert's action drives the std towards 0, past the bound
        _, log_prob, _ = policy.evaluate_actions(obs, target)
        policy.optimizer.zero_grad()
        (-log_prob.mean()).backward()
        policy.optimizer.step()
    assert policy.log_std.item() <= LOG_STD_BOUNDS[0] + 0.05
    for _ in range(100):  # then an entropy bonus alone
        _, _, entropy = policy.evaluate_actions(obs, target)
        policy.optimizer.zero_grad()
        (-entropy.mean()).backward()
        policy.optimizer.step()
    assert policy.log_std.item() > LOG_STD_BOUNDS[0] + 0.05


def test_entropy_estimate_close_to_monte_carlo():
    th.manual_seed(0)
    dist = TanhGaussianDistribution(1).proba_distribution(th.zeros(20000, 1), th.full((1,), math.log(0.5)))
    mc = -dist.log_prob(dist.sample()).mean().item()
    assert dist.entropy().mean().item() == pytest.approx(mc, abs=0.02)


@pytest.mark.parametrize("state_dependent_std", [False, True])
def test_policy_actions_within_any_box_bounds(state_dependent_std):
    space = spaces.Box(np.array([-2.0, 0.0]), np.array([2.0, 10.0]), dtype=np.float32)
    policy = _policy(space, state_dependent_std=state_dependent_std, log_std_init=1.0)
    obs = np.random.default_rng(0).uniform(-1, 1, (500, 3)).astype(np.float32)
    actions, _ = policy.predict(obs, deterministic=False)
    assert (actions >= space.low).all() and (actions <= space.high).all()
    assert actions[:, 1].std() > 1.0  # the bounds are used, not only [-1, 1]
    assert hasattr(policy, "log_std") != state_dependent_std
    # with a state-dependent std the initial std is exp(log_std_init), as with the vector
    dist = policy.get_distribution(th.as_tensor(obs))
    assert dist.log_std.mean().item() == pytest.approx(1.0, abs=0.1)
    # a matrix action (2x2 Box, bounds per entry): one mean and one std per entry, actions in the env's shape
    matrix = spaces.Box(np.zeros((2, 2)), np.array([[1.0, 2.0], [3.0, 4.0]]), dtype=np.float32)
    policy = _policy(matrix, state_dependent_std=state_dependent_std, log_std_init=1.0)
    actions, _ = policy.predict(obs, deterministic=False)
    assert actions.shape == (500, 2, 2) and (actions >= matrix.low).all() and (actions <= matrix.high).all()
    assert policy.get_distribution(th.as_tensor(obs)).log_std.shape == (500, 4)


def test_discrete_uses_categorical():
    policy = _policy(spaces.Discrete(3))
    assert isinstance(policy.action_dist, CategoricalDistribution) and not policy.squash_output


def test_bad_input():
    with pytest.raises(ValueError, match="finite action bounds"):
        _policy(spaces.Box(-np.inf, np.inf, (1,)))
    with pytest.raises(ValueError, match="gSDE"):
        _policy(spaces.Box(-1, 1, (1,)), use_sde=True)
    with pytest.raises(ValueError, match="log_std_bounds"):
        _policy(spaces.Box(-1, 1, (1,)), log_std_bounds=(1.0, -1.0))


def test_usable_with_plain_ppo_and_as_alias(tmp_path):
    env = gym.make("Pendulum-v1")
    model = PPO(TanhGaussianPolicy, env, n_steps=64, batch_size=32, n_epochs=1, policy_kwargs=dict(net_arch=[8]), seed=0)
    model.learn(64)
    stored = model.rollout_buffer.actions
    assert np.abs(stored).max() < 1.0  # stored in [-1, 1] strictly
    model.save(tmp_path / "m")
    loaded = PPO.load(tmp_path / "m")
    obs = np.zeros((1, 3), dtype=np.float32)
    assert np.array_equal(loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0])
    assert PPOExpert.policy_aliases["TanhMlpPolicy"] is TanhGaussianPolicy


@pytest.mark.parametrize("state_dependent_std", [False, True])
def test_policy_save_and_load_keep_its_own_settings(tmp_path, state_dependent_std):
    # BasePolicy.save / load rebuild the policy from its constructor parameters: the tanh policy's own among them
    env = gym.make("Pendulum-v1")
    policy = TanhGaussianPolicy(
        env.observation_space, env.action_space, lambda _: 1e-3, net_arch=[8],
        log_std_bounds=(-3.0, 1.0), state_dependent_std=state_dependent_std,
    )  # fmt: skip
    policy.save(tmp_path / "policy.pt")
    loaded = TanhGaussianPolicy.load(tmp_path / "policy.pt")
    assert tuple(loaded.log_std_bounds) == (-3.0, 1.0) and loaded.state_dependent_std is state_dependent_std
    obs = th.zeros((2, 3))
    th.testing.assert_close(loaded._predict(obs, deterministic=True), policy._predict(obs, deterministic=True))


def test_the_entropy_bonus_sees_the_squashing():
    # the entropy of the squashed distribution (estimated with reparametrised draws) falls as the mean saturates: its
    # gradient pulls a saturated mean back inside, which the Gaussian's own entropy would not
    mean = th.full((4000, 1), 2.0, requires_grad=True)
    th.manual_seed(0)
    TanhGaussianDistribution(1).proba_distribution(mean, th.zeros(1)).entropy().mean().backward()
    assert mean.grad.sum().item() < 0


def test_the_policy_takes_only_finite_distinct_bounds_and_its_own_squashing():
    with pytest.raises(ValueError, match="finite action bounds"):
        _policy(spaces.Box(np.array([-1.0]), np.array([np.inf])))
    assert _policy(spaces.Box(-1, 1, (1,)), squash_output=True).squash_output  # rl_zoo3 may pass it: taken, not doubled


def test_a_state_dependent_std_starts_state_independent_and_centred():
    # the state-dependent head starts near-zero (orthogonal init, small gain): std at log_std_init and mean ~0 everywhere
    policy = _policy(spaces.Box(-1, 1, (2,)), state_dependent_std=True, log_std_init=-1.0)
    obs = th.as_tensor(np.random.default_rng(0).uniform(-1, 1, (200, 3)).astype(np.float32))
    dist = policy.get_distribution(obs)
    assert dist.log_std.std().item() < 0.05 and dist.mean_actions.abs().max().item() < 0.05
