"""ferro: the ferrofluid simulation core (libferro) from Python, through ctypes.

    import ferro
    sim = ferro.Simulation(n=2000, eps=0.01, b=2, H=(0, 0, 1), switch_off=0.5, seed=3,
                           interactions=False)
    series = sim.run(1.0)          # {'t': array, 'Hx': ..., 'mz': ..., 'msd': ...}
    sim.xi                         # (n, 3) read-only view of the orientations

The options are ferrosim's (``ferrosim --help``), dashes written as underscores.
"""
from .simulation import Simulation

__all__ = ["Simulation"]
__version__ = "0.1.0"
