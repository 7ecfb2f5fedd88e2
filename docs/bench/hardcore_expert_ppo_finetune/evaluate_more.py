"""200 more evaluation episodes (evaluation seed 300000, new envs, deterministic) of this folder's PPO models and of
the expert on the same episodes, as ``hardcore_anchor_5M/evaluate_more.py`` reads the entry's PPOExpert models.
Writes ``evaluate_more.json`` into ``--runs``. Run from the repository root:
python docs/bench/hardcore_expert_ppo_finetune/evaluate_more.py [--runs FOLDER --seeds ...]
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
parser.add_argument("--runs", default=str(HERE), help="folder whose models/ to evaluate (default: this one)")
parser.add_argument(
    "--expert-from",
    default=None,
    help="an earlier evaluate_more.json of the same episodes and eval seed: its expert reading is reused, not rerun",
)
args = parser.parse_args()
RUNS = Path(args.runs)

ENV = "BipedalWalkerHardcore-v3"
entry = load_entry(str(HERE / "conf.yml"), ENV, [])
results = {"episodes": args.episodes, "eval_seed": args.eval_seed}
if args.expert_from:
    earlier = json.loads(Path(args.expert_from).read_text())
    if (earlier["episodes"], earlier["eval_seed"]) != (args.episodes, args.eval_seed):
        sys.exit(f"--expert-from {args.expert_from}: read on other episodes; leave it out to evaluate the expert again.")
    results["expert"] = earlier["expert"]
else:
    results["expert"] = evaluate_expert(ENV, entry, args.episodes, args.eval_seed)
print("expert", results["expert"], flush=True)
for seed in args.seeds:
    model, eval_env = build("ppo", ENV, entry, seed, args.eval_seed)
    model, _ = resume_from(model, str(RUNS / "models" / "ppo_seed{seed}"), seed, entry)
    mean, std = evaluate(model, eval_env, args.episodes, args.eval_seed)
    results[f"ppo_seed{seed}"] = {"mean": mean, "std": std}
    print(seed, mean, std, flush=True)
(RUNS / "evaluate_more.json").write_text(json.dumps(results, indent=1))
