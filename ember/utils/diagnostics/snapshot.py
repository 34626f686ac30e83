"""One optimizer step seen from outside: per-layer squared norms of the gradients, of the weights
before the step and of the update, from flat copies of every watched parameter.

``Diagnostics`` calls ``before()`` in the optimizer's step pre-hook and ``update()`` in its
post-hook, on sampled steps only. All parameters are copied into one flat buffer by one call, the update is
written over that copy (no second buffer), and each layer's squared norm is one BLAS dot product
over its slice of the buffer.

Example:
    >>> snap = StepSnapshot([[lin.weight, lin.bias]])
    >>> w2, g2 = snap.before()            # ||W||^2, ||grad||^2 (None: no gradient) per layer
    >>> optimizer.step()
    >>> du2 = snap.update()               # ||W_after - W_before||^2 per layer
"""
import numpy as np

from .activations import sq as _sq

__all__ = ["StepSnapshot"]


class StepSnapshot:
    """A flat copy of the parameters of ``groups`` (one list of Parameters per layer)."""

    def __init__(self, groups):
        self.groups = [list(g) for g in groups]
        self.params = [p for g in self.groups for p in g]
        self._key = self.w = None
        self.views = []              # per parameter: its slice of ``w``, in its shape
        self.bounds = []             # (start, end) of each layer's slice of ``w``

    def _layout(self, datas):
        key = [(d.shape, d.dtype) for d in datas]
        if key != self._key:
            dtype = np.result_type(*(d.dtype for d in datas)) if datas else np.float32
            if dtype not in (np.float32, np.float64):
                dtype = np.float64
            ends = [int(e) for e in np.cumsum([0] + [d.size for d in datas])]
            self.w = np.empty(ends[-1], dtype)
            self.views = [self.w[ends[i]:ends[i + 1]].reshape(d.shape) for i, d in enumerate(datas)]
            self.bounds, i = [], 0
            for g in self.groups:
                self.bounds.append((ends[i], ends[i + len(g)]))
                i += len(g)
            self._key = key

    def before(self):
        """Copy the weights; ``(||W||^2 per layer, ||grad||^2 per layer or None where no gradient)``."""
        datas = [p._data for p in self.params]
        self._layout(datas)
        w = self.w
        np.concatenate([d.reshape(-1) for d in datas], out=w)
        gsq = []
        for layer in self.groups:
            g2 = None
            for p in layer:
                g = p.grad
                if g is not None:
                    g2 = _sq(g._data) + (g2 or 0.0)
            gsq.append(g2)
        return [_sq(w[a:b]) for a, b in self.bounds], gsq

    def update(self):
        """``||W_after - W_before||^2`` per layer, after the step; None if a parameter changed shape.
        (The copy is overwritten by the update: call ``before()`` again for the next step.)"""
        for p, v in zip(self.params, self.views):
            d = p._data
            if d.shape != v.shape:
                return None
            np.subtract(d, v, out=v)
        w = self.w
        return [_sq(w[a:b]) for a, b in self.bounds]
