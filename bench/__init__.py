"""Benchmarks (not timed tests): each script measures side by side in one run and prints tables.

numpy runs on one thread in the benches, like TensorFlow in the server (one core each); set
before any bench module imports numpy.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
