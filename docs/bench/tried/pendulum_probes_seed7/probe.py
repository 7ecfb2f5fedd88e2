import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "benchmarks"))
import compare
from stable_baselines3.common.callbacks import BaseCallback

from sb3_aggrevated.schedules import LinearRolloutSchedule

name = sys.argv[1]
variants = {
    "w1": dict(bc_coef=LinearRolloutSchedule(1.0, 0.0, 5, delay=10), handover_start=100),
    "w2": dict(bc_coef=0.0, handover_start=100),
    "w3": dict(
        bc_coef=LinearRolloutSchedule(1.0, 0.0, 5, delay=10), handover_start=100, bc_follows_handover=False, learning_rate=3e-4
    ),
}
entry = compare.load_entry(None, "Pendulum-v1", ["expert=sb3/sac-Pendulum-v1"])
entry.update(variants[name])
model, eval_env = compare.build("ppo_expert", "Pendulum-v1", entry, 7)


class CB(BaseCallback):
    def _on_step(self):
        return True

    def _on_rollout_end(self):
        if self.model._n_rollouts % 2 == 0:
            m, s = compare.evaluate(self.model, eval_env, 10)
            print(name, self.model.num_timesteps, round(m, 1), flush=True)


model.learn(40000, callback=CB())
