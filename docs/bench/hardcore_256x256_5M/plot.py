"""The 256x256 learner to 5M: the 2M runs of ``../hardcore_256x256/`` and their continuation (``compare.py
--resume-from``) drawn as one run per seed, against the 64x64 entry's 5M runs (``../hardcore_anchor_5M/``) and PPO
256x256: evaluation curves (10 deterministic episodes per point) and training return, the hand-over marked.

Run from the repository root: python docs/bench/hardcore_256x256_5M/plot.py
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hardcore_plot import finish, panels, plot_run  # noqa: E402

HERE = Path(__file__).parent
FIRST = HERE.parent / "hardcore_256x256"
NARROW = HERE.parent / "hardcore_anchor_5M"
expert = json.loads((HERE / "expert.json").read_text())

fig, (ax_eval, ax_train) = panels()
for seed, style in ((1, "-"), (2, "--")):
    plot_run(ax_eval, ax_train, NARROW, f"ppo_expert_seed{seed}", style, "tab:orange", f"64x64 entry, seed {seed}")
    for folder, colour, part in ((FIRST, "tab:blue", "0-2M"), (HERE, "tab:purple", "resumed, 2-5M")):
        plot_run(ax_eval, ax_train, folder, f"ppo_expert_seed{seed}", style, colour, f"256x256, seed {seed}, {part}")
    ppo = [folder for folder in (FIRST, HERE) if (folder / "runs" / f"ppo_seed{seed}.json").is_file()]
    for i, folder in enumerate(ppo):  # seed 1 in two parts, one legend entry ("_..." labels stay out of it)
        label = f"{'_' if i else ''}PPO 256x256, seed {seed}{', 0-5M' if len(ppo) > 1 else ', 0-2M'}"
        plot_run(ax_eval, ax_train, folder, f"ppo_seed{seed}", style, "tab:green", label)
title = "BipedalWalkerHardcore-v3: a 256x256 learner to 5M against the 64x64 entry, training seeds 1 and 2"
finish(fig, ax_eval, ax_train, expert, title, HERE / "curves_5M.png", ncol=4, bottom=0.17)
