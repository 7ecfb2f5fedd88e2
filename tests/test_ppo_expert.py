import io
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium.wrappers import TimeLimit
from stable_baselines3 import PPO
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from sb3_aggrevated import PPOExpert
from sb3_aggrevated.buffers import v_expert_advantages
from sb3_aggrevated.experts import load_expert
from sb3_aggrevated.schedules import ConstantRolloutSchedule, ExponentialRolloutSchedule, LinearRolloutSchedule
from tests.conftest import CountEnv, LinearVExpert, QuadraticQExpert, RolloutEndRecorder, expert_path

TINY = dict(n_steps=64, batch_size=32, n_epochs=2, policy_kwargs=dict(net_arch=[16]), seed=0)


def _params(model):
    return {k: v.clone() for k, v in model.policy.state_dict().items()}


def _assert_same_params(a, b):
    pa, pb = _params(a), _params(b)
    assert pa.keys() == pb.keys()
    for key in pa:
        assert th.equal(pa[key], pb[key]), key


def _unflatten(buffer, name):
    """Buffer arrays are (n_steps * n_envs, ...) env-major after get(): back to (n_steps, n_envs, ...)."""
    arr = buffer.__dict__[name]
    return arr.reshape(buffer.n_envs, buffer.buffer_size, *arr.shape[1:]).swapaxes(0, 1)


def _unit_factor(buffer, expert_advantages, expert_valid):
    """The hand-over's ``c = std(A_learner) / std(A*)`` for a buffer after learn() (arrays in (n_steps, n_envs))."""
    learner = (_unflatten(buffer, "returns") - _unflatten(buffer, "values")).reshape(buffer.expert_executed.shape)
    learner_valid = ~buffer.expert_executed
    return learner[learner_valid].std() / np.asarray(expert_advantages)[expert_valid].std()


def _pendulum(n_envs=2, seed=0, max_episode_steps=None):
    env_kwargs = None if max_episode_steps is None else {"max_episode_steps": max_episode_steps}
    return make_vec_env("Pendulum-v1", n_envs=n_envs, seed=seed, env_kwargs=env_kwargs)


@pytest.mark.parametrize(
    "policy, env_id",
    [
        ("MlpPolicy", "Pendulum-v1"),
        ("TanhMlpPolicy", "Pendulum-v1"),
        ("MlpPolicy", "Pendulum-v1 truncated at 50"),  # episode ends: the bootstrap at truncations
        ("TanhMlpPolicy", "Pendulum-v1 truncated at 50"),
        ("MlpPolicy", "CartPole-v1"),  # terminations, discrete actions
    ],
)
def test_without_expert_is_ppo_bitwise(policy, env_id):
    from sb3_aggrevated import TanhGaussianPolicy

    def make():
        if env_id == "CartPole-v1":
            return make_vec_env(env_id, n_envs=2, seed=0)
        return _pendulum(max_episode_steps=50 if "truncated" in env_id else None)

    ppo = PPO(TanhGaussianPolicy if policy == "TanhMlpPolicy" else policy, make(), **TINY).learn(256)
    ours = PPOExpert(policy, make(), **TINY).learn(256)
    _assert_same_params(ppo, ours)
    if env_id != "Pendulum-v1":
        assert len(ours.ep_info_buffer) >= 2  # episodes ended inside the run


@pytest.mark.parametrize("max_episode_steps", [None, 50])
def test_beta0_and_rl_handover_is_ppo_bitwise(max_episode_steps):
    env = _pendulum(max_episode_steps=max_episode_steps)
    expert = QuadraticQExpert(env.observation_space, env.action_space)
    ppo = PPO("MlpPolicy", _pendulum(max_episode_steps=max_episode_steps), **TINY).learn(256)
    ours = PPOExpert("MlpPolicy", env, expert=expert, beta=0.0, handover=0.0, **TINY).learn(256)
    _assert_same_params(ppo, ours)
    assert ours.rollout_buffer.all_valid


def test_beta0_and_rl_handover_is_ppo_bitwise_with_shared_expert(experts):
    env = make_vec_env("Pendulum-v1", n_envs=2, seed=0, wrapper_class=None)
    ppo = PPO("MlpPolicy", VecNormalize(_pendulum()), **TINY).learn(256)
    path = expert_path(experts, "sac", "Pendulum-v1")
    ours = PPOExpert("MlpPolicy", VecNormalize(env), expert=path, beta=0.0, handover=0.0, **TINY).learn(256)
    _assert_same_params(ppo, ours)


def test_beta1_executes_only_expert_actions():
    env = DummyVecEnv([lambda: CountEnv(terminate_at=5)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.5)
    model = PPOExpert("MlpPolicy", env, expert=expert, beta=1.0, beta_schedule="constant", **TINY)
    model.learn(128)
    buffer = model.rollout_buffer
    assert buffer.expert_executed.all()
    np.testing.assert_allclose(buffer.raw_rewards, 1.5)  # reward = 1 + executed action
    # the learner's own sample (not the expert's action) is stored with its own log-prob
    assert not np.allclose(buffer.actions, 0.5)
    # a V-expert's TD errors score the executed (expert) action, so no step counts in the policy loss
    assert buffer.policy_mask.sum() == 0


def test_beta1_episode_return_matches_expert(experts):
    env_id, seed = "Pendulum-v1", 3
    path = expert_path(experts, "sac", env_id)
    model = PPOExpert(
        "MlpPolicy",
        make_vec_env(env_id, n_envs=1, seed=seed),
        expert=path,
        beta=1.0,
        beta_schedule="constant",
        n_steps=200,
        batch_size=50,
        n_epochs=1,
        policy_kwargs=dict(net_arch=[8]),
        seed=seed,
    )
    model.learn(200)  # SB3 seeds the env with the model's seed: the episode starts from reset(seed=seed)
    learner_return = model.ep_info_buffer[0]["r"]
    expert = load_expert(path)
    eval_env = gym.make(env_id)
    obs, _ = eval_env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, _ = eval_env.step(expert.predict(obs[None])[0])
        total += reward
        done = terminated or truncated
    assert learner_return == pytest.approx(total, abs=1e-3)


def test_stored_log_prob_is_the_learners():
    env = DummyVecEnv([lambda: CountEnv(terminate_at=5)] * 2)
    expert = QuadraticQExpert(env.observation_space, env.action_space, action=0.5)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, beta=1.0, beta_schedule="constant", **TINY)
    model.learn(64)  # one rollout, one update after it: recompute against the rollout-time policy
    buffer = model.rollout_buffer
    # the first rollout's policy is gone after training; check the invariant on a fresh rollout instead
    model.policy.set_training_mode(False)
    from stable_baselines3.common.callbacks import CallbackList

    cb = CallbackList([])
    cb.init_callback(model)
    model.collect_rollouts(model.env, cb, buffer, n_rollout_steps=64)
    obs = th.as_tensor(buffer.observations.reshape(-1, 1))
    acts = th.as_tensor(buffer.actions.reshape(-1, 1))
    with th.no_grad():
        _, log_prob, _ = model.policy.evaluate_actions(obs, acts)
    np.testing.assert_allclose(log_prob.numpy(), buffer.log_probs.reshape(-1), rtol=1e-4, atol=1e-4)


def _count_env(terminate_at, high):
    """CountEnv acting in [-high, high]."""
    env = CountEnv(terminate_at=terminate_at)
    env.action_space = gym.spaces.Box(-high, high, (1,), dtype=np.float32)
    return env


@pytest.mark.parametrize("high", [1.0, 2.0])  # 2: the critic must be given the env's action, not the policy's [-1, 1]
def test_q_expert_advantage_in_the_algorithm(high):
    env = DummyVecEnv([lambda: _count_env(4, high)] * 2)
    expert = QuadraticQExpert(env.observation_space, env.action_space, action=0.5, slope=3.0)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, beta=0.5, beta_schedule="constant", handover=1.0, **TINY)
    model.learn(128)
    buffer = model.rollout_buffer
    assert 0 < buffer.expert_executed.mean() < 1
    a_env = model._to_env_actions(_unflatten(buffer, "actions"))[..., 0]
    # A* = Q*(s, a_learner) - Q*(s, pi*(s)) = -(a - 0.5)^2 at every step, expert-executed or not, in the learner's
    # units (the factor c of the hand-over's blend)
    expected = -((a_env - 0.5) ** 2)
    c = _unit_factor(buffer, expected, np.ones_like(buffer.expert_executed))
    assert c > 0 and not np.isclose(c, 1.0)
    np.testing.assert_allclose(_unflatten(buffer, "advantages")[..., 0], c * expected, rtol=1e-4, atol=1e-6)
    assert buffer.policy_mask.all()


class _MatrixActionEnv(CountEnv):
    """CountEnv with a 2x2 Box action (SB3's buffers keep it flat, the env and the expert take it as a matrix)."""

    def __init__(self):
        super().__init__(terminate_at=4)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2, 2), dtype=np.float32)


class _MatrixQExpert(QuadraticQExpert):
    """Q*(s, a) = -sum((a - target)^2) + slope * s[0] on a matrix action, which it must be given as one."""

    def q_value(self, obs, actions):
        assert np.shape(actions) == (len(obs), 2, 2), np.shape(actions)
        return -((np.asarray(actions, dtype=np.float64) - self.action) ** 2).sum(axis=(1, 2)) + self.slope * obs[:, 0]


def test_q_expert_on_a_matrix_action_space():
    env = DummyVecEnv([_MatrixActionEnv] * 2)
    expert = _MatrixQExpert(env.observation_space, env.action_space, action=0.5, slope=3.0)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, beta=0.5, beta_schedule="constant", handover=1.0, **TINY)
    model.learn(128)
    buffer = model.rollout_buffer
    a_env = model._to_env_actions(_unflatten(buffer, "actions").reshape(-1, 2, 2)).reshape(64, 2, 4)
    expected = -((a_env - 0.5) ** 2).sum(axis=-1)
    c = _unit_factor(buffer, expected, np.ones_like(buffer.expert_executed))
    np.testing.assert_allclose(_unflatten(buffer, "advantages")[..., 0], c * expected, rtol=1e-4, atol=1e-6)
    # an SB3 critic takes the matrix flat, as SAC's own buffer keeps it
    from stable_baselines3 import SAC

    sac = load_expert(SAC("MlpPolicy", env, policy_kwargs=dict(net_arch=[8]), seed=0, buffer_size=1))
    obs, actions = np.arange(6, dtype=np.float32).reshape(6, 1), np.linspace(-1, 1, 24, dtype=np.float32).reshape(6, 2, 2)
    with th.no_grad():
        q1, q2 = sac.model.critic(th.as_tensor(obs), th.as_tensor(actions.reshape(6, 4)))
    np.testing.assert_allclose(sac.q_value(obs, actions), th.min(q1, q2).reshape(-1).numpy(), rtol=1e-5)


@pytest.mark.parametrize("lam", [0.0, 0.7])
def test_v_expert_advantage_in_the_algorithm(lam):
    # env 0 terminates at t = 3; env 1 is truncated by a time limit at t = 2
    env = VecNormalize(DummyVecEnv([lambda: CountEnv(terminate_at=3), lambda: TimeLimit(CountEnv(terminate_at=50), 2)]))
    expert = LinearVExpert(env.observation_space, env.action_space, slope=2.0, gamma=0.9)
    model = PPOExpert("MlpPolicy", env, expert=expert, beta=0.0, handover=1.0, expert_gae_lambda=lam, **TINY)
    model.learn(64)
    buffer = model.rollout_buffer
    # the expert saw raw observations only (step counts), never VecNormalize's
    seen = np.concatenate([s.reshape(-1) for s in expert.seen])
    assert np.array_equal(seen, np.round(seen)) and seen.max() >= 2
    t = buffer.raw_observations[..., 0]
    np.testing.assert_array_equal(t[:6, 0], [0, 1, 2, 0, 1, 2])
    np.testing.assert_array_equal(t[:6, 1], [0, 1, 0, 1, 0, 1])
    # raw rewards: 1 + executed action (the learner's, clipped), not VecNormalize's scaled ones
    a_env = model._to_env_actions(_unflatten(buffer, "actions"))[..., 0]
    np.testing.assert_allclose(buffer.raw_rewards, 1 + a_env, rtol=1e-5)
    next_t = t + 1  # the terminal observation at episode ends, the next one otherwise
    terminated = np.stack([t[:, 0] == 2, np.zeros(64, bool)], axis=1)
    dones = np.stack([t[:, 0] == 2, t[:, 1] == 1], axis=1)
    r = 1 + a_env
    delta = r + 0.9 * 2 * next_t * ~terminated - 2 * t
    assert delta[1, 1] == pytest.approx(r[1, 1] + 0.9 * 4 - 2)  # truncated: bootstraps from V*(terminal obs)
    assert delta[2, 0] == pytest.approx(r[2, 0] - 4)  # terminated: no bootstrap
    expected = delta if lam == 0 else v_expert_advantages(r, 2 * t, 2 * next_t, terminated, dones, 0.9, lam)
    c = _unit_factor(buffer, expected, ~buffer.expert_executed)  # in the learner's units (VecNormalize's rewards)
    np.testing.assert_allclose(_unflatten(buffer, "advantages")[..., 0], c * expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("handover", [0.5, 0.0])  # 0: the PPO phase (PPO's own advantages) with a roll-in still going
def test_v_expert_masks_expert_executed_steps(handover):
    # the steps the expert executed do not score the learner's action (train() leaves them out: see
    # test_expert_executed_steps_count_nowhere_in_the_policy_update)
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 4)
    expert = LinearVExpert(env.observation_space, env.action_space)
    model = PPOExpert("MlpPolicy", env, expert=expert, beta=0.5, beta_schedule="constant", handover=handover, **TINY)
    model.learn(256)
    buffer = model.rollout_buffer
    assert 0 < buffer.expert_executed.mean() < 1 and not buffer.all_valid
    mask = _unflatten(buffer, "policy_mask")[..., 0].astype(bool)
    assert np.array_equal(mask, ~buffer.expert_executed)
    if handover > 0:  # the blend gives them no advantage either
        assert np.all(_unflatten(buffer, "advantages")[..., 0][buffer.expert_executed] == 0)


def test_episode_mixing_keeps_one_actor_per_episode():
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 4)
    expert = LinearVExpert(env.observation_space, env.action_space)
    model = PPOExpert("MlpPolicy", env, expert=expert, beta=0.5, beta_schedule="constant", mixing="episode", **TINY)
    model.learn(64)
    buffer = model.rollout_buffer
    executed = buffer.expert_executed
    starts = buffer.episode_starts.astype(bool)
    for env_idx in range(4):
        episodes = np.split(executed[:, env_idx], np.flatnonzero(starts[:, env_idx])[1:])
        assert all(ep.all() or not ep.any() for ep in episodes)
    assert 0 < executed.mean() < 1


def test_episode_mixing_finishes_the_experts_episodes_after_the_roll_in_ends():
    # beta is 0 from rollout 1 on: the expert's episodes still running then go on with the expert to their end
    env = DummyVecEnv([lambda: CountEnv(terminate_at=100)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space)
    model = PPOExpert(
        "MlpPolicy", env, expert=expert, beta=1.0, beta_schedule="constant", beta_rollouts=1, mixing="episode", **TINY
    )
    model.learn(2 * 128)  # two rollouts of 64 steps; the first episodes end at step 100, 36 steps into rollout 1
    executed = model.rollout_buffer.expert_executed
    assert executed[:36].all() and not executed[36:].any()


def test_an_expert_gae_lambda_schedule_advances_per_rollout():
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space)
    lam = LinearRolloutSchedule(0.0, 0.9, n_rollouts=3)
    model = PPOExpert("MlpPolicy", env, expert=expert, beta=0.0, handover=1.0, expert_gae_lambda=lam, **TINY)
    spy = RolloutEndRecorder(lambda model: model.logger.name_to_value["rollout/expert_gae_lambda"])
    model.learn(3 * 128, callback=spy)
    assert spy.values == pytest.approx([0.0, 0.3, 0.6])


def test_episode_mixing_goes_on_with_the_episodes_in_progress_after_load(tmp_path):
    # load(force_reset=False) continues the env's episodes, as SB3 continues from _last_obs: each with its actor
    env = DummyVecEnv([lambda: CountEnv(terminate_at=5)] * 4)
    expert = LinearVExpert(env.observation_space, env.action_space)
    model = PPOExpert("MlpPolicy", env, expert=expert, beta=0.7, beta_schedule="constant", mixing="episode", **TINY)
    model.learn(64 * 4)  # 64 steps per env: each env 4 steps into an episode of 5
    drawn = model._episode_expert.copy()
    assert drawn.any() and not drawn.all()
    model.save(tmp_path / "model")
    loaded = PPOExpert.load(tmp_path / "model", env=env, expert=expert, force_reset=False)
    loaded.learn(64 * 4, reset_num_timesteps=False)
    assert np.array_equal(loaded.rollout_buffer.expert_executed[0], drawn)  # the last step of those episodes


def test_schedules_advance_per_rollout_and_log():
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = QuadraticQExpert(env.observation_space, env.action_space)
    spy = RolloutEndRecorder(lambda model: dict(model.logger.name_to_value))

    model = PPOExpert(
        "MlpPolicy", env, expert=expert, beta=0.5, beta_decay=0.5, handover_start=1, handover_rollouts=2, bc_coef=0.1, **TINY
    )
    model.learn(64 * 2 * 4, callback=spy)
    logged = spy.values
    assert [round(d["rollout/beta"], 4) for d in logged] == [0.5, 0.25, 0.125, 0.0625]
    assert [d["train/handover_weight"] for d in logged] == [1.0, 1.0, 0.5, 0.0]
    for key in ("rollout/expert_fraction", "rollout/expert_adv_mean", "rollout/expert_adv_std", "rollout/expert_value_min"):
        assert key in logged[0]
    assert model._n_rollouts == 4
    # a second learn() with SB3's default reset_num_timesteps=True restarts the step count, not the expert schedules
    model.learn(64 * 2 * 2, callback=spy)
    assert model.num_timesteps == 64 * 2 * 2 and model._n_rollouts == 6
    assert [round(d["rollout/beta"], 6) for d in spy.values[4:]] == [0.03125, 0.015625]
    assert [d["train/handover_weight"] for d in spy.values[4:]] == [0.0, 0.0]


def test_handover_lr_factor_scales_the_learning_rate_with_the_handover(tmp_path):
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = QuadraticQExpert(env.observation_space, env.action_space)
    spy = RolloutEndRecorder(lambda model: model.policy.optimizer.param_groups[0]["lr"])
    model = PPOExpert(
        "MlpPolicy",
        env,
        expert=expert,
        learning_rate=1e-3,
        handover_start=1,
        handover_rollouts=2,
        handover_lr_factor=0.2,
        bc_coef=1.0,
        bc_steps=1,
        **TINY,
    )
    model.learn(64 * 2 * 5, callback=spy)
    # read at the end of each rollout: the rate of the update before it (the first one: the optimizer's initial rate)
    # hand-over weights 1, 1, 0.5, 0, 0 -> factors 1, 1, 0.6, 0.2, 0.2
    assert spy.values == pytest.approx([1e-3, 1e-3, 1e-3, 0.6e-3, 0.2e-3])
    assert model.logger.name_to_value["train/learning_rate"] == pytest.approx(0.2e-3)
    model.save(tmp_path / "model")
    loaded = PPOExpert.load(tmp_path / "model", env=env, expert=expert)
    assert loaded.handover_lr_factor == 0.2
    loaded.learn(64 * 2, reset_num_timesteps=False)
    assert loaded.policy.optimizer.param_groups[0]["lr"] == pytest.approx(0.2e-3)
    # continued without its expert once nothing uses it (no roll-in; cloning followed the hand-over to 0): the PPO
    # phase keeps its factor (the model had an expert, its hand-over is over), not SB3's full rate
    alone = PPOExpert.load(tmp_path / "model", env=env, beta=0.0)
    alone.learn(64 * 2, reset_num_timesteps=False)
    assert alone.policy.optimizer.param_groups[0]["lr"] == pytest.approx(0.2e-3)
    # plain PPO (no expert) keeps SB3's rate whatever the factor (and says the factor has no effect)
    with pytest.warns(UserWarning, match="expert=None.*handover_lr_factor=0.2 have no effect"):
        plain = PPOExpert("MlpPolicy", env, expert=None, learning_rate=1e-3, handover_lr_factor=0.2, **TINY)
    plain.learn(64 * 2 * 2)
    assert plain.policy.optimizer.param_groups[0]["lr"] == pytest.approx(1e-3)


def test_expert_settings_without_an_expert_are_named_as_having_no_effect(tmp_path):
    # a forgotten expert= trains plain PPO: the expert settings given are named, PPO's own (target_kl_from too) are not
    with pytest.warns(UserWarning, match=r"expert=None: .*bc_coef=1.0, bc_buffer_size=1000, log_std_from_expert=True have"):
        model = PPOExpert("MlpPolicy", "Pendulum-v1", bc_coef=1.0, bc_buffer_size=1000, log_std_from_expert=True, **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PPOExpert("MlpPolicy", "Pendulum-v1", beta=0.5, target_kl=0.1, target_kl_from=2, **TINY)  # defaults and PPO's
        model.save(tmp_path / "model")
        PPOExpert.load(tmp_path / "model")  # a saved model's settings are not the caller's


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        # the anchor fades over its own horizon, independent of the advantage hand-over (weight 0 from rollout 2)
        (dict(bc_schedule="linear", bc_rollouts=4, bc_follows_handover=False), [1.0, 0.75, 0.5, 0.25, 0.0]),
        (dict(bc_schedule="exponential", bc_decay=0.5, bc_follows_handover=False), [1.0, 0.5, 0.25, 0.125, 0.0625]),
        (dict(bc_rollouts=3, bc_follows_handover=False), [1.0, 1.0, 1.0, 0.0, 0.0]),  # constant, cut off
        (dict(bc_schedule="linear", bc_rollouts=4), [1.0, 0.75, 0.25, 0.0, 0.0]),  # times the hand-over weight 1, 1, 0.5, 0
    ],
)
def test_bc_coef_schedule_per_rollout_survives_save_load(tmp_path, kwargs, expected):
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = QuadraticQExpert(env.observation_space, env.action_space)
    spy = RolloutEndRecorder(lambda model: model._bc_coef_now)

    model = PPOExpert(
        "MlpPolicy", env, expert=expert, handover_start=1, handover_rollouts=2, bc_coef=1.0, bc_steps=1, **kwargs, **TINY
    )
    model.learn(64 * 2 * 5, callback=spy)
    assert spy.values == pytest.approx(expected)
    model.save(tmp_path / "model")
    loaded = PPOExpert.load(tmp_path / "model", env=env, expert=expert)
    assert [loaded._bc_coef_fn(n) for n in range(5)] == [model._bc_coef_fn(n) for n in range(5)]


@pytest.mark.parametrize("kind", ["q", "v"])
def test_expert_advantages_alone_teach_the_experts_action(kind):
    # no cloning: the policy gradient on the expert's advantages, against the env's reward (1 + a, which PPO's own
    # advantages push to 1). Q*: A* = -(a + 0.5)^2 peaks at -0.5. V*(s) = -2 s with gamma 1: A* = r - 2 = a - 1 rises
    # with a, as the env's reward does, so the V-expert run is the control that ends where PPO does
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = (
        QuadraticQExpert(env.observation_space, env.action_space, action=-0.5, slope=0.0)
        if kind == "q"
        else LinearVExpert(env.observation_space, env.action_space, slope=-2.0, gamma=1.0, action=-0.5)
    )
    actions = {}
    for handover in (1.0, 0.0):  # the expert's advantages only; PPO's own
        model = PPOExpert("TanhMlpPolicy", env, expert=expert, beta=0.0, handover=handover, bc_coef=0.0,
                          expert_gae_lambda=0.0, learning_rate=3e-3, n_steps=64, batch_size=32, n_epochs=5,
                          policy_kwargs=dict(net_arch=[16]), seed=0)  # fmt: skip
        model.learn(64 * 2 * 6)
        actions[handover] = model.predict(np.array([[1.0]], dtype=np.float32), deterministic=True)[0][0, 0]
    assert actions[0.0] > 0.3  # PPO on the env's reward
    if kind == "q":
        assert actions[1.0] < 0.0  # the Q-expert's advantage overrides the reward
    else:
        assert actions[1.0] > 0.3


@pytest.mark.parametrize("expert_action", [-0.5, -1.0])
def test_bc_term_pulls_towards_expert_action(expert_action):
    # CountEnv pays 1 + a, so PPO's own gradient pushes the action up, to 1; the expert's action is below 0: only the
    # cloning term brings the learner there (its twin without it goes the other way)
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=expert_action)
    actions = {}
    for bc_coef in (1.0, 0.0):
        model = PPOExpert(
            "TanhMlpPolicy",
            env,
            expert=expert,
            beta=0.0,
            handover=0.0,
            bc_coef=bc_coef,
            bc_follows_handover=False,
            learning_rate=3e-3,
            n_steps=64,
            batch_size=32,
            n_epochs=5,
            policy_kwargs=dict(net_arch=[16]),
            seed=0,
        )
        model.learn(64 * 2 * 6)
        actions[bc_coef] = model.predict(np.array([[1.0]], dtype=np.float32), deterministic=True)[0][0, 0]
        if bc_coef:  # an expert action at the bound (-1) is stored strictly inside the tanh bounds
            assert np.abs(model.rollout_buffer.expert_actions).max() == pytest.approx(min(abs(expert_action), 1 - 1e-6))
            assert np.abs(model.rollout_buffer.expert_actions).max() < 1.0
    assert actions[1.0] < 0.0 < actions[0.0]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(beta=1.5), ValueError, r"beta must lie in \[0.0, 1.0\]"),
        (dict(beta=-0.1), ValueError, "beta must lie"),
        (dict(beta_schedule="cosine"), ValueError, "Unknown schedule name"),
        (dict(mixing="trajectory"), ValueError, "mixing must be one of"),
        (dict(handover=2.0), ValueError, "handover must lie"),
        (dict(bc_coef=-1.0), ValueError, r"bc_coef must be >= 0.0, got -1.0"),
        (dict(bc_coef=1.0, bc_schedule="cosine"), ValueError, "Unknown schedule name 'cosine' for bc_coef"),
        (dict(bc_coef=1.0, bc_schedule="linear"), ValueError, "bc_coef: a 'linear' schedule needs its length"),
        (dict(handover_rollouts=0), ValueError, "handover_rollouts"),
        (dict(handover_lr_factor=0.0), ValueError, "handover_lr_factor must be a finite number > 0"),
        (dict(handover_lr_factor=float("nan")), ValueError, "handover_lr_factor must be a finite number > 0"),
        (dict(expert="/nonexistent/sac/Pendulum-v1_1"), FileNotFoundError, "No expert found for '/nonexistent"),
    ],
)
def test_bad_input_fails_at_construction(kwargs, error, message):
    kwargs = {"expert": None, **kwargs}
    if kwargs["expert"] is None:
        env = _pendulum()
        kwargs["expert"] = QuadraticQExpert(env.observation_space, env.action_space)
    with pytest.raises(error, match=message):
        PPOExpert("MlpPolicy", _pendulum(), **kwargs, **TINY)


def test_numpy_numbers_are_taken_as_numbers_and_schedule_bounds_explained():
    env = _pendulum()
    expert = QuadraticQExpert(env.observation_space, env.action_space)
    # a schedule instance checks its own bounds ([0, 1] by default): the message says how to widen them
    with pytest.raises(ValueError, match=r"must lie in \[0.0, 1.0\], got 2.0.*build it with high=None"):
        ConstantRolloutSchedule(2.0)
    model = PPOExpert(
        "MlpPolicy",
        env,
        expert=expert,
        bc_coef=ConstantRolloutSchedule(2.0, high=None),  # widened, as the message above says
        bc_buffer_size=np.int64(100),
        bc_steps=np.int64(2),
        handover_rollouts=np.int64(5),
        handover_lr_factor=np.float32(0.5),
        **TINY,
    )
    model.learn(128)
    assert (model.bc_buffer_size, model.bc_steps, model.handover_rollouts) == (100, 2, 5)
    assert type(model.bc_buffer_size) is int and type(model.handover_lr_factor) is float
    assert model._bc_coef_fn(0) == 2.0 and model._bc_data["size"] == 100


def test_space_mismatch_fails_at_construction():
    expert = QuadraticQExpert(gym.spaces.Box(-1, 1, (5,)), gym.spaces.Box(-1, 1, (1,)))
    with pytest.raises(ValueError, match="observation space"):
        PPOExpert("MlpPolicy", _pendulum(), expert=expert, **TINY)


@pytest.mark.parametrize("kind", ["q", "v"])
def test_non_finite_expert_stops_before_any_update(kind):
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)

    class Broken(QuadraticQExpert if kind == "q" else LinearVExpert):
        def value(self, obs):
            out = super().value(obs)
            out[:3] = np.nan
            out[3] = np.inf
            return out

    model = PPOExpert("MlpPolicy", env, expert=Broken(env.observation_space, env.action_space), **TINY)
    before = _params(model)
    with pytest.raises(ValueError, match="gave 4 non-finite values"):
        model.learn(256)
    after = _params(model)
    assert all(th.equal(before[k], after[k]) for k in before)


def test_diverging_update_stops_before_its_step_with_a_clear_error():
    # an infinite reward: the learner's returns, hence the value loss and its gradient, are not finite
    env = DummyVecEnv([lambda: gym.wrappers.TransformReward(CountEnv(terminate_at=4), lambda r: np.inf)] * 2)
    model = PPOExpert("MlpPolicy", env, expert=QuadraticQExpert(env.observation_space, env.action_space), **TINY)
    before = _params(model)
    with pytest.raises(RuntimeError, match=r"The update diverged: a non-finite gradient .* in PPO's update, at rollout 1"):
        model.learn(128)
    after = _params(model)
    assert all(th.equal(before[k], after[k]) for k in before)  # no step taken: the parameters are still finite
    assert all(th.isfinite(v).all() for v in after.values())


@pytest.mark.parametrize("sde_squashed", [False, True])
def test_clip_grad_norm_clips_finite_gradients_and_names_the_fix_for_non_finite_ones(sde_squashed):
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    extra = dict(use_sde=True, policy_kwargs=dict(net_arch=[16], squash_output=True)) if sde_squashed else {}
    model = PPOExpert("MlpPolicy", env, expert=QuadraticQExpert(env.observation_space, env.action_space), **{**TINY, **extra})
    params = list(model.policy.parameters())
    for param in params:
        param.grad = th.full_like(param, 10.0)
    model._clip_grad_norm(params, "a test")  # finite: SB3's clipping to max_grad_norm
    total = th.linalg.vector_norm(th.stack([th.linalg.vector_norm(param.grad) for param in params]))
    assert total.item() == pytest.approx(model.max_grad_norm, rel=1e-4)
    params[0].grad[0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite gradient") as info:
        model._clip_grad_norm(params, "a test")
    assert ("squash_output=False" in str(info.value)) == sde_squashed
    assert "learning_rate" in str(info.value)


def test_save_load_without_expert_and_continue(tmp_path, experts):
    path = expert_path(experts, "sac", "Pendulum-v1")
    beta = ExponentialRolloutSchedule(0.5, 0.5, stop=10)
    model = PPOExpert(
        "TanhMlpPolicy", _pendulum(), expert=path, beta=beta, handover=LinearRolloutSchedule(1.0, 0.0, 3), **TINY
    )
    model.learn(256)
    model.save(tmp_path / "ppo_expert")
    PPO("MlpPolicy", _pendulum(), **TINY).save(tmp_path / "ppo")
    size_ours = (tmp_path / "ppo_expert.zip").stat().st_size
    size_ppo = (tmp_path / "ppo.zip").stat().st_size
    assert size_ours < size_ppo + 20_000  # the expert (hundreds of kB) is not inside

    loaded = PPOExpert.load(tmp_path / "ppo_expert")
    assert loaded.expert is None and loaded._n_rollouts == 2
    assert loaded._beta_fn == beta and loaded._handover_fn == LinearRolloutSchedule(1.0, 0.0, 3)
    obs = np.zeros((1, 3), dtype=np.float32)
    assert np.array_equal(loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0])

    resumed = PPOExpert.load(tmp_path / "ppo_expert", env=_pendulum(), expert=path)
    assert resumed.expert.kind == "q" and resumed.expert_id == str(path)
    resumed.learn(256, reset_num_timesteps=False)
    assert resumed._n_rollouts == 4 and resumed.num_timesteps == 512


def test_discrete_q_expert_runs(experts):
    path = expert_path(experts, "dqn", "CartPole-v1")
    model = PPOExpert("MlpPolicy", make_vec_env("CartPole-v1", n_envs=2, seed=0), expert=path, bc_coef=0.1, **TINY)
    model.learn(256)
    assert model.rollout_buffer.expert_executed.any()
    assert set(np.unique(model.rollout_buffer.expert_actions)) <= {0.0, 1.0}


def test_aggregated_bc_dataset_keeps_earlier_rollouts():
    # actions in [-2, 2] (the tanh policy's units are half of the env's) and a normalised env: the dataset holds raw
    # states and the expert's actions in policy units
    from gymnasium.wrappers import RescaleAction

    env = VecNormalize(DummyVecEnv([lambda: RescaleAction(CountEnv(terminate_at=4), -2.0, 2.0)] * 2))
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.8)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=200, **TINY)
    model.learn(128 * 3)  # 3 rollouts of 64 steps x 2 envs = 384 pairs into a FIFO of 200
    data = model._bc_data
    assert data["size"] == 200 and data["pos"] == 384 % 200
    np.testing.assert_allclose(data["actions"], 0.8 / 2.0, rtol=1e-6)  # the expert's label, in policy units
    assert set(np.unique(data["obs"])) == {0.0, 1.0, 2.0, 3.0}  # raw states, not VecNormalize's
    # the learner clones on them normalised with its current statistics (states kept from earlier rollouts too)
    np.random.seed(3)
    obs, actions = model._bc_sample(16)
    np.random.seed(3)
    idx = np.random.randint(0, 200, size=16)
    np.testing.assert_allclose(obs.numpy(), env.normalize_obs(data["obs"][idx]), rtol=1e-6)
    np.testing.assert_allclose(actions.numpy(), data["actions"][idx])
    assert not np.allclose(obs.numpy(), data["obs"][idx])
    with pytest.raises(ValueError, match="bc_buffer_size"):
        PPOExpert("MlpPolicy", env, expert=expert, bc_buffer_size=-1, **TINY)


class _MarkFrom(gym.Wrapper):
    """info["standing"] on the steps taken from states >= ``start`` (CountEnv's state is its step count)."""

    def __init__(self, env, start):
        super().__init__(env)
        self.start = start

    def step(self, action):
        before = self.env.unwrapped.t
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, {**info, "standing": before >= self.start}


def test_bc_skip_info_key_keeps_marked_states_out_of_the_cloning_dataset():
    env = DummyVecEnv([lambda: _MarkFrom(CountEnv(terminate_at=4), start=2)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.8)
    kwargs = dict(expert=expert, bc_coef=1.0, bc_buffer_size=200, bc_steps=2, **TINY)
    model = PPOExpert("TanhMlpPolicy", env, bc_skip_info_key="standing", **kwargs).learn(128)
    assert model.rollout_buffer.bc_skipped.any() and not model.rollout_buffer.bc_skipped.all()
    np.testing.assert_array_equal(model.rollout_buffer.bc_skipped, model.rollout_buffer.raw_observations[..., 0] >= 2)
    data = model._bc_data
    assert data["size"] == int((~model.rollout_buffer.bc_skipped).sum())
    assert set(np.unique(data["obs"][: data["size"]])) == {0.0, 1.0}  # states 2 and 3 never cloned
    assert "train/bc_loss" in model.logger.name_to_value
    # every state marked: nothing to clone, so the update is the expert-advantage one without cloning
    marked = DummyVecEnv([lambda: _MarkFrom(CountEnv(), start=0)] * 2)
    everything = PPOExpert("TanhMlpPolicy", marked, bc_skip_info_key="standing", **kwargs)
    everything.learn(128)
    assert everything._bc_data is None and "train/bc_loss" not in everything.logger.name_to_value
    for bad in (dict(bc_buffer_size=0), dict(bc_anchor_from=3)):
        with pytest.raises(ValueError, match="bc_skip_info_key"):
            PPOExpert("TanhMlpPolicy", env, bc_skip_info_key="standing", **{**kwargs, **bad})


def test_bc_batch_size_sets_the_aggregated_minibatch():
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.8)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=200, bc_batch_size=48, **TINY)
    draws, passes = [], []
    bc_sample, evaluate_actions = model._bc_sample, model._evaluate_actions

    def sample_spy(batch_size):
        obs, actions = bc_sample(batch_size)
        draws.append((len(obs), len(actions)))
        return obs, actions

    def evaluate_spy(obs, actions, bc_obs=None, bc_actions=None):
        out = evaluate_actions(obs, actions, bc_obs, bc_actions)
        passes.append((len(obs), len(bc_obs), len(bc_actions), out[-1] is not None))
        return out

    model._bc_sample, model._evaluate_actions = sample_spy, evaluate_spy
    model.learn(128)
    # one draw per epoch, then one aggregated minibatch of bc_batch_size per PPO minibatch, through its actor pass
    n_minibatches = 128 // TINY["batch_size"]
    assert draws == [(48 * n_minibatches, 48 * n_minibatches)] * TINY["n_epochs"]
    assert passes == [(TINY["batch_size"], 48, 48, True)] * (TINY["n_epochs"] * n_minibatches)
    for bad in (0, 2.5):
        with pytest.raises(ValueError, match="bc_batch_size"):
            PPOExpert("TanhMlpPolicy", env, expert=expert, bc_batch_size=bad, **TINY)


@pytest.mark.parametrize(
    "policy, discrete, kwargs",
    [
        ("TanhMlpPolicy", False, {}),  # the lean path, shared features
        ("TanhMlpPolicy", False, dict(policy_kwargs=dict(net_arch=[16], share_features_extractor=False))),
        ("TanhMlpPolicy", False, dict(bc_loss="nll")),  # through a distribution
        ("MlpPolicy", False, {}),  # SB3's diagonal Gaussian
        ("MlpPolicy", True, {}),  # categorical
    ],
)
def test_stacked_pass_equals_separate_passes(policy, discrete, kwargs):
    """The one actor pass over (PPO minibatch, cloning minibatch): the same losses and gradients as PPO's
    ``evaluate_actions`` on the minibatch plus a separate cloning pass."""
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4, discrete=discrete)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=1 if discrete else 0.5)
    model = PPOExpert(policy, env, expert=expert, bc_coef=1.0, **{**TINY, **kwargs})
    gen = th.Generator().manual_seed(0)
    obs, bc_obs = th.rand(12, 1, generator=gen) * 4, th.rand(20, 1, generator=gen) * 4
    if discrete:
        actions, bc_actions = th.randint(0, 2, (12,), generator=gen), th.randint(0, 2, (20, 1), generator=gen).float()
    else:
        actions, bc_actions = th.rand(12, 1, generator=gen) * 1.8 - 0.9, th.rand(20, 1, generator=gen) * 1.8 - 0.9
    params = list(model.policy.parameters())

    def losses_and_grads(stacked):
        model.policy.zero_grad()
        if stacked:
            values, log_prob, _, _, bc_loss = model._evaluate_actions(obs, actions, bc_obs, bc_actions)
        else:
            values, log_prob, _ = model.policy.evaluate_actions(obs, actions)
            bc_loss = model._bc_loss_on(bc_obs, bc_actions)
        terms = (values.pow(2).mean(), log_prob.mean(), bc_loss)
        sum(terms).backward()
        return [t.item() for t in terms], [th.zeros_like(p) if p.grad is None else p.grad.clone() for p in params]

    (stacked_terms, stacked_grads), (separate_terms, separate_grads) = losses_and_grads(True), losses_and_grads(False)
    np.testing.assert_allclose(stacked_terms, separate_terms, rtol=1e-5, atol=1e-7)
    assert stacked_terms[2] > 0.0
    for stacked_grad, separate_grad in zip(stacked_grads, separate_grads, strict=True):
        th.testing.assert_close(stacked_grad, separate_grad, rtol=1e-5, atol=1e-7)


def test_bc_steps_fit_the_expert_action_alone():
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.5)
    kwargs = dict(TINY, n_epochs=1, learning_rate=1e-2)
    plain = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, **kwargs).learn(128)
    steps = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_steps=50, bc_batch_size=32, **kwargs)
    steps.learn(128)
    obs = th.as_tensor(np.arange(4, dtype=np.float32).reshape(-1, 1))

    def gap(model):
        with th.no_grad():
            return float((model.policy.get_distribution(obs).mode() - 0.5).abs().max())

    assert gap(steps) < 0.05 < gap(plain)  # 50 supervised steps per update: at the expert's action
    assert 0.0 < steps.logger.name_to_value["train/bc_step_loss"] < 0.05  # the mean over the 50 steps
    with pytest.raises(ValueError, match="bc_steps"):
        PPOExpert("TanhMlpPolicy", env, expert=expert, bc_steps=-1, **TINY)


def _cloning_model(**kwargs):
    """A PPOExpert whose aggregated dataset holds one rollout (128 pairs of 2 envs x 64 steps) of a V-expert acting 0.5."""
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.5)
    model = PPOExpert("MlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=1000, **{**TINY, **kwargs})
    return model.learn(128)


def test_bc_steps_take_their_minibatches_in_turn_from_one_draw_each_weighted_by_bc_coef(monkeypatch):
    model = _cloning_model(bc_steps=5, bc_batch_size=16)
    draws, seen = [], []
    sample, loss_on = model._bc_sample, model._bc_loss_on
    monkeypatch.setattr(model, "_bc_sample", lambda n: draws.append(sample(n)) or draws[-1])
    monkeypatch.setattr(
        model, "_bc_loss_on", lambda obs, actions, *a: seen.append((obs, actions)) or loss_on(obs, actions, *a)
    )
    model._train_bc(1.0)
    assert len(draws) == 1 and len(draws[0][0]) == 5 * 16  # bc_steps minibatches of bc_batch_size, drawn at once
    assert len(seen) == 5
    for step, (obs, actions) in enumerate(seen):  # step k takes the k-th slice: every drawn state is used once
        th.testing.assert_close(obs, draws[0][0][16 * step : 16 * (step + 1)])
        th.testing.assert_close(actions, draws[0][1][16 * step : 16 * (step + 1)])


def test_bc_steps_are_scaled_by_the_cloning_weight():
    # with SGD (Adam's steps are blind to the gradient's scale) and no clipping, a weight of 0.25 moves the weights a
    # quarter as far as 1.0 from the same state and minibatch
    model = _cloning_model(bc_steps=1, max_grad_norm=1e9, policy_kwargs=dict(net_arch=[16], optimizer_class=th.optim.SGD))
    start = _params(model)
    moves = []
    for weight in (1.0, 0.25):
        model.policy.load_state_dict(start)
        np.random.seed(0)
        model._train_bc(weight)
        moves.append({key: value - start[key] for key, value in _params(model).items()})
    assert any(move.abs().max() > 0 for move in moves[0].values())
    for key in start:
        th.testing.assert_close(moves[1][key], 0.25 * moves[0][key], rtol=1e-4, atol=1e-7)


def test_cloning_draws_only_the_filled_part_of_the_aggregated_dataset():
    # 128 pairs in a dataset of 1000: the 872 empty slots (state 0, action 0) are never drawn
    model = _cloning_model()
    assert model._bc_data["size"] == 128
    _, actions = model._bc_sample(2000)
    np.testing.assert_allclose(actions.numpy(), 0.5)  # every draw an expert label


def test_bc_anchor_from_clones_on_the_minibatch_states_alone():
    """From rollout ``bc_anchor_from`` on, cloning is only the term in PPO's loss on each minibatch's own states:
    the very update of a model without aggregated dataset and cloning steps, while the dataset still fills."""

    def model(**kwargs):
        env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
        expert = LinearVExpert(env.observation_space, env.action_space, action=0.5)
        return PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, **kwargs, **TINY).learn(256)

    anchor = model(bc_buffer_size=200, bc_batch_size=48, bc_steps=5, bc_anchor_from=0)
    _assert_same_params(anchor, model())
    assert anchor._bc_data["size"] == 200  # 256 labelled pairs went into the dataset
    assert anchor.logger.name_to_value["train/bc_anchor_only"] == 1.0
    assert "train/bc_step_loss" not in anchor.logger.name_to_value


def test_bc_anchor_from_switches_at_its_rollout():
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.5)
    model = PPOExpert(
        "TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=500, bc_steps=3, bc_anchor_from=2, **TINY
    )
    cloning_steps, stacked = [], []
    train_bc, evaluate_actions = model._train_bc, model._evaluate_actions

    def train_bc_spy(bc_coef):
        cloning_steps.append(model._n_rollouts)
        return train_bc(bc_coef)

    def evaluate_spy(obs, actions, bc_obs=None, bc_actions=None):
        stacked.append((model._n_rollouts, bc_obs is not None))
        return evaluate_actions(obs, actions, bc_obs, bc_actions)

    model._train_bc, model._evaluate_actions = train_bc_spy, evaluate_spy
    model.learn(128 * 4)  # 4 rollouts; the counter is already past each update's rollout when it trains
    assert cloning_steps == [1, 2]  # rollouts 0 and 1
    n_passes = TINY["n_epochs"] * 128 // TINY["batch_size"]
    assert stacked == [(n, n <= 2) for n in (1, 2, 3, 4) for _ in range(n_passes)]
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"bc_anchor_from must be an integer >= 0 \(a number of rollouts\)"):
            PPOExpert("TanhMlpPolicy", env, expert=expert, bc_anchor_from=bad, **TINY)


def test_bc_anchor_coef_scales_the_cloning_weight_of_the_anchor_only_form_alone():
    """``bc_anchor_coef`` multiplies ``bc_coef`` from rollout ``bc_anchor_from`` on, not before: the update is the very
    one of a model whose ``bc_coef`` is that much larger, and the logged weight switches at the anchor's rollout."""

    def model(bc_coef=1.0, bc_anchor_from=0, **kwargs):
        env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
        expert = LinearVExpert(env.observation_space, env.action_space, action=0.5)
        return PPOExpert(
            "TanhMlpPolicy", env, expert=expert, bc_coef=bc_coef, bc_follows_handover=False,
            bc_anchor_from=bc_anchor_from, **kwargs, **TINY,
        )  # fmt: skip

    _assert_same_params(model(bc_anchor_coef=3.0).learn(256), model(bc_coef=3.0).learn(256))
    switching = model(bc_anchor_from=2, bc_buffer_size=500, bc_steps=3, bc_anchor_coef=3.0)
    weights = []
    train = switching.train

    def train_spy():
        weights.append(switching._bc_coef_now)
        train()

    switching.train = train_spy
    switching.learn(128 * 4)
    assert weights == [1.0, 1.0, 3.0, 3.0]
    assert switching.logger.name_to_value["train/bc_coef"] == 3.0
    env = switching.get_env()
    with pytest.raises(ValueError, match="set bc_anchor_from, or leave bc_anchor_coef at 1"):
        PPOExpert("TanhMlpPolicy", env, expert=switching.expert, bc_anchor_coef=3.0, **TINY)
    for bad in (0.0, -1.0, float("nan"), True, "3"):
        with pytest.raises(ValueError, match="bc_anchor_coef must be a finite number > 0"):
            PPOExpert("TanhMlpPolicy", env, expert=switching.expert, bc_anchor_from=0, bc_anchor_coef=bad, **TINY)


def test_target_kl_from_bounds_only_the_later_updates():
    """SB3's KL early stop from rollout ``target_kl_from`` on: the earlier updates run all their epochs. A large step
    (learning rate 1e-2) and a tiny ``target_kl`` stop an update at its second minibatch, within its first epoch."""
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.5)

    def epochs(**kwargs):
        model = PPOExpert("TanhMlpPolicy", env, expert=expert, learning_rate=1e-2, **kwargs, **TINY)
        counts = []
        for _ in range(4):  # one rollout of 128 steps, one update, per call
            before = model._n_updates
            model.learn(128, reset_num_timesteps=False)
            counts.append(model._n_updates - before)
        return counts

    n_epochs = TINY["n_epochs"]
    assert epochs() == [n_epochs] * 4
    assert epochs(target_kl=1e-6) == [1] * 4
    assert epochs(target_kl=1e-6, target_kl_from=2) == [n_epochs, n_epochs, 1, 1]
    assert epochs(target_kl_from=2) == [n_epochs] * 4  # no effect without target_kl
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"target_kl_from must be an integer >= 0 \(a number of rollouts\)"):
            PPOExpert("TanhMlpPolicy", env, expert=expert, target_kl_from=bad, **TINY)


def test_bc_learning_rate_applies_to_the_cloning_steps_only():
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.5)
    kwargs = dict(TINY, n_epochs=1, learning_rate=1e-3, bc_coef=1.0, bc_steps=3, bc_batch_size=8)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_learning_rate=5e-2, **kwargs)
    optimizer = model.policy.optimizer
    rates = []
    original_step = optimizer.step

    def recording_step(*args, **kwargs):
        rates.append(optimizer.param_groups[0]["lr"])
        return original_step(*args, **kwargs)

    optimizer.step = recording_step
    model.learn(2 * TINY["n_steps"] * 2)
    n_ppo = TINY["n_steps"] * 2 // TINY["batch_size"]  # one epoch of minibatches per update
    assert rates == ([1e-3] * n_ppo + [5e-2] * 3) * 2  # PPO's steps, then the cloning steps, per update
    assert optimizer.param_groups[0]["lr"] == 1e-3  # restored for PPO's next update
    assert model.logger.name_to_value["train/bc_learning_rate"] == 5e-2
    for bad in (0.0, -1e-3, float("nan"), "1e-3", True):
        with pytest.raises(ValueError, match="bc_learning_rate must be a finite number > 0"):
            PPOExpert("TanhMlpPolicy", env, expert=expert, bc_learning_rate=bad, **kwargs)
    with pytest.raises(ValueError, match="YAML reads 1e-3 as a string: write 0.001"):
        PPOExpert("TanhMlpPolicy", env, expert=expert, bc_learning_rate="1e-3", **kwargs)


@pytest.mark.parametrize("policy, offset", [("MlpPolicy", 0.0), ("TanhMlpPolicy", -np.log(2.0))])
def test_log_std_from_expert_starts_at_the_experts_noise(policy, offset):
    env = _pendulum()  # actions in [-2, 2]: the tanh policy's [-1, 1] units are half as wide
    teacher = PPO("MlpPolicy", env, policy_kwargs=dict(net_arch=[8], log_std_init=-1.2), seed=0)
    model = PPOExpert(policy, env, expert=teacher, log_std_from_expert=True, **TINY)
    np.testing.assert_allclose(model.policy.log_std.detach().numpy(), [-1.2 + offset], rtol=1e-6)
    default = PPOExpert(policy, env, expert=teacher, **TINY)
    np.testing.assert_allclose(default.policy.log_std.detach().numpy(), [0.0])


def test_log_std_from_expert_on_a_matrix_action_space():
    # SB3 keeps a 2x2 Box action's log-std flat (4 numbers), the learner's as the expert's
    env = DummyVecEnv([_MatrixActionEnv] * 2)
    teacher = PPO("MlpPolicy", env, policy_kwargs=dict(net_arch=[8], log_std_init=-1.2), seed=0)
    np.testing.assert_allclose(load_expert(teacher).action_log_std(), [-1.2] * 4, rtol=1e-6)
    for policy in ("MlpPolicy", "TanhMlpPolicy"):  # the tanh policy's units: the bounds [-1, 1], the same width
        model = PPOExpert(policy, env, expert=teacher, log_std_from_expert=True, **TINY)
        np.testing.assert_allclose(model.policy.log_std.detach().numpy(), [-1.2] * 4, rtol=1e-6)


def test_log_std_from_expert_is_restored_from_the_saved_model_on_load(tmp_path):
    env = _pendulum()
    teacher = PPO("MlpPolicy", env, policy_kwargs=dict(net_arch=[8], log_std_init=-1.2), seed=0)
    model = PPOExpert("MlpPolicy", env, expert=teacher, log_std_from_expert=True, **TINY)
    with th.no_grad():
        model.policy.log_std.fill_(0.3)  # as if training had moved it
    model.save(tmp_path / "model")
    loaded = PPOExpert.load(tmp_path / "model", env=env, expert=teacher)
    np.testing.assert_allclose(loaded.policy.log_std.detach().numpy(), [0.3])
    # a trained model continued with an expert that has no Gaussian noise (a SAC agent) keeps its own noise: the
    # expert's is only a starting point, not asked for again
    from stable_baselines3 import SAC

    model.learn(64)
    model.save(tmp_path / "trained")
    sac = SAC("MlpPolicy", env, policy_kwargs=dict(net_arch=[8]), seed=0, buffer_size=1)
    with pytest.warns(UserWarning, match="learned from the expert PPO .*another one, SAC"):  # a swap mid-schedule
        resumed = PPOExpert.load(tmp_path / "trained", env=env, expert=sac)
    np.testing.assert_allclose(resumed.policy.log_std.detach().numpy(), model.policy.log_std.detach().numpy())


def test_log_std_from_expert_outside_the_bounds_starts_at_the_bound_with_a_warning():
    env = _pendulum()  # the expert's std e^-6 in env units is e^-6.69 in the tanh policy's units, below its -5
    teacher = PPO("MlpPolicy", env, policy_kwargs=dict(net_arch=[8], log_std_init=-6.0), seed=0)
    with pytest.warns(UserWarning, match=r"outside the policy's log_std_bounds \(-5.0, 2.0\).*log_std_bounds=\.\.\."):
        model = PPOExpert("TanhMlpPolicy", env, expert=teacher, log_std_from_expert=True, **TINY)
    np.testing.assert_allclose(model.policy.log_std.detach().numpy(), [-5.0])
    # and PPO's entropy bonus moves it from there (a clamp without gradient at the bound would hold it)
    model.ent_coef, model.beta, model.handover = 1.0, 0.0, 0.0
    model._build_expert_schedules()
    model.learn(TINY["n_steps"] * 2 * 3)
    assert model.policy.log_std.item() > -5.0


def test_a_ppo_model_starts_a_ppo_expert(tmp_path):
    # SB3's PPO records its plain RolloutBuffer in the zip: PPOExpert fills its own ExpertRolloutBuffer instead
    from sb3_aggrevated.buffers import ExpertRolloutBuffer

    env = _pendulum()
    PPO("MlpPolicy", env, **TINY).save(tmp_path / "ppo.zip")
    expert = QuadraticQExpert(env.observation_space, env.action_space)
    model = PPOExpert.load(tmp_path / "ppo.zip", env=env, expert=expert)
    assert model.rollout_buffer_class is ExpertRolloutBuffer and isinstance(model.rollout_buffer, ExpertRolloutBuffer)
    ppo = PPO.load(tmp_path / "ppo.zip")
    for ours, theirs in zip(model.policy.state_dict().values(), ppo.policy.state_dict().values(), strict=True):
        th.testing.assert_close(ours, theirs)
    model.learn(64)
    assert model.expert is expert and model._n_rollouts == 1
    # the class as rl_zoo3's -params / YAML give it, a dotted path; SB3's plain buffer named in the constructor too
    for given in ("sb3_aggrevated.buffers.ExpertRolloutBuffer", RolloutBuffer):
        assert PPOExpert("MlpPolicy", env, rollout_buffer_class=given, **TINY).rollout_buffer_class is ExpertRolloutBuffer


class _OtherBuffer(RolloutBuffer):
    pass


@pytest.mark.parametrize(
    "given, message",
    [
        (_OtherBuffer, "needs an ExpertRolloutBuffer .*got rollout_buffer_class=<class '.*_OtherBuffer'>"),
        ("sb3_aggrevated.buffers.NoSuchBuffer", "'sb3_aggrevated.buffers.NoSuchBuffer' could not be imported"),
        ("stable_baselines3.common.buffers.DictRolloutBuffer", "got rollout_buffer_class='stable_baselines3"),
    ],
)
def test_a_rollout_buffer_class_that_is_not_an_expert_one_is_refused(given, message):
    with pytest.raises(ValueError, match=message):
        PPOExpert("MlpPolicy", _pendulum(), rollout_buffer_class=given, **TINY)


def test_load_with_a_seed_reseeds_the_roll_in_draws(tmp_path):
    env = _pendulum()
    expert = LinearVExpert(env.observation_space, env.action_space)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, **TINY)
    model.learn(TINY["n_steps"] * 2)
    model.save(tmp_path / "model")
    saved_next = model._expert_rng.random(4)  # what the saved generator draws next
    draws = {
        seed: PPOExpert.load(tmp_path / "model", env=env, expert=expert, seed=seed)._expert_rng.random(4) for seed in (1, 2)
    }
    assert not np.allclose(draws[1], draws[2])
    np.testing.assert_array_equal(draws[1], np.random.default_rng(1).random(4))
    continued = PPOExpert.load(tmp_path / "model", env=env, expert=expert)._expert_rng.random(4)
    np.testing.assert_array_equal(continued, saved_next)  # no seed given: the saved state goes on


@pytest.mark.parametrize("expert_kind", ["q_expert", "gsde_learner"])
def test_log_std_from_expert_refuses_what_it_cannot_copy(expert_kind):
    env = _pendulum()
    if expert_kind == "q_expert":
        expert, kwargs, message = QuadraticQExpert(env.observation_space, env.action_space), {}, "needs an expert"
    else:
        expert = PPO("MlpPolicy", env, policy_kwargs=dict(net_arch=[8]), seed=0)
        kwargs, message = dict(use_sde=True), "needs a learner policy"
    with pytest.raises(ValueError, match=message):
        PPOExpert("MlpPolicy", env, expert=expert, log_std_from_expert=True, **kwargs, **TINY)


@pytest.mark.parametrize(
    "env_id, policy, kwargs, lean",
    [
        ("Pendulum-v1", "TanhMlpPolicy", {}, True),
        ("Pendulum-v1", "TanhMlpPolicy", {"policy_kwargs": dict(net_arch=[16], state_dependent_std=True)}, True),
        ("Pendulum-v1", "MlpPolicy", {}, True),
        ("CartPole-v1", "MlpPolicy", {}, True),
        ("BipedalWalker-v3", "TanhMlpPolicy", {}, True),  # 4-D actions: the squared error summed over them
        ("BipedalWalker-v3", "MlpPolicy", {}, True),
        ("Pendulum-v1", "TanhMlpPolicy", {"bc_loss": "nll"}, False),
        ("Pendulum-v1", "MlpPolicy", {"use_sde": True}, False),
    ],
)
def test_lean_cloning_loss_equals_the_distributions(env_id, policy, kwargs, lean):
    # the supervised cloning steps skip building a distribution; loss and gradients are the full path's
    env = gym.make(env_id)
    expert = LinearVExpert(env.observation_space, env.action_space, action=0 if env_id == "CartPole-v1" else 0.5)
    model = PPOExpert(policy, env, expert=expert, bc_coef=1.0, device="cpu", **{**TINY, **kwargs})
    obs = th.as_tensor(np.stack([env.observation_space.sample() for _ in range(8)]), dtype=th.float32)
    if isinstance(env.action_space, gym.spaces.Discrete):
        actions = th.as_tensor(np.arange(8) % 2, dtype=th.float32).reshape(-1, 1)
    else:
        dim = env.action_space.shape[0]
        actions = th.as_tensor(np.linspace(-0.9, 0.9, 8 * dim), dtype=th.float32).reshape(8, dim)
    fast = model._lean_bc_loss(obs, actions)
    assert (fast is not None) == lean
    if not lean:
        return
    full = model._bc_loss_on(obs, actions, model.policy.get_distribution(obs))
    grads = []
    for loss in (fast, full):
        model.policy.optimizer.zero_grad()
        loss.backward()
        grads.append([p.grad.clone() if p.grad is not None else th.zeros_like(p) for p in model.policy.parameters()])
    assert fast.item() == pytest.approx(full.item(), rel=1e-6)
    for g_fast, g_full in zip(*grads, strict=True):
        th.testing.assert_close(g_fast, g_full)


def test_aggregated_bc_dataset_saves_and_loads_in_order(tmp_path):
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.8)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=200, **TINY)
    empty = tmp_path / "empty" / "replay_buffer.pkl"  # rl_zoo3's name; the folder is created
    model.save_replay_buffer(empty)
    model.learn(128 * 3)  # 384 pairs into a FIFO of 200: it has wrapped
    data = model._bc_data
    # mark every pair with its age so that the order can be checked: pos is the oldest, pos - 1 the newest
    data["actions"][:, 0] = (np.arange(200) - data["pos"]) % 200
    model.save_replay_buffer(tmp_path / "bc.npz")

    same = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=200, **TINY)
    same.load_replay_buffer(tmp_path / "bc.npz")
    loaded = same._bc_data
    assert loaded["size"] == 200 and loaded["pos"] == 0
    np.testing.assert_array_equal(loaded["actions"][:, 0], np.arange(200))  # oldest first, as aggregated
    order = (data["pos"] + np.arange(200)) % 200
    np.testing.assert_array_equal(loaded["obs"], data["obs"][order])
    in_memory = io.BytesIO()  # a file object: written, left open, read back the same
    model.save_replay_buffer(in_memory)
    assert not in_memory.closed
    in_memory.seek(0)
    from_memory = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=200, **TINY)
    from_memory.load_replay_buffer(in_memory)
    np.testing.assert_array_equal(from_memory._bc_data["obs"], loaded["obs"])
    np.testing.assert_array_equal(from_memory._bc_data["actions"], loaded["actions"])
    model.save_replay_buffer(str(tmp_path / "no_suffix"))  # as SB3 adds .pkl to a replay buffer's name: .npz
    assert (tmp_path / "no_suffix.npz").is_file() and not (tmp_path / "no_suffix").exists()
    from_name = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=200, **TINY)
    from_name.load_replay_buffer(str(tmp_path / "no_suffix"))
    np.testing.assert_array_equal(from_name._bc_data["obs"], loaded["obs"])
    same.learn(128)  # and it goes on aggregating
    assert same._bc_data["size"] == 200 and same._bc_data["pos"] == 128

    smaller = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=50, **TINY)
    smaller.load_replay_buffer(tmp_path / "bc.npz")  # keeps the newest 50
    np.testing.assert_array_equal(np.sort(smaller._bc_data["actions"][:, 0]), np.arange(150, 200))
    smaller.load_replay_buffer(empty)
    assert smaller._bc_data is None  # an empty dataset loads as none

    # a model keeping no dataset: rl_zoo3's -i loads the file whenever it is there, so it is ignored, not refused
    none = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, **TINY)
    with pytest.warns(UserWarning, match=r"200 pairs\) is not loaded.*bc_buffer_size=0"):
        none.load_replay_buffer(tmp_path / "bc.npz")
    assert none._bc_data is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty dataset (what such a model saves) loads as none, silently
        none.save_replay_buffer(tmp_path / "none.npz")
        none.load_replay_buffer(tmp_path / "none.npz")
    other = make_vec_env("Pendulum-v1", n_envs=1)
    with pytest.warns(UserWarning, match="expert=None"):  # a dataset of its own, no expert: enough for this check
        wrong = PPOExpert("TanhMlpPolicy", other, bc_buffer_size=10, **TINY)
    with pytest.raises(ValueError, match="saved for another env"):
        wrong.load_replay_buffer(tmp_path / "bc.npz")


def test_an_interrupted_dataset_save_keeps_the_earlier_file(tmp_path, monkeypatch):
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.8)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=200, **TINY)
    model.learn(128)
    path = tmp_path / "replay_buffer.pkl"
    model.save_replay_buffer(path)
    earlier = path.read_bytes()
    model.learn(128)
    real = np.savez_compressed

    def interrupted(file, **arrays):  # stopped (Ctrl-C, a full disk) after part of the archive is written
        real(file, **arrays)
        file.truncate(10)
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.save_replay_buffer(path)
    assert path.read_bytes() == earlier and sorted(p.name for p in tmp_path.iterdir()) == ["replay_buffer.pkl"]
    monkeypatch.setattr(np, "savez_compressed", real)
    same = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=200, **TINY)
    same.load_replay_buffer(path)
    assert same._bc_data["size"] == 128


def test_loading_with_an_expert_object_forgets_the_saved_expert_reference(tmp_path):
    # evaluate.py and the hub card reload the expert from expert_id: it must not name the expert trained with before
    model = PPOExpert("MlpPolicy", _pendulum(), expert="embedded/sac-Pendulum-v1", **TINY)
    assert model.expert_id == "embedded/sac-Pendulum-v1"
    model.save(tmp_path / "model")
    other = QuadraticQExpert(model.observation_space, model.action_space)
    loaded = PPOExpert.load(tmp_path / "model", env=_pendulum(), expert=other)
    assert loaded.expert is other and loaded.expert_id is None and loaded.expert_name == "QuadraticQExpert"
    assert PPOExpert.load(tmp_path / "model").expert_id == "embedded/sac-Pendulum-v1"  # no expert given: the saved one


def test_a_wrapper_above_vec_normalize_that_changes_observations():
    # rl_zoo3's order: normalize, then frame_stack above it; VecNormalize's original observations are not the learner's
    from stable_baselines3.common.vec_env import VecFrameStack

    def stacked():
        return VecFrameStack(VecNormalize(make_vec_env("Pendulum-v1", n_envs=2, seed=0)), 2)

    model = PPOExpert("MlpPolicy", stacked(), **TINY)  # no expert: PPO, the learner's own observations in the buffer
    model.learn(128)
    assert model.rollout_buffer.raw_observations.shape[-1] == 6
    expert = LinearVExpert(model.observation_space, model.action_space)
    with pytest.raises(ValueError, match=r"a wrapper above it changes them \(VecFrameStack.*Wrap VecNormalize outermost"):
        PPOExpert("MlpPolicy", stacked(), expert=expert, **TINY)
    outermost = VecNormalize(VecFrameStack(make_vec_env("Pendulum-v1", n_envs=2, seed=0), 2))
    model = PPOExpert("MlpPolicy", outermost, expert=expert, beta=1.0, **TINY)
    model.learn(64)
    assert expert.seen[0].shape == (2, 6)  # raw stacked observations, the learner's own un-normalised


@pytest.mark.parametrize("clip_obs", [1.0, 10.0])
def test_a_terminal_observation_clipped_by_vec_normalize_is_reported(clip_obs):
    # obs = t, truncated at 4: early on, VecNormalize clips the terminal observation 4 at clip_obs=1 (not at 10), and
    # keeps no raw copy of it, so the V-expert's value at the truncation reads the clipped state: said, not silent
    env = VecNormalize(DummyVecEnv([lambda: TimeLimit(CountEnv(terminate_at=100), 4)] * 2), clip_obs=clip_obs)
    expert = LinearVExpert(env.observation_space, env.action_space, slope=1.0, gamma=0.9)
    model = PPOExpert("MlpPolicy", env, expert=expert, beta=0.5, n_steps=8, batch_size=16, n_epochs=1, seed=0)
    recorder = RolloutEndRecorder(lambda m: m.rollout_buffer.raw_next_observations[:, :, 0].copy())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.learn(16, callback=recorder)
    clipped = [w for w in caught if "clipped the terminal observation" in str(w.message)]
    next_obs = recorder.values[0]  # steps 1..4 per episode: the truncation's next observation should read 4
    if clip_obs == 1.0:
        assert np.all(next_obs[3] < 3.0) and len(clipped) == 1  # clipped: the un-normalised state reads below 4
    else:
        assert next_obs[3].tolist() == pytest.approx([4.0, 4.0]) and not clipped


def _update_on(steps, mask=None, seed=0):
    """One full-batch SGD update of a fresh PPOExpert (same initial weights for a seed) on hand-filled steps
    ``(obs, action, advantage, old_log_prob)``, with only the policy loss (no value or entropy term, no cloning)."""
    from stable_baselines3.common.logger import configure

    obs, actions, advantages, old_log_probs = (np.asarray(column, dtype=np.float32) for column in zip(*steps, strict=True))
    n = len(steps)
    env = DummyVecEnv([lambda: CountEnv(terminate_at=5)])
    model = PPOExpert(
        "MlpPolicy", env, n_steps=n, batch_size=n, n_epochs=1, vf_coef=0.0, ent_coef=0.0, seed=seed,
        policy_kwargs=dict(net_arch=[8], optimizer_class=th.optim.SGD, optimizer_kwargs={}),
    )  # fmt: skip
    model.set_logger(configure(None, []))
    buffer = model.rollout_buffer
    buffer.reset()
    buffer.observations[:, 0] = obs.reshape(n, 1)
    buffer.actions[:, 0] = actions.reshape(n, 1)
    buffer.log_probs[:, 0] = old_log_probs
    buffer.returns[:, 0] = buffer.values[:, 0] = 0.0
    buffer.pos, buffer.full = n, True
    buffer.set_policy_targets(advantages.reshape(n, 1), np.ones((n, 1)) if mask is None else np.reshape(mask, (n, 1)))
    model.train()
    return model


def test_expert_executed_steps_count_nowhere_in_the_policy_update():
    # the README: steps the expert executed are masked out of the policy loss. An update on a buffer where some steps
    # are masked equals the update on the unmasked steps alone, whatever the masked steps hold (their actions,
    # advantages, old log-probs), and the advantages are normalised over the steps that count. With SGD (Adam's
    # first step is blind to the gradient's scale), counting the masked steps in the mean would also show.
    rng = np.random.default_rng(0)
    steps = [(rng.uniform(0, 5), rng.uniform(-1, 1), rng.normal(), rng.normal() - 1.0) for _ in range(12)]
    mask = np.array([1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0], dtype=bool)
    masked = _update_on(steps, mask)
    assert not masked.rollout_buffer.all_valid
    alone = _update_on([step for step, keep in zip(steps, mask, strict=True) if keep])
    other = [(s[0], -s[1], 10 * s[2] + 3, s[3] - 2) for s in steps]  # the masked steps' contents changed
    changed = _update_on([steps[i] if mask[i] else other[i] for i in range(12)], mask)
    initial = _params(PPOExpert("MlpPolicy", DummyVecEnv([lambda: CountEnv()]), seed=0, policy_kwargs=dict(net_arch=[8])))
    moved = False
    for key, value in _params(masked).items():
        th.testing.assert_close(value, _params(alone)[key], rtol=1e-5, atol=1e-7)
        th.testing.assert_close(value, _params(changed)[key], rtol=1e-5, atol=1e-7)
        moved |= not th.allclose(value, initial[key])
    assert moved  # the update did something


class _PredictRecorder(LinearVExpert):
    """Records the observations and the ``deterministic`` flag of each ``predict`` call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[np.ndarray, bool]] = []

    def predict(self, obs, deterministic=True):
        self.calls.append((np.array(obs), deterministic))
        return super().predict(obs, deterministic)


@pytest.mark.parametrize("expert_deterministic", [True, False])
def test_the_roll_in_expert_acts_on_raw_observations_as_asked(expert_deterministic):
    # under the learner's VecNormalize the expert is given the env's own observations (step counts here) to act on,
    # and asked for its deterministic or its sampled action as expert_deterministic says
    env = VecNormalize(DummyVecEnv([lambda: CountEnv(terminate_at=5)] * 2))
    expert = _PredictRecorder(env.observation_space, env.action_space)
    model = PPOExpert(
        "MlpPolicy", env, expert=expert, beta=1.0, beta_schedule="constant", handover=0.0,
        expert_deterministic=expert_deterministic, **TINY,
    )  # fmt: skip
    model.learn(64)
    assert len(expert.calls) == 64  # one batched query per step of the 2 envs
    seen = np.concatenate([obs.reshape(-1) for obs, _ in expert.calls])
    np.testing.assert_array_equal(seen[:10], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    assert np.array_equal(seen, np.round(seen)) and set(seen) == {0, 1, 2, 3, 4}
    assert {flag for _, flag in expert.calls} == {expert_deterministic}


def test_loading_with_another_expert_while_the_schedules_use_one_warns(tmp_path):
    env = DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)
    first = QuadraticQExpert(env.observation_space, env.action_space)
    PPOExpert("MlpPolicy", env, expert=first, beta=0.5, beta_schedule="constant", **TINY).learn(128).save(tmp_path / "m")
    other = LinearVExpert(env.observation_space, env.action_space)
    message = "learned from the expert QuadraticQExpert .* rollout 1 .*beta 0.5.*another one, LinearVExpert"
    with pytest.warns(UserWarning, match=message):
        PPOExpert.load(tmp_path / "m", env=env, expert=other)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PPOExpert.load(tmp_path / "m", env=env, expert=QuadraticQExpert(env.observation_space, env.action_space))
        # a model saved before it learned anything learned from no expert
        PPOExpert("MlpPolicy", env, expert=first, beta=0.5, **TINY).save(tmp_path / "untrained")
        PPOExpert.load(tmp_path / "untrained", env=env, expert=other)
        # every schedule at 0 from here on: the expert is not used, any may be given
        PPOExpert.load(tmp_path / "m", env=env, expert=other, beta=0.0, handover=0.0)
