"""The benchmark scripts run end to end on a tiny budget and write what their reports promise."""

from __future__ import annotations

import csv
import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import gymnasium
import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

pytestmark = pytest.mark.skipif(not BENCHMARKS.is_dir(), reason="benchmarks/ is not part of this checkout")


def _bench(name: str) -> ModuleType:
    """A script of benchmarks/ (a folder, not a package) imported as a module, without leaving it on sys.path."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


def _run(args: list[str], cwd: Path) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout


def test_compare_writes_curves_table_and_plot(tmp_path):
    out = tmp_path / "bench"
    # the packaged Pendulum entry (embedded expert: no download), 2 rollouts of 1024 steps
    _run(
        [
            str(BENCHMARKS / "compare.py"),
            "--env", "Pendulum-v1", "--seeds", "1", "--n-timesteps", "2048", "--eval-freq", "1024",
            "--eval-episodes", "1", "--final-eval-episodes", "2", "--save-models", "--n-jobs", "2", "--out", str(out),
        ],
        tmp_path,
    )  # fmt: skip
    runs = {p.stem: json.loads(p.read_text()) for p in (out / "runs").glob("*.json")}
    assert set(runs) == {"ppo_expert_seed1", "ppo_seed1"}
    for run in runs.values():
        steps = [point[0] for point in run["curve"]]
        assert steps[0] == 0 and steps[-1] == 2048 and steps == sorted(steps)
        assert run["fps"] > 0 and run["final_eval"]["n_episodes"] == 2
    expert = json.loads((out / "expert.json").read_text())
    assert expert["n_episodes"] == 1 and expert["final"]["n_episodes"] == 2
    results = (out / "results.md").read_text()
    assert "python benchmarks/compare.py --env Pendulum-v1" in results
    assert "| ppo_expert | 1 |" in results and "| ppo | 1 |" in results
    assert (out / "curves.png").stat().st_size > 0
    assert (out / "models" / "ppo_expert_seed1.zip").is_file() and (out / "models" / "ppo_seed1.zip").is_file()
    assert (out / "logs" / "ppo_expert_seed1" / "progress.csv").is_file()
    # the checkout's package and entry ran (an installed copy may be older), and each run says what it built
    for run in runs.values():
        assert run["source"] == str(BENCHMARKS.parent / "sb3_aggrevated")
        assert run["entry"]["expert"] == "embedded/sac-Pendulum-v1" and run["net_arch"] == {"pi": [64, 64], "vf": [64, 64]}
    assert "Hidden layers as built (actor / critic): ppo [64, 64]/[64, 64]; ppo_expert [64, 64]/[64, 64]." in results

    # the report rebuilds from the saved runs without training again
    rebuilt = _run([str(BENCHMARKS / "compare.py"), "--env", "Pendulum-v1", "--seeds", "1", "--n-timesteps", "2048",
                    "--eval-freq", "1024", "--eval-episodes", "1", "--out", str(out), "--report-only"], tmp_path)  # fmt: skip
    assert "| ppo_expert | 1 |" in rebuilt


def test_fps_table_has_every_run_and_its_ratio(tmp_path):
    out = tmp_path / "fps.md"
    _run(
        [
            str(BENCHMARKS / "fps.py"),
            "--env", "Pendulum-v1", "--n-timesteps", "1024", "--repeats", "2", "--variants", "bc_steps=0", "--out", str(out),
        ],
        tmp_path,
    )  # fmt: skip
    main, paired = out.read_text().split("## Each repeat against the same repeat's PPO")
    rows = [line for line in main.splitlines() if line.startswith("| ") and "fps (median)" not in line]
    assert [row.split(" | ")[0] for row in rows] == ["| PPO", "| PPOExpert (the entry)", "| PPOExpert, bc_steps=0"]
    # the paired table: each repeat's ratio to the same repeat's PPO run, from the values of the main table
    each = {row.split(" | ")[0][2:]: [float(v) for v in row.split(" | ")[2].split(",")] for row in rows}
    paired_rows = [line for line in paired.splitlines() if line.startswith("| PPOExpert")]
    assert len(paired_rows) == 2
    for row in paired_rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        expected = [v / p for v, p in zip(each[cells[0]], each["PPO"], strict=True)]
        assert [float(r) for r in cells[2].split(",")] == pytest.approx(expected, abs=0.006)
        assert float(cells[1]) == pytest.approx(float(np.median(expected)), abs=0.006)
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 10
        for median, each, ratio in (cells[1:4], cells[4:7], cells[7:10]):  # wall clock, CPU time, without the envs
            assert float(median) > 0 and len(each.split(",")) == 2 and float(ratio) > 0
            if row.startswith("| PPO |"):
                assert ratio == "1.00"  # PPO against itself
        assert float(cells[7]) > float(cells[4])  # taking the envs' time out leaves fewer seconds per step


def test_fps_paired_from_adds_the_per_repeat_ratios_to_an_old_report(tmp_path):
    # a report as fps.py wrote it before the paired table: the ratio of medians (1207 / 1622 = 0.74) pairs repeats
    # that did not share a load; the paired median of 0.60 / 0.75 / 0.77 is 0.75
    report = tmp_path / "old.md"
    header = "| algorithm | fps (median) | fps (each repeat) | / PPO | per CPU second (median) | (each repeat) | / PPO |"
    report.write_text(
        "# Frames per second\n\n" + header + "\n|---|---|---|---|---|---|---|\n"
        "| PPO | 1622 | 1665, 1334, 1622 | 1.00 | 1622 | 1665, 1334, 1622 | 1.00 |\n"
        "| PPOExpert, x=1 | 1007 | 1007, 1000, 1250 | 0.62 | 1007 | 1007, 1000, 1250 | 0.62 |\n"
    )
    for _ in range(2):  # a second pass replaces the part it added, it does not add another
        _run([str(BENCHMARKS / "fps.py"), "--paired-from", str(report)], tmp_path)
    text = report.read_text()
    assert text.count("## Each repeat against the same repeat's PPO") == 1
    assert "| PPOExpert, x=1 | 0.75 | 0.60, 0.75, 0.77 | 0.75 | 0.60, 0.75, 0.77 |" in text
    report.write_text("# not a report\n")
    proc = subprocess.run([sys.executable, str(BENCHMARKS / "fps.py"), "--paired-from", str(report)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "not a report of benchmarks/fps.py" in proc.stderr


def test_fps_init_from_starts_every_run_from_a_saved_model(tmp_path):
    saved = tmp_path / "saved"
    _run([str(BENCHMARKS / "compare.py"), "--env", "Pendulum-v1", "--algos", "ppo_expert", "--seeds", "1",
          "--n-timesteps", "1024", "--eval-freq", "1024", "--eval-episodes", "1", "--save-models", "--n-jobs", "1",
          "--out", str(saved)], tmp_path)  # fmt: skip
    template = str(saved / "models" / "ppo_expert_seed{seed}")
    out = tmp_path / "fps.md"
    _run([str(BENCHMARKS / "fps.py"), "--env", "Pendulum-v1", "--n-timesteps", "1024", "--repeats", "1",
          "--init-from", template, "--out", str(out)], tmp_path)  # fmt: skip
    assert f"from the saved model `{template.format(seed=1)}` (seed 1)" in out.read_text()
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "fps.py"), "--env", "Pendulum-v1", "--n-timesteps", "1024", "--seed", "2",
         "--init-from", template], cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode != 0 and "no saved model" in proc.stderr and "seed 2" in proc.stderr


def test_fps_env_timer_sits_below_vec_normalize_and_counts_the_envs_time():
    fps = _bench("fps")
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    normalized = VecNormalize(make_vec_env("Pendulum-v1", n_envs=2, seed=0))
    model = PPO("MlpPolicy", normalized, n_steps=32, batch_size=32, n_epochs=1, policy_kwargs=dict(net_arch=[8]))
    timer = fps.time_envs(model)
    assert model.env is normalized and normalized.venv is timer  # VecNormalize's work stays the algorithm's
    model.learn(64)
    assert timer.seconds > 0.0 and timer.num_envs == 2
    plain = PPO("MlpPolicy", make_vec_env("Pendulum-v1", n_envs=1, seed=0), n_steps=32, batch_size=32, n_epochs=1)
    assert isinstance(fps.time_envs(plain), fps.EnvTimer) and isinstance(plain.env, fps.EnvTimer)


def test_compare_evaluations_of_one_policy_are_equal_on_an_env_that_keeps_state_across_resets():
    # BipedalWalker keeps its Box2D world across resets: a reseeded env reused for the next evaluation can end the
    # same policy's episodes differently; compare.py makes a new eval env for each evaluation
    compare = _bench("compare")
    entry = compare.load_entry(None, "BipedalWalker-v3", ["n_envs=1", "policy_kwargs=dict(net_arch=[8])"])
    model, make_eval_env = compare.build("ppo", "BipedalWalker-v3", entry, seed=0)
    readings = [compare.evaluate(model, make_eval_env, 3) for _ in range(4)]
    assert readings == [readings[0]] * 4


def test_compare_eval_from_extends_a_curve_without_changing_training(tmp_path):
    # evaluations are deterministic and use their own env: skipping the early ones leaves training as it was
    def curve(out: Path, *extra: str) -> list:
        _run(
            [
                str(BENCHMARKS / "compare.py"),
                "--env", "Pendulum-v1", "--algos", "ppo_expert", "--seeds", "1", "--n-timesteps", "3072",
                "--eval-freq", "1024", "--eval-episodes", "1", "--n-jobs", "1", "--out", str(out), *extra,
            ],
            tmp_path,
        )  # fmt: skip
        return json.loads((out / "runs" / "ppo_expert_seed1.json").read_text())["curve"]

    full = curve(tmp_path / "full")
    late = curve(tmp_path / "late", "--eval-from", "1500")
    assert [point[0] for point in full] == [0, 1024, 2048, 3072]
    assert [point[0] for point in late] == [2048, 3072]  # 1500 rounded up to the evaluation grid
    assert late == full[2:]
    assert "Curves evaluated from step 2048 on" in (tmp_path / "late" / "results.md").read_text()


def test_compare_rejects_an_eval_from_outside_the_budget(tmp_path):
    for bad in ("-1", "3072"):
        proc = subprocess.run(
            [
                sys.executable, str(BENCHMARKS / "compare.py"), "--env", "Pendulum-v1", "--n-timesteps", "3072",
                "--eval-freq", "1024", "--eval-from", bad, "--out", str(tmp_path / "out"),
            ],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 2 and "--eval-from" in proc.stderr and "below --n-timesteps 3072" in proc.stderr
        assert not (tmp_path / "out").exists()  # refused before anything is written or trained


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--eval-freq", "-1"], "--eval-freq must be >= 1"),  # rl_zoo3's "no evaluation" would loop forever here
        (["--eval-freq", "1024", "--n-jobs", "0"], "--n-jobs must be >= 1"),
        (["--eval-freq", "1024", "--params", "bc_coef:1.0"], "must be key=value"),
        (["--eval-freq", "1024", "--params", "bc_cof=1.0"], "'bc_cof' (did you mean 'bc_coef'?)"),
        (
            ["--eval-freq", "1024", "--freeze-log-std", "--params", "policy_kwargs=dict(state_dependent_std=True)"],
            "ppo_expert: --freeze-log-std: TanhGaussianPolicy has no state-independent log_std parameter to freeze",
        ),
    ],
)
def test_compare_refuses_bad_options_before_the_expert_is_evaluated(tmp_path, extra, message):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "compare.py"), "--env", "Pendulum-v1", "--n-timesteps", "2048", *extra,
         "--out", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / "out").exists()


def test_fps_threads_sets_torchs_threads_for_every_run(tmp_path):
    import torch as th

    compare, fps = _bench("compare"), _bench("fps")
    threads = th.get_num_threads()
    try:
        for wanted in (2, 1):
            entry = compare.load_entry(None, "Pendulum-v1", ["n_envs=1", "n_steps=64"])
            fps.run("ppo", "Pendulum-v1", entry, 64, 0, threads=wanted)
            assert th.get_num_threads() == wanted
    finally:
        th.set_num_threads(threads)
    out = tmp_path / "fps.md"
    args = [str(BENCHMARKS / "fps.py"), "--env", "Pendulum-v1", "--n-timesteps", "256", "--repeats", "1", "--out", str(out)]
    _run([*args, "--threads", "2"], tmp_path)
    assert "2 torch threads (the CPU time counts every thread)." in out.read_text()
    proc = subprocess.run([sys.executable, *args, "--threads", "0"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--threads must be >= 1" in proc.stderr, proc.stderr[-2000:]


def test_fps_refuses_a_variant_that_is_not_key_value(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "fps.py"), "--env", "Pendulum-v1", "--n-timesteps", "64", "--variants", "bc_steps0"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "must be key=value" in proc.stderr, proc.stderr[-2000:]


@pytest.mark.parametrize("params", [[], ["--params", "normalize=true"]])
def test_compare_init_from_starts_where_a_saved_run_ended(tmp_path, params):
    # a PPOExpert run saved with --save-models, continued as plain PPO (the phase after the cloning anchor is gone);
    # normalised too: the first point is read with the statistics as saved, before learn()'s reset adds to them
    first, second = tmp_path / "first", tmp_path / "second"
    common = ["--env", "Pendulum-v1", "--seeds", "1", "--eval-freq", "1024", "--eval-episodes", "1", "--n-jobs", "1",
              *params]  # fmt: skip
    _run([str(BENCHMARKS / "compare.py"), *common, "--algos", "ppo_expert", "--n-timesteps", "2048", "--save-models",
          "--out", str(first)], tmp_path)  # fmt: skip
    template = str(first / "models" / "ppo_expert_seed{seed}")
    _run([str(BENCHMARKS / "compare.py"), *common, "--algos", "ppo", "--n-timesteps", "1024", "--init-from", template,
          "--out", str(second)], tmp_path)  # fmt: skip
    saved = json.loads((first / "runs" / "ppo_expert_seed1.json").read_text())["curve"]
    started = json.loads((second / "runs" / "ppo_seed1.json").read_text())
    # the same weights on the same evaluation episodes: the new run's point at 0 is the saved run's last point
    assert started["curve"][0] == [0, saved[-1][1], saved[-1][2]]
    assert [point[0] for point in started["curve"]] == [0, 1024]
    assert started["init_from"] == str(first / "models" / "ppo_expert_seed1.zip")
    assert "Runs started from saved models (--init-from)" in (second / "results.md").read_text()


def test_compare_refuses_normalised_statistics_for_an_entry_without_normalize(tmp_path):
    first = tmp_path / "first"
    common = ["--env", "Pendulum-v1", "--seeds", "1", "--eval-freq", "1024", "--eval-episodes", "1", "--n-jobs", "1",
              "--algos", "ppo_expert"]  # fmt: skip
    _run([str(BENCHMARKS / "compare.py"), *common, "--n-timesteps", "1024", "--save-models", "--params", "normalize=true",
          "--out", str(first)], tmp_path)  # fmt: skip
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "compare.py"), *common, "--n-timesteps", "2048", "--resume-from",
         str(first / "models" / "ppo_expert_seed{seed}"), "--out", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "was trained on normalised observations" in proc.stderr
    assert "ppo_expert_seed1_vecnormalize.pkl" in proc.stderr and "normalize: true" in proc.stderr
    assert not (tmp_path / "out").exists()  # refused before anything is written or trained


def test_compare_init_from_refuses_a_missing_model(tmp_path):
    proc = subprocess.run(
        [
            sys.executable, str(BENCHMARKS / "compare.py"), "--env", "Pendulum-v1", "--seeds", "1", "2",
            "--n-timesteps", "1024", "--eval-freq", "1024", "--init-from", str(tmp_path / "none_seed{seed}"),
            "--out", str(tmp_path / "out"),
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "--init-from: no saved model" in proc.stderr and "none_seed1.zip" in proc.stderr
    assert "--save-models" in proc.stderr
    assert not (tmp_path / "out").exists()  # refused before anything is written or trained


def test_compare_resume_from_continues_a_saved_run_with_its_schedules(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    common = ["--env", "Pendulum-v1", "--seeds", "1", "--eval-freq", "1024", "--eval-episodes", "1", "--n-jobs", "1",
              "--save-models", "--params", "bc_buffer_size=8000"]  # fmt: skip
    _run([str(BENCHMARKS / "compare.py"), *common, "--algos", "ppo_expert", "--n-timesteps", "2048", "--out", str(first)],
         tmp_path)  # fmt: skip
    template = str(first / "models" / "ppo_expert_seed{seed}")
    # --params set on top of the saved hyperparameters: cloning in its anchor form from rollout 3 on
    # (the expert named in --params too, as the README's Pendulum commands do: the entry's own, given once to load())
    _run([str(BENCHMARKS / "compare.py"), *common, "bc_anchor_from=3", "expert=embedded/sac-Pendulum-v1", "--algos",
          "ppo_expert", "--n-timesteps", "5120", "--resume-from", template, "--out", str(second)], tmp_path)  # fmt: skip
    # the aggregated cloning dataset was saved with the model and carried over: 2048 pairs, then 3072 more
    for out, pairs in ((first, 2048), (second, 5120)):
        with np.load(out / "models" / "ppo_expert_seed1_bc_data.npz") as dataset:
            assert len(dataset["obs"]) == pairs
    saved = json.loads((first / "runs" / "ppo_expert_seed1.json").read_text())["curve"]
    resumed = json.loads((second / "runs" / "ppo_expert_seed1.json").read_text())
    # the step count goes on: the first point is the saved model at its own step, on the same episodes
    assert resumed["curve"][0] == saved[-1] and [point[0] for point in resumed["curve"]] == [2048, 3072, 4096, 5120]
    assert resumed["resumed_from"] == str(first / "models" / "ppo_expert_seed1.zip") and resumed["fps"] > 0
    # so does PPOExpert's rollout counter: the roll-in probability of rollouts 2 to 4 (1024 steps each) of the
    # entry's beta = 0.5 * 0.8 ** n, where a fresh start would log rollouts 0 to 2 again
    with open(second / "logs" / "ppo_expert_seed1" / "progress.csv") as log:
        rows = list(csv.DictReader(log))
    assert [float(row["rollout/beta"]) for row in rows] == pytest.approx([0.5 * 0.8**n for n in (2, 3, 4)])
    assert [int(row["time/total_timesteps"]) for row in rows] == [3072, 4096, 5120]
    # a row logs the update before its rollout (none in the first row of a resumed process): rollouts 2 and 3
    assert [row["train/bc_anchor_only"] for row in rows] == ["", "0.0", "1.0"]
    report = (second / "results.md").read_text()
    assert "Runs resumed from saved models (--resume-from)" in report and "(--eval-from)" not in report


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--algos", "ppo", "--n-timesteps", "2048"], "was saved by PPOExpert; resume it with --algos ppo_expert"),
        (["--algos", "ppo_expert", "--n-timesteps", "1024"], "has trained 1024 steps already"),
        (["--algos", "ppo_expert", "--n-timesteps", "2048", "--init-from", "x{seed}"], "exclude each other"),
        (["--algos", "ppo_expert", "--n-timesteps", "2048", "--params", "n_steps=512"], "a resumed run keeps the saved"),
        (["--algos", "ppo_expert", "--n-timesteps", "2048", "--params", "bc_anchor_frm=3"], "not a parameter of"),
    ],
)
def test_compare_resume_from_refuses_what_it_cannot_continue(tmp_path, extra, message):
    first = tmp_path / "first"
    common = ["--env", "Pendulum-v1", "--seeds", "1", "--eval-freq", "1024", "--eval-episodes", "1", "--n-jobs", "1"]
    _run([str(BENCHMARKS / "compare.py"), *common, "--algos", "ppo_expert", "--n-timesteps", "1024", "--save-models",
          "--out", str(first)], tmp_path)  # fmt: skip
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "compare.py"), *common, *extra, "--resume-from",
         str(first / "models" / "ppo_expert_seed{seed}"), "--out", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / "out").exists()  # refused before anything is written or trained


def test_compare_report_bounds_an_unreached_median_by_the_seeds_that_reached_it(tmp_path):
    # four PPO seeds, two reaching the threshold at 100k and 250k, two never within 300k: the median is above the
    # mean of 250k and 300k (275k), not above the whole budget (an infinite middle value made it "> 300k")
    compare = _bench("compare")

    def run(algo, seed, reach):
        curve = [[step, 100.0 if reach is not None and step >= reach else 0.0, 0.0] for step in range(0, 300001, 50000)]
        return {"algo": algo, "seed": seed, "curve": curve, "fps": 100.0, "eval_episodes": 10}

    results = [run("ppo_expert", 1, 50000)] + [
        run("ppo", s, r) for s, r in zip((1, 2, 3, 4), (100000, 250000, None, None), strict=True)
    ]
    text = compare.report(tmp_path, "X-v0", results, {"mean": 100.0, "std": 1.0, "n_episodes": 10}, 100.0, "cmd")
    assert "Median steps to threshold, PPOExpert / PPO: < 0.182 (PPO's median is not reached: it is above 275000" in text
    odd = results[:-1] + [run("ppo", 5, None), run("ppo", 6, None)]  # five seeds, the middle one unreached: the budget
    assert "PPOExpert / PPO: < 0.167 (PPO's median is not reached: it is above 300000" in compare.report(
        tmp_path, "X-v0", odd, {"mean": 100.0, "std": 1.0, "n_episodes": 10}, 100.0, "cmd"
    )


def test_compare_env_wrapper_shapes_the_training_reward_only():
    # an entry's env_wrapper (rl_zoo3's key) wraps the training envs inside their Monitor; the evaluation env is the
    # env's own, and a resumed run may add one (it wraps the new envs, not the saved model)
    bench_wrappers = _bench("bench_wrappers")
    compare = _bench("compare")
    params = ["n_envs=1", "policy_kwargs=dict(net_arch=[8])", "env_wrapper={bench_wrappers.FallPenalty: {penalty: -1.0}}"]
    entry = compare.load_entry(None, "BipedalWalker-v3", params)
    model, make_eval_env = compare.build("ppo", "BipedalWalker-v3", entry, seed=0)
    env = model.get_env()
    rng = np.random.default_rng(0)
    env.reset()
    for _ in range(2000):  # random actions fall within a few hundred steps
        _, reward, done, info = env.step(rng.uniform(-1, 1, (1, 4)).astype(np.float32))
        if done[0]:
            break
    assert done[0]
    assert env.get_original_reward()[0] == -1.0  # the wrapper's penalty in training
    assert info[0]["episode"]["r"] < -99.0  # the Monitor below it logs the env's own -100
    assert env.env_is_wrapped(bench_wrappers.FallPenalty) == [True]
    assert make_eval_env().env_is_wrapped(bench_wrappers.FallPenalty) == [False]
    assert compare.resume_overrides("ppo_expert", params[2:]) == {}
    with pytest.raises(ValueError, match="n_envs"):
        compare.resume_overrides("ppo_expert", params[:1])


class _Hull:
    def __init__(self) -> None:
        self.position = type("Position", (), {"x": 0.0})()


class _Walker(gymnasium.Env):
    """A walker whose hull moves by its action along the course, reward 1 per step, 1000 steps per episode."""

    observation_space = gymnasium.spaces.Box(-1.0, 1.0, (1,))
    action_space = gymnasium.spaces.Box(0.0, 1.0, (1,))
    hull = None  # as BipedalWalker's before its first reset

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.hull, self.t = _Hull(), 0
        return np.zeros(1, dtype=np.float32), {}

    def step(self, action):
        self.hull.position.x += float(action[0])
        self.t += 1
        return np.zeros(1, dtype=np.float32), 1.0, False, self.t >= 1000, {}


@pytest.mark.parametrize("penalty", [None, -100.0])
def test_stall_end_ends_a_stalled_episode_and_reports_its_own_return(penalty):
    bench_wrappers = _bench("bench_wrappers")
    env = bench_wrappers.StallEnd(_Walker(), patience=5, min_progress=1.0, penalty=penalty)
    env.reset()
    for _ in range(20):  # walking: 0.6 per step passes the mark every second step, never ending the episode
        _, reward, terminated, truncated, info = env.step(np.array([0.6]))
        assert (reward, terminated, truncated, "episode" in info) == (1.0, False, False, False)
    for _ in range(5):  # standing: the fifth step without progress ends it
        _, reward, terminated, truncated, info = env.step(np.array([0.1]))
    assert info["stalled"] and info["episode"]["r"] == 25.0 and info["episode"]["l"] == 25
    if penalty is None:
        assert (reward, terminated, truncated) == (1.0, False, True)
    else:
        assert (reward, terminated, truncated) == (-100.0, True, False)
    env.reset()  # the count starts again
    for _ in range(4):
        assert env.step(np.array([0.0]))[2:4] == (False, False)
    assert env.steps_standing == 4
    # marks from the third step without progress, never ends
    marking = bench_wrappers.StallEnd(_Walker(), patience=None, mark_after=3)
    marking.reset()
    standing = [marking.step(np.array([0.0]))[4]["standing"] for _ in range(999)]
    assert standing[:3] == [False, False, True] and all(standing[2:])
    assert marking.step(np.array([0.0]))[3]  # the env's own time limit
    with pytest.raises(ValueError, match="hull"):
        bench_wrappers.StallEnd(gymnasium.make("Pendulum-v1"))


def test_compare_report_states_each_runs_own_command_episodes_and_whether_fps_were_side_by_side(tmp_path):
    # a report rebuilt over runs of two invocations (--report-only): the fps ratio is not called side by side, each
    # run's command is listed, episode counts are per run where they differ; the spread over seeds is the sample std
    compare = _bench("compare")

    def run(algo, seed, final, command, invocation, episodes=10):
        curve = [[0, 0.0, 0.0], [1000, final, 0.0]]
        return dict(
            algo=algo, seed=seed, curve=curve, fps=100.0, eval_episodes=episodes, command=command, invocation=invocation
        )

    expert = {"mean": 50.0, "std": 1.0, "n_episodes": 10}
    together = [run("ppo_expert", 1, 60.0, "cmd", "a"), run("ppo_expert", 2, 80.0, "cmd", "a"), run("ppo", 1, 0.0, "cmd", "a")]
    text = compare.report(tmp_path, "X-v0", together, expert, 50.0, "cmd")
    assert "(one invocation: the runs shared the machine's load): 1.00" in text and "Runs' own commands" not in text
    assert "| ppo_expert | 1, 2 | 70.0 +- 14.1 |" in text  # sample std of 60 and 80 (the population std is 10.0)
    assert "| ppo | 1 | 0.0 +- n/a (one seed) |" in text and "10 episodes per point" in text
    mixed = together[:2] + [run("ppo", 1, 0.0, "other", "b", episodes=5)]
    text = compare.report(tmp_path, "X-v0", mixed, expert, 50.0, "rebuilt")
    assert "over runs of different invocations, or not recorded as one (not side by side" in text
    assert "- ppo seed 1: `other`" in text and "- ppo_expert seed 1, ppo_expert seed 2: `cmd`" in text
    assert "episodes differing by run (ppo seed 1: 5, ppo_expert seed 1: 10, ppo_expert seed 2: 10) per point" in text


def test_compare_report_ratios_and_the_near_line_below_a_negative_expert(tmp_path):
    # Pendulum-like returns (an expert at -100): "within 5%" is the line 5% below it, -105; PPOExpert reaches the
    # threshold at 50k and PPO at 100k (a ratio of 0.5), at twice PPO's frames per second
    compare = _bench("compare")

    def run(algo, reach, near_reach, fps):
        def value(step):
            return -100.0 if step >= reach else (-104.0 if step >= near_reach else -500.0)

        curve = [[step, value(step), 0.0] for step in range(0, 200001, 25000)]
        return dict(algo=algo, seed=1, curve=curve, fps=fps, eval_episodes=10, command="cmd", invocation="a")

    results = [run("ppo_expert", 50000, 25000, 200.0), run("ppo", 100000, 75000, 100.0)]
    text = compare.report(tmp_path, "X-v0", results, {"mean": -100.0, "std": 1.0, "n_episodes": 10}, -100.0, "cmd")
    assert "Near the expert: -105.0" in text
    assert "Median steps to threshold, PPOExpert / PPO: 0.500." in text
    assert "Median steps to within 5% of the expert, PPOExpert / PPO: 0.333." in text  # 25k against 75k
    assert "the runs shared the machine's load): 2.00." in text


def test_compare_scores_the_expert_on_the_learners_evaluation_episodes():
    # the expert's line in the report is its return on exactly the episodes the learners are evaluated on: a model
    # evaluated as a learner and the same model as the expert read the same return
    compare = _bench("compare")
    from stable_baselines3 import PPO

    model = PPO("MlpPolicy", "Pendulum-v1", policy_kwargs=dict(net_arch=[8]), n_steps=64, seed=0)
    as_learner, _ = compare.evaluate(model, lambda: compare.make_eval_env("Pendulum-v1", False, 0), 3, eval_seed=11)
    as_expert = compare.evaluate_expert("Pendulum-v1", {"expert": model}, 3, eval_seed=11)
    assert as_expert["mean"] == pytest.approx(as_learner, rel=1e-5)
    assert compare.evaluate_expert("Pendulum-v1", {"expert": model}, 3, eval_seed=12)["mean"] != pytest.approx(as_learner)


def test_compare_workers_end_with_a_killed_main_process(tmp_path):
    # `kill` / `pkill -f compare.py` ends the main process but not its spawned workers, which went on training (an
    # hour, in session 48): each worker now ends once its parent is gone
    import os
    import signal
    import time

    pid_file = tmp_path / "worker.pid"
    script = tmp_path / "main.py"
    script.write_text(
        "import multiprocessing as mp, os, sys, time\n"
        f"sys.path.insert(0, {str(BENCHMARKS)!r})\n"
        "from compare import exit_with_parent\n"
        "def work(path):\n"
        "    open(path, 'w').write(str(os.getpid()))\n"
        "    time.sleep(120)\n"
        "if __name__ == '__main__':\n"
        "    with mp.get_context('spawn').Pool(1, initializer=exit_with_parent, initargs=(os.getpid(), 0.2)) as pool:\n"
        f"        pool.map(work, [{str(pid_file)!r}])\n"
    )
    main = subprocess.Popen([sys.executable, str(script)])

    def running(pid: int) -> bool:
        status = Path(f"/proc/{pid}/status")
        return status.exists() and "\nState:\tZ" not in status.read_text()  # a zombie has ended

    try:
        deadline = time.monotonic() + 120
        while not pid_file.is_file() or not pid_file.read_text():
            assert time.monotonic() < deadline and main.poll() is None, "the worker never started"
            time.sleep(0.2)
        worker = int(pid_file.read_text())
        assert running(worker)
        main.send_signal(signal.SIGKILL)
        main.wait()
        deadline = time.monotonic() + 10
        while running(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not running(worker)
    finally:
        main.kill()
        if pid_file.is_file() and pid_file.read_text() and running(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


@pytest.mark.parametrize("gamma", [0.99, 0.999])
def test_compare_load_stats_restarts_the_return_statistics_only_where_gamma_changed(tmp_path, gamma):
    compare = _bench("compare")

    def entry(gamma):
        return compare.load_entry(None, "Pendulum-v1", ["n_envs=2", "normalize=true", f"gamma={gamma}"])

    saved_model, _ = compare.build("ppo", "Pendulum-v1", entry(0.99), seed=0)
    saved = saved_model.get_env()
    saved.reset()
    for _ in range(50):
        saved.step(np.zeros((2, 1), dtype=np.float32))
    saved.save(str(tmp_path / "stats.pkl"))
    model, _ = compare.build("ppo", "Pendulum-v1", entry(gamma), seed=0)
    compare.load_stats(model, tmp_path / "stats.pkl")
    loaded = model.get_vec_normalize_env()
    np.testing.assert_array_equal(loaded.obs_rms.mean, saved.obs_rms.mean)  # the observation statistics carry over
    assert loaded.obs_rms.count == saved.obs_rms.count > 50
    if gamma == 0.99:
        assert loaded.ret_rms.count == saved.ret_rms.count and loaded.ret_rms.var == saved.ret_rms.var
    else:  # the return's spread at another gamma is another quantity: estimated anew
        assert loaded.ret_rms.count < 1 and loaded.ret_rms.var == 1.0


def test_compare_saved_log_std_reads_whether_a_saved_policy_has_a_log_std_to_freeze(tmp_path):
    # --freeze-log-std on --resume-from is refused from the zip's weights, before any model is built
    from stable_baselines3 import PPO

    from sb3_aggrevated.policies import TanhGaussianPolicy

    compare = _bench("compare")
    small = dict(net_arch=[8])
    PPO("MlpPolicy", "Pendulum-v1", policy_kwargs=small).save(tmp_path / "independent")
    PPO(TanhGaussianPolicy, "Pendulum-v1", policy_kwargs=dict(state_dependent_std=True, **small)).save(tmp_path / "dependent")
    PPO("MlpPolicy", "CartPole-v1", policy_kwargs=small).save(tmp_path / "discrete")
    assert compare.saved_log_std(tmp_path / "independent.zip")
    assert not compare.saved_log_std(tmp_path / "dependent.zip")
    assert not compare.saved_log_std(tmp_path / "discrete.zip")


def test_compare_freeze_log_std_keeps_the_noise_of_a_resumed_run(tmp_path):
    import torch as th

    from sb3_aggrevated import PPOExpert

    first = tmp_path / "first"
    common = ["--env", "Pendulum-v1", "--seeds", "1", "--eval-freq", "1024", "--eval-episodes", "1", "--n-jobs", "1",
              "--save-models", "--algos", "ppo_expert", "--params", "ent_coef=0.5"]  # fmt: skip
    _run([str(BENCHMARKS / "compare.py"), *common, "--n-timesteps", "1024", "--out", str(first)], tmp_path)

    def policy(out):
        return PPOExpert.load(out / "models" / "ppo_expert_seed1.zip", device="cpu").policy

    start = policy(first)
    for frozen in (True, False):
        out = tmp_path / f"frozen_{frozen}"
        _run([str(BENCHMARKS / "compare.py"), *common, "--n-timesteps", "2048", "--resume-from",
              str(first / "models" / "ppo_expert_seed{seed}"), "--out", str(out),
              *(["--freeze-log-std"] if frozen else [])], tmp_path)  # fmt: skip
        resumed = policy(out)
        # the update moved the mean either way; the noise (pushed up by a large entropy bonus) only where not frozen
        assert not th.equal(resumed.action_net.weight, start.action_net.weight)
        assert th.equal(resumed.log_std, start.log_std) == frozen
