"""The Python package against ferrosim and the physics (tests/python, run by scripts/test)."""
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import ferro


from csvfiles import assert_same_as_csv, read_csv


OPTS = dict(n=300, eps=0.05, b=2, H=(0.3, 0, 1), seed=7, dt=0.1, phi=0.1)


def test_same_numbers_as_ferrosim(ferrosim, tmp_path):
    # interactions on, a switch-off inside a step, and t-end not a multiple of dt (last step shorter)
    args = ["--n", "300", "--eps", "0.05", "--b", "2", "--H", "0.3,0,1", "--seed", "7", "--dt",
            "0.1", "--phi", "0.1", "--switch-off", "0.15", "--t-end", "0.25"]
    series, parts = tmp_path / "s.csv", tmp_path / "p.csv"
    subprocess.run([ferrosim] + args + ["--out", str(series), "--particles-out", str(parts)],
                   check=True)
    sim = ferro.Simulation(switch_off=0.15, t_end=0.25, **OPTS)
    got = sim.run()
    head, want = read_csv(series)
    assert list(got) == head
    assert len(got["t"]) == 4 and got["t"][-1] == 0.25
    for c, name in enumerate(head):
        assert_same_as_csv(got[name], want[:, c])
    assert got["flips"].dtype == np.int64 and got["flips"][-1] > 0
    head, p = read_csv(parts)
    col = {name: c for c, name in enumerate(head)}
    pick = lambda *names: p[:, [col[k] for k in names]]
    assert_same_as_csv(sim.positions, pick("x", "y", "z"))
    assert_same_as_csv(sim.xi, pick("xi_x", "xi_y", "xi_z"))
    assert_same_as_csv(sim.xi_star, pick("xis_x", "xis_y", "xis_z"))
    np.testing.assert_array_equal(sim.sigma, p[:, col["sigma"]])
    u, om = sim.ambient()
    assert_same_as_csv(u, pick("ux", "uy", "uz"))
    assert_same_as_csv(om, pick("omega_x", "omega_y", "omega_z"))


def test_effective_velocity_layout_matches_ferrosim(ferrosim, tmp_path):
    field = tmp_path / "f.csv"
    subprocess.run([ferrosim, "--n", "200", "--seed", "3", "--t-end", "0.1", "--grid", "5",
                    "--field-out", str(field)], check=True)
    sim = ferro.Simulation(n=200, seed=3)
    sim.run(0.1)
    u, delta = sim.effective_velocity(5, return_delta=True)
    assert u.shape == (5, 5, 5, 3) and delta > 0
    _, f = read_csv(field)
    x = np.linspace(-1.5, 1.5, 5)
    for row in f:  # u[i, j, k] is the velocity at (x_i, y_j, z_k)
        i, j, k = (int(np.argmin(abs(x - row[c]))) for c in range(3))
        assert_same_as_csv(u[i, j, k], row[3:])
    assert np.abs(u).max() > 0


def test_views(tmp_path):
    sim = ferro.Simulation(n=50, seed=2, interactions=False)
    for name in ("positions", "xi", "xi_star"):
        a = getattr(sim, name)
        assert a.shape == (50, 3) and a.dtype == np.float64 and not a.flags.writeable
    assert sim.sigma.shape == (50,) and sim.sigma.dtype == np.int8
    assert set(np.unique(sim.sigma)) <= {-1, 1}
    assert sim.flips.shape == (50,) and sim.flips.dtype == np.int64
    np.testing.assert_allclose(np.linalg.norm(sim.xi, axis=1), 1.0, rtol=1e-12)
    assert np.all(np.linalg.norm(sim.positions, axis=1) <= 1.0)
    xi, sigma, flips = sim.xi, sim.sigma, sim.flips
    before = xi.copy()
    sim.run(0.5)
    # views, not copies: arrays taken before the run show the state after it
    assert not np.array_equal(xi, before)
    np.testing.assert_array_equal(xi, sim.xi)
    np.testing.assert_array_equal(sigma, sim.sigma)
    assert flips.sum() == sim.diag()["flips"] > 0
    with pytest.raises(ValueError):
        xi[0, 0] = 2.0
    del sim  # the views keep the simulation alive
    assert np.all(np.isfinite(xi)) and np.abs(xi).max() <= 1.0


def test_live_changes():
    sim = ferro.Simulation(n=100, seed=4, eps=0.1, interactions=False)
    sim.step()
    sim.set(H=(0, 1, 0), eps=0.2, b=3)
    assert sim.diag()["Hy"] == 1.0 and sim.diag()["Hz"] == 0.0
    sim.set(rotating=(2, 0.5))
    sim.advance(0.25)
    d = sim.diag()
    assert d["t"] == pytest.approx(0.26)
    assert d["Hx"] == pytest.approx(2 * math.cos(0.5 * 0.26), rel=1e-12)
    assert d["Hy"] == pytest.approx(2 * math.sin(0.5 * 0.26), rel=1e-12)
    sim.set(switch_off=0.3)
    sim.advance(0.1)
    assert (sim.diag()["Hx"], sim.diag()["Hy"]) == (0.0, 0.0)
    # refused changes name the option and change nothing
    t = sim.t
    with pytest.raises(ValueError, match=r"^eps: value -3 out of range"):
        sim.set(eps=-3, b=1)
    with pytest.raises(ValueError, match=r"^n cannot change in a running simulation"):
        sim.set(n=5)
    with pytest.raises(ValueError, match=r"^seed cannot change"):
        sim.set(seed=5, eps=0.3)
    with pytest.raises(ValueError, match=r"^unknown parameter 't-end'"):
        sim.set(t_end=5)
    with pytest.raises(ValueError, match=r"^unknown parameter 'out'"):
        sim.set(out="x.csv")
    with pytest.raises(ValueError, match=r"^H: "):
        sim.set(H=(1, 2))
    assert sim.t == t
    sim.set(switch_off=None, H=(0, 0, 1))
    assert sim.diag()["Hz"] == 1.0
    assert sim.options["eps"] == 0.2
    sim.set(dt=0.05)  # dt is live too: step() then advances by it
    sim.step()
    assert sim.t == pytest.approx(t + 0.05)


def test_live_change_equals_fresh_run():
    # b changed at t = 0 through set() is the same run as b given at creation
    a = ferro.Simulation(n=200, seed=9, b=1)
    a.set(b=4, H=(0, 0.5, 0.5))
    b = ferro.Simulation(n=200, seed=9, b=4, H=(0, 0.5, 0.5))
    ra, rb = a.run(0.2), b.run(0.2)
    for k in ra:
        np.testing.assert_array_equal(ra[k], rb[k])


def test_save_load(tmp_path):
    path = tmp_path / "state.bin"
    a = ferro.Simulation(n=150, seed=5, eps=0.05)
    a.run(0.2)
    a.save(path)
    b = ferro.Simulation.load(path)
    assert b.t == a.t and b.n == 150
    np.testing.assert_array_equal(a.xi, b.xi)
    ra, rb = a.run(0.4), b.run(0.4)
    for k in ra:  # a loaded run continues bit-identically
        np.testing.assert_array_equal(ra[k], rb[k])
    path.write_bytes(path.read_bytes()[:-9])
    with pytest.raises(ValueError):
        ferro.Simulation.load(path)


def test_from_scenario(root, tmp_path):
    sc = tmp_path / "x.scenario"
    sc.write_text("n = 64\neps = 0.5\nH = 0,0,2\nt-end = 0.3\n")
    sim = ferro.Simulation.from_scenario(sc, eps=0.25)  # keyword overrides the file
    assert sim.n == 64 and sim.t_end == 0.3
    r = sim.run()
    assert r["t"][-1] == pytest.approx(0.3) and r["Hz"][0] == 2.0
    for name in os.listdir(os.path.join(root, "assets")):
        if name.endswith(".scenario"):
            ferro.Simulation.from_scenario(os.path.join(root, "assets", name), n=10).close()


@pytest.mark.parametrize("opts, message", [
    (dict(eps=-1), r"^--eps: value -1 out of range"),
    (dict(n=0), r"^--n: value 0 out of range"),
    (dict(H=(0, 1)), r"^--H: expected 3 comma-separated numbers"),
    (dict(b=float("nan")), r"^--b: not a finite number"),
    (dict(magnet=((0, 0, 1), (0, 0, 0.5))), r"inside the cloud"),
    (dict(init="sideways"), r"^--init: unknown value 'sideways'"),
    (dict(bogus=1), r"^unknown option --bogus"),
    (dict(out="x.csv"), r"^--out: an output option of ferrosim"),
    (dict(scenario="/nonexistent.scenario"), r"cannot read"),
    (dict(load="/nonexistent.bin"), r"nonexistent"),
])
def test_bad_input_raises_value_error_with_the_core_message(opts, message):
    with pytest.raises(ValueError, match=message):
        ferro.Simulation(**opts)


def test_bad_calls():
    sim = ferro.Simulation(n=10)
    with pytest.raises(ValueError):
        sim.advance(-1)
    with pytest.raises(ValueError):
        sim.run(-1)
    with pytest.raises(ValueError):
        sim.effective_velocity(1)
    sim.close()
    with pytest.raises(ValueError, match="closed"):
        sim.step()


def test_neel_decay():
    """After the switch-off (H = 0, no interactions) every spin flips at rate 1/eps and the
    orientations stay, so given the state at t_off, m_z(t) has mean m_z(t_off) e^{-2(t-t_off)/eps}
    (MODEL.md, (1.2)) and variance (1/N^2) sum_i xi_z,i^2 (1 - e^{-4(t-t_off)/eps}) (independent
    spins). Checked at 6 times with |z| < 4.5 each: a false failure has probability < 6 * 6.8e-6
    = 4e-5 (normal approximation, N = 20000)."""
    eps, t_off = 0.1, 0.3
    sim = ferro.Simulation(n=20000, eps=eps, b=3, H=(0, 0, 1), switch_off=t_off, seed=11,
                           interactions=False, dt=0.05, init="aligned")
    sim.run(t_off)
    m0 = sim.diag()["mz"]
    xz2 = float(np.sum(sim.xi[:, 2] ** 2))
    assert m0 > 0.5
    r = sim.run(t_off + 1.5 * eps, every=1)
    assert np.all(r["Hz"] == 0.0)
    for t, mz in zip(r["t"][1:], r["mz"][1:]):
        decay = math.exp(-2 * (t - t_off) / eps)
        sd = math.sqrt(xz2 * (1 - decay ** 2)) / sim.n
        assert abs(mz - m0 * decay) < 4.5 * sd, (t, mz, m0 * decay, sd)


def test_pip_install_into_a_venv(tmp_path, root):
    """pip install ./python into a virtual environment (offline: Debian's setuptools, no build
    isolation), then the installed package runs from elsewhere with its own copy of the library."""
    venv = tmp_path / "venv"
    if subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                      capture_output=True).returncode:
        pytest.skip("python3 -m venv not available")
    env = dict(os.environ)  # FERRO_LIB names the library to bundle
    src = tmp_path / "src"  # a copy: the build writes build/ and *.egg-info beside setup.py
    shutil.copytree(os.path.join(root, "python"), src,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index",
           "--no-build-isolation", "--no-deps", str(src)]
    subprocess.run(pip, check=True, env=env, cwd=tmp_path)
    env.pop("FERRO_LIB")
    env.pop("PYTHONPATH", None)
    code = ("import ferro, os; s = ferro.Simulation(n=20, seed=1); s.run(0.05); "
            "print(os.path.dirname(ferro.__file__), s.n, s.t)")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True, env=env,
                         cwd=tmp_path, capture_output=True, text=True).stdout.split()
    assert out[0].startswith(str(venv)) and out[1:] == ["20", "0.05"]
