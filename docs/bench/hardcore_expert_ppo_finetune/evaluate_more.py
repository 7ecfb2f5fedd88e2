"""200 more evaluation episodes (evaluation seed 300000, new envs, deterministic) of this folder's PPO models and of
the expert on the same episodes, as ``hardcore_anchor_5M/evaluate_more.py`` reads the entry's PPOExpert models.
Writes ``evaluate_more.json`` here. Run from the repository root:
python docs/bench/hardcore_expert_ppo_finetune/evaluate_more.py
"""

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent.parent / "benchmarks"))
from compare import build, evaluate, evaluate_expert, load_entry, resume_from  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
parser.add_argument("--episodes", type=int, default=200)
parser.add_argument("--eval-seed", type=int, default=300_000)
args = parser.parse_args()

ENV = "BipedalWalkerHardcore-v3"
entry = load_entry(str(HERE / "conf.yml"), ENV, [])
results = {"episodes": args.episodes, "eval_seed": args.eval_seed}
results["expert"] = evaluate_expert(ENV, entry, args.episodes, args.eval_seed)
print("expert", results["expert"], flush=True)
for seed in args.seeds:
    model, eval_env = build("ppo", ENV, entry, seed, args.eval_seed)
    model, _ = resume_from(model, str(HERE / "models" / "ppo_seed{seed}"), seed, entry)
    mean, std = evaluate(model, eval_env, args.episodes, args.eval_seed)
    results[f"ppo_seed{seed}"] = {"mean": mean, "std": std}
    print(seed, mean, std, flush=True)
(HERE / "evaluate_more.json").write_text(json.dumps(results, indent=1))
