#!/usr/bin/env bash
# Trains the expert shipped in sb3_aggrevated/data/experts/sac-Pendulum-v1 and copies it there.
# Usage: bash recipes/train_embedded_expert.sh [PYTHON]   (about 5 minutes on 2 CPU cores)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
out=$(mktemp -d)
"$PY" -m rl_zoo3.train --algo sac --env Pendulum-v1 -conf recipes/sac_pendulum.yml --seed 0 -f "$out" --eval-freq -1 --device cpu
dst=sb3_aggrevated/data/experts/sac-Pendulum-v1
mkdir -p "$dst"
cp "$out/sac/Pendulum-v1_1/Pendulum-v1.zip" "$dst/sac-Pendulum-v1.zip"
cp "$out/sac/Pendulum-v1_1/Pendulum-v1/config.yml" "$dst/config.yml"
# its measured return, for the README and the model cards
"$PY" - "$dst" <<'PY'
import json, sys
import gymnasium as gym
import numpy as np
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from sb3_aggrevated.experts import load_expert
dst = sys.argv[1]
expert = load_expert(dst, gym.make("Pendulum-v1"))
env = make_vec_env("Pendulum-v1", n_envs=1, seed=0)
returns = []
for episode in range(20):
    obs, done, total = env.reset(), False, 0.0
    while not done:
        obs, reward, done, _ = env.step(expert.predict(obs))
        total += float(reward[0]); done = bool(done[0])
    returns.append(total)
result = {"env_id": "Pendulum-v1", "n_eval_episodes": 20, "mean_reward": float(np.mean(returns)), "std_reward": float(np.std(returns))}
json.dump(result, open(f"{dst}/results.json", "w"), indent=2)
print(result)
PY
rm -rf "$out"
