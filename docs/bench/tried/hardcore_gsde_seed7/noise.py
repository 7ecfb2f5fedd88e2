"""The exploration noise a saved seed-7 model acts with (the Gaussian's std per action before any squashing or
clipping), over the states of a few of its own deterministic episodes: for gSDE it depends on the state, for the
entry's tanh-squashed Gaussian it does not.

Run from the repository root: python docs/bench/tried/hardcore_gsde_seed7/noise.py MODEL_ZIP [MODEL_ZIP ...]
"""

import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch as th
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))
from sb3_aggrevated import PPOExpert  # noqa: E402

EPISODES, SEED = 3, 600000  # a diagnosis-only evaluation seed (as ../hardcore_stall_end_seed7/stall_lengths.py)

for path in map(Path, sys.argv[1:]):
    model = PPOExpert.load(path, device="cpu")
    env = VecNormalize.load(
        str(path.parent / f"{path.stem}_vecnormalize.pkl"), DummyVecEnv([lambda: gym.make("BipedalWalkerHardcore-v3")])
    )
    env.training, env.norm_reward = False, False
    states = []
    for episode in range(EPISODES):
        env.seed(SEED + episode)
        obs, done = env.reset(), [False]
        while not done[0]:
            states.append(obs[0])
            obs, _, done, _ = env.step(model.predict(obs, deterministic=True)[0])
    obs = th.as_tensor(np.array(states))
    with th.no_grad():
        if model.use_sde:
            model.policy.reset_noise(1)
        std = model.policy.get_distribution(obs).distribution.stddev.numpy()
    means = ", ".join(f"{value:.3f}" for value in std.mean(0))
    low, high = np.percentile(std, [5, 95])
    print(f"{path}: {len(states)} states; std per action, mean {means}; 5-95% over states and actions {low:.3f}-{high:.3f}")
