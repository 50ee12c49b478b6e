"""Copies libferro.so into the installed package, so an installed ``ferro`` needs no build tree.

The library is taken from $FERRO_LIB, else from ../build/libferro.so (build it first with
``cmake -S . -B build && cmake --build build``). Metadata: pyproject.toml.
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class build_py_with_lib(build_py):
    def run(self):
        super().run()
        lib = os.environ.get("FERRO_LIB") or os.path.join(HERE, os.pardir, "build", "libferro.so")
        if not os.path.exists(lib):
            raise SystemExit("ferro: %s not found: build the C library first "
                             "(cmake -S . -B build && cmake --build build) or set FERRO_LIB" % lib)
        shutil.copy(lib, os.path.join(self.build_lib, "ferro", "libferro.so"))


setup(cmdclass={"build_py": build_py_with_lib})
