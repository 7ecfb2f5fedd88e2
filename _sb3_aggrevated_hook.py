"""
Startup hook (imported by ``sb3_aggrevated_zoo.pth`` at interpreter start): registers PPOExpert with
rl_zoo3 as soon as rl_zoo3 itself is imported, so that the plain ``python -m rl_zoo3.<tool> --algo
ppo_expert`` commands know it. rl_zoo3 has no plugin entry point and builds its ``--algo`` choices from
its ``ALGOS`` dict before it imports anything of the user's.

Costs nothing to programs that never import rl_zoo3: this module imports only ``sys`` and
``importlib``, and installs a finder that only reacts to the four module names below.
Set ``SB3_AGGREVATED_NO_ZOO_HOOK=1`` to turn it off.
"""

import importlib.abc
import os
import sys

# rl_zoo3 module -> function of sb3_aggrevated.zoo called with the module once it has executed
_TARGETS = {
    "rl_zoo3.utils": "register_algo",
    "rl_zoo3.hyperparams_opt": "register_sampler",
    "rl_zoo3.exp_manager": "register_default_config",
    "huggingface_sb3.push_to_hub": "patch_huggingface_sb3",
}


class _PostExecLoader(importlib.abc.Loader):
    def __init__(self, loader, callback_name):
        self.loader = loader
        self.callback_name = callback_name

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        from sb3_aggrevated import zoo

        getattr(zoo, self.callback_name)(module)


class _ZooFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in _TARGETS:
            return None
        # the spec the other finders give, asked directly: sys.meta_path is never changed, which another thread
        # importing at the same moment could see (its loop over the list would skip a finder)
        spec = None
        for finder in list(sys.meta_path):
            find_spec = getattr(finder, "find_spec", None)
            if finder is self or find_spec is None:
                continue
            spec = find_spec(fullname, path, target)
            if spec is not None:
                break
        if spec is None or spec.loader is None:
            return None
        spec.loader = _PostExecLoader(spec.loader, _TARGETS[fullname])
        return spec


def install():
    if os.environ.get("SB3_AGGREVATED_NO_ZOO_HOOK", "") not in ("", "0"):
        return
    if any(isinstance(finder, _ZooFinder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _ZooFinder())


install()
