"""The rl_zoo3 integration, through the real commands in subprocesses (as a user runs them after `pip install .`)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from sb3_aggrevated.zoo import hyperparams_path
from tests.conftest import EXPERTS_ENV_VAR

INSTALLED = importlib.util.find_spec("_sb3_aggrevated_hook") is not None and any(
    (Path(p) / "sb3_aggrevated_zoo.pth").is_file() for p in sys.path if p
)
needs_install = pytest.mark.skipif(
    not INSTALLED, reason="sb3-aggrevated is not pip-installed in this interpreter (run `make test`, which installs it)"
)


def zoo(tool: str, env_id: str, args: str = "") -> list[str]:
    """``python -m rl_zoo3.TOOL --algo ppo_expert --env ENV ARGS`` as an argv tail."""
    return ["-m", f"rl_zoo3.{tool}", "--algo", "ppo_expert", "--env", env_id, *args.split()]


def _run(args, cwd, env=None, timeout=300, check=True):
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full_env.pop("PYTHONPATH", None)  # the installed package, not the source tree
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


@needs_install
def test_plugin_costs_nothing_to_other_programs(tmp_path):
    modules = "('torch', 'rl_zoo3', 'sb3_aggrevated', 'stable_baselines3')"
    code = f"import gymnasium, sys; print(sorted(m for m in {modules} if m in sys.modules))"
    assert _run(["-c", code], tmp_path).stdout.strip() == "[]"


@needs_install
def test_hook_can_be_turned_off(tmp_path):
    code = "import rl_zoo3; print('ppo_expert' in rl_zoo3.ALGOS)"
    # the hook finds rl_zoo3's modules without changing sys.meta_path (another thread may be iterating over it)
    frozen = (
        "import sys\nclass Watched(list):\n"
        "    def remove(self, x):\n        assert type(x).__name__ != '_ZooFinder', 'hook changed sys.meta_path'\n"
        "        super().remove(x)\n"
        "    def insert(self, i, x):\n        assert type(x).__name__ != '_ZooFinder', 'hook changed sys.meta_path'\n"
        "        super().insert(i, x)\n"
        "sys.meta_path = Watched(sys.meta_path)\n"
    )
    assert _run(["-c", frozen + code], tmp_path).stdout.strip() == "True"
    assert _run(["-c", code], tmp_path, env={"SB3_AGGREVATED_NO_ZOO_HOOK": "1"}).stdout.strip() == "False"
    # without the hook, register() does by hand all it does: ppo_expert known, rl_zoo3.push_to_hub importable
    by_hand = (
        "import sb3_aggrevated.zoo, rl_zoo3; sb3_aggrevated.zoo.register(); import rl_zoo3.push_to_hub; "
        "print('ppo_expert' in rl_zoo3.ALGOS)"
    )
    assert _run(["-c", by_hand], tmp_path, env={"SB3_AGGREVATED_NO_ZOO_HOOK": "1"}).stdout.strip() == "True"


def test_yaml_entries_are_complete():
    entries = yaml.safe_load(hyperparams_path().read_text())
    wanted = {
        "BipedalWalkerHardcore-v3",
        "BipedalWalker-v3",
        "LunarLander-v3",
        "LunarLanderContinuous-v3",
        "Pendulum-v1",
        "CartPole-v1",
    }
    assert wanted <= set(entries)
    import inspect

    from sb3_aggrevated import PPOExpert

    known = set(inspect.signature(PPOExpert.__init__).parameters)
    zoo_keys = {"n_envs", "n_timesteps", "normalize", "policy", "callback", "env_wrapper", "frame_stack"}
    for env_id, entry in entries.items():
        assert {"n_timesteps", "policy", "expert", "beta", "handover_start", "handover_rollouts"} <= set(entry), env_id
        assert set(entry) - zoo_keys <= known, (env_id, set(entry) - zoo_keys - known)


@needs_install
def test_train_enjoy_pendulum_with_embedded_expert(tmp_path):
    _run(
        zoo("train", "Pendulum-v1", "-n 4096 -f logs --eval-freq -1 --seed 0 --device cpu"),
        tmp_path,
        env={EXPERTS_ENV_VAR: ""},
    )
    run = tmp_path / "logs" / "ppo_expert" / "Pendulum-v1_1"
    assert (run / "Pendulum-v1.zip").is_file()
    config = (run / "Pendulum-v1" / "config.yml").read_text()
    assert "embedded/sac-Pendulum-v1" in config
    out = _run(zoo("enjoy", "Pendulum-v1", "-f logs -n 300 --no-render"), tmp_path)
    assert "Episode Reward" in out.stdout or "Mean reward" in out.stdout


@needs_install
def test_train_enjoy_hardcore_with_expert_from_env_var(tmp_path, experts):
    params = "-params n_envs:2 n_steps:64 batch_size:64 n_epochs:1"
    args = f"-n 256 -f logs --eval-freq -1 --device cpu {params}"
    _run(zoo("train", "BipedalWalkerHardcore-v3", args), tmp_path, env={EXPERTS_ENV_VAR: str(experts)})
    run = tmp_path / "logs" / "ppo_expert" / "BipedalWalkerHardcore-v3_1"
    assert (run / "BipedalWalkerHardcore-v3.zip").is_file()
    assert (run / "BipedalWalkerHardcore-v3" / "vecnormalize.pkl").is_file()
    _run(zoo("enjoy", "BipedalWalkerHardcore-v3", "-f logs -n 300 --no-render"), tmp_path)


@needs_install
def test_missing_expert_gives_one_clear_error(tmp_path):
    offline = {EXPERTS_ENV_VAR: str(tmp_path), "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    proc = _run(
        zoo("train", "BipedalWalkerHardcore-v3", "-n 256 -f logs -params n_envs:1"), tmp_path, env=offline, check=False
    )
    assert proc.returncode != 0
    err = proc.stderr
    assert "No expert found for 'sb3/ppo-BipedalWalkerHardcore-v3'" in err
    assert "ppo/BipedalWalkerHardcore-v3_1" in err and "rl_zoo3.load_from_hub" in err
    assert not (tmp_path / "logs" / "ppo_expert" / "BipedalWalkerHardcore-v3_1" / "BipedalWalkerHardcore-v3.zip").exists()


@needs_install
def test_unknown_yaml_key_fails_before_anything_is_created(tmp_path):
    proc = _run(zoo("train", "Pendulum-v1", "-n 256 -f logs -params betaa:0.3"), tmp_path, check=False)
    assert proc.returncode != 0
    assert "'betaa' (did you mean 'beta'?)" in proc.stderr
    assert not (tmp_path / "logs").exists()


@needs_install
def test_conf_file_overrides_the_packaged_yaml(tmp_path):
    conf = tmp_path / "mine.yml"
    entry = {
        "n_timesteps": 512,
        "policy": "MlpPolicy",
        "n_steps": 64,
        "n_envs": 2,
        "batch_size": 64,
        "expert": "embedded/sac-Pendulum-v1",
        "beta": 0.3,
    }
    conf.write_text(yaml.safe_dump({"Pendulum-v1": entry}))
    _run(zoo("train", "Pendulum-v1", f"-f logs -conf {conf} --eval-freq -1"), tmp_path)
    config = (tmp_path / "logs" / "ppo_expert" / "Pendulum-v1_1" / "Pendulum-v1" / "config.yml").read_text()
    assert "    - 0.3\n" in config and "    - MlpPolicy\n" in config  # the file's values (the packaged: TanhMlpPolicy)


@needs_install
def test_optimize_runs_two_tiny_trials(tmp_path):
    args = (
        "-f logs -optimize --n-trials 2 -n 512 --n-evaluations 1 --eval-episodes 1 --sampler random --pruner none "
        f"--no-optim-plots --storage {tmp_path / 'study.log'} --study-name tiny --device cpu --seed 0"
    )
    _run(zoo("train", "Pendulum-v1", args), tmp_path, env={EXPERTS_ENV_VAR: ""})
    report = list((tmp_path / "logs" / "ppo_expert").glob("report_Pendulum-v1_2-trials*"))
    assert report and (tmp_path / "study.log").is_file()


def test_optimize_sampler_samples_the_roll_in_schedule_only_for_a_roll_in():
    # beta_decay and beta_rollouts act only where beta > 0: a trial without roll-in does not spend them
    optuna = pytest.importorskip("optuna")
    from sb3_aggrevated.zoo import _convert_ppo_expert_params, sample_ppo_expert_params

    ppo = dict(
        batch_size_pow=5, n_steps_pow=6, one_minus_gamma=0.01, one_minus_gae_lambda=0.05, learning_rate=3e-4,
        ent_coef=1e-3, clip_range=0.2, n_epochs=5, max_grad_norm=0.5, net_arch="tiny", activation_fn="tanh",
    )  # fmt: skip
    expert = dict(handover_start=5, handover_rollouts=10, bc_coef=0.5, expert_gae_lambda=0.9)
    with_roll_in = sample_ppo_expert_params(
        optuna.trial.FixedTrial({**ppo, **expert, "beta": 0.4, "beta_decay": 0.9, "beta_rollouts": 7}), 1, 2, {}
    )
    assert (with_roll_in["beta"], with_roll_in["beta_decay"], with_roll_in["beta_rollouts"]) == (0.4, 0.9, 7)
    # a FixedTrial refuses a parameter it does not hold: beta 0 and no beta_decay / beta_rollouts given
    trial = optuna.trial.FixedTrial({**ppo, **expert, "beta": 0.0})
    without = sample_ppo_expert_params(trial, 1, 2, {})
    assert without["beta"] == 0.0 and "beta_decay" not in without and "beta_rollouts" not in without
    # the converter (--storage) rebuilds the same keywords from the trial's parameters
    converted = _convert_ppo_expert_params(trial.params)
    assert {k: converted[k] for k in ("beta", "handover_start", "bc_coef")} == {
        k: without[k] for k in ("beta", "handover_start", "bc_coef")
    }
    assert "beta_decay" not in converted


@needs_install
def test_continue_with_trained_agent_keeps_schedules(tmp_path):
    # --save-replay-buffer keeps the aggregated cloning dataset next to the model, and -i reads it back
    params = "--save-replay-buffer -params n_envs:2 n_steps:64 batch_size:64 n_epochs:1 bc_buffer_size:1000"
    _run(zoo("train", "Pendulum-v1", f"-n 256 -f logs --eval-freq -1 --seed 0 {params}"), tmp_path, env={EXPERTS_ENV_VAR: ""})
    first = tmp_path / "logs" / "ppo_expert" / "Pendulum-v1_1" / "Pendulum-v1.zip"
    _run(
        zoo("train", "Pendulum-v1", f"-n 256 -f logs --eval-freq -1 --seed 0 -i {first} {params}"),
        tmp_path,
        env={EXPERTS_ENV_VAR: ""},
    )
    for run, pairs in (("Pendulum-v1_1", 256), ("Pendulum-v1_2", 512)):  # 256 more pairs on top of the loaded 256
        with np.load(tmp_path / "logs" / "ppo_expert" / run / "replay_buffer.pkl") as dataset:
            assert len(dataset["obs"]) == len(dataset["actions"]) == pairs
    code = (
        "from sb3_aggrevated import PPOExpert; "
        "a = PPOExpert.load('logs/ppo_expert/Pendulum-v1_1/Pendulum-v1.zip'); "
        "b = PPOExpert.load('logs/ppo_expert/Pendulum-v1_2/Pendulum-v1.zip'); "
        "print(a._n_rollouts, b._n_rollouts)"
    )
    assert _run(["-c", code], tmp_path).stdout.split() == ["2", "4"]  # the beta / hand-over index continued


@needs_install
def test_continue_a_ppo_run_as_ppo_expert(tmp_path):
    # -i on SB3's PPO zip: PPOExpert starts from its weights (the zip records SB3's plain RolloutBuffer)
    params = "-params n_envs:2 n_steps:64 batch_size:64 n_epochs:1"
    _run(
        ["-m", "rl_zoo3.train", "--algo", "ppo", "--env", "Pendulum-v1", *f"-n 128 -f logs --eval-freq -1 {params}".split()],
        tmp_path,
    )
    ppo_zip = tmp_path / "logs" / "ppo" / "Pendulum-v1_1" / "Pendulum-v1.zip"
    _run(
        zoo("train", "Pendulum-v1", f"-n 128 -f logs --eval-freq -1 -i {ppo_zip} {params}"),
        tmp_path,
        env={EXPERTS_ENV_VAR: ""},
    )
    code = (
        "from stable_baselines3 import PPO; from sb3_aggrevated import PPOExpert; "
        f"a = PPO.load({str(ppo_zip)!r}); b = PPOExpert.load('logs/ppo_expert/Pendulum-v1_1/Pendulum-v1.zip'); "
        "print(b._n_rollouts, b.expert_id, type(b.policy) is type(a.policy), b.policy_kwargs == a.policy_kwargs)"
    )  # the PPO run's policy (the packaged entry's would be TanhMlpPolicy)
    assert _run(["-c", code], tmp_path).stdout.split() == ["1", "embedded/sac-Pendulum-v1", "True", "True"]


@needs_install
def test_zoo_progress_bar_flag(tmp_path):
    params = "-params n_envs:2 n_steps:64 batch_size:64 n_epochs:1"
    _run(zoo("train", "Pendulum-v1", f"-n 128 -f logs --eval-freq -1 -P {params}"), tmp_path, env={EXPERTS_ENV_VAR: ""})
    assert (tmp_path / "logs" / "ppo_expert" / "Pendulum-v1_1" / "Pendulum-v1.zip").is_file()
