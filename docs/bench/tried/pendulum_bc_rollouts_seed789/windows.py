"""Mean of the evaluation points of each seed in four windows of steps, for the runs folders named on the command line.

    python docs/bench/tried/pendulum_bc_rollouts_seed789/windows.py docs/bench/tried/pendulum_bc_rollouts_seed789/*/
"""

import glob
import json
import sys

import numpy as np

WINDOWS = [(8000, 16500), (16500, 30000), (30000, 45000), (45000, 61000)]

for folder in sys.argv[1:]:
    print(folder, " | ".join(f"{a // 1000}-{b // 1000}k" for a, b in WINDOWS))
    for path in sorted(glob.glob(folder.rstrip("/") + "/runs/*.json")):
        curve = np.array(json.load(open(path))["curve"])
        means = [curve[(curve[:, 0] >= a) & (curve[:, 0] < b), 1].mean() for a, b in WINDOWS]
        print("  ", path.split("/")[-1], " ".join(f"{m:7.0f}" for m in means))
