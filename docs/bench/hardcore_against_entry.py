"""Runs on the reported seeds compared with the Hardcore entry on the same evaluation episodes (evaluation seed 100000,
10 per point): one panel per seed with each run's curve, and the mean of the points all the runs have after a start
(printed as a markdown table). Writes FOLDER/curves_vs_entry.png.

Run from the repository root: python docs/bench/hardcore_against_entry.py FOLDER   (one of COMPARISONS' keys)
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hardcore_plot import against_entry  # noqa: E402

BENCH = Path(__file__).resolve().parent
ENTRY_2M, ENTRY_5M = BENCH / "hardcore_256x256_bc_batch64", BENCH / "hardcore_256x256_bc_batch64_5M"
# folder -> (title, {label: folder of compare.py, or seed -> folder}, the start in env steps after which the points are
# averaged[, the seeds: 1 and 2 where not given])
COMPARISONS = {
    "hardcore_anchor_coef3_4M": (
        "BipedalWalkerHardcore-v3 after 2M: the entry, and its cheap anchor at one and three times the weight",
        {
            "the entry (full anchor: aggregated states + 200 cloning steps)": ENTRY_5M,
            "bc_anchor_from=180 (the anchor on the minibatch's own states only)": BENCH / "hardcore_anchor_only_4M",
            "the same at three times the weight (bc_coef=3)": BENCH / "hardcore_anchor_coef3_4M",
        },
        2_100_000,
    ),
    "hardcore_anchor_coef3_4M_seeds34": (
        "BipedalWalkerHardcore-v3 after 2M, seeds 3 and 4: the entry, and its cheap anchor at three times the weight",
        {
            "the entry (full anchor: aggregated states + 200 cloning steps)": {
                seed: BENCH / f"hardcore_seed{seed}_5M" for seed in (3, 4)
            },
            "bc_anchor_from=245 bc_anchor_coef=3": BENCH / "hardcore_anchor_coef3_4M_seeds34",
        },
        2_100_000,
        (3, 4),
    ),
    "hardcore_anchor_only_4M": (
        "BipedalWalkerHardcore-v3 after the hand-over: the entry and its cheap anchor, from the same 2M models",
        {
            "the entry (full anchor: aggregated states + 200 cloning steps)": ENTRY_5M,
            "bc_anchor_from=180 (the anchor on the minibatch's own states only)": BENCH / "hardcore_anchor_only_4M",
        },
        2_100_000,
    ),
    "hardcore_target_kl_5M": (
        "BipedalWalkerHardcore-v3 after 2M: the entry and a KL-bounded PPO step, from the same 2M models",
        {
            "the entry (10 epochs per update)": ENTRY_5M,
            "target_kl=0.02 (an epoch ends at approx-KL 0.03)": BENCH / "hardcore_target_kl_5M",
        },
        2_100_000,
    ),
    "hardcore_target_kl_2M": (
        "BipedalWalkerHardcore-v3 from scratch to 2M: the entry with and without a KL-bounded PPO step",
        {
            "the entry (10 epochs per update)": ENTRY_2M,
            "target_kl=0.02 (an epoch ends at approx-KL 0.03)": BENCH / "hardcore_target_kl_2M",
        },
        0,
    ),
    "hardcore_target_kl_2M_5M": (
        "BipedalWalkerHardcore-v3, 2-5M: the entry, and target_kl=0.02 after 2M or from the start",
        {
            "the entry (10 epochs per update)": ENTRY_5M,
            "the entry to 2M, then target_kl=0.02": BENCH / "hardcore_target_kl_5M",
            "target_kl=0.02 from the first rollout": BENCH / "hardcore_target_kl_2M_5M",
        },
        2_100_000,
    ),
    "hardcore_target_kl_from180": (
        "BipedalWalkerHardcore-v3 to 2M: the entry, and the entry with target_kl=0.02 from rollout 180 (1.47M)",
        {
            "the entry (10 epochs per update)": ENTRY_2M,
            "target_kl=0.02 from rollout 180 (identical to the entry before it)": BENCH / "hardcore_target_kl_from180",
        },
        1_470_000,
    ),
    "hardcore_target_kl_from180_5M": (
        "BipedalWalkerHardcore-v3, 2-5M: the entry, and target_kl=0.02 from 1.47M, from 2M or from the start",
        {
            "the entry (10 epochs per update)": ENTRY_5M,
            "target_kl=0.02 from rollout 180 (1.47M)": BENCH / "hardcore_target_kl_from180_5M",
            "the entry to 2M, then target_kl=0.02": BENCH / "hardcore_target_kl_5M",
            "target_kl=0.02 from the first rollout": BENCH / "hardcore_target_kl_2M_5M",
        },
        2_100_000,
    ),
}

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("folder", choices=sorted(COMPARISONS))
args = parser.parse_args()
title, runs, start, *seeds = COMPARISONS[args.folder]
out = BENCH / args.folder
expert = json.loads((out / "expert.json").read_text())["mean"]
against_entry(runs, seeds[0] if seeds else (1, 2), expert, start, title, out / "curves_vs_entry.png")
