"""The training return (SB3's ``rollout/ep_rew_mean``, the last 100 training episodes), PPO's clip fraction and the
policy's std over 2-5M of this folder's runs beside the entry's own continuation from the same 2M models
(``../hardcore_256x256_bc_batch64_5M/``), one figure per seed. Unlike the 10-episode evaluation points, the training
return does not depend on which evaluation episodes a folder was read on. Writes training_seed1.png and
training_seed2.png here.

Run from the repository root: python docs/bench/hardcore_entry_lr2.5e-5_5M/plot.py
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from hardcore_plot import training_panels  # noqa: E402

RUNS = {
    "the entry (learning rate 2.5e-4)": HERE.parent / "hardcore_256x256_bc_batch64_5M",
    "handover_lr_factor=0.1 (2.5e-5)": HERE,
}
COLUMNS = {
    "rollout/ep_rew_mean": "training return",
    "train/clip_fraction": "PPO clip fraction",
    "train/std": "the policy's std (train/std)",
}

for seed in (1, 2):
    title = f"BipedalWalkerHardcore-v3 after 2M, seed {seed}: the entry and a tenth of its learning rate, same 2M model"
    out = HERE / f"training_seed{seed}.png"
    training_panels(RUNS, COLUMNS, title, out, handover=False, name=f"ppo_expert_seed{seed}")
    print(f"wrote {out}")
