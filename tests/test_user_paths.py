"""The paths a user takes after training: loading, continuing, evaluating and packaging a run, and what bad input gets."""

import json
import shutil
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import yaml
from gymnasium.wrappers import ClipReward
from stable_baselines3.common.vec_env import DummyVecEnv

from sb3_aggrevated import PPOExpert
from sb3_aggrevated.callbacks import EpisodeSeeds
from sb3_aggrevated.evaluate import find_run, make_eval_env, run_env_kwargs
from sb3_aggrevated.experts import load_expert
from sb3_aggrevated.hub import package_agent
from tests.conftest import CountEnv, LinearVExpert
from tests.test_hub import _zoo_run

# the SAC expert shipped inside the package: these tests need no RL Zoo download
EMBEDDED = "embedded/sac-Pendulum-v1"
TINY = dict(n_steps=64, batch_size=32, n_epochs=1, policy_kwargs=dict(net_arch=[8]), seed=0)


def _count_env():
    return DummyVecEnv([lambda: CountEnv(terminate_at=4)] * 2)


# --- hub: the package folder ---------------------------------------------------------------------------------


def test_package_refuses_a_folder_it_did_not_write_and_keeps_a_package_until_the_new_one_is_complete(tmp_path, monkeypatch):
    import sb3_aggrevated.hub as hub

    run = _zoo_run(tmp_path, EMBEDDED)
    logs = tmp_path / "logs"
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty and is not a package"):
        package_agent("Pendulum-v1", logs, notes, n_eval_episodes=1)
    assert (notes / "notes.txt").read_text() == "mine"
    for inside in (logs, run, run / "Pendulum-v1" / "package"):  # the run's folders, and a folder inside the run
        with pytest.raises(ValueError, match="holds or lies inside the run"):
            package_agent("Pendulum-v1", logs, inside, n_eval_episodes=1)
    assert (run / "Pendulum-v1.zip").is_file() and (run / "Pendulum-v1" / "config.yml").is_file()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        package_agent("Pendulum-v1", logs, tmp_path / "file", n_eval_episodes=1)

    out = tmp_path / "hub" / "me" / "repo"
    first = package_agent("Pendulum-v1", logs, out, n_eval_episodes=1)
    assert out.stat().st_mode & 0o777 == notes.stat().st_mode & 0o777  # the mode of a folder made the ordinary way
    assert json.loads((out / "results.json").read_text()) == first
    # a file no package holds (the user's notes, a clone's .git) is never deleted: refused, the package left as it was
    (out / "notes.txt").write_text("mine")
    (out / ".git").mkdir()
    with pytest.raises(ValueError, match=r"holds an earlier package and also \.git, notes\.txt, which no package holds"):
        package_agent("Pendulum-v1", logs, out, n_eval_episodes=1)
    assert (out / "notes.txt").read_text() == "mine" and (out / ".git").is_dir()
    assert json.loads((out / "results.json").read_text()) == first
    shutil.rmtree(out / ".git")
    (out / "notes.txt").unlink()
    (out / "replay.mp4").write_text("from an older package")
    package_agent("Pendulum-v1", logs, out, n_eval_episodes=1)  # an earlier package is replaced whole
    assert (out / "results.json").is_file()
    assert not (out / "replay.mp4").exists() or (out / "replay.mp4").read_bytes() != b"from an older package"

    (out / "replay.mp4").write_text("from an older package")
    for failure in (RuntimeError("evaluation failed"), KeyboardInterrupt()):  # an error, or Ctrl-C while it evaluates

        def broken(*args, _failure=failure, **kwargs):
            raise _failure

        monkeypatch.setattr(hub, "evaluate_run", broken)
        with pytest.raises(type(failure)):
            package_agent("Pendulum-v1", logs, out, n_eval_episodes=1)
        assert (out / "replay.mp4").read_text() == "from an older package"
        assert json.loads((out / "results.json").read_text())["algo"] == "PPOExpert"
        assert sorted(p.name for p in out.parent.iterdir()) == ["repo"]  # no half-written folder left beside it
    monkeypatch.undo()
    empty = tmp_path / "empty"  # a new or an empty folder is taken
    empty.mkdir()
    package_agent("Pendulum-v1", logs, empty, n_eval_episodes=1)
    assert (empty / "results.json").is_file()


def test_hub_command_line_packages_then_pushes_unless_local_only(tmp_path, monkeypatch):
    import sb3_aggrevated.hub as hub

    calls = []
    monkeypatch.setattr(hub, "package_agent", lambda *args, **kwargs: calls.append(("package", args, kwargs)) or {})
    monkeypatch.setattr(hub, "push_to_hub", lambda folder, repo_id: calls.append(("push", folder, repo_id)) or "url")
    monkeypatch.chdir(tmp_path)
    hub.main(["--env", "Pendulum-v1", "-f", "runs", "-orga", "me", "--local-only", "--expert", EMBEDDED])
    assert [call[0] for call in calls] == ["package"]  # --local-only: nothing uploaded
    _, args, kwargs = calls[0]
    assert args == ("Pendulum-v1", "runs", Path("hub/me/ppo_expert-Pendulum-v1"))
    assert kwargs == dict(
        exp_id=0,
        organization="me",
        repo_name="ppo_expert-Pendulum-v1",
        n_eval_episodes=10,
        video_length=1000,  # rl_zoo3's push_to_hub's default too
        expert=EMBEDDED,
    )
    calls.clear()
    hub.main(["--env", "Pendulum-v1", "-orga", "me", "--repo-name", "mine", "--out", "pkg", "-n", "3"])
    assert [call[0] for call in calls] == ["package", "push"]
    assert calls[0][1][2] == Path("pkg") and calls[0][2]["n_eval_episodes"] == 3 and calls[0][2]["expert"] is None
    assert calls[1][1:] == (Path("pkg"), "me/mine")


# --- evaluation and packaging play the env the run trained on ------------------------------------------------


def _set_env_settings(run, config_kwargs=None, args_kwargs=None, wrapper=None):
    config_path = run / "Pendulum-v1" / "config.yml"
    config = yaml.load(config_path.read_text(), Loader=yaml.UnsafeLoader)
    if config_kwargs is not None:
        config["env_kwargs"] = config_kwargs
    if wrapper is not None:
        config["env_wrapper"] = wrapper
    config_path.write_text(yaml.dump(config))
    args = OrderedDict([("algo", "ppo_expert"), ("env", "Pendulum-v1"), ("env_kwargs", args_kwargs)])
    (run / "Pendulum-v1" / "args.yml").write_text(yaml.dump(args))


def test_evaluation_and_package_use_the_runs_env_kwargs_and_wrapper(tmp_path, monkeypatch):
    run = _zoo_run(tmp_path, EMBEDDED)
    # as rl_zoo3's enjoy reads them: the entry's env_kwargs, replaced by train's --env-kwargs
    _set_env_settings(run, config_kwargs={"g": 5.0})
    assert run_env_kwargs(run, "Pendulum-v1") == {"g": 5.0}
    clip = {"gymnasium.wrappers.ClipReward": {"min_reward": -1.0, "max_reward": 1.0}}  # rl_zoo3's env_wrapper form
    _set_env_settings(run, config_kwargs={"g": 5.0}, args_kwargs={"g": 20.0, "max_episode_steps": 50}, wrapper=clip)
    assert run_env_kwargs(run, "Pendulum-v1") == {"g": 20.0, "max_episode_steps": 50}
    env = make_eval_env(run, "Pendulum-v1")
    inner = env.venv.envs[0]  # the run's VecNormalize around the vectorised env; every episode seeded around its wrapper
    assert isinstance(inner, EpisodeSeeds) and isinstance(inner.env, ClipReward) and inner.unwrapped.g == 20.0
    env.reset()
    steps, done, rewards = 0, False, []
    while not done:
        _, reward, dones, _ = env.step(np.zeros((1, 1), dtype=np.float32))
        steps, done = steps + 1, bool(dones[0])
        rewards.append(float(reward[0]))
    assert min(rewards) >= -1.0 and max(rewards) <= 0.0  # the run's wrapper clips Pendulum's rewards
    assert steps == 50  # max_episode_steps from the run's --env-kwargs, not Pendulum's 200
    env.close()
    import sb3_aggrevated.evaluate as evaluate_module

    played = []  # the envs the package's evaluations play on (the learner's, and the expert's)

    def spy(run, env_id, env_kwargs=None, _make=evaluate_module.make_eval_env):
        env = _make(run, env_id, env_kwargs)
        played.append((env.venv.envs[0].unwrapped.g, env.venv.envs[0].spec.max_episode_steps, type(env.venv.envs[0].env)))
        return env

    monkeypatch.setattr(evaluate_module, "make_eval_env", spy)
    out = tmp_path / "package"
    package_agent("Pendulum-v1", tmp_path / "logs", out, n_eval_episodes=1)
    assert yaml.safe_load((out / "env_kwargs.yml").read_text()) == {"g": 20.0, "max_episode_steps": 50}
    assert played and all(env == (20.0, 50, ClipReward) for env in played)  # the score was read on the run's env


def test_run_files_with_python_objects_are_read_not_dropped(tmp_path):
    # rl_zoo3 writes `-params "policy_kwargs:dict(activation_fn=nn.ReLU)"` into args.yml / config.yml as a Python tag:
    # the rest of the file still counts (a safe loader that failed on the tag read the whole file as empty)
    import torch as th

    from sb3_aggrevated.experts import PythonTag, _zoo_config

    run = _zoo_run(tmp_path, EMBEDDED)
    args = OrderedDict([("env_kwargs", {"g": 20.0}), ("hyperparams", {"policy_kwargs": {"activation_fn": th.nn.ReLU}})])
    (run / "Pendulum-v1" / "args.yml").write_text(yaml.dump(args))
    assert "!!python/name:torch.nn.modules.activation.ReLU" in (run / "Pendulum-v1" / "args.yml").read_text()
    assert run_env_kwargs(run, "Pendulum-v1") == {"g": 20.0}
    activation = _zoo_config(run / "Pendulum-v1" / "args.yml")["hyperparams"]["policy_kwargs"]["activation_fn"]
    assert isinstance(activation, PythonTag) and activation == "!!python/name:torch.nn.modules.activation.ReLU"
    assert make_eval_env(run, "Pendulum-v1").venv.envs[0].unwrapped.g == 20.0
    # an env keyword that is itself a Python object cannot be rebuilt from the file: said, not played without it
    args["env_kwargs"] = {"g": 20.0, "render_fn": th.nn.ReLU}
    (run / "Pendulum-v1" / "args.yml").write_text(yaml.dump(args))
    with pytest.raises(ValueError, match=r"env_kwargs holding Python objects \(render_fn: !!python/name:torch"):
        run_env_kwargs(run, "Pendulum-v1")
    # the fix that error names: the keywords given by hand, which the run's files do not override
    assert make_eval_env(run, "Pendulum-v1", env_kwargs={"g": 3.0}).venv.envs[0].unwrapped.g == 3.0


def test_eval_env_stacks_frames_and_applies_the_vec_env_wrapper_as_rl_zoo3_enjoy_does(tmp_path):
    from stable_baselines3.common.vec_env import VecCheckNan, VecFrameStack, VecNormalize

    run = _zoo_run(tmp_path, EMBEDDED)
    config_path = run / "Pendulum-v1" / "config.yml"
    config = yaml.load(config_path.read_text(), Loader=yaml.UnsafeLoader)
    config.update(frame_stack=2, vec_env_wrapper="stable_baselines3.common.vec_env.VecCheckNan")
    config_path.write_text(yaml.dump(config))
    env = make_eval_env(run, "Pendulum-v1")
    assert isinstance(env, VecFrameStack) and isinstance(env.venv, VecNormalize) and isinstance(env.venv.venv, VecCheckNan)
    assert env.observation_space.shape == (6,) and env.reset().shape == (1, 6)


def test_a_namespaced_env_id_finds_rl_zoo3s_run_and_packages_under_its_file_name(tmp_path):
    # rl_zoo3 names runs and files by huggingface_sb3's EnvironmentName: 'sb3ag/Pend-v0' -> 'sb3ag-Pend-v0'
    import gymnasium as gym

    import sb3_aggrevated.evaluate as cli

    if "sb3ag/Pend-v0" not in gym.registry:
        gym.register("sb3ag/Pend-v0", entry_point="gymnasium.envs.classic_control.pendulum:PendulumEnv", max_episode_steps=200)
    run = _zoo_run(tmp_path, EMBEDDED)
    (run / "Pendulum-v1.zip").rename(run / "sb3ag-Pend-v0.zip")
    (run / "Pendulum-v1").rename(run / "sb3ag-Pend-v0")
    run = run.rename(run.parent / "sb3ag-Pend-v0_1")
    assert find_run(str(tmp_path / "logs"), "ppo_expert", "sb3ag/Pend-v0") == run
    result = cli.main(["--env", "sb3ag/Pend-v0", "-f", str(tmp_path / "logs"), "-n", "1"])
    assert np.isfinite(result["learner_mean"]) and np.isfinite(result["expert_mean"])
    out = tmp_path / "package"
    package_agent("sb3ag/Pend-v0", tmp_path / "logs", out, n_eval_episodes=1)
    # the file rl_zoo3.load_from_hub fetches: ModelName(algo, EnvironmentName(env)).filename
    assert (out / "ppo_expert-sb3ag-Pend-v0.zip").is_file() and (out / "vec_normalize.pkl").is_file()
    assert "--env sb3ag/Pend-v0 -orga" in (out / "README.md").read_text()


def test_evaluate_command_line_plays_the_seed_given_for_the_learner_and_the_expert(tmp_path):
    import sb3_aggrevated.evaluate as cli

    run = _zoo_run(tmp_path, EMBEDDED)
    result = cli.main(["--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "-n", "2", "--seed", "7"])
    model = PPOExpert.load(run / "Pendulum-v1.zip", device="cpu")
    assert result["learner_mean"] == pytest.approx(cli.evaluate_run(run, "Pendulum-v1", model, 2, 7)["learner_mean"])
    assert result["expert_mean"] == pytest.approx(cli.evaluate_run_expert(run, "Pendulum-v1", EMBEDDED, 2, 7)["expert_mean"])
    seed_0 = cli.main(["--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "-n", "2"])
    assert seed_0["learner_mean"] != pytest.approx(result["learner_mean"])
    assert seed_0["expert_mean"] != pytest.approx(result["expert_mean"])


def test_a_run_trained_without_an_expert_is_reported_and_packaged_without_one(tmp_path, capsys):
    import sb3_aggrevated.evaluate as cli

    run = _zoo_run(tmp_path, EMBEDDED)
    PPOExpert("TanhMlpPolicy", "Pendulum-v1", **TINY).save(run / "Pendulum-v1.zip")  # expert=None: PPO
    capsys.readouterr()
    result = cli.main(["--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "-n", "1"])
    printed = capsys.readouterr().out
    assert "expert_mean" not in result and "Learner" in printed and "Expert" not in printed
    results = package_agent("Pendulum-v1", tmp_path / "logs", tmp_path / "package", n_eval_episodes=1)
    assert "expert" not in results and "expert None" not in (tmp_path / "package" / "README.md").read_text()


def test_the_expert_is_measured_with_its_training_keywords_but_on_this_machines_device():
    # a model trained with expert_kwargs=dict(device="cuda") is evaluated and packaged on a CPU machine
    from types import SimpleNamespace

    from sb3_aggrevated.evaluate import _expert_reference

    model = SimpleNamespace(expert_id="x", expert_kwargs={"device": "cuda", "vec_normalize": "stats.pkl"})
    assert _expert_reference(model, None) == ("x", {"vec_normalize": "stats.pkl"})
    assert _expert_reference(model, "given") == ("given", {})


# --- an expert given as an object ----------------------------------------------------------------------------


def test_expert_object_is_named_but_not_reloaded_and_the_cli_reports_the_learner(tmp_path, capsys):
    import sb3_aggrevated.evaluate as cli

    run = _zoo_run(tmp_path, load_expert(EMBEDDED))
    model = PPOExpert.load(run / "Pendulum-v1.zip")
    assert model.expert_id is None and model.expert_name.startswith(EMBEDDED)
    result = cli.main(["--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "-n", "1"])
    printed = capsys.readouterr().out
    assert np.isfinite(result["learner_mean"]) and "expert_mean" not in result
    assert "Learner" in printed and "not measured" in printed and "--expert REF" in printed
    measured = cli.main(["--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "-n", "1", "--expert", EMBEDDED])
    assert np.isfinite(measured["expert_mean"])
    results = package_agent("Pendulum-v1", tmp_path / "logs", tmp_path / "package", n_eval_episodes=1)
    assert results["expert"]["id"] == model.expert_name and "not measured" in results["expert"]["note"]
    with_ref = package_agent("Pendulum-v1", tmp_path / "logs", tmp_path / "package", n_eval_episodes=1, expert=EMBEDDED)
    assert np.isfinite(with_ref["expert"]["mean_reward"])


def test_a_recorded_reference_that_cannot_be_loaded_says_to_pass_expert(tmp_path, monkeypatch):
    import sb3_aggrevated.evaluate as cli

    run = _zoo_run(tmp_path, EMBEDDED)
    model = PPOExpert.load(run / "Pendulum-v1.zip")
    model.expert_id = "SAC"  # what models saved before expert_name recorded for an expert object
    model.save(run / "Pendulum-v1.zip")
    with pytest.raises(FileNotFoundError, match="learner's return is above.*--expert REF"):
        cli.main(["--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "-n", "1"])
    with pytest.raises(FileNotFoundError, match=r"expert 'SAC' recorded in the model could not be loaded.*--expert REF"):
        package_agent("Pendulum-v1", tmp_path / "logs", tmp_path / "package", n_eval_episodes=1)
    assert not (tmp_path / "package").exists()
    assert package_agent("Pendulum-v1", tmp_path / "logs", tmp_path / "package", n_eval_episodes=1, expert=EMBEDDED)


def test_find_run_names_the_runs_with_a_model(tmp_path):
    base = tmp_path / "logs" / "ppo_expert"
    for run, has_model in (("Pendulum-v1_1", True), ("Pendulum-v1_2", False)):
        (base / run).mkdir(parents=True)
        if has_model:
            (base / run / "Pendulum-v1.zip").write_bytes(b"")
    assert find_run(str(tmp_path / "logs"), "ppo_expert", "Pendulum-v1", 1) == base / "Pendulum-v1_1"
    with pytest.raises(FileNotFoundError, match=r"Pendulum-v1_2/Pendulum-v1.zip \(the latest run.*Pendulum-v1_1; .*--exp-id"):
        find_run(str(tmp_path / "logs"), "ppo_expert", "Pendulum-v1")


# --- load() ---------------------------------------------------------------------------------------------------


def test_load_checks_the_expert_against_the_saved_spaces_without_an_env(tmp_path):
    env = _count_env()
    PPOExpert("TanhMlpPolicy", env, expert=LinearVExpert(env.observation_space, env.action_space), **TINY).save(
        tmp_path / "model"
    )
    with pytest.raises(ValueError, match="observation space"):
        PPOExpert.load(tmp_path / "model", expert=EMBEDDED)  # Pendulum's expert for CountEnv's learner


def test_load_refuses_unknown_keywords_with_the_closest_one(tmp_path):
    env = _count_env()
    PPOExpert("TanhMlpPolicy", env, **TINY).save(tmp_path / "model")
    with pytest.raises(ValueError, match=r"'bc_coeff' \(did you mean 'bc_coef'\?\)"):
        PPOExpert.load(tmp_path / "model", bc_coeff=0.0)
    assert PPOExpert.load(tmp_path / "model", bc_coef=0.5).bc_coef == 0.5
    with pytest.raises(ValueError, match=r"Unknown keyword argument\(s\) for PPOExpert.load: 'policy'"):
        PPOExpert.load(tmp_path / "model", policy="MlpPolicy")  # the policy comes from the file: never silently ignored


def test_training_without_the_expert_it_still_needs_is_refused(tmp_path):
    env = _count_env()
    expert = LinearVExpert(env.observation_space, env.action_space)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, beta=0.5, handover_start=2, handover_rollouts=1, **TINY)
    model.learn(256)  # two rollouts of 128 steps
    model.save(tmp_path / "model")
    forgot = PPOExpert.load(tmp_path / "model", env=env)
    assert forgot.predict(np.zeros((1, 1), dtype=np.float32))[0].shape == (1, 1)  # predicting needs no expert
    with pytest.raises(ValueError, match=r"LinearVExpert .* rollout 2 \(.*handover weight 1.*expert=.*beta=0.0, handover=0.0"):
        forgot.learn(64, reset_num_timesteps=False)
    assert forgot.num_timesteps == 256  # nothing was trained
    # as plain PPO, as the message says; and with the expert given back
    PPOExpert.load(tmp_path / "model", env=env, beta=0.0, handover=0.0, bc_coef=0.0).learn(64, reset_num_timesteps=False)
    PPOExpert.load(tmp_path / "model", env=env, expert=expert).learn(64, reset_num_timesteps=False)
    # once every schedule is 0 (after the hand-over, no cloning), the expert is no longer needed
    done = PPOExpert("TanhMlpPolicy", env, expert=expert, beta=0.0, handover_start=0, handover_rollouts=1, **TINY)
    done.learn(256)
    done.save(tmp_path / "done")
    PPOExpert.load(tmp_path / "done", env=env).learn(64, reset_num_timesteps=False)
    # cloning that follows the hand-over (the default) has weight 0 after it, whatever bc_coef's own schedule says;
    # cloning kept as an anchor (bc_follows_handover=False) still uses the expert, and is refused by name
    for follows in (True, False):
        cloned = PPOExpert(
            "TanhMlpPolicy", env, expert=expert, beta=0.0, handover_start=0, handover_rollouts=1, bc_coef=0.5,
            bc_follows_handover=follows, **TINY,
        )  # fmt: skip
        cloned.learn(256)
        cloned.save(tmp_path / "cloned")
        if follows:
            PPOExpert.load(tmp_path / "cloned", env=env).learn(64, reset_num_timesteps=False)
        else:
            with pytest.raises(ValueError, match=r"rollout 2 \(bc_coef 0.5\)"):
                PPOExpert.load(tmp_path / "cloned", env=env).learn(64, reset_num_timesteps=False)


# --- numbers that YAML read as strings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting, hint",
    [
        (dict(beta="5e-1"), "write 0.5 or !!float 5e-1"),
        (dict(bc_coef="1e-3"), "write 0.001 or !!float 1e-3"),
        (dict(handover_lr_factor="5e-1"), "write 0.5 or !!float 5e-1"),
        (dict(bc_anchor_coef="3e0", bc_anchor_from=1), "write 3.0 or !!float 3e0"),
        (dict(bc_steps="1e2"), "write 100\\)"),
        (dict(bc_buffer_size="2e5"), "write 200000\\)"),
        (dict(beta_rollouts="2e1"), "write 20\\)"),
        (dict(handover_start="1e1"), "write 10\\)"),
    ],
)
def test_numbers_read_as_strings_get_the_yaml_fix(setting, hint):
    env = _count_env()
    with pytest.raises(ValueError, match=f"YAML reads .* as a string: {hint}"):
        PPOExpert("TanhMlpPolicy", env, **setting, **TINY)


def test_model_card_usage_names_a_custom_repository():
    from sb3_aggrevated.hub import model_card

    results = {"mean_reward": 1.0, "std_reward": 0.0, "n_eval_episodes": 1, "n_timesteps": 10, "n_rollouts": 3}
    default = model_card("Pendulum-v1", "me", "ppo_expert-Pendulum-v1", results, {})
    custom = model_card("Pendulum-v1", "me", "my-walker", results, {})
    assert "-orga me -f logs/" in default and "-name" not in default
    assert "--env Pendulum-v1 -orga me -name my-walker -f logs/" in custom


def test_embedded_expert_is_the_shipped_one_whatever_the_experts_folder_holds(tmp_path, monkeypatch):
    from sb3_aggrevated.experts import embedded_experts_dir, resolve_expert_source

    (tmp_path / "zoo" / "sac" / "Pendulum-v1_1").mkdir(parents=True)  # an RL Zoo agent of the same algo and env
    monkeypatch.setenv("SB3_AGGREVATED_EXPERTS", str(tmp_path / "zoo"))
    path, algo = resolve_expert_source(EMBEDDED)
    assert path == embedded_experts_dir() / "sac-Pendulum-v1" and algo == "sac"
    assert resolve_expert_source("sb3/sac-Pendulum-v1")[0] == tmp_path / "zoo" / "sac" / "Pendulum-v1_1"
    with pytest.raises(FileNotFoundError, match="No embedded expert 'embedded/sac-Nothing-v0'.*embedded/sac-Pendulum-v1"):
        resolve_expert_source("embedded/sac-Nothing-v0")


# --- checkpoints and the expert score -------------------------------------------------------------------------


def test_checkpoints_keep_the_cloning_dataset_and_no_untrained_steps(tmp_path):
    from stable_baselines3.common.callbacks import BaseCallback

    from sb3_aggrevated.callbacks import AtomicCheckpointCallback, checkpoint_replay_buffer, latest_checkpoint

    assert latest_checkpoint(tmp_path / "not-yet") is None  # a first run: nothing to resume from
    env = _count_env()
    expert = LinearVExpert(env.observation_space, env.action_space, action=0.8)
    model = PPOExpert("TanhMlpPolicy", env, expert=expert, bc_coef=1.0, bc_buffer_size=1000, **TINY)
    saver = AtomicCheckpointCallback(save_freq=64, save_path=str(tmp_path / "ck"), save_replay_buffer=True)
    model.learn(384, callback=saver)
    zip_path, _ = latest_checkpoint(tmp_path / "ck")
    assert zip_path.endswith("rl_model_384_steps.zip")
    resumed = PPOExpert.load(zip_path, env=env, expert=expert)
    resumed.load_replay_buffer(checkpoint_replay_buffer(zip_path))
    assert resumed._bc_data["size"] == 384
    np.testing.assert_array_equal(resumed._bc_data["obs"][:384], model._bc_data["obs"][:384])

    class StopMidRollout(BaseCallback):
        def _on_step(self) -> bool:
            return self.num_timesteps < 200  # stops inside the second rollout of 128 steps

    plain = PPOExpert("TanhMlpPolicy", env, **TINY)
    saver = AtomicCheckpointCallback(save_freq=1, save_path=str(tmp_path / "stopped"))
    plain.learn(1024, callback=[StopMidRollout(), saver])
    assert plain.num_timesteps == 200
    assert latest_checkpoint(tmp_path / "stopped")[0].endswith("rl_model_128_steps.zip")  # none at 200: 72 untrained
    assert checkpoint_replay_buffer(latest_checkpoint(tmp_path / "stopped")[0]) is None


def test_the_random_baseline_of_the_expert_score_repeats():
    from sb3_aggrevated.callbacks import evaluate_expert

    readings = []
    for _ in range(2):
        env = _count_env()
        expert = LinearVExpert(env.observation_space, env.action_space)
        readings.append(evaluate_expert(expert, env, n_eval_episodes=4, seed=3, random_policy=True))
    assert readings[0] == readings[1]


def test_a_custom_expert_must_give_what_its_kind_says():
    from sb3_aggrevated.experts import check_expert

    env = _count_env()

    class NoQ(LinearVExpert):
        kind = "q"  # but q_value is the base class's, which raises

    with pytest.raises(ValueError, match="kind 'q' but has no q_value"):
        check_expert(NoQ(env.observation_space, env.action_space))
    with pytest.raises(ValueError, match="gamma '0.99'; it must be a number"):
        check_expert(LinearVExpert(env.observation_space, env.action_space, gamma="0.99"))
    check_expert(LinearVExpert(env.observation_space, env.action_space, gamma=np.float32(0.99)))


def test_an_sb3_expert_refuses_a_single_observation_with_the_fix():
    expert = load_expert(EMBEDDED)
    one = np.zeros(3, dtype=np.float32)
    for method in (expert.predict, expert.value):
        with pytest.raises(ValueError, match=r"batch of observations of shape \(n, 3\).*\(3,\): pass obs\[None\]"):
            method(one)
    assert expert.predict(one[None]).shape == (1, 1) and expert.value(one[None]).shape == (1,)


def test_an_expert_algo_the_file_contradicts_is_refused():
    from sb3_aggrevated.experts import embedded_experts_dir, load_sb3_model

    zip_path = next((embedded_experts_dir() / "sac-Pendulum-v1").rglob("*.zip"))
    with pytest.raises(ValueError, match="saved by SAC .*not by PPO: pass algo='sac'"):
        load_sb3_model(zip_path, "ppo")
    assert type(load_sb3_model(zip_path, "sac")).__name__ == "SAC"


def test_the_command_lines_print_a_user_error_as_its_message_and_refuse_no_episodes(tmp_path, capsys):
    # a missing run, file or expert (FileNotFoundError) or a refused value (ValueError) is printed as its message with
    # exit status 1, argparse's way, not as a traceback; any other exception (a bug) keeps its traceback
    import sb3_aggrevated.evaluate as cli
    import sb3_aggrevated.hub as hub_cli

    with pytest.raises(SystemExit) as exit_info:
        cli.run_cli(lambda: cli.main(["--env", "Pendulum-v1", "-f", str(tmp_path / "none")]))
    assert exit_info.value.code.startswith("error: No run of ppo_expert on Pendulum-v1")

    def bug():
        raise TypeError("a bug")

    with pytest.raises(TypeError, match="a bug"):
        cli.run_cli(bug)
    for main, argv in ((cli.main, ["--env", "Pendulum-v1"]), (hub_cli.main, ["--env", "Pendulum-v1", "-orga", "x"])):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "-n", "0"])
        assert exit_info.value.code == 2
        assert "must be a whole number >= 1, got 0" in capsys.readouterr().err
