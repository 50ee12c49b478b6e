"""pytest setup for the Python package: the build to test is $FERRO_BUILD (default build/);
its libferro.so is loaded (FERRO_LIB) and its ferrosim is the reference."""
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
BUILD = os.path.abspath(os.environ.get("FERRO_BUILD", os.path.join(ROOT, "build")))
os.environ.setdefault("FERRO_LIB", os.path.join(BUILD, "libferro.so"))
os.environ["FERRO_BUILD_DIR"] = BUILD
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))


@pytest.fixture
def ferrosim():
    return os.path.join(BUILD, "ferrosim")


@pytest.fixture
def root():
    return ROOT
