"""Seeds 3, 4 and 5 of the current Hardcore entry over its whole budget (9M): each seed's 2M run and its
continuations to 5M and 9M (``../hardcore_seed3*/``, ``../hardcore_seed4*/``, ``../hardcore_seed5*/``, all with
``compare.py --resume-from``), drawn as one run per seed, beside seeds 1 and 2 to 10M
(``../hardcore_256x256_bc_batch64*/``): evaluation curves (10 deterministic episodes per point) and training return,
with the hand-over, the budget's end and the cloning anchor's end marked.

Run from the repository root: python docs/bench/hardcore_seed5_9M/plot.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hardcore_plot import over_budget  # noqa: E402

title = "BipedalWalkerHardcore-v3, the entry over its budget: seeds 3, 4 and 5 to 9M, seeds 1 and 2 to 10M"
over_budget({3: "tab:green", 4: "tab:orange", 5: "tab:brown"}, title, Path(__file__).parent / "curves_9M.png")
