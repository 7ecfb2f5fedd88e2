"""LunarLander-v3, six seeds: seeds 1-3 of ``../lunarlander_after_update_ppo*`` and seeds 4-6 of
``../lunarlander_more_seeds_ppo*`` (the same commands and code), each seed's evaluation curve (10 deterministic
episodes per point) and the median over seeds on the points every seed has, with the expert's return on the same
episodes.

Run from the repository root: python docs/bench/lunarlander_more_seeds_ppo_expert/plot_six_seeds.py
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

BENCH = Path(__file__).resolve().parent.parent
FOLDERS = {
    "ppo_expert": ("lunarlander_after_update_ppo_expert", "lunarlander_more_seeds_ppo_expert"),
    "ppo": ("lunarlander_after_update_ppo", "lunarlander_more_seeds_ppo"),
}
COLOURS = {"ppo_expert": "tab:blue", "ppo": "tab:orange"}
LABELS = {"ppo_expert": "PPOExpert", "ppo": "PPO"}
expert = json.loads((BENCH / "lunarlander_more_seeds_ppo_expert" / "expert.json").read_text())["mean"]

fig, ax = plt.subplots(figsize=(10, 5))
for algo, folders in FOLDERS.items():
    curves = []
    for folder in folders:
        for run in sorted((BENCH / folder / "runs").glob(f"{algo}_seed*.json")):
            curve = {int(steps): mean for steps, mean, _ in json.loads(run.read_text())["curve"]}
            curves.append(curve)
            xs = sorted(curve)
            ax.plot(xs, [curve[x] for x in xs], color=COLOURS[algo], alpha=0.25, linewidth=0.8)
    grid = sorted(set.intersection(*(set(c) for c in curves)))  # points every seed has
    median = np.median([[c[x] for x in grid] for c in curves], axis=0)
    ax.plot(grid, median, color=COLOURS[algo], linewidth=2.2, label=f"{LABELS[algo]}, median of {len(curves)} seeds")
ax.axhline(expert, color="black", linestyle=":", label=f"expert on these episodes ({expert:.1f})")
ax.set_xscale("symlog", linthresh=20000)
ax.set_xlabel("env steps (linear to 20k, logarithmic after)")
ax.set_ylabel("return, 10 deterministic episodes")
ax.set_ylim(-600, 300)
ax.set_xlim(0, 410000)
ax.grid(alpha=0.3)
ax.legend(loc="upper left")
ax.set_title("LunarLander-v3: PPOExpert (DQN expert) against PPO, six seeds; thin lines: single seeds")
fig.tight_layout()
fig.savefig(Path(__file__).parent / "six_seeds.png", dpi=100)
