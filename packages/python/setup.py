"""The wheel carries a native binary (src/wsgate/_bin, copied from the relocatable dist by build.sh),
so it is a platform wheel: py3-none-<platform>, where the platform tag comes from WSGATE_WHEEL_PLAT
(build.sh sets manylinux_<glibc>_x86_64 from the dist's glibc requirement)."""
import os

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel


class BinaryDistribution(Distribution):
    def has_ext_modules(self):  # a native payload: platlib, not purelib
        return True


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        self.plat_name = os.environ.get("WSGATE_WHEEL_PLAT", "linux_x86_64")
        super().finalize_options()

    def get_tag(self):
        return "py3", "none", self.plat_name


setup(distclass=BinaryDistribution, cmdclass={"bdist_wheel": PlatformWheel})
