import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "benchmarks"))
import compare
from stable_baselines3.common.callbacks import BaseCallback

name = sys.argv[1]
variants = {
    "u1": dict(learning_rate=3e-4),
    "u2": dict(learning_rate=3e-4, bc_steps=100, bc_batch_size=256),
    "u3": dict(learning_rate=3e-4, bc_steps=100, bc_batch_size=256, bc_buffer_size=50000),
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


model.learn(int(sys.argv[2]), callback=CB())
