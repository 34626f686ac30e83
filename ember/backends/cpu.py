"""ember.backends.cpu: the CPU's capability (ember computes with NumPy, without a vector-ISA choice)."""


def get_cpu_capability():
    """'DEFAULT': ember does not select SIMD kernels itself (NumPy and BLAS do)."""
    return "DEFAULT"
