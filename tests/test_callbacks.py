"""Callbacks on tiny trainings: logged keys, expert score, early stop, best model with its statistics."""

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.logger import KVWriter, configure
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecFrameStack, VecNormalize

from sb3_aggrevated import PPOExpert
from sb3_aggrevated.callbacks import EpisodeSeeds, ExpertActionDistanceCallback, ExpertEvalCallback, evaluate_expert
from tests.conftest import CountEnv, LinearVExpert, QuadraticQExpert

TINY = dict(n_steps=32, batch_size=32, n_epochs=1, policy_kwargs=dict(net_arch=[8]), seed=0)


def _env(n=2, terminate_at=5):
    return DummyVecEnv([lambda: Monitor(CountEnv(terminate_at=terminate_at))] * n)


class _Recorder(KVWriter):
    """Collects every value logged through SB3's logger (as a csv/tensorboard writer would see it)."""

    def __init__(self):
        self.values: dict[str, list] = {}
        self.rows: list[set] = []  # the keys of each dumped row

    def write(self, key_values, key_excluded, step=0):
        self.rows.append(set(key_values))
        for key, value in key_values.items():
            self.values.setdefault(key, []).append(value)

    def close(self):
        pass


def _logged_model(model):
    logger = configure(None, [])
    recorder = _Recorder()
    logger.output_formats.append(recorder)
    model.set_logger(logger)
    return recorder


def test_evaluate_expert_gives_raw_observations_and_expert_return():
    # CountEnv: reward 1 + action, 5 steps: the expert (action 0.5) scores 7.5 per episode
    env = VecNormalize(_env(1))
    expert = QuadraticQExpert(env.observation_space, env.action_space, action=0.5)
    mean, std = evaluate_expert(expert, env, n_eval_episodes=3, seed=0)
    assert mean == pytest.approx(7.5) and std == pytest.approx(0.0)
    seen = np.concatenate([s.reshape(-1) for s in expert.seen])
    assert set(np.round(seen, 6)) <= {0.0, 1.0, 2.0, 3.0, 4.0}  # raw step counts, never normalised ones
    # a wrapper above VecNormalize that changes the observations (rl_zoo3's frame_stack): its original observations
    # are not the env's, refused by name (the expert took stacked ones, got unstacked)
    stacked = VecFrameStack(VecNormalize(_env(1)), 2)
    stacked_expert = QuadraticQExpert(stacked.observation_space, stacked.action_space, action=0.5)
    with pytest.raises(ValueError, match="VecFrameStack: observation space .*Wrap VecNormalize outermost"):
        evaluate_expert(stacked_expert, stacked, n_eval_episodes=1, seed=0)
    outermost = VecNormalize(VecFrameStack(_env(1), 2))
    assert evaluate_expert(stacked_expert, outermost, n_eval_episodes=1, seed=0)[0] == pytest.approx(7.5)


def test_expert_eval_callback_logs_score_and_saves_best_with_statistics(tmp_path):
    env = VecNormalize(_env())
    expert = QuadraticQExpert(env.observation_space, env.action_space, action=0.5)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, **TINY)
    recorder = _logged_model(model)
    callback = ExpertEvalCallback(
        _env(1), n_eval_episodes=2, eval_freq=32, best_model_save_path=str(tmp_path), stop_at_expert_fraction=100.0, verbose=0
    )
    model.learn(64 * 4, callback=callback)
    assert model.num_timesteps == 64 * 4  # never reached 100 x expert level: no stop
    assert callback.expert_mean_reward == pytest.approx(7.5)  # 5 steps of reward 1 + 0.5
    for key in (
        "eval/mean_reward",
        "eval/expert_mean_reward",
        "eval/expert_score",
        "rollout/beta",
        "rollout/expert_fraction",
        "rollout/expert_adv_mean",
        "train/handover_weight",
    ):
        assert key in recorder.values, key
    span = callback.expert_mean_reward - callback.random_mean_reward
    last = recorder.values["eval/mean_reward"][-1]
    assert recorder.values["eval/expert_score"][-1] == pytest.approx((last - callback.random_mean_reward) / span)
    # the expert's keys in the evaluation's own row (one row per evaluation, not a second one of their own)
    eval_rows = [row for row in recorder.rows if row & {"eval/mean_reward", "eval/expert_score"}]
    assert len(eval_rows) == len(recorder.values["eval/mean_reward"]) == 4  # 128 calls, one evaluation per 32
    assert all({"eval/mean_reward", "eval/expert_mean_reward", "eval/expert_score"} <= row for row in eval_rows)
    assert (tmp_path / "best_model.zip").is_file() and (tmp_path / "vecnormalize.pkl").is_file()


def test_expert_eval_callback_logs_expert_keys_where_eval_callback_does_not_dump(monkeypatch):
    # an EvalCallback whose _on_step dumps no row (another SB3 version): the expert's keys still get logged
    from stable_baselines3.common.callbacks import EvalCallback

    def evaluate_without_dump(self):
        self.last_mean_reward = 5.0
        return True

    monkeypatch.setattr(EvalCallback, "_on_step", evaluate_without_dump)
    model = PPO("MlpPolicy", _env(), **TINY)
    recorder = _logged_model(model)
    expert = QuadraticQExpert(model.observation_space, model.action_space, action=0.5)
    callback = ExpertEvalCallback(_env(1), expert=expert, n_eval_episodes=2, eval_freq=16, verbose=0)
    model.learn(32, callback=callback)
    assert {"eval/expert_mean_reward", "eval/expert_score"} in recorder.rows  # a row of their own
    assert callback.expert_score == pytest.approx((5.0 - callback.random_mean_reward) / (7.5 - callback.random_mean_reward))
    assert "dump" not in vars(model.logger)  # the logger's own method again


def test_expert_eval_callback_stops_at_expert_level():
    # the learner is its own "expert": at the first evaluation (before any update) it is exactly at expert level
    model = PPO("MlpPolicy", _env(), **TINY)
    callback = ExpertEvalCallback(
        _env(1), expert=model, n_eval_episodes=2, eval_freq=16, stop_at_expert_fraction=1.0, verbose=0
    )
    model.learn(64 * 10, callback=callback)
    assert callback.expert_score == pytest.approx(1.0)
    assert model.num_timesteps == 32  # stopped at the first evaluation


def test_expert_eval_callback_names_an_eval_env_of_another_task(tmp_path):
    # an eval env id of another task is named as the problem (loading the expert on it blamed the expert), before
    # the callback saves anything
    model = PPO("MlpPolicy", DummyVecEnv([lambda: Monitor(gym.make("Pendulum-v1"))]), **TINY)
    callback = ExpertEvalCallback("CartPole-v1", expert=model, best_model_save_path=str(tmp_path / "best"), verbose=0)
    with pytest.raises(ValueError, match=r"eval env 'CartPole-v1' has observation space .*but the model trains on Box"):
        model.learn(32, callback=callback)
    assert not (tmp_path / "best").exists()


def test_expert_eval_callback_given_an_env_id_plays_exactly_the_same_episodes(tmp_path):
    # BipedalWalker keeps its Box2D world across resets, so a reseeded env reused for a second evaluation can end the
    # same policy's episodes differently; an env id gets a new env each time. The learner is its own expert and is
    # evaluated before its first update: its return must equal the expert's exactly, every time.
    env = DummyVecEnv([lambda: Monitor(gym.make("BipedalWalker-v3"))])
    model = PPO("MlpPolicy", env, **TINY)
    callback = ExpertEvalCallback(
        "BipedalWalker-v3", expert=model, n_eval_episodes=3, eval_freq=8, log_path=str(tmp_path), verbose=0
    )
    model.learn(32, callback=callback)  # evaluations at steps 8, 16, 24, 32, all before the update at 32
    assert len(callback.evaluations_results) == 4
    assert [float(np.mean(r)) for r in callback.evaluations_results] == [callback.expert_mean_reward] * 4


def test_expert_eval_callback_makes_its_env_with_the_training_envs_keywords():
    # rl_zoo3's env_kwargs (e.g. hardcore=True) reach the env the callback makes from an env id, at every evaluation
    model = PPO("MlpPolicy", make_vec_env_g("Pendulum-v1"), **TINY)
    callback = ExpertEvalCallback("Pendulum-v1", expert=model, env_kwargs={"g": 20.0}, n_eval_episodes=1, eval_freq=16)
    assert callback.eval_env.get_attr("g") == [20.0]
    model.learn(32, callback=callback)
    assert callback.eval_env.get_attr("g") == [20.0]  # the renewed env too
    with pytest.raises(ValueError, match="env_kwargs is for an eval env given as an env id"):
        ExpertEvalCallback(_env(1), expert=model, env_kwargs={"g": 20.0})


@pytest.mark.parametrize(
    "env_wrapper",
    [
        gym.wrappers.TimeAwareObservation,
        "gymnasium.wrappers.TimeAwareObservation",
        {"gymnasium.wrappers.TimeAwareObservation": {"normalize_time": True}},
        ["gymnasium.wrappers.TimeAwareObservation"],
    ],
)
def test_expert_eval_callback_makes_its_env_with_the_training_envs_wrapper(env_wrapper):
    # rl_zoo3's env_wrapper (here one that widens the observation, as TimeFeatureWrapper does) reaches the env the
    # callback makes from an env id, inside the seeding of every episode; without it the spaces would not match
    from stable_baselines3.common.env_util import make_vec_env

    env = make_vec_env("Pendulum-v1", n_envs=1, wrapper_class=gym.wrappers.TimeAwareObservation)
    model = PPO("MlpPolicy", env, **TINY)
    callback = ExpertEvalCallback("Pendulum-v1", expert=model, env_wrapper=env_wrapper, n_eval_episodes=1, eval_freq=16)
    assert callback.eval_env.observation_space.shape == (4,)
    model.learn(32, callback=callback)  # the expert's evaluation and the learner's on the wrapped env
    assert callback.eval_env.observation_space.shape == (4,)  # the renewed env too
    assert callback.eval_env.env_is_wrapped(EpisodeSeeds) == [True]


def test_expert_eval_callback_env_wrapper_errors():
    model = PPO("MlpPolicy", _env(1), **TINY)
    with pytest.raises(ValueError, match="env_wrapper is for an eval env given as an env id"):
        ExpertEvalCallback(_env(1), expert=model, env_wrapper=gym.wrappers.TimeAwareObservation)
    with pytest.raises(ValueError, match="env_wrapper 'NoSuchWrapper' could not be resolved"):
        ExpertEvalCallback("Pendulum-v1", expert=model, env_wrapper="NoSuchWrapper")
    with pytest.raises(ValueError, match="could not be resolved"):
        ExpertEvalCallback("Pendulum-v1", expert=model, env_wrapper="gymnasium.wrappers.NoSuchWrapper")
    with pytest.raises(TypeError, match="env_wrapper must be a callable"):
        ExpertEvalCallback("Pendulum-v1", expert=model, env_wrapper=3)


def make_vec_env_g(env_id):
    from stable_baselines3.common.env_util import make_vec_env

    return make_vec_env(env_id, n_envs=1, env_kwargs={"g": 20.0})


def test_callbacks_work_with_plain_ppo_given_an_expert():
    env = _env()
    expert = QuadraticQExpert(env.observation_space, env.action_space)
    model = PPO("MlpPolicy", env, **TINY)
    recorder = _logged_model(model)
    model.learn(
        128,
        callback=[
            ExpertEvalCallback(_env(1), expert=expert, n_eval_episodes=1, eval_freq=32, verbose=0),
            ExpertActionDistanceCallback(expert=expert),
        ],
    )
    assert "eval/expert_score" in recorder.values and "rollout/expert_action_distance" in recorder.values
    assert all(d >= 0 for d in recorder.values["rollout/expert_action_distance"])


def _fixed_learner(env, bias):
    """PPO whose deterministic action is ``bias`` everywhere (Box: the mean; Discrete: the logits), never updated."""
    import torch as th

    model = PPO("MlpPolicy", env, **{**TINY, "learning_rate": 0.0})
    with th.no_grad():
        model.policy.action_net.weight.zero_()
        model.policy.action_net.bias.copy_(th.as_tensor(bias))
    return model


def test_expert_action_distance_is_the_distance_and_agreement_the_agreement():
    from tests.conftest import LinearVExpert

    env = _env()
    model = _fixed_learner(env, [-0.3])  # the learner always acts -0.3, the expert 0.5: distance 0.8 at every state
    recorder = _logged_model(model)
    expert = QuadraticQExpert(env.observation_space, env.action_space, action=0.5)
    model.learn(64, callback=ExpertActionDistanceCallback(expert=expert))
    assert recorder.values["rollout/expert_action_distance"] == pytest.approx([0.8], abs=1e-6)

    def two_dims():
        env = CountEnv(terminate_at=5)
        env.action_space = gym.spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
        return Monitor(env)

    plane = DummyVecEnv([two_dims] * 2)
    model = _fixed_learner(plane, [0.2, 0.1])  # the expert acts (0.5, 0.5): offsets (0.3, 0.4), Euclidean distance 0.5
    recorder = _logged_model(model)
    expert = QuadraticQExpert(plane.observation_space, plane.action_space, action=0.5)
    model.learn(64, callback=ExpertActionDistanceCallback(expert=expert))
    assert recorder.values["rollout/expert_action_distance"] == pytest.approx([0.5], abs=1e-6)
    discrete = DummyVecEnv([lambda: Monitor(CountEnv(terminate_at=5, discrete=True))] * 2)
    for learner_bias, agreement in (([-5.0, 5.0], 1.0), ([5.0, -5.0], 0.0)):  # the learner acts 1, then 0; the expert 1
        model = _fixed_learner(discrete, learner_bias)
        recorder = _logged_model(model)
        expert = LinearVExpert(discrete.observation_space, discrete.action_space, action=1)
        model.learn(64, callback=ExpertActionDistanceCallback(expert=expert))
        assert recorder.values["rollout/expert_action_agreement"] == [agreement]

    def multi_discrete():
        env = CountEnv(terminate_at=5)
        env.action_space = gym.spaces.MultiDiscrete([2, 2])
        return Monitor(env)

    multi = DummyVecEnv([multi_discrete] * 2)
    # the expert acts [0, 0]; a learner acting [0, 1] agrees on one component of two, on no whole action
    for learner_bias, agreement in (([5.0, -5.0, 5.0, -5.0], 1.0), ([5.0, -5.0, -5.0, 5.0], 0.0)):
        model = _fixed_learner(multi, learner_bias)
        recorder = _logged_model(model)
        expert = LinearVExpert(multi.observation_space, multi.action_space, action=0)
        model.learn(64, callback=ExpertActionDistanceCallback(expert=expert))
        assert recorder.values["rollout/expert_action_agreement"] == [agreement]


def test_callback_input_errors():
    with pytest.raises(ValueError, match="stop_at_expert_fraction must be > 0"):
        ExpertEvalCallback(_env(1), stop_at_expert_fraction=0.0)
    model = PPO("MlpPolicy", _env(), **TINY)
    with pytest.raises(ValueError, match="has no expert"):
        model.learn(64, callback=ExpertActionDistanceCallback())


def test_progress_bar_works():
    env = _env()
    model = PPOExpert("MlpPolicy", env, expert=QuadraticQExpert(env.observation_space, env.action_space), **TINY)
    model.learn(128, progress_bar=True)
    assert model.num_timesteps == 128


@pytest.mark.parametrize("settings", [dict(clip_obs=1.0), dict(norm_obs=False, norm_reward=True)])
@pytest.mark.parametrize("given_as", ["vec_env", "env_id"])
def test_expert_eval_callback_normalises_as_the_training_env_does(settings, given_as):
    # sync_envs_normalization copies the statistics only: the eval env's own settings must be the training env's
    env = VecNormalize(DummyVecEnv([lambda: gym.make("Pendulum-v1")]), **settings)
    expert = QuadraticQExpert(env.observation_space, env.action_space)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, **TINY)
    eval_env = DummyVecEnv([lambda: gym.make("Pendulum-v1")]) if given_as == "vec_env" else "Pendulum-v1"
    callback = ExpertEvalCallback(eval_env, n_eval_episodes=1, eval_freq=32, verbose=0)
    model.learn(32, callback=callback)
    made = callback.eval_env
    assert isinstance(made, VecNormalize) and not made.training and not made.norm_reward
    assert made.clip_obs == settings.get("clip_obs", 10.0) and made.norm_obs == settings.get("norm_obs", True)


def test_atomic_checkpoints_have_an_ordinary_files_mode_and_keep_an_off_policy_replay_buffer(tmp_path):
    import os
    import stat

    from stable_baselines3 import SAC

    from sb3_aggrevated.callbacks import AtomicCheckpointCallback

    model = SAC("MlpPolicy", "Pendulum-v1", buffer_size=200, learning_starts=10, policy_kwargs=dict(net_arch=[8]))
    old_mask = os.umask(0o022)
    try:
        model.learn(40, callback=AtomicCheckpointCallback(save_freq=20, save_path=str(tmp_path), save_replay_buffer=True))
    finally:
        os.umask(old_mask)
    model_zip, buffer = tmp_path / "rl_model_40_steps.zip", tmp_path / "rl_model_replay_buffer_40_steps.pkl"
    assert stat.S_IMODE(model_zip.stat().st_mode) == 0o644  # as SB3's CheckpointCallback writes them (mkstemp: 0600)
    assert buffer.is_file()  # an off-policy model's replay buffer, as SB3's CheckpointCallback saves it
    model.load_replay_buffer(buffer)
    assert model.replay_buffer.size() == 40


class _NoisyStepEnv(gym.Env):
    """A random start (from the episode's seed) and a step that draws from the env's generator too (as LunarLander's
    engines do); the episode lasts 2 steps for action > 0, 5 otherwise."""

    def __init__(self):
        self.observation_space = gym.spaces.Box(-10.0, 10.0, (1,), dtype=np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t, self.start = 0, float(self.np_random.uniform(-1.0, 1.0))
        return np.array([self.start], dtype=np.float32), {}

    def step(self, action):
        self.t += 1
        self.np_random.uniform()  # the step's own draw
        end = 2 if float(np.asarray(action).reshape(-1)[0]) > 0 else 5
        reward = self.start if self.t == 1 else 0.0  # an episode's return is its start
        return np.array([self.start], dtype=np.float32), reward, self.t >= end, False, {}


def test_every_evaluation_episode_is_seeded_so_policies_of_different_lengths_play_the_same_episodes():
    from stable_baselines3.common.env_util import make_vec_env

    from sb3_aggrevated.callbacks import EpisodeSeeds

    def mean_return(action, wrapper):
        env = make_vec_env(_NoisyStepEnv, n_envs=1, wrapper_class=wrapper)
        expert = QuadraticQExpert(env.observation_space, env.action_space, action=action)
        return evaluate_expert(expert, env, n_eval_episodes=4, seed=7)[0]

    # a policy whose episodes last 2 steps and one whose last 5 play the same four episodes
    assert mean_return(0.5, EpisodeSeeds) == pytest.approx(mean_return(-0.5, EpisodeSeeds))
    assert mean_return(0.5, None) != pytest.approx(mean_return(-0.5, None))  # seeded once: not after the first
    # the wrapper's episodes are episode i from seed 7 + i, whatever came before
    env = EpisodeSeeds(_NoisyStepEnv())
    firsts = [env.reset(seed=7)[0][0], env.reset()[0][0], env.reset()[0][0]]
    assert firsts == [_NoisyStepEnv().reset(seed=s)[0][0] for s in (7, 8, 9)]
    given = []  # a reset's options reach the env
    env.env.reset = lambda seed=None, options=None: given.append(options) or (np.zeros(1, dtype=np.float32), {})
    env.reset(options={"low": 0.1})
    assert given == [{"low": 0.1}]


def test_expert_action_distance_gives_a_plain_ppo_learners_expert_the_envs_own_states():
    # PPO's buffer keeps the observations VecNormalize gave it, each normalised with the statistics of its own step:
    # the expert is asked about the env's own states (CountEnv: the step counts 0-4), read as the rollout goes
    from tests.conftest import LinearVExpert

    env = VecNormalize(_env())
    model = PPO("MlpPolicy", env, n_steps=32, batch_size=32, n_epochs=1, policy_kwargs=dict(net_arch=[8]), seed=0)
    expert = LinearVExpert(env.observation_space, env.action_space)
    model.learn(128, callback=ExpertActionDistanceCallback(expert=expert))
    seen = np.concatenate([s.reshape(-1) for s in expert.seen])
    assert len(seen) == 2 * 32 * 2 and set(np.round(seen, 6).tolist()) == {0.0, 1.0, 2.0, 3.0, 4.0}


def test_expert_eval_callback_names_a_misspelled_keyword_with_the_closest_one():
    model = PPO("MlpPolicy", _env(1), **TINY)
    with pytest.raises(TypeError, match="ExpertEvalCallback: 'stop_at_expert_frac' \\(did you mean 'stop_at_expert_fraction'"):
        ExpertEvalCallback("Pendulum-v1", expert=model, stop_at_expert_frac=1.0)
    with pytest.raises(TypeError, match="'n_eval_episode' \\(did you mean 'n_eval_episodes'"):
        ExpertEvalCallback("Pendulum-v1", expert=model, n_eval_episode=3)
    # EvalCallback's own keywords pass through
    assert ExpertEvalCallback("Pendulum-v1", expert=model, warn=False, callback_after_eval=None).warn is False


def test_expert_eval_callback_honours_a_stop_of_its_child_callbacks_and_saves_statistics_only_with_a_best(tmp_path):
    from stable_baselines3.common.callbacks import StopTrainingOnRewardThreshold

    model = PPO("MlpPolicy", _env(), **TINY)
    expert = QuadraticQExpert(model.observation_space, model.action_space)
    stop = StopTrainingOnRewardThreshold(reward_threshold=-np.inf, verbose=0)  # stops at the first new best
    evaluation = dict(n_eval_episodes=1, eval_freq=16, callback_on_new_best=stop, verbose=0)
    model.learn(640, callback=ExpertEvalCallback(_env(1), expert=expert, **evaluation))
    assert model.num_timesteps == 32
    env = VecNormalize(_env())
    learner = PPOExpert("TanhMlpPolicy", env, expert=QuadraticQExpert(env.observation_space, env.action_space), **TINY)
    never_best = ExpertEvalCallback(_env(1), n_eval_episodes=1, eval_freq=32, best_model_save_path=str(tmp_path), verbose=0)
    never_best.best_mean_reward = np.inf  # no evaluation beats it: neither the model nor its statistics are written
    learner.learn(64, callback=never_best)
    assert not (tmp_path / "best_model.zip").exists() and not (tmp_path / "vecnormalize.pkl").exists()


def test_action_distance_scores_each_state_with_its_own_action_and_caps_the_states():
    # plain PPO under VecNormalize: the expert sees the raw states in the rollout's order (s_t, not s_t+1)
    env = VecNormalize(_env())
    model = PPO("MlpPolicy", env, **TINY)
    expert = LinearVExpert(env.observation_space, env.action_space)
    model.learn(64, callback=ExpertActionDistanceCallback(expert=expert))
    assert expert.seen[0].reshape(32, 2)[:10, 0].tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]

    # the expert is asked for its deterministic action, as the learner's is its mean
    class Spy(LinearVExpert):
        flags: list = []

        def predict(self, obs, deterministic=True):
            self.flags.append(deterministic)
            return super().predict(obs, deterministic)

    spy = Spy(env.observation_space, env.action_space)
    PPO("MlpPolicy", VecNormalize(_env()), **TINY).learn(32, callback=ExpertActionDistanceCallback(expert=spy))
    assert spy.flags == [True]
    # PPOExpert with fewer states scored than the rollout holds
    plain = _env()
    learner = PPOExpert("TanhMlpPolicy", plain, expert=QuadraticQExpert(plain.observation_space, plain.action_space), **TINY)
    learner.learn(64, callback=ExpertActionDistanceCallback(max_states=10))
