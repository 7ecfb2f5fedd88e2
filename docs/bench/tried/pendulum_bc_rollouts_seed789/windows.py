"""Mean of the evaluation points of each run in windows of steps, for the runs folders named on the command line.

    python docs/bench/tried/pendulum_bc_rollouts_seed789/windows.py docs/bench/tried/pendulum_bc_rollouts_seed789/*/
    python docs/bench/tried/pendulum_bc_rollouts_seed789/windows.py --windows 16500-30000 30000-50000 50000-75000 \
        75000-101000 -- docs/bench/pendulum_after_update docs/bench/pendulum_bc_rollouts20
"""

import argparse
import glob
import json

import numpy as np

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("folders", nargs="+")
parser.add_argument(
    "--windows", nargs="+", default=["8000-16500", "16500-30000", "30000-45000", "45000-61000"], help="START-END steps"
)
args = parser.parse_args()
windows = [tuple(int(x) for x in window.split("-")) for window in args.windows]

for folder in args.folders:
    print(folder, " | ".join(f"{a // 1000}-{b // 1000}k" for a, b in windows))
    for path in sorted(glob.glob(folder.rstrip("/") + "/runs/*.json")):
        curve = np.array(json.load(open(path))["curve"])
        means = [curve[(curve[:, 0] >= a) & (curve[:, 0] < b), 1].mean() for a, b in windows]
        print("  ", path.split("/")[-1], " ".join(f"{m:7.0f}" for m in means))
