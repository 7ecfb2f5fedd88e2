"""Does averaging the policy's weights over the last rollouts read higher than the last weights? (tuning seed 7)

Continues the entry's seed-7 run at 3.5M (``../hardcore_fall_penalty_seed7/control/``) for ``--rollouts`` rollouts,
keeps the policy's parameters after every update, then plays on the same seeded evaluation episodes (tuning
evaluation seed 400000): the last weights, a few single earlier ones (how much one update's snapshot moves the
reading), the uniform average of the last 10 and of the last 20 (stochastic weight averaging), and an exponential
average (decay 0.9). Every variant uses the final VecNormalize statistics. Writes ``probe.json``: each variant's
per-episode returns.

Run from the repository root with SB3_AGGREVATED_EXPERTS set:
python docs/bench/tried/hardcore_weight_average_seed7/probe.py
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch as th

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "benchmarks"))
from compare import build, load_entry, resume_from  # noqa: E402
from stable_baselines3.common.callbacks import BaseCallback  # noqa: E402
from stable_baselines3.common.evaluation import evaluate_policy  # noqa: E402
from stable_baselines3.common.vec_env import sync_envs_normalization  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--start", default=str(HERE.parent / "hardcore_fall_penalty_seed7/control/models/ppo_expert_seed{seed}"))
parser.add_argument("--seed", type=int, default=7)
parser.add_argument("--rollouts", type=int, default=40)
parser.add_argument("--episodes", type=int, default=100)
parser.add_argument("--eval-seed", type=int, default=400_000)
parser.add_argument("--out", default=str(HERE / "probe.json"))
args = parser.parse_args()

ENV = "BipedalWalkerHardcore-v3"
entry = load_entry(None, ENV, [])
model, make_eval_env = build("ppo_expert", ENV, entry, args.seed, args.eval_seed)
model, _ = resume_from(model, args.start, args.seed, entry)
start_steps = model.num_timesteps


def parameters(policy) -> dict[str, th.Tensor]:
    return {name: value.detach().clone() for name, value in policy.state_dict().items()}


class Snapshots(BaseCallback):
    """The policy's parameters at the start of every rollout after the first (i.e. after each update)."""

    def __init__(self) -> None:
        super().__init__()
        self.snapshots: list[dict[str, th.Tensor]] = []
        self.first = True

    def _on_rollout_start(self) -> None:
        if not self.first:
            self.snapshots.append(parameters(self.model.policy))
        self.first = False

    def _on_step(self) -> bool:
        return True


snapshots = Snapshots()
steps = args.rollouts * model.n_steps * model.n_envs
model.learn(steps, reset_num_timesteps=False, callback=snapshots)
weights = snapshots.snapshots + [parameters(model.policy)]  # one per update; the last is the final policy
print(f"{len(weights)} snapshots from {start_steps} to {model.num_timesteps} steps", flush=True)


def mean_of(states: list[dict[str, th.Tensor]]) -> dict[str, th.Tensor]:
    return {name: th.stack([state[name] for state in states]).mean(dim=0) for name in states[0]}


def ema(states: list[dict[str, th.Tensor]], decay: float) -> dict[str, th.Tensor]:
    average = dict(states[0])
    for state in states[1:]:
        average = {name: decay * average[name] + (1 - decay) * state[name] for name in average}
    return average


variants = {
    "last": weights[-1],
    "update -10": weights[-11],
    "update -20": weights[-21],
    "update -30": weights[-31],
    "mean of the last 10": mean_of(weights[-10:]),
    "mean of the last 20": mean_of(weights[-20:]),
    "ema 0.9": ema(weights, 0.9),
}
results = {"start_steps": start_steps, "end_steps": model.num_timesteps, "eval_seed": args.eval_seed, "returns": {}}
for name, state in variants.items():
    model.policy.load_state_dict(state)
    env = make_eval_env()
    sync_envs_normalization(model.get_env(), env)
    env.seed(args.eval_seed)
    returns, _ = evaluate_policy(model, env, n_eval_episodes=args.episodes, deterministic=True, return_episode_rewards=True)
    env.close()
    results["returns"][name] = [float(r) for r in returns]
    print(f"{name}: {np.mean(returns):.1f} +- {np.std(returns):.1f}", flush=True)
model.policy.load_state_dict(weights[-1])  # the final policy back
Path(args.out).write_text(json.dumps(results, indent=1))
