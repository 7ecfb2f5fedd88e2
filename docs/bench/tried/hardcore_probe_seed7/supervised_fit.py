# Run from the repository root with SB3_AGGREVATED_EXPERTS set.
# The 256x256 variant: hidden size 256 and range(5000) (80k states).

import numpy as np
import torch as th
from stable_baselines3.common.env_util import make_vec_env

from sb3_aggrevated.experts import load_expert

th.set_num_threads(1)
env = make_vec_env("BipedalWalkerHardcore-v3", n_envs=16, seed=3)
expert = load_expert("sb3/ppo-BipedalWalkerHardcore-v3", env)
obs = env.reset()
X = []
Y = []
for _ in range(2500):
    a = expert.predict(obs)
    X.append(obs.copy())
    Y.append(a)
    noisy = np.clip(a + 0.2 * np.random.randn(*a.shape), -1, 1)
    obs, r, d, info = env.step(noisy)
X = np.concatenate(X).astype(np.float32)
Y = np.concatenate(Y).astype(np.float32)
print(X.shape, "saturated frac", (np.abs(Y) > 0.999).mean())
mu, sd = X.mean(0), X.std(0) + 1e-8
Xn = np.clip((X - mu) / sd, -10, 10)
n = len(X)
idx = np.random.permutation(n)
tr, te = idx[: int(0.9 * n)], idx[int(0.9 * n) :]
Xt, Yt = th.tensor(Xn), th.tensor(Y)
for lr in (2.5e-4, 1e-3):
    th.manual_seed(0)
    net = th.nn.Sequential(th.nn.Linear(24, 64), th.nn.Tanh(), th.nn.Linear(64, 64), th.nn.Tanh(), th.nn.Linear(64, 4))
    opt = th.optim.Adam(net.parameters(), lr=lr)
    for step in range(1, 20001):
        b = tr[np.random.randint(0, len(tr), 256)]
        loss = ((th.tanh(net(Xt[b])) - Yt[b]) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in (1000, 5000, 10000, 20000):
            with th.no_grad():
                te_loss = ((th.tanh(net(Xt[te])) - Yt[te]) ** 2).sum(1).mean().item()
            print(lr, step, round(loss.item(), 4), "test", round(te_loss, 4), flush=True)
