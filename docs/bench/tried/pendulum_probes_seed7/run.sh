#!/bin/bash
export SB3_AGGREVATED_EXPERTS=/work/shared/experts PYTHONPATH=/work/main
cd /work/main
run() { name=$1; shift; /work/venv/bin/python benchmarks/compare.py --env Pendulum-v1 --algos ppo_expert --seeds 7 --n-timesteps 30000 --eval-freq 2048 --eval-episodes 10 --n-jobs 1 --out /tmp/pend/$name --params expert=sb3/sac-Pendulum-v1 "$@" > /tmp/pend/$name.log 2>&1; }
run v0
run v3 handover_start=100
run v1 bc_buffer_size=50000
run v2 bc_coef=5.0
run v4 "policy_kwargs=dict(net_arch=[256,256])"
