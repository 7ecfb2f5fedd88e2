"""The Hardcore entry with cloning kept as a fading anchor against the entry before it (cloning faded with the
hand-over) and PPO: evaluation curves (10 deterministic episodes per point) and training return, the hand-over marked.

Run from the repository root: python docs/bench/hardcore_anchor/plot.py
(``--this docs/bench/hardcore_anchor_5M`` plots the same entry's 5M runs against the same runs before it;
``--this docs/bench/hardcore_lr_factor --before docs/bench/hardcore_anchor_5M --this-label ... --before-label ...``
plots the entry after it against this one.)
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hardcore_plot import finish, panels, plot_run  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--this", default=str(Path(__file__).parent), help="folder of the current entry's runs")
# the same command with the entry before (default: docs/bench/hardcore)
parser.add_argument("--before", default=str(Path(__file__).parent.parent / "hardcore"), help="folder of the entry before")
parser.add_argument("--this-label", default="PPOExpert, cloning kept (this entry)")
parser.add_argument("--before-label", default="PPOExpert, cloning faded with the hand-over")
args = parser.parse_args()
HERE = Path(args.this)
BEFORE = Path(args.before)
PPO_RUNS = Path(__file__).parent.parent / "hardcore"  # PPO ignores the expert keys: these runs stand for every entry
RUNS = [  # label, folders (the first that has the run), run name, colour
    (args.this_label, (HERE,), "ppo_expert_seed{}", "tab:blue"),
    (args.before_label, (BEFORE,), "ppo_expert_seed{}", "tab:orange"),
    ("PPO, same hyperparameters", (PPO_RUNS, HERE, Path(__file__).parent), "ppo_seed{}", "tab:green"),
]
expert = json.loads((HERE / "expert.json").read_text())

fig, (ax_eval, ax_train) = panels()
for label, folders, name, colour in RUNS:
    for seed in (1, 2):
        folder = next((f for f in folders if (f / "runs" / f"{name.format(seed)}.json").is_file()), None)
        if folder is None:
            continue
        style = "-" if seed == 1 else "--"
        plot_run(ax_eval, ax_train, folder, name.format(seed), style, colour, f"{label}, seed {seed}")
title = "BipedalWalkerHardcore-v3, training seeds 1 and 2"
finish(fig, ax_eval, ax_train, expert, title, HERE / "curves_vs_before.png", ncol=3, bottom=0.17)
