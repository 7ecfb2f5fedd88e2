"""The final 5M models and the expert on 200 more evaluation episodes (seed 300000, never used for training, tuning or
the curves), for a reading of "the expert's mean" with a standard error of about 9 instead of 17.

Run from the repository root with SB3_AGGREVATED_EXPERTS set: python docs/bench/hardcore_anchor_5M/evaluate_more.py
(``--runs docs/bench/hardcore_lr_factor`` evaluates that folder's final models the same way, into its own
``evaluate_more.json``; each model is loaded whole, with the widths and hyperparameters it was trained with, so
``--params KEY=VALUE ...`` (entry overrides as in compare.py) only shapes the model built before the load;
``--episodes 50 --eval-seed 100000 --name final_new_env.json`` reads compare.py's final evaluation again, on a new
env, exactly repeatable; ``--expert-from FOLDER/evaluate_more.json`` reuses an earlier reading of the expert on the
same episodes instead of rerunning it, which is deterministic (only a reading marked as made on the same episodes:
every episode seeded, compare.py's ``EPISODE_SEEDS``; a reading from before commit 1b418ec, which seeded the first episode
only, is refused); ``--algo ppo --conf FILE`` reads PPO models saved by
compare.py's ``--save-models`` from runs made with that hyperparameter file, as
``docs/bench/hardcore_expert_ppo_finetune/`` does.)
"""

import argparse
import json
import sys
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--runs", default=str(Path(__file__).parent), help="folder whose models/ to evaluate")
parser.add_argument("--algo", default="ppo_expert", choices=["ppo_expert", "ppo"], help="the algorithm of the models")
parser.add_argument("--conf", default=None, help="hyperparameter YAML the runs used (default: the packaged one)")
parser.add_argument("--params", nargs="*", default=[], help="entry overrides the models were trained with")
parser.add_argument("--env", default="BipedalWalkerHardcore-v3")
parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
parser.add_argument("--episodes", type=int, default=200)
parser.add_argument("--eval-seed", type=int, default=300_000)
parser.add_argument("--name", default="evaluate_more.json", help="file written into --runs")
parser.add_argument(
    "--expert-from",
    default=None,
    help="an earlier evaluate_more.json of the same episodes and eval seed: its expert reading is reused, not rerun",
)
args = parser.parse_args()
HERE = Path(args.runs)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent.parent / "benchmarks"))
from compare import EPISODE_SEEDS, build, evaluate, evaluate_expert, load_entry, resume_from  # noqa: E402

ENV, EPISODES, SEED = args.env, args.episodes, args.eval_seed
entry = load_entry(args.conf, ENV, args.params)
if args.expert_from:  # the expert's deterministic reading of the same episodes, from an earlier run
    earlier = json.loads(Path(args.expert_from).read_text())
    if earlier.get("episode_seeds") != EPISODE_SEEDS:
        sys.exit(
            f"--expert-from {args.expert_from}: not marked as read on episodes seeded one by one (episode_seeds "
            f"{earlier.get('episode_seeds')!r}, not {EPISODE_SEEDS!r}): a reading from before commit 1b418ec seeded "
            "only the first episode, so its expert played other episodes than the models will now; leave "
            "--expert-from out to evaluate the expert again."
        )
    if (earlier["episodes"], earlier["eval_seed"]) != (EPISODES, SEED):
        sys.exit(
            f"--expert-from {args.expert_from}: read on {earlier['episodes']} episodes at eval seed "
            f"{earlier['eval_seed']}, not {EPISODES} at {SEED}; leave --expert-from out to evaluate the expert again."
        )
    expert = earlier["expert"]
else:
    expert = evaluate_expert(ENV, entry, EPISODES, SEED)
results = {"episodes": EPISODES, "eval_seed": SEED, "episode_seeds": EPISODE_SEEDS, "expert": expert}
print("expert", results["expert"], flush=True)
for seed in args.seeds:
    model, eval_env = build(args.algo, ENV, entry, seed, SEED)
    # the saved model whole, with its own widths and hyperparameters (the entry's may have changed since)
    model, _ = resume_from(model, str(HERE / "models" / f"{args.algo}_seed{{seed}}"), seed, entry)
    mean, std = evaluate(model, eval_env, EPISODES, SEED)
    results[f"{args.algo}_seed{seed}"] = {"mean": mean, "std": std}
    print(seed, mean, std, flush=True)
(HERE / args.name).write_text(json.dumps(results, indent=1))
