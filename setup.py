"""Only here to ship ``sb3_aggrevated_zoo.pth`` (the rl_zoo3 registration hook) at the root of site-packages."""

import os

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithPth(build_py):
    def run(self):
        super().run()
        self.copy_file("sb3_aggrevated_zoo.pth", os.path.join(self.build_lib, "sb3_aggrevated_zoo.pth"))


setup(cmdclass={"build_py": BuildPyWithPth})
