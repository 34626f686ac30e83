"""The modules of ``torch.utils.benchmark`` at PyTorch's paths: ``utils.timer`` (``Timer``),
``utils.common`` (``Measurement``, ``TaskSpec``), ``utils.compare`` (``Compare``).

Example:
    >>> from ember.utils.benchmark.utils.common import Measurement
"""
