"""ferro.Simulation: one simulation of the core, driven from Python.

Options are the command line's (``ferrosim --help``) with dashes written as underscores and
are handed BY NAME to the core's own option parser, so names, defaults, ranges and error
messages are ferrosim's. Values: numbers, booleans (flags such as ``no_effective=True`` or
``interactions=False``), sequences for vectors (``H=(0, 0, 1)``, ``rotating=(3, 0.4)``), a pair
of sequences for the magnet (``magnet=((0, 0, 20), (0, 0, 1.6))``), ``None`` for "none"
(``switch_off=None``), or the command line's own string (``magnet="0,0,20@0,0,1.6"``).
"""
import ctypes

import numpy as np

from . import _lib
from ._lib import lib

_ERRLEN = 1024


def _value(v):
    """One option value as the command line spells it."""
    if v is None:
        return "none"
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))  # shortest string that round-trips: the same double as ferrosim
    if isinstance(v, str):
        return v
    items = list(v)
    if items and all(not isinstance(x, str) and hasattr(x, "__iter__") for x in items):
        return "@".join(_value(x) for x in items)  # magnet: moment@position
    return ",".join(_value(x) for x in items)


def _argv(options):
    args = [b"ferro"] + [("--%s=%s" % (k.replace("_", "-"), _value(v))).encode()
                         for k, v in options.items()]
    arr = (ctypes.c_char_p * len(args))(*args)
    return len(args), arr


def _err():
    return ctypes.create_string_buffer(_ERRLEN)


class Simulation:
    """A simulation (the core's fr_sim).

    Arrays (read-only numpy VIEWS of the core's memory, no copy, valid while the Simulation
    lives; they show the current state after every step):
      positions, xi, xi_star : (n, 3) float64, transposes of the core's (3, n) component
                               blocks (so they are not C-contiguous; np.ascontiguousarray
                               copies);
      sigma                  : (n,) int8, spins +-1;
      flips                  : (n,) int64, flips of each particle so far.
    Computed on request (new arrays): mean_spin_eq() m0 per particle, ambient() (u, omega),
    effective_velocity() the field (1.10) on a grid, diag() and run() the series' columns.
    """

    def __init__(self, **options):
        self._create(options)

    @classmethod
    def from_scenario(cls, path, **overrides):
        """The scenario file's options, then ``overrides`` (as the command line overrides it)."""
        return cls(scenario=str(path), **overrides)

    @classmethod
    def load(cls, path):
        """A simulation saved with save() (or ferrosim --save): its parameters and time."""
        return cls(load=str(path))

    def _create(self, options):
        self._s = None
        argc, argv = _argv(options)
        sim = ctypes.c_void_p()
        run = (ctypes.c_double * _lib.RUN_N)()
        err = _err()
        if lib.fr_flat_create(argc, argv, ctypes.byref(sim), run, err, _ERRLEN):
            raise ValueError(err.value.decode())
        self._s = sim
        self._n = lib.fr_flat_n(sim)
        self.t_end = run[_lib.RUN_T_END]
        self.every = int(run[_lib.RUN_EVERY])
        self.grid = int(run[_lib.RUN_GRID])
        self.options = dict(options)
        self.columns = tuple(lib.fr_series_columns().decode().split(","))

    # ---- lifetime ----
    def close(self):
        """Free the core's memory now (views taken before must not be used afterwards)."""
        if getattr(self, "_s", None):
            lib.fr_sim_free(self._s)
            self._s = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _sim(self):
        if not self._s:
            raise ValueError("the simulation was closed")
        return self._s

    # ---- time stepping ----
    def step(self):
        """One coupling step of length dt."""
        lib.fr_sim_step(self._sim())

    def advance(self, dt):
        """One coupling step of length dt (> 0)."""
        dt = float(dt)
        if not dt > 0 or dt == float("inf"):
            raise ValueError("advance: dt must be finite and > 0, got %r" % dt)
        lib.fr_sim_advance(self._sim(), dt)

    def run(self, t_end=None, every=None):
        """Run until the simulation time t_end (default: the t_end option) and return the
        series, keyed by the column names of ferrosim's --out CSV, as numpy arrays: a row now
        and after every every-th step (default: the every option) and at the end. The steps
        are ferrosim's: steps of dt, then one shorter step when t_end - t is not a multiple of
        dt. From t = 0 this gives ferrosim --t-end T --every K's numbers exactly."""
        s = self._sim()
        t_end = self.t_end if t_end is None else float(t_end)
        every = self.every if every is None else int(every)
        span = t_end - self.t
        if not span >= 0 or every < 1:
            raise ValueError("run: need t_end >= t = %g and every >= 1 (got %r, %r)"
                             % (self.t, t_end, every))
        nfull, rest = ctypes.c_longlong(), ctypes.c_double()
        lib.fr_plan_steps(s, span, ctypes.byref(nfull), ctypes.byref(rest))
        nrows = nfull.value + (rest.value > 0.0)
        rows = [self._row()]
        for r in range(1, nrows + 1):
            if r <= nfull.value:
                lib.fr_sim_step(s)
            else:
                lib.fr_sim_advance(s, rest.value)
            if r % every == 0 or r == nrows:
                rows.append(self._row())
        table = np.array(rows)
        out = {name: table[:, c].copy() for c, name in enumerate(self.columns)}
        out["flips"] = out["flips"].astype(np.int64)
        return out

    # ---- state ----
    @property
    def n(self):
        return self._n

    @property
    def t(self):
        return lib.fr_sim_time(self._sim())

    def _view(self, name, ctype, count):
        addr = lib.fr_flat_array(self._sim(), name.encode())
        buf = (ctype * count).from_address(addr)
        buf._owner = self  # the view keeps the simulation (and so its memory) alive
        arr = np.frombuffer(buf, dtype=np.dtype(ctype))
        arr.flags.writeable = False
        return arr

    def _vectors(self, name):
        return self._view(name, ctypes.c_double, 3 * self._n).reshape(3, self._n).T

    @property
    def positions(self):
        """(n, 3) view of the centres X_i (they never move)."""
        return self._vectors("X")

    @property
    def xi(self):
        """(n, 3) view of the orientations xi_i."""
        return self._vectors("xi")

    @property
    def xi_star(self):
        """(n, 3) view of the effective model's orientations xi*_i (1.9); NaN with no_effective."""
        return self._vectors("xis")

    @property
    def sigma(self):
        """(n,) int8 view of the spins +-1."""
        return self._view("sigma", ctypes.c_int8, self._n)

    @property
    def flips(self):
        """(n,) int64 view of each particle's number of flips so far."""
        return self._view("flips", ctypes.c_longlong, self._n)

    def _row(self):
        row = (ctypes.c_double * len(self.columns))()
        lib.fr_series_row(self._sim(), row)
        return list(row)

    def diag(self):
        """The diagnostics now, keyed by the series CSV's column names (flips an int)."""
        d = dict(zip(self.columns, self._row()))
        d["flips"] = int(d["flips"])
        return d

    def mean_spin_eq(self):
        """m0_i = tanh(b H(t, X_i).xi_i) per particle: the effective spin of (1.10)."""
        m0 = np.empty(self._n)
        lib.fr_sim_mean_spin_eq_all(self._sim(), m0.ctypes.data_as(_lib._dp))
        return m0

    def ambient(self):
        """(u, omega), each (n, 3): the flow of all other particles' point sources (2.2) at
        each centre and half its curl (as ferrosim's --particles-out)."""
        u, om = np.zeros((self._n, 3)), np.zeros((self._n, 3))
        lib.fr_sim_ambient(self._sim(), u.ctypes.data_as(_lib._dp), om.ctypes.data_as(_lib._dp))
        return u, om

    def effective_velocity(self, n=None, lo=-1.5, hi=1.5, return_delta=False):
        """The effective velocity (1.10) on an n^3 grid over [lo, hi]^3 (default n: the grid
        option, 24): an (n, n, n, 3) array u[i, j, k] at (x_i, y_j, z_k), x_i = lo + i h,
        h = (hi - lo)/(n - 1). It is a transposed view of the core's x-fastest layout.
        With return_delta also the smoothing length delta."""
        n = self.grid if n is None else int(n)
        if n < 2 or not (float(hi) > float(lo)):
            raise ValueError("effective_velocity: need n >= 2 and hi > lo (got %r, %r, %r)"
                             % (n, lo, hi))
        u = np.empty(n * n * n * 3)
        delta = ctypes.c_double()
        if lib.fr_sim_effective_velocity(self._sim(), n, float(lo), float(hi),
                                         u.ctypes.data_as(_lib._dp), ctypes.byref(delta)):
            raise MemoryError("effective_velocity: out of memory for a %d^3 grid" % n)
        u = u.reshape(n, n, n, 3).transpose(2, 1, 0, 3)
        return (u, delta.value) if return_delta else u

    # ---- changes and files ----
    def set(self, **options):
        """Live changes by option name, effective from the next step (the core's
        fr_sim_set_params): the field options (H, rotating, grad, magnet, switch_off, sweep),
        eps, b, dt, interactions, aspect, brownian, hold_orientations. What needs a new
        simulation (n, phi, seed, ...), or a bad value, raises ValueError with the core's
        message; then nothing changes."""
        names = [k.replace("_", "-").encode() for k in options]
        values = [_value(v).encode() for v in options.values()]
        err = _err()
        if lib.fr_flat_set(self._sim(), len(names), (ctypes.c_char_p * len(names))(*names),
                           (ctypes.c_char_p * len(values))(*values), err, _ERRLEN):
            raise ValueError(err.value.decode())
        self.options.update(options)

    def save(self, path):
        """The whole state (binary, checksummed), as ferrosim --save; Simulation.load reads it."""
        err = _err()
        if lib.fr_sim_save(self._sim(), str(path).encode(), err, _ERRLEN):
            raise OSError(err.value.decode())

    @property
    def stokes(self):
        """The interaction sum in use: 'direct' or 'fast <tol>'."""
        return lib.fr_sim_stokes_name(self._sim()).decode()

    def __repr__(self):
        return "<ferro.Simulation n=%d t=%g>" % (self._n, self.t) if self._s else \
            "<ferro.Simulation closed>"
