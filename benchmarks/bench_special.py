"""Special functions on 1M float32 elements (forward, no grad), ember vs PyTorch: the vectorised
erf, erfc, erfinv, lgamma, digamma (ember/ops/_erf_math.py, _gamma_math.py: float64 math rounded to
float32) against PyTorch's vectorised float32 kernels. Inputs: N(0, 3²) (erfinv: uniform on (-1, 1)),
so lgamma and digamma see both signs (half of them take the reflection)."""
import numpy as np

from run import Workload, setups

N = 1_000_000


def _make(name, domain="normal"):
    def make(lib):
        def setup():
            rng = np.random.default_rng(0)
            if domain == "unit":
                data = rng.uniform(-1, 1, N).astype(np.float32)
            elif domain == "positive":
                data = (np.abs(rng.standard_normal(N)) * 3 + 0.1).astype(np.float32)
            else:
                data = (rng.standard_normal(N) * 3).astype(np.float32)
            x = lib.tensor(data)
            fn = getattr(lib, name)

            def step():
                fn(x)
            return step
        return setup
    return Workload(f"{name} ({domain} inputs, 1M float32)", *setups(make))


WORKLOADS = [_make("erf"), _make("erfc"), _make("erfinv", "unit"), _make("lgamma"), _make("lgamma", "positive"),
             _make("digamma"), _make("digamma", "positive")]
