import os
import pickle
import shutil
import zipfile

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import PPO

from sb3_aggrevated.experts import SB3Expert, check_expert, load_expert
from sb3_aggrevated.safe_pickle import UnsafePickleError, safe_loads
from tests.conftest import LinearVExpert, expert_path

# (folder algo, folder env, env to run, kind)
SHARED = [
    ("ppo", "BipedalWalkerHardcore-v3", "BipedalWalkerHardcore-v3", "v"),
    ("ppo", "BipedalWalker-v3", "BipedalWalker-v3", "v"),
    ("dqn", "LunarLander-v2", "LunarLander-v3", "q"),
    ("ppo", "LunarLander-v2", "LunarLander-v3", "v"),
    ("ppo", "LunarLanderContinuous-v2", "LunarLanderContinuous-v3", "v"),
    ("sac", "Pendulum-v1", "Pendulum-v1", "q"),
    ("ddpg", "Pendulum-v1", "Pendulum-v1", "q"),
    ("dqn", "CartPole-v1", "CartPole-v1", "q"),
    ("ppo", "CartPole-v1", "CartPole-v1", "v"),
]


@pytest.mark.parametrize("algo, folder_env, env_id, kind", SHARED)
def test_every_shared_expert_loads_and_gives_finite_values(experts, algo, folder_env, env_id, kind):
    env = gym.make(env_id)
    expert = load_expert(expert_path(experts, algo, folder_env), env)
    assert expert.kind == kind
    obs = np.stack([env.reset(seed=i)[0] for i in range(4)] + [env.observation_space.sample() * 0.1 for _ in range(4)])
    actions = expert.predict(obs)
    assert actions.shape == (8, *env.action_space.shape)
    # the lean batched predict gives what SB3's policy.predict gives
    normalized = expert.obs_normalizer(obs) if expert.obs_normalizer is not None else obs
    np.testing.assert_allclose(actions, expert.policy.predict(normalized, deterministic=True)[0], rtol=1e-6)
    assert all(env.action_space.contains(np.asarray(a, dtype=env.action_space.dtype)) for a in actions)
    values = expert.value(obs)
    assert values.shape == (8,) and np.isfinite(values).all()
    if kind == "q":
        q = expert.q_value(obs, actions)
        assert q.shape == (8,) and np.isfinite(q).all()
        # the value is Q at the expert's own (deterministic) action
        np.testing.assert_allclose(q, values, rtol=1e-4, atol=1e-4)


def test_v_expert_value_in_reward_units(experts):
    # BipedalWalker's PPO expert was trained with VecNormalize reward scaling: its value head predicts
    # values divided by sqrt(ret_rms.var + eps) (about 13.2, see shared/experts/README.md)
    expert = load_expert(expert_path(experts, "ppo", "BipedalWalker-v3"), gym.make("BipedalWalker-v3"))
    assert expert.value_scale == pytest.approx(13.2, rel=0.01)
    obs = np.stack([gym.make("BipedalWalker-v3").reset(seed=i)[0] for i in range(3)])
    raw_head = (
        expert.policy.predict_values(expert.policy.obs_to_tensor(expert.obs_normalizer(obs))[0]).detach().numpy().ravel()
    )
    np.testing.assert_allclose(expert.value(obs), raw_head * expert.value_scale, rtol=1e-5)


def test_expert_normalizes_raw_observations_itself(experts):
    expert = load_expert(expert_path(experts, "ppo", "BipedalWalker-v3"), gym.make("BipedalWalker-v3"))
    obs = np.stack([gym.make("BipedalWalker-v3").reset(seed=i)[0] for i in range(3)])
    normalized = expert.obs_normalizer(obs)
    assert not np.allclose(normalized, obs)
    direct, _ = expert.policy.predict(normalized, deterministic=True)
    np.testing.assert_allclose(expert.predict(obs), direct)


def test_space_mismatch_names_both(experts):
    with pytest.raises(ValueError, match=r"observation space Box.*does not match the env's observation space Box"):
        load_expert(expert_path(experts, "sac", "Pendulum-v1"), gym.make("LunarLanderContinuous-v3"))
    with pytest.raises(ValueError, match="discrete action space.*continuous one"):
        load_expert(expert_path(experts, "dqn", "CartPole-v1"), _cartpole_like_box())


def _cartpole_like_box():
    class Env(gym.Env):
        observation_space = gym.make("CartPole-v1").observation_space
        action_space = gym.spaces.Box(-1, 1, (1,))

    return Env()


def test_missing_expert_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="load_from_hub"):
        load_expert(tmp_path / "nope" / "model.zip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="No model zip"):
        load_expert(tmp_path / "empty")


def test_expert_trained_with_normalize_needs_its_vecnormalize(experts, tmp_path):
    dst = tmp_path / "ppo" / "BipedalWalker-v3_1"
    shutil.copytree(expert_path(experts, "ppo", "BipedalWalker-v3"), dst)
    (dst / "BipedalWalker-v3" / "vecnormalize.pkl").unlink()
    with pytest.raises(FileNotFoundError, match="trained with VecNormalize.*vecnormalize.pkl"):
        load_expert(dst, gym.make("BipedalWalker-v3"))


def test_references_resolve_env_var_folder_then_path(experts, monkeypatch, tmp_path):
    monkeypatch.setenv("SB3_AGGREVATED_EXPERTS", str(experts))
    # a Hub id maps to ALGO/ENV_N in the folder
    expert = load_expert("sb3/sac-Pendulum-v1", gym.make("Pendulum-v1"))
    assert expert.kind == "q" and "sac/Pendulum-v1_1" in expert.name
    monkeypatch.setenv("SB3_AGGREVATED_EXPERTS", str(tmp_path))
    assert load_expert(str(expert_path(experts, "sac", "Pendulum-v1")), gym.make("Pendulum-v1")).kind == "q"

    # a path shaped like a Hub id (ORG/ALGO-ENV) names no algorithm: the zip does, wherever the path is found
    (tmp_path / "mine").mkdir()
    shutil.copy(expert_path(experts, "sac", "Pendulum-v1") / "Pendulum-v1.zip", tmp_path / "mine" / "ppo-vs-sac.zip")
    monkeypatch.chdir(tmp_path)
    for ref in ("mine/ppo-vs-sac.zip", str(tmp_path / "mine" / "ppo-vs-sac.zip")):
        assert load_expert(ref, gym.make("Pendulum-v1")).kind == "q", ref
    monkeypatch.delenv("SB3_AGGREVATED_EXPERTS")
    assert load_expert("mine/ppo-vs-sac.zip", gym.make("Pendulum-v1")).kind == "q"


def test_missing_reference_names_every_place_looked(monkeypatch, tmp_path):
    monkeypatch.setenv("SB3_AGGREVATED_EXPERTS", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(FileNotFoundError) as info:
        load_expert("sb3/sac-Pendulum-v1")
    message = str(info.value)
    for part in ("SB3_AGGREVATED_EXPERTS", "sac/Pendulum-v1_1", "the path", "Hugging Face Hub", "load_from_hub"):
        assert part in message


def test_corrupt_zip(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable SB3 model zip"):
        load_expert(bad)


def test_model_object_and_own_expert():
    env = gym.make("Pendulum-v1")
    model = PPO("MlpPolicy", env, policy_kwargs=dict(net_arch=[8]), seed=0)
    expert = load_expert(model, env)
    assert isinstance(expert, SB3Expert) and expert.kind == "v"
    own = LinearVExpert(env.observation_space, env.action_space)
    assert load_expert(own, env) is own


def test_expert_kind_that_cannot_give_advantages():
    class NoCritic(LinearVExpert):
        kind = "policy-only"

    env = gym.make("Pendulum-v1")
    with pytest.raises(ValueError, match="must be 'q'"):
        check_expert(NoCritic(env.observation_space, env.action_space))
    with pytest.raises(ValueError, match="not an Expert"):
        load_expert(object(), env)
    with pytest.raises(ValueError, match="cannot give advantages"):
        from sb3_aggrevated.experts import _algo_class

        _algo_class("ars")


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_restricted_unpickler_refuses_code(tmp_path):
    with pytest.raises(UnsafePickleError, match="not on the allow-list"):
        safe_loads(pickle.dumps(_Evil()))
    # the usual content of such files passes
    assert safe_loads(pickle.dumps({"a": np.arange(3), "s": gym.spaces.Box(-1, 1, (2,))}))["a"].tolist() == [0, 1, 2]


class _Calls:
    """A pickle that calls ``function(*args)`` when loaded (pickle names the function by module and name)."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return (self.function, self.args)


def _dangerous_pickles(target):
    import builtins
    import subprocess

    from stable_baselines3.common.utils import set_random_seed

    from sb3_aggrevated.callbacks import atomic_write

    return {
        # functions inside the allowed packages: only their classes of the allowed kinds may be named
        "sb3_aggrevated.callbacks.atomic_write": _Calls(atomic_write, str(target), b"x"),
        "stable_baselines3.common.utils.set_random_seed": _Calls(set_random_seed, 0),
        "builtins.getattr": _Calls(builtins.getattr, object, "__subclasses__"),
        "builtins.eval": _Calls(builtins.eval, f"open({str(target)!r}, 'w')"),
        "builtins.exec": _Calls(builtins.exec, f"open({str(target)!r}, 'w')"),
        "builtins.__import__": _Calls(builtins.__import__, "os"),
        "builtins.open": _Calls(builtins.open, str(target), "w"),
        "os.system": _Calls(os.system, f"touch {target}"),
        "subprocess.Popen": _Calls(subprocess.Popen, ["touch", str(target)]),
    }


def test_restricted_unpickler_refuses_every_call_outside_its_allow_list(tmp_path):
    target = tmp_path / "PWNED"
    for name, payload in _dangerous_pickles(target).items():
        data = pickle.dumps(payload)
        with pytest.raises(UnsafePickleError, match="not on the allow-list|cannot be imported"):
            safe_loads(data)
        assert not target.exists(), name


def test_an_expert_models_vecnormalize_file_is_read_restricted(tmp_path, monkeypatch):
    # load_expert(model, vec_normalize=path): the statistics file is untrusted unless trusted=True
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / "vecnormalize.pkl"
    evil.write_bytes(pickle.dumps(_Evil()))
    model = PPO("MlpPolicy", "Pendulum-v1", policy_kwargs={"net_arch": [8]}, n_steps=64, batch_size=32, seed=0)
    with pytest.raises(UnsafePickleError):
        load_expert(model, vec_normalize=evil)
    assert not (tmp_path / "PWNED").exists()


def test_malicious_vecnormalize_and_zip_execute_nothing(experts, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = expert_path(experts, "ppo", "BipedalWalker-v3")
    dst = tmp_path / "ppo" / "BipedalWalker-v3_1"
    shutil.copytree(src, dst)
    (dst / "BipedalWalker-v3" / "vecnormalize.pkl").write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(UnsafePickleError):
        load_expert(dst, gym.make("BipedalWalker-v3"))
    assert not (tmp_path / "PWNED").exists()
    # a zip whose pickled policy_kwargs would run a command
    import base64
    import json

    zpath = dst / "BipedalWalker-v3.zip"
    with zipfile.ZipFile(zpath) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    data = json.loads(members["data"])
    data["policy_kwargs"] = {":type:": "<class 'dict'>", ":serialized:": base64.b64encode(pickle.dumps(_Evil())).decode()}
    members["data"] = json.dumps(data).encode()
    with zipfile.ZipFile(zpath, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    shutil.copy(src / "BipedalWalker-v3" / "vecnormalize.pkl", dst / "BipedalWalker-v3" / "vecnormalize.pkl")
    with pytest.raises(UnsafePickleError):
        load_expert(dst, gym.make("BipedalWalker-v3"))
    assert not (tmp_path / "PWNED").exists()


def test_trusted_opt_in_loads_the_ordinary_way(experts):
    # old gym pickles load through a temporary gym -> gymnasium alias, which is gone afterwards
    import sys

    expert = load_expert(expert_path(experts, "sac", "Pendulum-v1"), gym.make("Pendulum-v1"), trusted=True)
    assert expert.kind == "q" and "gym" not in sys.modules
    obs = np.stack([gym.make("Pendulum-v1").reset(seed=0)[0]])
    safe = load_expert(expert_path(experts, "sac", "Pendulum-v1"), gym.make("Pendulum-v1"))
    np.testing.assert_allclose(expert.value(obs), safe.value(obs), rtol=1e-6)


@pytest.mark.parametrize(
    "algo, env_id, kwargs, fast",
    [
        ("PPO", "Pendulum-v1", {}, True),
        ("PPO", "CartPole-v1", {}, True),
        ("A2C", "Pendulum-v1", {}, True),
        ("SAC", "Pendulum-v1", {}, True),
        ("TQC", "Pendulum-v1", {}, True),
        ("TD3", "Pendulum-v1", {}, False),  # its actor is already a plain network
        ("PPO", "Pendulum-v1", {"use_sde": True}, True),
        ("PPO", "Pendulum-v1", {"use_sde": True, "policy_kwargs": {"net_arch": [16], "squash_output": True}}, True),
        ("SAC", "Pendulum-v1", {"use_sde": True}, True),  # as the RL Zoo's Pendulum expert
    ],
)
def test_lean_deterministic_actions_equal_sb3s(algo, env_id, kwargs, fast):
    import sb3_contrib
    import stable_baselines3
    import torch as th

    cls = getattr(stable_baselines3, algo, None) or getattr(sb3_contrib, algo)
    kwargs = {"policy_kwargs": {"net_arch": [16]}, **kwargs}
    model = cls("MlpPolicy", env_id, seed=0, device="cpu", **kwargs)
    expert = SB3Expert(model)
    env = gym.make(env_id)
    obs = np.stack([env.observation_space.sample() for _ in range(6)]).astype(np.float32)
    with th.no_grad():
        lean = expert._deterministic_actions(th.as_tensor(obs))
        full = model.policy._predict(th.as_tensor(obs), deterministic=True)
    assert (lean is not None) == fast
    if fast:
        np.testing.assert_allclose(lean.numpy(), full.numpy(), rtol=1e-6)
    # and predict (which takes the lean path where there is one) gives SB3's actions in the env's units
    np.testing.assert_allclose(expert.predict(obs), model.policy.predict(obs, deterministic=True)[0], rtol=1e-6)


def test_a_ppo_expert_run_folder_is_an_expert(tmp_path):
    # what rl_zoo3 writes for --algo ppo_expert: logs/ppo_expert/ENV_1/ENV.zip (saved by PPOExpert, policy module ppo's)
    from sb3_aggrevated import PPOExpert

    teacher = LinearVExpert(gym.make("Pendulum-v1").observation_space, gym.make("Pendulum-v1").action_space)
    model = PPOExpert("TanhMlpPolicy", "Pendulum-v1", expert=teacher, n_steps=64, batch_size=64, n_epochs=1,
                      policy_kwargs=dict(net_arch=[8]))  # fmt: skip
    run = tmp_path / "ppo_expert" / "Pendulum-v1_1"
    run.mkdir(parents=True)
    model.save(run / "Pendulum-v1.zip")
    expert = load_expert(run, gym.make("Pendulum-v1"))
    assert expert.kind == "v" and expert.value(np.zeros((2, 3), dtype=np.float32)).shape == (2,)


def test_ddpg_zip_is_told_from_td3_without_a_folder(tmp_path):
    from stable_baselines3 import DDPG, TD3

    for algo_cls, name in ((DDPG, "DDPG"), (TD3, "TD3")):
        algo_cls("MlpPolicy", "Pendulum-v1", policy_kwargs=dict(net_arch=[8]), buffer_size=100).save(tmp_path / name)
        assert type(load_expert(tmp_path / f"{name}.zip").model).__name__ == name


def test_frame_stacked_statistics_are_refused_by_name():
    from sb3_aggrevated.experts import ObsNormalizer

    model = PPO("MlpPolicy", "Pendulum-v1", policy_kwargs=dict(net_arch=[8]))
    one_frame_of_two = ObsNormalizer(np.zeros(3), np.ones(3), 10.0, 1e-8)  # the model's observations are (3,) here
    SB3Expert(model, one_frame_of_two)
    with pytest.raises(ValueError, match=r"statistics have shape \(2,\) but its observations \(3,\).*frame_stack"):
        SB3Expert(model, ObsNormalizer(np.zeros(2), np.ones(2), 10.0, 1e-8))


@pytest.mark.parametrize(
    "expert_space, env_space",
    [
        (gym.spaces.MultiDiscrete([3, 3]), gym.spaces.MultiDiscrete([5, 5])),
        (gym.spaces.MultiDiscrete([3, 3]), gym.spaces.MultiDiscrete([3, 3, 3])),
        (gym.spaces.MultiBinary(2), gym.spaces.MultiBinary(4)),
    ],
)
def test_check_spaces_compares_multi_discrete_and_binary_actions(expert_space, env_space):
    from types import SimpleNamespace

    from sb3_aggrevated.experts import check_spaces

    obs = gym.spaces.Box(-1, 1, (3,))
    check_spaces(SimpleNamespace(observation_space=obs, action_space=expert_space), obs, expert_space)
    with pytest.raises(ValueError, match="action space"):
        check_spaces(SimpleNamespace(observation_space=obs, action_space=expert_space), obs, env_space)


def test_check_spaces_compares_box_action_bounds():
    # an expert acting in [-2, 2] on an env acting in [-1, 1]: the same shape, another space
    from types import SimpleNamespace

    from sb3_aggrevated.experts import check_spaces

    obs = gym.spaces.Box(-1, 1, (3,))
    narrow, wide = gym.spaces.Box(-1, 1, (1,)), gym.spaces.Box(-2, 2, (1,))
    check_spaces(SimpleNamespace(observation_space=obs, action_space=narrow), obs, gym.spaces.Box(-1, 1, (1,)))
    with pytest.raises(ValueError, match=r"action space .*bounds .*does not match the env's action space"):
        check_spaces(SimpleNamespace(observation_space=obs, action_space=wide), obs, narrow)
    with pytest.raises(ValueError, match="does not match"):
        check_spaces(SimpleNamespace(observation_space=obs, action_space=gym.spaces.Box(-1, 2, (1,))), obs, narrow)


def test_check_spaces_refuses_image_observations_against_float_ones():
    from types import SimpleNamespace

    from sb3_aggrevated.experts import check_spaces

    image, floats = gym.spaces.Box(0, 255, (4, 4, 1), np.uint8), gym.spaces.Box(0, 255, (4, 4, 1), np.float32)
    act = gym.spaces.Discrete(2)
    with pytest.raises(ValueError, match="observations are uint8 but the env's are float32"):
        check_spaces(SimpleNamespace(observation_space=image, action_space=act), floats, act)
    check_spaces(SimpleNamespace(observation_space=floats, action_space=act), floats.__class__(0, 255, (4, 4, 1)), act)


def _tiny_ppo_with_statistics(folder, shift: float):
    """A tiny PPO on Pendulum and VecNormalize statistics whose observation mean is ``shift`` (so they matter)."""
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    env = VecNormalize(make_vec_env("Pendulum-v1", n_envs=1, seed=0))
    env.obs_rms.mean[:] = shift
    model = PPO("MlpPolicy", env, n_steps=64, policy_kwargs=dict(net_arch=[8]), seed=0)
    return model, env


def test_best_model_and_checkpoints_of_a_zoo_run_find_the_runs_statistics(tmp_path):
    # rl_zoo3 keeps config.yml and vecnormalize.pkl in ENV_1/ENV/ for its final model, its best_model.zip and its
    # rl_model_N_steps.zip checkpoints alike; SB3's CheckpointCallback(save_vecnormalize=True) saves each checkpoint's
    # own statistics beside it
    import yaml

    run = tmp_path / "ppo" / "Pendulum-v1_1"
    (run / "Pendulum-v1").mkdir(parents=True)
    model, env = _tiny_ppo_with_statistics(run, shift=3.0)
    for name in ("Pendulum-v1", "best_model", "rl_model_64_steps", "rl_model_128_steps"):
        model.save(run / f"{name}.zip")
    env.save(run / "Pendulum-v1" / "vecnormalize.pkl")
    env.obs_rms.mean[:] = -3.0
    env.save(run / "rl_model_vecnormalize_128_steps.pkl")
    (run / "Pendulum-v1" / "config.yml").write_text(yaml.dump({"normalize": True}))
    pendulum = gym.make("Pendulum-v1")
    obs = pendulum.reset(seed=0)[0][None]
    final = load_expert(run / "Pendulum-v1.zip", pendulum)
    for name in ("best_model", "rl_model_64_steps"):
        other = load_expert(run / f"{name}.zip", pendulum)
        assert other.obs_normalizer is not None, name
        np.testing.assert_allclose(other.obs_normalizer(obs), final.obs_normalizer(obs))
    own = load_expert(run / "rl_model_128_steps.zip", pendulum).obs_normalizer
    np.testing.assert_allclose(own(obs), np.clip((obs + 3.0) / np.sqrt(1.0 + 1e-8), -10, 10), rtol=1e-5)
    # without the run's statistics, its config refuses them all (it says normalize: true), naming where it looked
    (run / "Pendulum-v1" / "vecnormalize.pkl").unlink()
    with pytest.raises(FileNotFoundError, match=r"normalize: true in .*Pendulum-v1_1/Pendulum-v1/config.yml"):
        load_expert(run / "best_model.zip", pendulum)


def test_a_hub_id_maps_to_the_latest_run_that_holds_its_model(tmp_path, monkeypatch):
    from sb3_aggrevated.experts import resolve_expert_source

    monkeypatch.setenv("SB3_AGGREVATED_EXPERTS", str(tmp_path))
    finished, training = tmp_path / "ppo" / "Pendulum-v1_1", tmp_path / "ppo" / "Pendulum-v1_2"
    training.mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="No model zip in the expert folder .*Pendulum-v1_2"):
        load_expert("sb3/ppo-Pendulum-v1")  # no run holds a model yet: the latest is named
    finished.mkdir()
    model, _ = _tiny_ppo_with_statistics(finished, shift=0.0)
    model.save(finished / "Pendulum-v1.zip")
    model.save(training / "rl_model_64_steps.zip")  # a run still training: a checkpoint, not its model
    assert resolve_expert_source("sb3/ppo-Pendulum-v1") == (finished, "ppo")
    for number in (9, 10):  # later finished runs: the latest by number (10 after 9, not after 1 as text sorts)
        (tmp_path / "ppo" / f"Pendulum-v1_{number}").mkdir()
        model.save(tmp_path / "ppo" / f"Pendulum-v1_{number}" / "Pendulum-v1.zip")
    assert resolve_expert_source("sb3/ppo-Pendulum-v1") == (tmp_path / "ppo" / "Pendulum-v1_10", "ppo")


def test_zoo_files_with_python_tuples_are_read_whole_and_unreadable_ones_refused(tmp_path):
    # rl_zoo3 dumps its config.yml / args.yml with yaml.dump: a tuple in -params or --env-kwargs is a !!python/tuple
    from collections import OrderedDict

    import yaml

    from sb3_aggrevated.experts import PythonTag, _zoo_config

    saved = OrderedDict(
        [
            ("normalize", True),
            ("train_freq", (1, "episode")),
            ("env_kwargs", {"g": (1.0, 2.0)}),
            ("policy_kwargs", {"activation_fn": th_relu()}),
        ]
    )
    (tmp_path / "config.yml").write_text(yaml.dump(saved))
    config = _zoo_config(tmp_path / "config.yml")
    assert config["normalize"] is True and config["train_freq"] == (1, "episode") and config["env_kwargs"] == {"g": (1.0, 2.0)}
    assert isinstance(config["policy_kwargs"]["activation_fn"], PythonTag)
    (tmp_path / "config.yml").write_text("normalize: true\nenv_kwargs: {g: [1, 2\n")
    with pytest.raises(ValueError, match=r"Could not read the RL Zoo file .*config.yml"):
        _zoo_config(tmp_path / "config.yml")


def th_relu():
    import torch as th

    return th.nn.ReLU


@pytest.mark.parametrize("algo", ["SAC", "TD3", "TQC"])
def test_continuous_critics_as_the_readme_says(algo):
    # Q*(s, a): twin heads' min (SAC, TD3), the mean over every critic's quantiles (TQC), at the action rescaled to
    # [-1, 1] (Pendulum acts in [-2, 2]); V*(s) = Q*(s, pi*(s))
    import sb3_contrib
    import stable_baselines3
    import torch as th

    cls = getattr(stable_baselines3, algo, None) or getattr(sb3_contrib, algo)
    model = cls("MlpPolicy", "Pendulum-v1", policy_kwargs={"net_arch": [16]}, seed=0, device="cpu", buffer_size=1, gamma=0.97)
    expert = SB3Expert(model)
    assert expert.gamma == 0.97  # the expert's own discount (its TD errors, where a V-expert)
    env = gym.make("Pendulum-v1")
    obs = np.stack([env.observation_space.sample() for _ in range(5)]).astype(np.float32)
    actions = np.linspace(-2.0, 2.0, 5, dtype=np.float32).reshape(5, 1)
    with th.no_grad():
        out = model.critic(th.as_tensor(obs), th.as_tensor(actions / 2.0))
        if algo == "TQC":
            assert out.dim() == 3 and out.shape[1] > 1  # (batch, n_critics, n_quantiles)
            expected = out.mean(dim=(1, 2))
        else:
            expected = th.min(th.cat(out, dim=1), dim=1).values
    np.testing.assert_allclose(expert.q_value(obs, actions), expected.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(expert.value(obs), expert.q_value(obs, expert.predict(obs)), rtol=1e-5, atol=1e-6)
    # an expert trained on VecNormalize's scaled rewards: Q* and V* both back in reward units
    scaled = SB3Expert(model, value_scale=10.0)
    np.testing.assert_allclose(scaled.q_value(obs, actions), 10.0 * expected.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scaled.value(obs), 10.0 * expert.value(obs), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("algo", ["DQN", "QRDQN"])
def test_discrete_critics_as_the_readme_says(algo):
    # Q*(s, a) the Q-network's (QR-DQN: the mean of its quantiles), V*(s) = max_a Q*(s, a)
    import sb3_contrib
    import stable_baselines3
    import torch as th

    cls = getattr(stable_baselines3, algo, None) or getattr(sb3_contrib, algo)
    model = cls("MlpPolicy", "CartPole-v1", policy_kwargs={"net_arch": [16]}, seed=0, device="cpu", buffer_size=1)
    expert = SB3Expert(model)
    obs = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    with th.no_grad():
        if algo == "QRDQN":
            table = model.policy.quantile_net(th.as_tensor(obs)).mean(dim=1).numpy()
        else:
            table = model.policy.q_net(th.as_tensor(obs)).numpy()
    actions = np.array([0, 1, 1, 0, 1, 0])
    np.testing.assert_allclose(expert.q_value(obs, actions), table[np.arange(6), actions], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(expert.value(obs), table.max(axis=1), rtol=1e-5, atol=1e-6)
    scaled = SB3Expert(model, value_scale=3.0)
    np.testing.assert_allclose(scaled.q_value(obs, actions), 3.0 * table[np.arange(6), actions], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scaled.value(obs), 3.0 * table.max(axis=1), rtol=1e-5, atol=1e-5)


def test_a_flat_folder_with_the_model_its_statistics_and_config_is_an_expert(tmp_path):
    # model.zip, vecnormalize.pkl and config.yml side by side (a Hub snapshot's layout): the statistics are found, and
    # without them a config saying normalize is refused rather than loaded unnormalised
    model, env = _tiny_ppo_with_statistics(tmp_path, shift=3.0)
    model.save(tmp_path / "model.zip")
    env.save(str(tmp_path / "vecnormalize.pkl"))
    (tmp_path / "config.yml").write_text("!!python/object/apply:collections.OrderedDict\n- - - normalize\n    - true\n")
    expert = load_expert(tmp_path / "model.zip")
    assert expert.obs_normalizer is not None and expert.obs_normalizer.mean.tolist() == [3.0, 3.0, 3.0]
    (tmp_path / "vecnormalize.pkl").unlink()
    with pytest.raises(FileNotFoundError, match="vecnormalize"):
        load_expert(tmp_path / "model.zip")
    for normalize, needs_statistics in (
        ("'dict(norm_obs=True, norm_reward=False)'", True),
        ("'false'", False),
        ("false", False),
    ):
        (tmp_path / "config.yml").write_text(f"normalize: {normalize}\n")
        if needs_statistics:  # rl_zoo3's keywords for VecNormalize: trained with it
            with pytest.raises(FileNotFoundError, match="vecnormalize"):
                load_expert(tmp_path / "model.zip")
        else:
            assert load_expert(tmp_path / "model.zip").obs_normalizer is None


def test_an_sb3_model_object_is_read_with_its_envs_statistics(tmp_path):
    # SB3 keeps a model's statistics in its env's VecNormalize, not in the model: a model object passed as the expert
    # is read with them (the RL Zoo's BipedalWalker agent read without them scored -120 instead of 304)
    from stable_baselines3.common.vec_env import VecNormalize

    model, env = _tiny_ppo_with_statistics(tmp_path, shift=3.0)
    env.obs_rms.count = 1000.0
    env.ret_rms.var[...] = 15.0
    expert = load_expert(model, gym.make("Pendulum-v1"))
    assert expert.obs_normalizer.mean.tolist() == [3.0, 3.0, 3.0]
    assert expert.value_scale == pytest.approx(np.sqrt(15.0 + env.epsilon))
    env.obs_rms.mean[:] = 5.0  # a snapshot: what updates the env's statistics later does not move the expert's
    assert expert.obs_normalizer.mean.tolist() == [3.0, 3.0, 3.0]
    # statistics given explicitly win
    other = VecNormalize(env.venv, norm_obs=True, norm_reward=False)
    other.obs_rms.mean[:] = -1.0
    assert load_expert(model, vec_normalize=other).obs_normalizer.mean.tolist() == [-1.0, -1.0, -1.0]
    # a model loaded onto a new VecNormalize env has not the statistics it was trained with: refused, not guessed
    model.set_env(VecNormalize(env.venv))
    with pytest.raises(ValueError, match="VecNormalize that has seen no observation yet.*vec_normalize=PATH"):
        load_expert(model)
    # an env without VecNormalize: no statistics
    model.set_env(env.venv)
    assert load_expert(model).obs_normalizer is None


def test_statistics_lying_beside_a_bare_zip_are_applied_with_a_warning(tmp_path):
    # SB3's docs save a learner's statistics as vec_normalize.pkl: one lying beside a bare expert zip may be another
    # model's, so applying it says so; an RL Zoo config.yml or a Hub config.json claims it, an explicit path silences it
    import warnings

    model, env = _tiny_ppo_with_statistics(tmp_path, shift=3.0)
    model.save(tmp_path / "expert.zip")
    assert load_expert(tmp_path / "expert.zip").obs_normalizer is None
    env.save(str(tmp_path / "vec_normalize.pkl"))
    with pytest.warns(UserWarning, match=r"statistics of .*vec_normalize.pkl, found beside it.*vec_normalize=PATH"):
        assert load_expert(tmp_path / "expert.zip").obs_normalizer is not None
    (tmp_path / "config.yml").write_text("normalize: false\n")
    with pytest.warns(UserWarning, match="config.yml does not say normalize: true"):
        load_expert(tmp_path / "expert.zip")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_expert(tmp_path / "expert.zip", vec_normalize=tmp_path / "vec_normalize.pkl")
        (tmp_path / "config.yml").write_text("normalize: true\n")
        load_expert(tmp_path / "expert.zip")
        (tmp_path / "config.yml").unlink()
        (tmp_path / "config.json").write_text("{}")
        load_expert(tmp_path / "expert.zip")


def test_a_zip_path_without_its_suffix_is_found_as_sb3_load_finds_it(tmp_path, monkeypatch):
    # model.save("expert") writes expert.zip, and SB3's load("expert") reads it
    monkeypatch.delenv("SB3_AGGREVATED_EXPERTS", raising=False)
    model, _ = _tiny_ppo_with_statistics(tmp_path, shift=0.0)
    model.save(tmp_path / "expert")
    assert load_expert(str(tmp_path / "expert")).name.endswith("expert.zip)")
