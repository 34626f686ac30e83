"""ember.backends.openmp: ember's threads are Python threads around NumPy/BLAS (``ember/_parallel.py``), not OpenMP."""


def is_available():
    """False: ember is not built with OpenMP (PyTorch's CPU build says True)."""
    return False
