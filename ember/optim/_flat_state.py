"""Flat state buffers: the state of several parameters held in one array per key.

A speed-up, not math. An optimizer whose update is elementwise (Adam) can update a whole param
group with one NumPy call per operation instead of one per parameter, if the group's state
lives in flat arrays: ``state[p][key]`` are then Tensors viewing slices of those arrays, so the
state keeps PyTorch's per-parameter layout (``state_dict``, inspection, loading) while the step
works on the flat vectors. ``Optimizer._flat_state`` caches one ``FlatState`` per param group.
"""
import numpy as np

from .._tensor import _wrap

__all__ = ["FlatState"]


class FlatState:
    """Per-parameter state of several same-dtype parameters held in one flat array per key.

    ``arrays`` holds one flat array per key of ``keys``; ``step_array`` the parameters' step
    counts (``state[p]["step"]`` are 0-d views of it, so one call counts them all); ``g`` and
    ``t`` are flat work arrays, with per-parameter views ``gviews`` and ``tviews``.
    """
    __slots__ = ("params", "shapes", "keys", "arrays", "tensors", "steps", "step_array", "g", "t", "gviews",
                 "tviews")

    def matches(self, state, params):
        """Whether this still backs ``state`` of ``params`` (same tensors, shapes and state objects)."""
        if len(params) != len(self.params):
            return False
        for i, p in enumerate(params):
            if p is not self.params[i] or p._data.shape != self.shapes[i]:
                return False
            st = state.get(p)
            if st is None or st.get("step") is not self.steps[i]:
                return False
            for k, tensor in zip(self.keys, self.tensors[i]):
                if st.get(k) is not tensor:
                    return False
        return True

    @classmethod
    def build(cls, state, params, keys):
        """Move the state of ``params`` into flat buffers, or return None when they cannot share them
        (mixed dtypes, partial state, or different step counts: those are updated one by one)."""
        step = _common_step(state, params, keys)
        if step is None:
            return None
        c = cls()
        c.params = list(params)
        c.shapes = [p._data.shape for p in params]
        c.keys = tuple(keys)
        dtype = params[0]._data.dtype
        offsets = np.cumsum([0] + [p._data.size for p in params])
        total = int(offsets[-1])
        c.arrays = [np.zeros(total, dtype=dtype) for _ in keys]
        c.g = np.empty(total, dtype=dtype)
        c.t = np.empty(total, dtype=dtype)

        def views(flat):
            return [flat[offsets[i]:offsets[i + 1]].reshape(c.shapes[i]) for i in range(len(params))]
        c.gviews, c.tviews = views(c.g), views(c.t)
        per_key = [views(a) for a in c.arrays]
        c.tensors, c.steps = [], []
        c.step_array = np.full(len(params), step, dtype=np.float32)
        for i, p in enumerate(params):
            st = state[p]
            st["step"] = _wrap(c.step_array[i:i + 1].reshape(()))
            row = []
            for k, kv in zip(keys, per_key):
                if k in st:
                    kv[i][...] = st[k]._data      # existing state is copied in
                st[k] = _wrap(kv[i])
                row.append(st[k])
            c.tensors.append(row)
            c.steps.append(st["step"])
        return c


def _common_step(state, params, keys):
    """The step count all ``params`` share (0.0 for fresh ones), or None if they cannot be flattened."""
    dtype = params[0]._data.dtype
    step = None
    for p in params:
        if p._data.dtype != dtype:
            return None
        st = state.get(p)
        if not st:
            cur = 0.0
        elif "step" in st and all(k in st for k in keys):
            cur = float(st["step"])
        else:
            return None
        if step is None:
            step = cur
        elif cur != step:
            return None
    return step
