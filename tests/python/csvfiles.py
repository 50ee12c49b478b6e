"""Shared by the tests: ferrosim's CSV files and how closely they must agree."""
import csv

import numpy as np


def read_csv(path):
    with open(path) as f:
        rows = [r for r in csv.reader(line for line in f if not line.startswith("#"))]
    return rows[0], np.array(rows[1:], dtype=float)


# 12 significant digits in ferrosim's CSV (%.12g): equal up to its rounding
def assert_same_as_csv(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)
