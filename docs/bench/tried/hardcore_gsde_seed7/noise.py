"""The exploration noise a saved seed-7 model acts with (the Gaussian's std per action before any squashing or
clipping), over the states of a few of its own deterministic episodes: for gSDE it depends on the state, for the
entry's tanh-squashed Gaussian it does not.

Run from the repository root: python docs/bench/tried/hardcore_gsde_seed7/noise.py MODEL_ZIP [MODEL_ZIP ...]
(each as ``compare.py --save-models`` wrote it, its ``_vecnormalize.pkl`` beside it)
"""

import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch as th

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from compare import model_files  # noqa: E402

from sb3_aggrevated import PPOExpert  # noqa: E402
from sb3_aggrevated.experts import load_vec_normalize  # noqa: E402

EPISODES, SEED = 3, 600000  # a diagnosis-only evaluation seed (as ../hardcore_stall_end_seed7/stall_lengths.py)

for base in sys.argv[1:]:
    zip_path, stats_path = model_files(base)
    model = PPOExpert.load(zip_path, device="cpu")
    stats = load_vec_normalize(stats_path)
    env = gym.make("BipedalWalkerHardcore-v3")
    states = []
    for episode in range(EPISODES):
        raw, _ = env.reset(seed=SEED + episode)
        done = False
        while not done:
            obs = stats.normalize_obs(raw[None])
            states.append(obs[0])
            raw, _, terminated, truncated, _ = env.step(model.predict(obs, deterministic=True)[0][0])
            done = terminated or truncated
    with th.no_grad():
        if model.use_sde:
            model.policy.reset_noise(1)
        std = model.policy.get_distribution(th.as_tensor(np.array(states))).distribution.stddev.numpy()
    means = ", ".join(f"{value:.3f}" for value in std.mean(0))
    low, high = np.percentile(std, [5, 95])
    print(f"{zip_path}: {len(states)} states; std per action, mean {means}; 5-95% over states and actions", end=" ")
    print(f"{low:.3f}-{high:.3f}")
