import numpy as np
import torch as th
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

from sb3_aggrevated.experts import load_expert

th.set_num_threads(1)

env = make_vec_env("LunarLander-v3", n_envs=8, seed=3)
expert = load_expert("sb3/dqn-LunarLander-v2", env)
obs = env.reset()
X = []
Y = []
for _ in range(2500):
    a = expert.predict(obs) if hasattr(expert, "predict") else None
    a = np.asarray(a[0] if isinstance(a, tuple) else a)
    X.append(obs.copy())
    Y.append(a.copy())
    obs, r, d, i = env.step(a)
X = np.concatenate(X)
Y = np.concatenate(Y).astype(int).ravel()
print(X.shape, np.bincount(Y) / len(Y))
m = PPO("MlpPolicy", env, device="cpu")
pol = m.policy
opt = pol.optimizer
Xt = th.as_tensor(X)
Yt = th.as_tensor(Y)
n = len(X)
tr = int(0.8 * n)
for step in range(3001):
    idx = th.randint(0, tr, (256,))
    loss = -pol.get_distribution(Xt[idx]).log_prob(Yt[idx]).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 500 == 0:
        with th.no_grad():
            d = pol.get_distribution(Xt[tr:])
            ce = -d.log_prob(Yt[tr:]).mean().item()
            acc = (d.mode() == Yt[tr:]).float().mean().item()
        print(step, round(loss.item(), 3), "heldout CE", round(ce, 3), "acc", round(acc, 3))
