"""Issue 6: resume without loss, atomic checkpoints, clear errors on bad YAML keys, determinism."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch as th
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from sb3_aggrevated import PPOExpert
from sb3_aggrevated.callbacks import AtomicCheckpointCallback, atomic_write, latest_checkpoint
from sb3_aggrevated.experts import load_vec_normalize
from sb3_aggrevated.zoo import check_hyperparams
from tests.conftest import CountEnv, QuadraticQExpert, RolloutEndRecorder

ROOT = Path(__file__).resolve().parent.parent

# A training script for the resume test: PPOExpert with VecNormalize and atomic checkpoints every rollout.
TRAIN = r"""
import sys, time
sys.path.insert(0, {root!r})
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize
from sb3_aggrevated import PPOExpert
from sb3_aggrevated.callbacks import AtomicCheckpointCallback
from tests.conftest import CountEnv, QuadraticQExpert

class Slow(AtomicCheckpointCallback):
    def _on_step(self):
        time.sleep({sleep})
        return super()._on_step()

env = VecNormalize(DummyVecEnv([lambda: CountEnv(terminate_at=7)] * 2))
model = PPOExpert("MlpPolicy", env, expert=QuadraticQExpert(env.observation_space, env.action_space), n_steps=32,
                  batch_size=32, n_epochs=1, policy_kwargs=dict(net_arch=[8]), beta=0.5, beta_decay=0.5, seed=0)
model.learn({total}, callback=Slow(save_freq=32, save_path={ckpt!r}, save_vecnormalize=True))
model.save({ckpt!r} + "/final.zip")
"""


def _params(model):
    return {k: v.clone() for k, v in model.policy.state_dict().items()}


def test_resume_after_kill_continues_schedules_counts_and_statistics(tmp_path):
    total = 64 * 8  # 8 rollouts of 32 steps x 2 envs
    # uninterrupted reference
    ref_dir = tmp_path / "ref"
    subprocess.run(
        [sys.executable, "-c", TRAIN.format(root=str(ROOT), sleep=0, total=total, ckpt=str(ref_dir))], check=True, timeout=300
    )
    # interrupted: killed (SIGKILL) once the 3rd checkpoint exists
    ckpt = tmp_path / "ckpt"
    proc = subprocess.Popen([sys.executable, "-c", TRAIN.format(root=str(ROOT), sleep=0.01, total=total, ckpt=str(ckpt))])
    deadline = time.time() + 240
    while time.time() < deadline and not (ckpt / "rl_model_192_steps.zip").exists():
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (ckpt / "final.zip").exists()
    model_path, vec_path = latest_checkpoint(ckpt)
    assert vec_path is not None
    stepped = int(Path(model_path).stem.split("_")[2])
    assert 192 <= stepped < total

    # resume: VecNormalize statistics, expert given back, schedules and step counts continue
    env = load_vec_normalize(vec_path)
    env.set_venv(DummyVecEnv([lambda: CountEnv(terminate_at=7)] * 2))
    expert = QuadraticQExpert(env.observation_space, env.action_space)
    resumed = PPOExpert.load(model_path, env=env, expert=expert)
    assert resumed.num_timesteps == stepped and resumed._n_rollouts == stepped // 64
    assert resumed._beta_fn(resumed._n_rollouts) == 0.5 * 0.5 ** (stepped // 64)
    count_before = env.obs_rms.count
    resumed.learn(total - stepped, reset_num_timesteps=False)

    reference = PPOExpert.load(ref_dir / "final.zip")
    ref_vec = load_vec_normalize(ref_dir / f"rl_model_vecnormalize_{total}_steps.pkl")
    assert resumed.num_timesteps == reference.num_timesteps == total  # no step counted twice
    assert resumed._n_rollouts == reference._n_rollouts == 8
    assert resumed._n_updates == reference._n_updates
    # SB3's progress schedules (learning rate, clip range) end where the uninterrupted run's ended
    assert resumed._total_timesteps == reference._total_timesteps == total
    assert resumed._current_progress_remaining == pytest.approx(reference._current_progress_remaining)
    # statistics continued from the checkpoint: the observations of the uninterrupted run, plus the 2 reset
    # observations of the resume (the killed process's episodes are gone, the envs start new ones)
    assert env.obs_rms.count == pytest.approx(ref_vec.obs_rms.count + 2)
    assert env.obs_rms.count > count_before


def test_atomic_write_never_leaves_a_truncated_file(tmp_path, monkeypatch):
    path = tmp_path / "model.zip"
    atomic_write(path, b"old content")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        atomic_write(path, b"new content that never lands")
    assert path.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["model.zip"]  # no temporary file left behind


@pytest.mark.parametrize("platform", ["no file modes", "no os.fchmod"])
def test_atomic_write_where_files_have_no_unix_modes(tmp_path, monkeypatch, platform):
    # vfat / exFAT / some CIFS mounts refuse fchmod; Windows before Python 3.13 has none: the write still lands, and
    # the temporary file's descriptor is closed
    if platform == "no os.fchmod":
        monkeypatch.delattr(os, "fchmod")
    else:

        def refuse(*args):
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr(os, "fchmod", refuse)
    open_before = len(os.listdir("/proc/self/fd"))
    atomic_write(tmp_path / "data.pkl", b"content")
    assert (tmp_path / "data.pkl").read_bytes() == b"content"
    assert [p.name for p in tmp_path.iterdir()] == ["data.pkl"] and len(os.listdir("/proc/self/fd")) == open_before


def test_latest_checkpoint_passes_over_what_sb3s_callback_left_half_written(tmp_path):
    # SB3's CheckpointCallback writes the zip in place, then its statistics: a run killed meanwhile leaves a truncated
    # newest zip, or one without statistics
    from stable_baselines3.common.callbacks import CheckpointCallback

    env = VecNormalize(DummyVecEnv([lambda: CountEnv()] * 2))
    model = PPOExpert("MlpPolicy", env, n_steps=32, batch_size=32, n_epochs=1, policy_kwargs=dict(net_arch=[8]), seed=0)
    model.learn(192, callback=CheckpointCallback(save_freq=32, save_path=str(tmp_path), save_vecnormalize=True))
    assert latest_checkpoint(tmp_path)[0].endswith("rl_model_192_steps.zip")
    (tmp_path / "rl_model_vecnormalize_192_steps.pkl").unlink()  # killed between the zip and its statistics
    assert latest_checkpoint(tmp_path)[0].endswith("rl_model_128_steps.zip")
    whole = (tmp_path / "rl_model_128_steps.zip").read_bytes()
    (tmp_path / "rl_model_128_steps.zip").write_bytes(whole[: len(whole) * 2 // 3])  # killed while writing the zip
    model_path, vec_path = latest_checkpoint(tmp_path)
    assert model_path.endswith("rl_model_64_steps.zip") and vec_path.endswith("rl_model_vecnormalize_64_steps.pkl")
    assert PPOExpert.load(model_path).num_timesteps == 64


def test_checkpoint_callback_writes_loadable_pairs(tmp_path):
    env = VecNormalize(DummyVecEnv([lambda: CountEnv()] * 2))
    model = PPOExpert("MlpPolicy", env, n_steps=32, batch_size=32, n_epochs=1, policy_kwargs=dict(net_arch=[8]), seed=0)
    model.learn(128, callback=AtomicCheckpointCallback(save_freq=32, save_path=str(tmp_path), save_vecnormalize=True))
    model_path, vec_path = latest_checkpoint(tmp_path)
    assert model_path.endswith("rl_model_128_steps.zip") and vec_path.endswith("rl_model_vecnormalize_128_steps.pkl")
    assert PPOExpert.load(model_path).num_timesteps == 128
    assert load_vec_normalize(vec_path).obs_rms.count > 1
    # save_vecnormalize=False (the default, as SB3's): no statistics written beside the checkpoints
    model.learn(64, callback=AtomicCheckpointCallback(save_freq=32, save_path=str(tmp_path / "plain")))
    assert not list((tmp_path / "plain").glob("*vecnormalize*")) and latest_checkpoint(tmp_path / "plain")[1] is None


def test_unknown_yaml_keys_are_named_with_a_suggestion():
    check_hyperparams({"n_envs": 4, "policy": "MlpPolicy", "beta": 0.5, "expert": "x"}, "test")
    with pytest.raises(ValueError, match=r"'betaa' \(did you mean 'beta'\?\)") as info:
        check_hyperparams({"betaa": 0.5, "handover_strt": 3}, "hyperparams/ppo_expert.yml (entry Pendulum-v1)")
    assert "'handover_strt' (did you mean 'handover_start'?)" in str(info.value)
    assert "ppo_expert.yml" in str(info.value)
    # keys that read like rl_zoo3's but that rl_zoo3 leaves in the entry: refused before any folder, with the place
    with pytest.raises(ValueError, match=r"'normalize_kwargs'.*normalize: \"dict\(norm_obs=True"):
        check_hyperparams({"normalize_kwargs": {"norm_reward": False}}, "test")
    with pytest.raises(ValueError, match="eval_env_kwargs: .*--eval-env-kwargs"):
        check_hyperparams({"eval_env_kwargs": {"g": 9.81}}, "test")
    # every key rl_zoo3 consumes itself is taken (a -conf entry with env_wrapper, frame_stack, callback, ...)
    zoo_keys = {"n_envs", "n_timesteps", "normalize", "policy", "env_wrapper", "vec_env_wrapper", "callback"}
    check_hyperparams(dict.fromkeys(zoo_keys | {"frame_stack", "monitor_kwargs", "env_kwargs"}, 1), "test")


def test_only_the_ppo_expert_entry_is_checked_and_the_optuna_converter_is_registered():
    # rl_zoo3 runs every algorithm through the patched ExperimentManager: only --algo ppo_expert's entry is checked
    # (SAC's noise_type stays SAC's); the converter serves `--storage ... --trial-id N`
    from types import SimpleNamespace

    from sb3_aggrevated.zoo import _convert_ppo_expert_params, register_default_config, register_sampler

    class Manager:
        def __init__(self, algo, config=None):
            self.algo, self.config, self.env_name = algo, config, "Pendulum-v1"

        def read_hyperparameters(self):
            return {"noise_type": "normal", "noise_std": 0.1}, {}

    register_default_config(SimpleNamespace(ExperimentManager=Manager))
    assert Manager("sac", config="sac.yml").read_hyperparameters()[0]["noise_type"] == "normal"
    with pytest.raises(ValueError, match="noise_type, noise_std"):
        Manager("ppo_expert", config="mine.yml").read_hyperparameters()
    assert Manager("sac").config is None and Manager("ppo_expert").config.endswith("ppo_expert.yml")
    opt = SimpleNamespace(HYPERPARAMS_SAMPLER={}, HYPERPARAMS_CONVERTER={})
    register_sampler(opt)
    assert opt.HYPERPARAMS_CONVERTER["ppo_expert"] is _convert_ppo_expert_params


def test_yaml_values_that_would_fail_later_are_refused_with_the_fix():
    # YAML reads 1e-3 as a string: rl_zoo3 or SB3 would fail on it only after a folder and a rollout
    check_hyperparams({"learning_rate": "lin_3e-4", "clip_range": "lin_0.2", "expert": "1e3", "policy": "MlpPolicy"}, "t")
    with pytest.raises(ValueError, match=r"ent_coef: '1e-3' \(YAML reads 1e-3 as a string: write 0.001 or !!float 1e-3\)"):
        check_hyperparams({"ent_coef": "1e-3"}, "test")
    with pytest.raises(ValueError, match=r"learning_rate: '3e-4' .*; target_kl: '1e-2' .*write 0.01") as info:
        check_hyperparams({"learning_rate": "3e-4", "target_kl": "1e-2"}, "my.yml (entry Pendulum-v1)")
    assert "my.yml (entry Pendulum-v1)" in str(info.value)
    with pytest.raises(ValueError, match=r"bc_buffer_size: '2e5' \(YAML reads 2e5 as a string: write 200000\)"):
        check_hyperparams({"bc_buffer_size": "2e5"}, "test")
    with pytest.raises(ValueError, match=r"n_timesteps: '1e6' \(YAML reads 1e6 as a string: write 1000000\)"):
        check_hyperparams({"n_timesteps": "1e6"}, "test")
    # rl_zoo3's lin_ schedules are for SB3's progress schedules, not the expert schedules (counted in rollouts)
    with pytest.raises(ValueError, match=r"beta: 'lin_0.5' .*beta_schedule: linear and beta_rollouts"):
        check_hyperparams({"beta": "lin_0.5"}, "test")
    # off-policy action noise, which rl_zoo3 would hand on as action_noise
    with pytest.raises(ValueError, match=r"noise_type, noise_std in test: .*log_std_init"):
        check_hyperparams({"noise_type": "normal", "noise_std": 0.1}, "test")


def test_whole_numbers_written_as_floats_are_taken_for_the_integer_settings():
    env = DummyVecEnv([lambda: CountEnv(terminate_at=5)])
    expert = QuadraticQExpert(env.observation_space, env.action_space)
    model = PPOExpert(
        "MlpPolicy", env, expert=expert, bc_coef=0.5, bc_buffer_size=2e3, bc_steps=2.0, handover_start=3.0,
        handover_rollouts=1e1, beta_rollouts=5.0, n_steps=16, batch_size=16,
    )  # fmt: skip
    assert (model.bc_buffer_size, model.bc_steps, model.handover_start, model.handover_rollouts) == (2000, 2, 3, 10)
    assert all(type(getattr(model, key)) is int for key in ("bc_buffer_size", "bc_steps", "handover_start"))
    model.learn(32)
    with pytest.raises(ValueError, match="bc_steps must be an integer >= 0, got 2.5"):
        PPOExpert("MlpPolicy", env, expert=expert, bc_steps=2.5)
    # a bool is not a count (True would have run one cloning step), and each setting names its own range
    for key, value, legal in [
        ("bc_steps", True, "an integer >= 0"),
        ("bc_buffer_size", False, "an integer >= 0"),
        ("bc_batch_size", 0, "an integer >= 1 or None"),
        ("handover_rollouts", 0, "an integer >= 1"),
        ("handover_start", -1, "an integer >= 0"),
        ("handover_start", "3", "an integer >= 0"),
    ]:
        with pytest.raises(ValueError, match=rf"^{key} must be {legal}, got {value!r}") as info:
            PPOExpert("MlpPolicy", env, expert=expert, **{key: value})
        hint = " (YAML reads 3 as a string: write 3)" if value == "3" else ""
        assert str(info.value).endswith(f"{value!r}{hint}.")


def test_same_seed_same_learning_curve_with_expert():
    def run():
        env = DummyVecEnv([lambda: CountEnv(terminate_at=5)] * 2)
        expert = QuadraticQExpert(env.observation_space, env.action_space)
        model = PPOExpert(
            "TanhMlpPolicy",
            env,
            expert=expert,
            n_steps=32,
            batch_size=32,
            n_epochs=2,
            bc_coef=0.5,
            policy_kwargs=dict(net_arch=[8]),
            seed=3,
        )
        record = RolloutEndRecorder(lambda model: model.rollout_buffer.raw_rewards.copy())
        model.learn(256, callback=record)
        return model, np.stack(record.values)

    a, rewards_a = run()
    b, rewards_b = run()
    np.testing.assert_array_equal(rewards_a, rewards_b)
    pa, pb = _params(a), _params(b)
    assert all(th.equal(pa[k], pb[k]) for k in pa)


def test_rollin_draws_are_separate_from_global_rng():
    env = make_vec_env("Pendulum-v1", n_envs=2, seed=0)
    model = PPOExpert(
        "MlpPolicy",
        env,
        expert=QuadraticQExpert(env.observation_space, env.action_space),
        seed=0,
        n_steps=32,
        batch_size=32,
        n_epochs=1,
    )
    state = np.random.get_state()[1].copy()
    model._expert_mask(0.5, np.ones(2, dtype=bool))
    assert np.array_equal(np.random.get_state()[1], state)


def test_latest_checkpoint_checks_every_member_and_names_no_statistics_where_none_were_saved(tmp_path):
    import struct
    import zipfile

    model = PPOExpert("MlpPolicy", DummyVecEnv([lambda: CountEnv()] * 2), n_steps=32, batch_size=32, n_epochs=1,
                      policy_kwargs=dict(net_arch=[8]), seed=0)  # fmt: skip
    model.learn(128, callback=AtomicCheckpointCallback(save_freq=32, save_path=str(tmp_path)))
    model_path, vec_path = latest_checkpoint(tmp_path)
    assert model_path.endswith("rl_model_128_steps.zip") and vec_path is None  # no VecNormalize: no statistics
    # a flipped byte inside the newest zip's policy.pth (its directory intact): its CRC fails, the one before is taken
    newest = tmp_path / "rl_model_128_steps.zip"
    with zipfile.ZipFile(newest) as archive:
        member = archive.getinfo("policy.pth")
    raw = bytearray(newest.read_bytes())
    name_length, extra_length = struct.unpack("<HH", raw[member.header_offset + 26 : member.header_offset + 30])
    raw[member.header_offset + 30 + name_length + extra_length + member.compress_size // 2] ^= 0xFF
    newest.write_bytes(bytes(raw))
    assert latest_checkpoint(tmp_path)[0].endswith("rl_model_64_steps.zip")
