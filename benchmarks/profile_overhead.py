"""
Where PPOExpert's time goes, against PPO: both run the same config (an entry of hyperparams/ppo_expert.yml),
alternately in one process, each under cProfile; prints frames per second, their ratio, and the time spent
in the expert's queries, the roll-in and the behaviour-cloning term.

Example::

    python benchmarks/profile_overhead.py --env BipedalWalker-v3 --n-timesteps 65536 --params n_envs=16
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import build, load_entry  # noqa: E402

# (label, function name as cProfile reports it)
PIECES = [
    ("expert.predict (roll-in + BC labels)", "predict"),
    ("expert.value / q_value (advantages)", "value"),
    ("expert advantages, whole buffer", "_set_expert_targets"),
    ("behaviour-cloning loss (every call)", "_bc_loss_on"),
    ("supervised cloning steps (bc_steps)", "_train_bc"),
    ("aggregated dataset (DAgger)", "_aggregate_bc_data"),
    ("collect_rollouts", "collect_rollouts"),
    ("train", "train"),
]


def profile(algo: str, env_id: str, entry: dict, n_timesteps: int, seed: int) -> tuple[float, pstats.Stats]:
    model, _ = build(algo, env_id, entry, seed)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    model.learn(n_timesteps)
    profiler.disable()
    elapsed = time.perf_counter() - start
    return model.num_timesteps / elapsed, pstats.Stats(profiler, stream=io.StringIO())


def cumulative(stats: pstats.Stats, name: str, module_part: str = "") -> float:
    total = 0.0
    for (filename, _, function), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        if function == name and module_part in filename:
            total += cum
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--n-timesteps", type=int, default=65536)
    parser.add_argument("--params", nargs="*", default=[])
    parser.add_argument("--repeats", type=int, default=2, help="alternate PPO / PPOExpert this many times")
    args = parser.parse_args()
    entry = load_entry(None, args.env, args.params)
    fps: dict[str, list[float]] = {"ppo": [], "ppo_expert": []}
    last: dict[str, pstats.Stats] = {}
    for repeat in range(args.repeats):
        for algo in ("ppo", "ppo_expert"):
            value, stats = profile(algo, args.env, entry, args.n_timesteps, seed=repeat)
            fps[algo].append(value)
            last[algo] = stats
            print(f"{algo}: {value:.0f} fps (under cProfile)", flush=True)
    ratio = sum(fps["ppo_expert"]) / sum(fps["ppo"])
    print(f"\nfps ratio PPOExpert / PPO (alternated, same process): {ratio:.2f}\n")
    print("| piece | PPO (s) | PPOExpert (s) |\n|---|---|---|")
    for label, name in PIECES:
        module = "" if name in ("collect_rollouts", "train") else "sb3_aggrevated"
        print(
            f"| {label} | {cumulative(last['ppo'], name, module):.2f} | {cumulative(last['ppo_expert'], name, module):.2f} |"
        )


if __name__ == "__main__":
    main()
