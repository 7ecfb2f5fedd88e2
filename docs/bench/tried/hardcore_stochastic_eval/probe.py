"""Deterministic against stochastic play, for the Hardcore expert and the 2M learners (64x64) of docs/bench/hardcore_rerun_64/,
on the same 30 tuning-evaluation episodes (seed 200000). Is the learner's gap to the expert in its mean action only?

Run from the repository root with SB3_AGGREVATED_EXPERTS set:
python docs/bench/tried/hardcore_stochastic_eval/probe.py {expert,learners}
"""

import json
import sys
from pathlib import Path

import numpy as np
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import sync_envs_normalization

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "benchmarks"))
from compare import build, init_from, load_entry  # noqa: E402

from sb3_aggrevated.experts import load_expert  # noqa: E402

ENV, EPISODES, SEED = "BipedalWalkerHardcore-v3", 30, 200_000
what = sys.argv[1]
out = Path(__file__).parent / f"{what}.json"
results = {}
if what == "expert":
    env = make_vec_env(ENV, n_envs=1)
    expert = load_expert("sb3/ppo-BipedalWalkerHardcore-v3", env)

    class Play:  # SB3's predict interface over the expert's raw-observation predict (no VecNormalize here)
        def predict(self, obs, state=None, episode_start=None, deterministic=True):
            return expert.predict(obs, deterministic=deterministic), None

    for deterministic in (True, False):
        np.random.seed(0)
        env.seed(SEED)
        returns, _ = evaluate_policy(Play(), env, EPISODES, deterministic=deterministic, return_episode_rewards=True)
        results[f"deterministic={deterministic}"] = {"mean": float(np.mean(returns)), "std": float(np.std(returns))}
        print("expert", deterministic, results[f"deterministic={deterministic}"], flush=True)
else:
    entry = load_entry(None, ENV, [])
    for seed in (1, 2):
        model, make_eval_env = build("ppo_expert", ENV, entry, seed, SEED)
        eval_env = make_eval_env()  # one env for both readings, as when this probe ran
        init_from(model, str(ROOT / "docs/bench/hardcore_rerun_64/models/ppo_expert_seed{seed}"), seed)
        sync_envs_normalization(model.get_env(), eval_env)
        for deterministic in (True, False):
            eval_env.seed(SEED)
            returns, _ = evaluate_policy(model, eval_env, EPISODES, deterministic=deterministic, return_episode_rewards=True)
            key = f"seed{seed} deterministic={deterministic}"
            results[key] = {"mean": float(np.mean(returns)), "std": float(np.std(returns))}
            print(key, results[key], flush=True)
out.write_text(json.dumps(results, indent=1))
