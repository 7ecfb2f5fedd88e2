"""``bc_batch_size: 64`` to 5M: the 2M runs of ``../hardcore_256x256_bc_batch64/`` and their continuation
(``compare.py --resume-from``) drawn as one run per seed, against the 256x256 entry before it (``bc_batch_size: 256``,
``../hardcore_256x256/`` and ``../hardcore_256x256_5M/``): evaluation curves (10 deterministic episodes per point)
and training return, the hand-over marked.

Run from the repository root: python docs/bench/hardcore_256x256_bc_batch64_5M/plot.py
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hardcore_plot import finish, panels, plot_run  # noqa: E402

HERE = Path(__file__).parent
BENCH = HERE.parent
expert = json.loads((HERE / "expert.json").read_text())

fig, (ax_eval, ax_train) = panels()
for seed, style in ((1, "-"), (2, "--")):
    for first, resumed, colour, label in (
        (BENCH / "hardcore_256x256", BENCH / "hardcore_256x256_5M", "tab:blue", "bc_batch_size 256"),
        (BENCH / "hardcore_256x256_bc_batch64", HERE, "tab:purple", "bc_batch_size 64"),
    ):
        for i, folder in enumerate((first, resumed)):  # one legend entry per seed ("_..." labels stay out of it)
            name = f"{'_' if i else ''}{label}, seed {seed}"
            plot_run(ax_eval, ax_train, folder, f"ppo_expert_seed{seed}", style, colour, name)
title = "BipedalWalkerHardcore-v3, 256x256: 64 against 256 aggregated states per PPO minibatch, seeds 1 and 2, to 5M"
finish(fig, ax_eval, ax_train, expert, title, HERE / "curves_5M.png", ncol=4, bottom=0.15)
