"""The current Hardcore entry (256x256, ``bc_batch_size: 64``) to 10M (its n_timesteps until these runs; 9e6 since):
the 2M runs of ``../hardcore_256x256_bc_batch64/``, their continuation to 5M (``../hardcore_256x256_bc_batch64_5M/``)
and to 10M (this folder), all with ``compare.py --resume-from``, drawn as one run per seed: evaluation curves
(10 deterministic episodes per point) and training return, with the hand-over and the end of the cloning anchor marked.

Run from the repository root: python docs/bench/hardcore_256x256_bc_batch64_10M/plot.py
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hardcore_plot import finish, panels, plot_run  # noqa: E402

HERE = Path(__file__).parent
BENCH = HERE.parent
PARTS = (
    (BENCH / "hardcore_256x256_bc_batch64", "tab:blue", "0-2M"),
    (BENCH / "hardcore_256x256_bc_batch64_5M", "tab:purple", "resumed, 2-5M"),
    (HERE, "tab:green", "resumed, 5-10M"),
)
expert = json.loads((HERE / "expert.json").read_text())

fig, (ax_eval, ax_train) = panels()
for seed, style in ((1, "-"), (2, "--")):
    for folder, colour, part in PARTS:
        plot_run(ax_eval, ax_train, folder, f"ppo_expert_seed{seed}", style, colour, f"seed {seed}, {part}")
title = "BipedalWalkerHardcore-v3, the 256x256 entry to 10M, training seeds 1 and 2"
marks = [(1200, "tab:red", "cloning anchor at 0 (rollout 1200)")]
finish(fig, ax_eval, ax_train, expert, title, HERE / "curves_10M.png", ncol=4, bottom=0.16, marks=marks)
