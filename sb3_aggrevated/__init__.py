"""sb3-aggrevated: AggreVaTeD (expert-critic policy gradients) inside PPO, as a Stable-Baselines3 plugin."""

from sb3_aggrevated.experts import Expert, SB3Expert, load_expert
from sb3_aggrevated.policies import TanhGaussianPolicy
from sb3_aggrevated.ppo_expert import PPOExpert
from sb3_aggrevated.schedules import (
    ConstantRolloutSchedule,
    ExponentialRolloutSchedule,
    InverseRolloutSchedule,
    LinearRolloutSchedule,
    RolloutSchedule,
)

__version__ = "0.1.0"

__all__ = [
    "PPOExpert",
    "TanhGaussianPolicy",
    "Expert",
    "SB3Expert",
    "load_expert",
    "RolloutSchedule",
    "ConstantRolloutSchedule",
    "LinearRolloutSchedule",
    "ExponentialRolloutSchedule",
    "InverseRolloutSchedule",
]
