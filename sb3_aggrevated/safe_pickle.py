"""
Restricted unpickling for files that come from elsewhere (SB3 model zips, ``vecnormalize.pkl``).

``pickle.loads`` runs whatever code a file names. SB3 stores some fields of a model (spaces,
schedules, policy class and kwargs) and the whole ``VecNormalize`` object as pickles. The
:class:`RestrictedUnpickler` admits only the classes such files legitimately hold (numpy arrays and
random states, gymnasium spaces, SB3's running statistics, policy / activation / optimizer classes
named by reference) and refuses anything else (functions, ``os.system``, ``builtins.eval`` ...)
with :class:`UnsafePickleError`. Files saved with the old ``gym`` package are read by mapping
``gym.*`` onto ``gymnasium.*``, without touching ``sys.modules``.
"""

from __future__ import annotations

import importlib
import io
import pickle
from typing import Any

import numpy as np

__all__ = ["UnsafePickleError", "RestrictedUnpickler", "safe_loads"]

# Exact (module, name) pairs allowed anywhere.
_ALLOWED_GLOBALS: set[tuple[str, str]] = {
    ("builtins", "object"),
    ("builtins", "slice"),
    ("builtins", "range"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "complex"),
    ("builtins", "bytearray"),
    ("copyreg", "_reconstructor"),
    ("collections", "OrderedDict"),
    ("collections", "deque"),
    ("collections", "defaultdict"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.random._pickle", "__randomstate_ctor"),
    ("numpy.random._pickle", "__generator_ctor"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random.mtrand", "RandomState"),
    ("numpy.random.bit_generator", "SeedSequence"),
    ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
    ("numpy.random._generator", "Generator"),
    ("numpy.random._mt19937", "MT19937"),
    ("numpy.random._pcg64", "PCG64"),
    ("numpy.random._pcg64", "PCG64DXP"),
    ("numpy.random._philox", "Philox"),
    ("numpy.random._sfc64", "SFC64"),
    ("stable_baselines3.common.running_mean_std", "RunningMeanStd"),
    ("stable_baselines3.common.vec_env.vec_normalize", "VecNormalize"),
    ("stable_baselines3.common.type_aliases", "TrainFreq"),
    ("stable_baselines3.common.type_aliases", "TrainFrequencyUnit"),
    ("torch", "device"),
    ("torch", "float32"),
    ("torch", "float64"),
}

# Modules whose classes are allowed when they are of an allowed base type (checked after import).
_ALLOWED_MODULE_PREFIXES = (
    "gymnasium.spaces.",
    "stable_baselines3.",
    "sb3_contrib.",
    "sb3_aggrevated.",
    "torch.nn.modules.activation",
    "torch.optim.",
)

# Numpy scalar types (np.float32, np.int64 ...) are pickled by name from the numpy module.
_NUMPY_SCALARS = {
    name for name in dir(np) if isinstance(getattr(np, name, None), type) and issubclass(getattr(np, name), np.generic)
}


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle names something that is not on the allow-list; nothing it names was executed."""


def _allowed_class(obj: Any) -> bool:
    import gymnasium
    import torch as th
    from stable_baselines3.common.policies import BasePolicy
    from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

    if not isinstance(obj, type):
        return False
    if issubclass(obj, (gymnasium.spaces.Space, BasePolicy, BaseFeaturesExtractor, th.optim.Optimizer)):
        return True
    # Activation functions (nn.ReLU, nn.Tanh ...) and the schedules of this package.
    if obj.__module__ == "torch.nn.modules.activation" and issubclass(obj, th.nn.Module):
        return True
    from sb3_aggrevated.schedules import RolloutSchedule

    return issubclass(obj, RolloutSchedule)


class RestrictedUnpickler(pickle.Unpickler):
    """
    An unpickler that imports only allow-listed globals.

    :param file: binary file object holding the pickle
    :param what: description of the file, for error messages
    """

    def __init__(self, file: io.BufferedIOBase, what: str = "pickle") -> None:
        super().__init__(file)
        self.what = what

    def find_class(self, module: str, name: str) -> Any:
        # Old files: gym -> gymnasium, numpy 1.x internals -> numpy 2.x internals.
        if module == "gym" or module.startswith("gym."):
            module = "gymnasium" + module[len("gym") :]
        if module.startswith("numpy.core"):
            module = "numpy._core" + module[len("numpy.core") :]
        if (module, name) in _ALLOWED_GLOBALS or (module == "numpy" and name in _NUMPY_SCALARS):
            return super().find_class(module, name)
        if module.startswith(_ALLOWED_MODULE_PREFIXES) and "." not in name:
            try:
                obj = getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError) as err:
                raise UnsafePickleError(f"{self.what} names {module}.{name}, which cannot be imported: {err}") from err
            if _allowed_class(obj):
                return obj
        raise UnsafePickleError(
            f"{self.what} refers to '{module}.{name}', which is not on the allow-list of safe classes; "
            "nothing was executed. If you trust the file's origin, load it with trusted=True."
        )


def safe_loads(data: bytes, what: str = "pickle") -> Any:
    """
    Unpickle ``data`` with :class:`RestrictedUnpickler`.

    :param data: the pickle bytes
    :param what: description of the data, for error messages
    :return: the object
    """
    return RestrictedUnpickler(io.BytesIO(data), what=what).load()
