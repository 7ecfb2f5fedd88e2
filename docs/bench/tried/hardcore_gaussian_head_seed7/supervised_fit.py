# Run from the repository root with SB3_AGGREVATED_EXPERTS set.
# Can a 64x64 learner fit the Hardcore expert better without the tanh squashing of TanhMlpPolicy?
# 40k states of the expert's own noisy play (as docs/bench/tried/hardcore_probe_seed7/supervised_fit.py), the
# expert's clipped deterministic action and its raw Gaussian mean as targets; all errors are measured on the clipped
# actions the env receives (held-out 10%).
import numpy as np
import torch as th
from stable_baselines3.common.env_util import make_vec_env

from sb3_aggrevated.experts import load_expert

th.set_num_threads(1)
np.random.seed(0)
env = make_vec_env("BipedalWalkerHardcore-v3", n_envs=16, seed=3)
expert = load_expert("sb3/ppo-BipedalWalkerHardcore-v3", env)
obs = env.reset()
X, Y, M = [], [], []
for _ in range(2500):
    a = expert.predict(obs)
    with th.no_grad():
        raw = expert._policy_actions(th.as_tensor(expert.obs_normalizer(obs)), True).numpy()
    X.append(obs.copy())
    Y.append(a)
    M.append(raw)
    obs, r, d, info = env.step(np.clip(a + 0.2 * np.random.randn(*a.shape), -1, 1))
X, Y, M = (np.concatenate(v).astype(np.float32) for v in (X, Y, M))
print(
    X.shape,
    "saturated fraction of the clipped actions",
    round(float((np.abs(Y) > 0.999).mean()), 3),
    "raw mean |m| max",
    round(float(np.abs(M).max()), 2),
)
mu, sd = X.mean(0), X.std(0) + 1e-8
Xn = th.tensor(np.clip((X - mu) / sd, -10, 10))
n = len(X)
idx = np.random.permutation(n)
tr, te = idx[: int(0.9 * n)], idx[int(0.9 * n) :]
Yt, Mt = th.tensor(Y), th.tensor(M)
variants = {
    "tanh head, clipped target (TanhMlpPolicy, the entry)": (lambda o: th.tanh(o), Yt),
    "linear head, clipped target (MlpPolicy)": (lambda o: o, Yt),
    "linear head, raw expert mean as target": (lambda o: o, Mt),
}
for name, (head, target) in variants.items():
    th.manual_seed(0)
    net = th.nn.Sequential(th.nn.Linear(24, 64), th.nn.Tanh(), th.nn.Linear(64, 64), th.nn.Tanh(), th.nn.Linear(64, 4))
    opt = th.optim.Adam(net.parameters(), lr=1e-3)
    for step in range(1, 20001):
        b = tr[np.random.randint(0, len(tr), 256)]
        loss = ((head(net(Xn[b])) - target[b]) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in (5000, 20000):
            with th.no_grad():
                pred = th.clamp(head(net(Xn[te])), -1, 1)
                te_loss = ((pred - Yt[te]) ** 2).sum(1).mean().item()
            print(f"{name}: step {step} held-out MSE (clipped actions) {te_loss:.4f}", flush=True)
