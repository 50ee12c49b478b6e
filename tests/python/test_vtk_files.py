"""ferrosim's ParaView files read back with Debian's VTK and compared with its CSV files:
--particles-out X.vtp, --field-out X.vti (and the legacy .vtk), --series-out DIR with
DIR/series.pvd. Uses only the ferrosim binary of $FERRO_BUILD (so it also runs under ASan)."""
import os
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

vtk = pytest.importorskip("vtkmodules.all")
from vtkmodules.util.numpy_support import vtk_to_numpy  # noqa: E402

from csvfiles import assert_same_as_csv, read_csv  # noqa: E402

RUN = ["--n", "150", "--eps", "0.05", "--b", "2.5", "--H", "0.2,0,1", "--seed", "5", "--dt",
       "0.1", "--t-end", "0.45", "--phi", "0.1"]


def read(reader_class, path):
    r = reader_class()
    r.SetFileName(str(path))
    r.Update()
    out = r.GetOutput()
    assert out is not None and out.GetNumberOfPoints() > 0, path
    return out


def point_array(ds, name):
    a = ds.GetPointData().GetArray(name)
    assert a is not None, name
    return vtk_to_numpy(a)


def time_value(ds):
    return float(vtk_to_numpy(ds.GetFieldData().GetArray("TimeValue"))[0])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """One run per output format (same seed: the same run)."""
    d = tmp_path_factory.mktemp("vtk")
    exe = os.path.join(os.environ["FERRO_BUILD_DIR"], "ferrosim")
    for extra in (["--out", "s.csv", "--particles-out", "p.csv", "--field-out", "f.csv"],
                  ["--particles-out", "p.vtp", "--field-out", "f.vti"],
                  ["--field-out", "f.vtk", "--series-out", "series", "--every", "2"]):
        subprocess.run([exe] + RUN + ["--grid", "7"] + extra, check=True, cwd=d)
    return d


def test_particles_vtp_equals_csv(files):
    pd = read(vtk.vtkXMLPolyDataReader, files / "p.vtp")
    head, p = read_csv(files / "p.csv")
    col = {name: c for c, name in enumerate(head)}
    pick = lambda *names: p[:, [col[k] for k in names]]
    assert pd.GetNumberOfPoints() == 150 and pd.GetNumberOfVerts() == 150
    assert_same_as_csv(vtk_to_numpy(pd.GetPoints().GetData()), pick("x", "y", "z"))
    for name, cols in (("xi", ("xi_x", "xi_y", "xi_z")), ("xi_star", ("xis_x", "xis_y", "xis_z")),
                       ("u", ("ux", "uy", "uz")), ("omega", ("omega_x", "omega_y", "omega_z"))):
        a = point_array(pd, name)
        assert a.shape == (150, 3), name
        assert_same_as_csv(a, pick(*cols))
    np.testing.assert_array_equal(point_array(pd, "sigma"), p[:, col["sigma"]])
    assert pd.GetPointData().GetScalars().GetName() == "sigma"
    assert pd.GetPointData().GetVectors().GetName() == "xi"
    # m0 = tanh(b H.xi) with the uniform field H = (0.2, 0, 1), (1.10)
    m0 = np.tanh(2.5 * pick("xi_x", "xi_y", "xi_z") @ np.array([0.2, 0.0, 1.0]))
    np.testing.assert_allclose(point_array(pd, "m0"), m0, rtol=1e-10, atol=1e-12)
    _, s = read_csv(files / "s.csv")
    flips = point_array(pd, "flips")
    assert flips.min() >= 0 and flips.sum() == s[-1, 8] > 0
    assert time_value(pd) == pytest.approx(0.45, abs=1e-12)


def test_field_vti_and_vtk_equal_csv(files):
    img = read(vtk.vtkXMLImageDataReader, files / "f.vti")
    assert img.GetDimensions() == (7, 7, 7)
    assert img.GetOrigin() == (-1.5, -1.5, -1.5) and img.GetSpacing() == (0.5, 0.5, 0.5)
    assert img.GetPointData().GetVectors().GetName() == "velocity"
    u = vtk_to_numpy(img.GetPointData().GetVectors())
    _, f = read_csv(files / "f.csv")
    pts = np.array([img.GetPoint(i) for i in range(img.GetNumberOfPoints())])
    assert_same_as_csv(pts, f[:, :3])  # the same points in the same order
    assert_same_as_csv(u, f[:, 3:])
    assert np.abs(u).max() > 0
    legacy = read(vtk.vtkStructuredPointsReader, files / "f.vtk")
    assert_same_as_csv(vtk_to_numpy(legacy.GetPointData().GetVectors()), u)


def test_series_pvd_lists_every_row_and_each_file_opens(files):
    _, s = read_csv(files / "s.csv")
    kept = [0, 2, 4, 5]  # --every 2 over 5 rows after t = 0 (0.45 = 4 dt + a shorter step)
    want_t = s[kept, 0]
    root = ET.parse(files / "series" / "series.pvd").getroot()
    assert root.get("type") == "Collection"
    sets = root.find("Collection").findall("DataSet")
    assert len(sets) == 2 * len(kept)
    for row, t in enumerate(want_t):
        parts = {int(d.get("part")): d for d in sets[2 * row:2 * row + 2]}
        assert set(parts) == {0, 1}
        for d in parts.values():
            assert float(d.get("timestep")) == pytest.approx(t, rel=1e-11, abs=1e-14)
        pd = read(vtk.vtkXMLPolyDataReader, files / "series" / parts[0].get("file"))
        img = read(vtk.vtkXMLImageDataReader, files / "series" / parts[1].get("file"))
        assert time_value(pd) == time_value(img) == float(parts[0].get("timestep"))
        assert img.GetDimensions() == (7, 7, 7)
        # each file holds the state of its CSV row: mean spin and m = (1/N) sum sigma xi
        sigma, xi = point_array(pd, "sigma"), point_array(pd, "xi")
        srow = s[kept[row]]
        assert_same_as_csv(sigma.mean(), srow[7])
        assert_same_as_csv((sigma[:, None] * xi).mean(axis=0), srow[4:7])
    last = read(vtk.vtkXMLImageDataReader, files / "series" / sets[-1].get("file"))
    final = read(vtk.vtkXMLImageDataReader, files / "f.vti")
    assert_same_as_csv(vtk_to_numpy(last.GetPointData().GetVectors()),
                       vtk_to_numpy(final.GetPointData().GetVectors()))
    assert sorted(os.listdir(files / "series")) == sorted(
        [d.get("file") for d in sets] + ["series.pvd"])


@pytest.mark.parametrize("option, name, accepted", [
    ("--out", "s.dat", "(use .csv)"),
    ("--particles-out", "p.vtk", "(use .csv or .vtp)"),
    ("--field-out", "f.vtu", "(use .csv, .vtk or .vti)"),
])
def test_unknown_extension_exit_2(tmp_path, option, name, accepted):
    exe = os.path.join(os.environ["FERRO_BUILD_DIR"], "ferrosim")
    r = subprocess.run([exe, "--n", "10", option, name], cwd=tmp_path, capture_output=True,
                       text=True)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "ferrosim: %s '%s': unknown extension %s\n" % (option, name, accepted)
    assert os.listdir(tmp_path) == []


def test_series_out_not_a_directory(tmp_path):
    exe = os.path.join(os.environ["FERRO_BUILD_DIR"], "ferrosim")
    (tmp_path / "file").write_text("x")
    r = subprocess.run([exe, "--n", "10", "--series-out", "file"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "not a directory" in r.stderr
