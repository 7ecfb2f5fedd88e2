"""The entry's Hardcore models (the ten 2M models; ``--at 5M`` / ``--at 9M`` those continued) on two sets of 250
episodes each (50 at evaluation seed 100000 + 200 at 300000): the first as each run's folder read it (only each run's
first episode seeded: ``runs/`` and ``evaluate_more.json``), the second with every episode seeded
(``final_seeded.json`` and ``evaluate_more_seeded.json``), and both together.
Each seed against the expert on the same episodes. Prints a markdown table.
``--later-sets``: the thirteen 2M models (the ten, seeds 13 and 14 of ``../hardcore_seeds13_14/`` and 15 of
``../hardcore_seed15/``, run after the first set's code was gone) on the second and third sets only, each every
episode seeded, and on both (500 episodes). ``--later-sets --target-kl``: the same for the thirteen 2M models of the form
with SB3's KL early stop (``target_kl=0.02`` from the first rollout), with each seed's difference from the entry's.

Run from the repository root:
python docs/bench/hardcore_2M_seeded_episodes/table.py [--at 5M] [--third | --later-sets [--target-kl]]
"""

import argparse
import json
from pathlib import Path

import numpy as np

# two-sided 95% quantiles of Student's t by degrees of freedom (as ../hardcore_seed6_9M/trend.py)
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}
T95 |= {11: 2.201, 12: 2.179}
LATER = {13: "hardcore_seeds13_14", 14: "hardcore_seeds13_14", 15: "hardcore_seed15"}  # the entry's seeds 13-15 at 2M
TARGET_KL = {1: "hardcore_target_kl_2M", 2: "hardcore_target_kl_2M", 5: "hardcore_target_kl_2M_seeds34/seed5"}
TARGET_KL |= {3: "hardcore_target_kl_2M_seeds34", 4: "hardcore_target_kl_2M_seeds34"}
for pair in ((6, 9), (10, 11), (12, 13), (14, 15)):  # run two at a time, each pair into its own folder
    TARGET_KL |= dict.fromkeys(pair, "hardcore_target_kl_2M_more_seeds/seeds_{}_{}".format(*pair))
BENCH = Path(__file__).resolve().parent.parent
STAGES = {  # the entry's saved models at each budget: seed -> folder
    "2M": {1: "hardcore_256x256_bc_batch64", 2: "hardcore_256x256_bc_batch64"}
    | {seed: f"hardcore_seed{seed}" for seed in (3, 4, 5, 6, 9, 10, 11, 12)},
    "5M": {1: "hardcore_256x256_bc_batch64_5M", 2: "hardcore_256x256_bc_batch64_5M"}
    | {seed: f"hardcore_seed{seed}_5M" for seed in (3, 4, 5, 6, 9, 10, 11)},
    "9M": {seed: f"hardcore_seed{seed}_9M" for seed in (3, 4, 5, 6, 9, 10)},
}
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--at", choices=sorted(STAGES), default="2M", help="the budget whose saved models to tabulate")
parser.add_argument("--third", action="store_true", help="add the third set (third_seeded.json: 250 at eval seed 500000)")
parser.add_argument(
    "--later-sets", action="store_true", help="the 2M models of thirteen seeds on the second and third sets, not the first"
)
parser.add_argument("--target-kl", action="store_true", help="with --later-sets: the target_kl=0.02 form's 2M models")
args = parser.parse_args()
FOLDERS = STAGES[args.at]
if args.later_sets:
    if args.at != "2M" or args.third:
        parser.error("--later-sets reads the 2M models on the second and third sets: leave out --at and --third")
    FOLDERS = FOLDERS | LATER
elif args.target_kl:
    parser.error("--target-kl reads the form's 2M models on the second and third sets: add --later-sets")
ENTRY = FOLDERS
if args.target_kl:
    FOLDERS = {seed: TARGET_KL[seed] for seed in ENTRY}


def read(path: Path) -> dict:
    return json.loads(path.read_text())


def over_250(final: float, more: float) -> float:
    """The mean over 50 final episodes and 200 more."""
    return (50 * final + 200 * more) / 250


def t_half(values: np.ndarray) -> float:
    """Half the width of the 95% t interval of the mean of ``values`` (one per seed)."""
    return T95[len(values) - 1] * values.std(ddof=1) / np.sqrt(len(values))


def second_set(folder: Path, key: str) -> tuple[float, float]:
    """The model's and the expert's means over the second set (50 at eval seed 100000 + 200 at 300000)."""
    final_seeded, more_seeded = read(folder / "final_seeded.json"), read(folder / "evaluate_more_seeded.json")
    return (
        over_250(final_seeded[key]["mean"], more_seeded[key]["mean"]),
        over_250(final_seeded["expert"]["mean"], more_seeded["expert"]["mean"]),
    )


def third_set(folder: Path, key: str) -> tuple[float, float]:
    """The model's and the expert's means over the third set (250, every episode seeded from 500000)."""
    reading = read(folder / "third_seeded.json")
    return reading[key]["mean"], reading["expert"]["mean"]


def later_share(folder: Path, key: str) -> float:
    """A 2M model's mean over the second and third sets (500 episodes) as a share of the expert's."""
    (second, expert_second), (third, expert_third) = second_set(folder, key), third_set(folder, key)
    return (second + third) / (expert_second + expert_third)


rows, shares, differences = [], {}, []
for seed, name in FOLDERS.items():
    folder, key = BENCH / name, f"ppo_expert_seed{seed}"
    second, expert_second = second_set(folder, key)
    if args.later_sets or args.third:
        third, expert_third = third_set(folder, key)
    if args.later_sets:  # the second and third sets, 500 episodes (the first cannot be read again for every seed)
        readings = {
            "second": (second, expert_second),
            "third": (third, expert_third),
            "second and third": ((second + third) / 2, (expert_second + expert_third) / 2),
        }
    else:
        first_more = read(folder / "evaluate_more.json")
        first = over_250(read(folder / "runs" / f"{key}.json")["final_eval"]["mean"], first_more[key]["mean"])
        expert_first = over_250(read(folder / "expert.json")["final"]["mean"], first_more["expert"]["mean"])
        both, expert_both = (first + second) / 2, (expert_first + expert_second) / 2
        readings = {"first": (first, expert_first), "second": (second, expert_second), "both": (both, expert_both)}
        if args.third:  # all three sets: 750 episodes
            readings["third"] = (third, expert_third)
            readings["all three"] = ((first + second + third) / 3, (expert_first + expert_second + expert_third) / 3)
    for label, (value, expert) in readings.items():
        shares.setdefault(label, []).append(value / expert)
    cells = [f"{value:.1f} ({100 * value / expert:.1f}%)" for value, expert in readings.values()]
    if args.target_kl:  # against the entry's same seed, same 500 episodes
        difference = shares["second and third"][-1] - later_share(BENCH / ENTRY[seed], key)
        differences.append(difference)
        cells.append(f"{100 * difference:+.1f}")
    rows.append(f"| {seed} | {' | '.join(cells)} |")

names = {
    "first": "first set",
    "second": "second set, every episode seeded",
    "both": "both, 500 episodes",
    "third": "third set (eval seed 500000)",
    "all three": "all three, 750 episodes",
    "second and third": "second and third, 500 episodes",
}
header = [f"{names[label]} (expert {expert:.1f})" for label, (_, expert) in readings.items()]
if args.target_kl:
    header.append("minus the entry's share, points")
print("| seed | " + " | ".join(header) + " |")
print("|---" * (len(header) + 1) + "|")
print("\n".join(rows))
cells = []
for label in readings:
    share = np.array(shares[label])
    half = t_half(share)
    cells.append(
        f"{int((share >= 1.0).sum())} of {len(share)}, mean {100 * share.mean():.1f}% "
        f"(95% t interval {100 * (share.mean() - half):.0f}-{100 * (share.mean() + half):.0f}%)"
    )
if args.target_kl:
    difference = np.array(differences)
    half = t_half(difference)
    low, high = 100 * (difference.mean() - half), 100 * (difference.mean() + half)
    cells.append(f"{100 * difference.mean():+.1f} (95% t interval {low:+.1f} to {high:+.1f})")
print(f"| at or above the expert; mean share | {' | '.join(cells)} |")
