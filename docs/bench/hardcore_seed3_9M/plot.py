"""Seed 3 of the current Hardcore entry over its whole budget (9M): the 2M run of ``../hardcore_seed3/`` and its
continuations to 5M (``../hardcore_seed3_5M/``) and 9M (this folder), all with ``compare.py --resume-from``, drawn as
one run, beside seeds 1 and 2 to 10M (``../hardcore_256x256_bc_batch64*/``): evaluation curves (10 deterministic
episodes per point) and training return, with the hand-over, the budget's end and the cloning anchor's end marked.

Run from the repository root: python docs/bench/hardcore_seed3_9M/plot.py
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hardcore_plot import ROLLOUT, finish, panels, plot_run  # noqa: E402

HERE = Path(__file__).parent
BENCH = HERE.parent
RUNS = (
    (3, "tab:green", "-", (BENCH / "hardcore_seed3", BENCH / "hardcore_seed3_5M", HERE)),
    *(
        (seed, colour, ":", tuple(BENCH / f"hardcore_256x256_bc_batch64{part}" for part in ("", "_5M", "_10M")))
        for seed, colour in ((1, "tab:blue"), (2, "tab:purple"))
    ),
)
expert = json.loads((HERE / "expert.json").read_text())

fig, (ax_eval, ax_train) = panels()
for seed, colour, style, folders in RUNS:
    for i, folder in enumerate(folders):  # one legend entry per seed ("_..." labels stay out of it)
        plot_run(ax_eval, ax_train, folder, f"ppo_expert_seed{seed}", style, colour, f"{'_' if i else ''}seed {seed}")
title = "BipedalWalkerHardcore-v3, the entry over its budget: seed 3 to 9M, seeds 1 and 2 to 10M"
marks = [
    (round(9e6 / ROLLOUT), "black", "the entry's budget (9M)"),
    (1200, "tab:red", "cloning anchor at 0 (rollout 1200)"),
]
finish(fig, ax_eval, ax_train, expert, title, HERE / "curves_9M.png", ncol=4, bottom=0.15, marks=marks)
