"""
Frames per second of PPOExpert against PPO, same config, same process: after an untimed rollout of each, the runs
alternate (PPO, PPOExpert, then each PPOExpert variant, ``--repeats`` times over), so every algorithm sees the same
machine load on average. The report gives the median frames per second of each, by the wall clock and by the
process's CPU time (every run single-threaded by default: one torch thread, the envs in the process; ``--threads 2``
gives torch two, as a run on a 2-core machine gets by default), and their ratios to
PPO's. On a shared machine the CPU-time figure is the steadier one: it leaves out the time the process waited for
a core. A third figure takes the envs' own CPU time out (their ``step_wait`` and ``reset``, timed below VecNormalize):
what a step costs the algorithm itself, independent of how costly the states its policy reaches are to simulate. No
profiler, no evaluation.

A variant is PPOExpert with some keys overridden (``--variants "bc_steps=0"``): it splits PPOExpert's cost into
the expert's own overhead (roll-in queries, advantages, bookkeeping) and the extra learning the entry asks for
(supervised cloning steps).

Example::

    python benchmarks/fps.py --env Pendulum-v1 --n-timesteps 20480 --repeats 3 --variants "bc_steps=0" \
        --params expert=sb3/sac-Pendulum-v1 --out docs/bench/fps/pendulum.md
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import build, init_from, init_paths, load_entry  # noqa: E402
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper  # noqa: E402
from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs, VecEnvStepReturn  # noqa: E402


class EnvTimer(VecEnvWrapper):
    """Adds up the CPU seconds the envs themselves take (``step_wait``, with its automatic resets, and ``reset``)."""

    def __init__(self, venv: VecEnv) -> None:
        super().__init__(venv)
        self.seconds = 0.0

    def reset(self) -> VecEnvObs:
        start = time.process_time()
        obs = self.venv.reset()
        self.seconds += time.process_time() - start
        return obs

    def step_wait(self) -> VecEnvStepReturn:
        start = time.process_time()
        out = self.venv.step_wait()
        self.seconds += time.process_time() - start
        return out


def time_envs(model) -> EnvTimer:
    """Wrap the innermost VecEnv of ``model.env`` (below VecNormalize: the algorithm's own work stays outside)."""
    outer = model.env
    if not isinstance(outer, VecEnvWrapper):
        model.env = timer = EnvTimer(outer)
        return timer
    while isinstance(outer.venv, VecEnvWrapper):
        outer = outer.venv
    outer.venv = timer = EnvTimer(outer.venv)
    return timer


def run(
    algo: str,
    env_id: str,
    entry: dict,
    n_timesteps: int,
    seed: int,
    init_from_template: str | None = None,
    threads: int = 1,
) -> tuple[float, float, float]:
    """Frames per wall-clock second, per CPU second, and per CPU second left to the algorithm (the envs' own CPU time
    taken out) of one ``learn(n_timesteps)`` call (model building excluded). With ``init_from_template``, the model
    starts from that saved model (``compare.py --init-from``): a trained policy's episodes, not a fresh one's.
    ``threads``: torch's intra-op threads."""
    model, _ = build(algo, env_id, entry, seed, threads=threads)
    if init_from_template:
        init_from(model, init_from_template, seed)
    timer = time_envs(model)
    wall, cpu = time.perf_counter(), time.process_time()
    model.learn(n_timesteps)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return model.num_timesteps / wall, model.num_timesteps / cpu, model.num_timesteps / (cpu - timer.seconds)


PAIRED_HEADING = "## Each repeat against the same repeat's PPO"


def paired_lines(columns: dict[str, dict[str, list[float]]]) -> list[str]:
    """
    The ratio of each variant to PPO within each repeat (the runs that shared that repeat's machine load), and their
    median: the steadier figure where the machine's speed drifts between repeats (the main table's ``/ PPO`` is the
    ratio of the two medians, which may pair one repeat's PPO with another repeat's variant).

    :param columns: for each measure (``"fps"``, ``"per CPU second"``, ...), each label's per-repeat values; ``"PPO"``
        among the labels
    :return: markdown lines (heading and table)
    """
    names = list(columns)
    lines = [
        PAIRED_HEADING,
        "",
        "| algorithm | " + " | ".join(f"{name} / PPO's, median | (each repeat)" for name in names) + " |",
        "|---|" + "---|---|" * len(names),
    ]
    for label in columns[names[0]]:
        if label == "PPO":
            continue
        cells = []
        for name in names:
            ratios = [value / ppo for value, ppo in zip(columns[name][label], columns[name]["PPO"], strict=True)]
            cells.append(f"{statistics.median(ratios):.2f} | {', '.join(f'{r:.2f}' for r in ratios)}")
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return lines


def columns_from_report(text: str) -> dict[str, dict[str, list[float]]]:
    """The per-repeat values of a report ``fps.py`` wrote (its ``(each repeat)`` columns), as :func:`paired_lines`
    takes them: to add the paired ratios to reports written before they were part of it."""
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    if not rows:
        raise ValueError("not a report of benchmarks/fps.py: no table")
    header = [cell.strip() for cell in rows[0].strip().strip("|").split("|")]
    # each "(each repeat)" column, named by the median column before it ("fps (median)" -> "fps")
    names = {index: header[index - 1].replace(" (median)", "") for index, cell in enumerate(header) if "each repeat" in cell}
    columns: dict[str, dict[str, list[float]]] = {name: {} for name in names.values()}
    for row in rows[1:]:
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        if not cells[0] or set(cells[0]) <= {"-"} or len(cells) != len(header):
            continue
        for index, name in names.items():
            columns[name][cells[0]] = [float(v) for v in cells[index].split(",")]
    if not columns or any("PPO" not in column for column in columns.values()):
        raise ValueError("not a report of benchmarks/fps.py: no '(each repeat)' columns with a PPO row")
    return columns


def add_paired_to_report(path: Path) -> str:
    """Append the paired ratios to a report written before they were part of it (replacing an earlier such part)."""
    text = path.read_text().split("\n" + PAIRED_HEADING)[0].rstrip("\n") + "\n"
    note = "(Added from the per-repeat values above by `python benchmarks/fps.py --paired-from THIS_FILE`.)"
    heading, blank, *table = paired_lines(columns_from_report(text))
    text += "\n" + "\n".join([heading, blank, note, "", *table]) + "\n"
    path.write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", help="the env to time (required unless --paired-from)")
    parser.add_argument("--n-timesteps", type=int, help="steps per timed run (required unless --paired-from)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch's intra-op threads for every run (default 1, as the learning benchmarks run; torch's own default is "
        "the number of cores)",
    )
    parser.add_argument("--conf", default=None, help="hyperparameter YAML (default: the packaged ppo_expert.yml)")
    parser.add_argument("--params", nargs="*", default=[], help="overrides key=value (YAML values), for every run")
    parser.add_argument(
        "--variants", nargs="*", default=[], help='PPOExpert variants, each a string of overrides: "bc_steps=0 bc_coef=0"'
    )
    parser.add_argument(
        "--init-from",
        default=None,
        help="start every run from a model saved by compare.py --save-models (path template with {seed}, as "
        "compare.py's --init-from: weights, optimizer state, VecNormalize statistics; schedules from rollout 0): "
        "the speed on a trained policy's episodes, which cost the envs differently from a fresh policy's",
    )
    parser.add_argument("--out", default=None, help="markdown file for the table (default: print only)")
    parser.add_argument(
        "--paired-from",
        nargs="+",
        default=None,
        metavar="REPORT",
        help="measure nothing: add the per-repeat ratios to reports written before they were part of fps.py's report",
    )
    args = parser.parse_args()
    if args.paired_from:
        for report in args.paired_from:
            try:
                print(add_paired_to_report(Path(report)))
            except (OSError, ValueError) as error:
                parser.error(f"--paired-from {report}: {error}")
        return
    if args.env is None or args.n_timesteps is None:
        parser.error("the following arguments are required: --env, --n-timesteps (unless --paired-from)")
    if args.repeats < 1 or args.n_timesteps < 1:
        parser.error(f"--repeats and --n-timesteps must be >= 1, got {args.repeats} and {args.n_timesteps}.")
    if args.threads < 1:
        parser.error(f"--threads must be >= 1 (torch's intra-op threads), got {args.threads}.")
    try:
        entry = load_entry(args.conf, args.env, args.params)
        variants = [(variant, load_entry(args.conf, args.env, args.params + variant.split())) for variant in args.variants]
    except ValueError as error:
        parser.error(str(error))
    if args.init_from and not (zip_path := init_paths(args.init_from, args.seed)[0]).is_file():
        parser.error(f"--init-from: no saved model {zip_path} for seed {args.seed}.")
    runs = [("ppo", "PPO", entry), ("ppo_expert", "PPOExpert (the entry)", entry)]
    for variant, conf in variants:
        runs.append(("ppo_expert", f"PPOExpert, {variant}", conf))
    for algo, _, conf in runs[:2]:  # untimed warm-up (one rollout each): lazy imports and first allocations
        run(algo, args.env, conf, 1, args.seed, args.init_from, args.threads)
    fps: dict[str, list[float]] = {label: [] for _, label, _ in runs}
    cpu_fps: dict[str, list[float]] = {label: [] for _, label, _ in runs}
    algo_fps: dict[str, list[float]] = {label: [] for _, label, _ in runs}
    for repeat in range(args.repeats):
        for algo, label, conf in runs:
            wall, cpu, own = run(algo, args.env, conf, args.n_timesteps, args.seed, args.init_from, args.threads)
            fps[label].append(wall)
            cpu_fps[label].append(cpu)
            algo_fps[label].append(own)
            print(
                f"[repeat {repeat + 1}] {label}: {wall:.0f} fps, {cpu:.0f} per CPU second, "
                f"{own:.0f} per CPU second without the envs' own time",
                flush=True,
            )

    columns = (fps, cpu_fps, algo_fps)  # by the clock, per CPU second, per CPU second without the envs' time
    ppo_medians = [statistics.median(column["PPO"]) for column in columns]
    command = "python benchmarks/fps.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    lines = [
        f"# Frames per second, {args.env}",
        "",
        f"Command: `{command}`",
        "",
        f"{args.n_timesteps} steps per run from "
        + (f"the saved model `{args.init_from.format(seed=args.seed)}`" if args.init_from else "a fresh model")
        + f" (seed {args.seed}), the runs alternating in one process, "
        f"{args.repeats} times over; median over the repeats; "
        + ("one torch thread." if args.threads == 1 else f"{args.threads} torch threads (the CPU time counts every thread)."),
        "",
        "The last columns take the CPU time of the envs themselves (their step and reset, below VecNormalize) out: the "
        "algorithm's own cost per step, which does not depend on how costly the states its policy visits are to "
        "simulate (a LunarLander that lands and hovers costs Box2D far more per step than one that crashes at once).",
        "",
        "The `/ PPO` columns divide the medians; the table after it divides each repeat by the same repeat's PPO run "
        "(the runs that shared that repeat's load) and gives the median of those ratios.",
        "",
        "| algorithm | fps (median) | fps (each repeat) | / PPO | per CPU second (median) | (each repeat) | / PPO "
        "| without the envs' time (median) | (each repeat) | / PPO |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, label, _ in runs:
        cells = []
        for column, ppo_median in zip(columns, ppo_medians, strict=True):  # median, each repeat, ratio to PPO's
            median = statistics.median(column[label])
            each = ", ".join(f"{value:.0f}" for value in column[label])
            cells.append(f"{median:.0f} | {each} | {median / ppo_median:.2f}")
        lines.append(f"| {label} | {' | '.join(cells)} |")
    by_name = {"fps": fps, "per CPU second": cpu_fps, "without the envs' time": algo_fps}
    lines += ["", *paired_lines(by_name)]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
