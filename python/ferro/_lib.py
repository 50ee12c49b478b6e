"""Loading libferro.so and declaring the C functions ferro uses (ferro/sim.h, ferro/flat.h).

Where the library is looked for, first hit wins:
  1. the file named by the environment variable FERRO_LIB;
  2. libferro.so inside this package (copied there by ``pip install ./python``);
  3. build/libferro.so of the source tree this package sits in (``PYTHONPATH=python``
     after ``cmake -S . -B build && cmake --build build``);
  4. the system's search path (``ctypes.util.find_library("ferro")``).
"""
import ctypes
import ctypes.util
import os

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates():
    env = os.environ.get("FERRO_LIB")
    if env:
        return [env]  # asked for explicitly: no silent fallback to another build
    found = ctypes.util.find_library("ferro")
    return [os.path.join(_HERE, "libferro.so"),
            os.path.join(_HERE, os.pardir, os.pardir, "build", "libferro.so")] + (
                [found] if found else [])


def _load():
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        return ctypes.CDLL(path)
    raise ImportError("ferro: libferro.so not found (tried %s); build it with "
                      "'cmake -S . -B build && cmake --build build' or set FERRO_LIB"
                      % ", ".join(tried))


lib = _load()

_p = ctypes.c_void_p
_d = ctypes.c_double
_i = ctypes.c_int
_s = ctypes.c_char_p
_z = ctypes.c_size_t
_argv = ctypes.POINTER(ctypes.c_char_p)
_dp = ctypes.POINTER(ctypes.c_double)

# name: (restype, argtypes)
_SIGNATURES = {
    "fr_flat_create": (_i, [_i, _argv, ctypes.POINTER(_p), _dp, _s, _z]),
    "fr_flat_set": (_i, [_p, _i, _argv, _argv, _s, _z]),
    "fr_flat_array": (_p, [_p, _s]),
    "fr_flat_n": (_i, [_p]),
    "fr_series_columns": (_s, []),
    "fr_series_row": (None, [_p, _dp]),
    "fr_sim_mean_spin_eq_all": (None, [_p, _dp]),
    "fr_plan_steps": (None, [_p, _d, ctypes.POINTER(ctypes.c_longlong), _dp]),
    "fr_sim_free": (None, [_p]),
    "fr_sim_step": (_i, [_p]),
    "fr_sim_advance": (_i, [_p, _d]),
    "fr_sim_time": (_d, [_p]),
    "fr_sim_ambient": (None, [_p, _dp, _dp]),
    "fr_sim_effective_velocity": (_i, [_p, _i, _d, _d, _dp, _dp]),
    "fr_sim_save": (_i, [_p, _s, _s, _z]),
    "fr_sim_stokes_name": (_s, [_p]),
}
for _name, (_res, _args) in _SIGNATURES.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args

# Entries of run[] of fr_flat_create (enum in ferro/flat.h).
RUN_T_END, RUN_EVERY, RUN_GRID, RUN_THREADS, RUN_N = range(5)
