"""The Hardcore entry over its whole budget (n_timesteps 1e7): the 5M runs of ``../hardcore_anchor_5M/`` and their
continuation to 10M (``compare.py --resume-from``) drawn as one run per seed: evaluation curves (10 deterministic
episodes per point) and training return, with the hand-over, the resumption and the end of the cloning anchor marked.

Run from the repository root: python docs/bench/hardcore_anchor_10M/plot.py
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hardcore_plot import finish, panels, plot_run  # noqa: E402

HERE = Path(__file__).parent
FIRST = HERE.parent / "hardcore_anchor_5M"
expert = json.loads((HERE / "expert.json").read_text())

fig, (ax_eval, ax_train) = panels()
for seed, style in ((1, "-"), (2, "--")):
    for folder, colour, part in ((FIRST, "tab:blue", "0-5M"), (HERE, "tab:purple", "resumed, 5-10M")):
        plot_run(ax_eval, ax_train, folder, f"ppo_expert_seed{seed}", style, colour, f"seed {seed}, {part}")
title = "BipedalWalkerHardcore-v3, the entry to its 10M budget, training seeds 1 and 2"
marks = [(1200, "tab:red", "cloning anchor at 0 (rollout 1200)")]
finish(fig, ax_eval, ax_train, expert, title, HERE / "curves_10M.png", ncol=4, bottom=0.14, marks=marks)
