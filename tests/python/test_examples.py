"""The examples run and produce their pictures (examples/, the pictures in docs/)."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT


def test_neel_decay_example(tmp_path):
    png = tmp_path / "neel.png"
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "neel_decay.py"),
                          str(png)], env=env, check=True, capture_output=True, text=True).stdout
    assert png.stat().st_size > 10000
    # 32 correlated times; 2 s.e. bars: the largest deviation stays well inside 4.5 s.e.
    assert float(out.split("largest |z| over 32 times:")[1].split()[0]) < 4.5


def test_paraview_example_renders_arrows_coloured_by_spin(tmp_path):
    vtk = pytest.importorskip("vtkmodules.all")
    from vtkmodules.util.numpy_support import vtk_to_numpy
    if not os.environ.get("DISPLAY") and not shutil.which("xvfb-run"):
        pytest.skip("no display and no xvfb-run")
    subprocess.run([os.path.join(BUILD, "ferrosim"), "--n", "300", "--eps", "0.05", "--b", "1",
                    "--grad", "1", "--t-end", "0.2", "--every", "5", "--series-out", "s"],
                   cwd=tmp_path, check=True)
    cmd = [sys.executable, os.path.join(ROOT, "examples", "paraview_series.py"),
           "s/series.pvd", "out.png", "--size", "480x320"]
    if not os.environ.get("DISPLAY"):
        cmd = ["xvfb-run", "-a"] + cmd
    subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True)
    r = vtk.vtkPNGReader()
    r.SetFileName(str(tmp_path / "out.png"))
    r.Update()
    img = vtk_to_numpy(r.GetOutput().GetPointData().GetScalars()).astype(int)
    red = (img[:, 0] > 180) & (img[:, 1] < 140) & (img[:, 2] < 100)   # sigma = +1
    blue = (img[:, 2] > 180) & (img[:, 0] < 120)                       # sigma = -1
    assert red.sum() > 100 and blue.sum() > 100, (red.sum(), blue.sum())
