"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, packed sequences) and their cells.

Each layer and direction computes its input projection for all time steps with one GEMM and
then runs one fused op (``ember/ops/recurrent.py``) that loops over time; packed and padded
batches take the same path (a padded batch is a packed one whose batch sizes are all B).
"""
import math
import numbers
import warnings

from ... import _creation
from ..._tensor import Tensor
from ...ops.index import index_select
from ...ops.join_split import cat, stack
from ...ops.recurrent import gru_layer, lstm_layer, rnn_layer
from ...ops.views import squeeze, transpose, unsqueeze
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from ._params import check_device
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """The shared part of RNN, LSTM and GRU: parameters, checks and the layer/direction loop."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        check_device(device)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}")
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_in = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih_l{}{}", (gate_size, layer_in)), ("weight_hh_l{}{}", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr_l{}{}", (proj_size, hidden_size))]
                names = []
                for fmt, shape in shapes:
                    name = fmt.format(layer, suffix)
                    self.register_parameter(name, Parameter(_creation.empty(*shape, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in registration order."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters per layer and direction: [[weight_ih_l0, weight_hh_l0, bias_ih_l0, ...], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """Accepted for PyTorch compatibility (cuDNN weight layout); nothing to do on ember."""

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- forward --------------------------------------------------------------------------------
    def _state_shape(self, batch, cell=False):
        size = self.hidden_size if (cell or self.proj_size == 0) else self.proj_size
        return (self.num_layers * (2 if self.bidirectional else 1), batch, size)

    def _check_input(self, data, expected_dims):
        if data.dim() not in expected_dims:
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {data.dim()}D instead")
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {data.shape[-1]}")
        w = getattr(self, self._flat_weights_names[0])
        if data.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({data.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({data.dtype})")

    def _check_hidden(self, hx, shape, which=""):
        if tuple(hx.shape) != shape:
            raise RuntimeError(f"Expected hidden{which} size {shape}, got {list(hx.shape)}")

    def forward(self, input, hx=None):
        is_lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        unbatched = False
        if packed:
            x, batch_sizes_t, sorted_indices, unsorted_indices = input
            batch_sizes = tuple(int(b) for b in batch_sizes_t._data)
            if not batch_sizes or batch_sizes[-1] <= 0 or any(a < b for a, b in zip(batch_sizes, batch_sizes[1:])) \
                    or sum(batch_sizes) != x.shape[0]:
                raise ValueError(f"{type(self).__name__}: invalid PackedSequence: batch_sizes {list(batch_sizes)} must "
                                 f"be positive, non-increasing and sum to the {x.shape[0]} rows of data; build it "
                                 "with pack_padded_sequence or pack_sequence")
            batch = batch_sizes[0]
            self._check_input(x, (2,))
        else:
            self._check_input(input, (2, 3))
            x = input
            if input.dim() == 2:
                unbatched = True
                x = unsqueeze(x, 1)
            elif self.batch_first:
                x = transpose(x, 0, 1)
            steps, batch = x.shape[0], x.shape[1]
            if steps == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            batch_sizes = (batch,) * steps
            x = x.reshape(steps * batch, self.input_size)
            sorted_indices = unsorted_indices = None
        hx = self._initial_states(hx, batch, unbatched, x, sorted_indices)
        out, finals = self._layers(x, hx, batch_sizes)
        if packed:
            finals = [f if unsorted_indices is None else index_select(f, 1, unsorted_indices) for f in finals]
            output = PackedSequence(out, batch_sizes_t, sorted_indices, unsorted_indices)
        else:
            output = out.reshape(len(batch_sizes), batch, out.shape[-1])
            if unbatched:
                output = squeeze(output, 1)
                finals = [squeeze(f, 1) for f in finals]
            elif self.batch_first:
                output = transpose(output, 0, 1)
        return (output, tuple(finals)) if is_lstm else (output, finals[0])

    def _initial_states(self, hx, batch, unbatched, x, sorted_indices):
        """The initial states as (L*D, B, size) tensors: zeros, or ``hx`` checked and permuted."""
        is_lstm = self.mode == "LSTM"
        shapes = [self._state_shape(batch)] + ([self._state_shape(batch, cell=True)] if is_lstm else [])
        if hx is None:
            return [_creation.zeros(*s, dtype=x.dtype) for s in shapes]
        states = list(hx) if is_lstm else [hx]
        if is_lstm and (isinstance(hx, Tensor) or len(states) != 2):
            raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors; got "
                               f"{type(hx).__name__}")
        for i, s in enumerate(states):
            if not isinstance(s, Tensor):
                raise TypeError(f"{type(self).__name__}: initial states must be Tensors, got {type(s).__name__}")
        want = 2 if unbatched else 3
        if any(s.dim() != want for s in states):
            dims = ", ".join(f"{s.dim()}-D" for s in states)
            kind = "unbatched 2-D" if unbatched else "batched 3-D"
            names = "hx and cx" if is_lstm else "hx"
            raise RuntimeError(f"For {kind} input, {names} should also be {want}-D but got "
                               f"({dims}) tensor{'s' if is_lstm else ''}")
        if unbatched:
            states = [unsqueeze(s, 1) for s in states]
        for i, (s, shape) in enumerate(zip(states, shapes)):
            self._check_hidden(s, shape, f"[{i}]" if is_lstm else "")
            if s.dtype != x.dtype:
                raise ValueError(f"{type(self).__name__}: initial state dtype ({s.dtype}) does not match the "
                                 f"input's ({x.dtype}); convert it with .to({x.dtype})")
        if sorted_indices is not None:
            states = [index_select(s, 1, sorted_indices) for s in states]
        return states

    def _layers(self, x, hx, batch_sizes):
        directions = 2 if self.bidirectional else 1
        finals = [[] for _ in hx]
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                names = self._all_weights[k]
                p = self._parameters
                if any(n not in p for n in names):        # parametrized / weight-normed / pruned weights
                    p = {n: getattr(self, n) for n in names}
                w_ih, w_hh = p[names[0]], p[names[1]]
                b_ih, b_hh = (p[names[2]], p[names[3]]) if self.bias else (None, None)
                w_hr = p[names[-1]] if self.proj_size > 0 else None
                gi = F.linear(x, w_ih, b_ih)
                states = [s[k] for s in hx]
                reverse = direction == 1
                if self.mode == "LSTM":
                    out, h_n, c_n = lstm_layer(gi, states[0], states[1], w_hh, b_hh, batch_sizes, reverse, w_hr)
                    finals[0].append(h_n)
                    finals[1].append(c_n)
                elif self.mode == "GRU":
                    out, h_n = gru_layer(gi, states[0], w_hh, b_hh, batch_sizes, reverse)
                    finals[0].append(h_n)
                else:
                    nonlinearity = "relu" if self.mode == "RNN_RELU" else "tanh"
                    out, h_n = rnn_layer(gi, states[0], w_hh, b_hh, batch_sizes, reverse, nonlinearity)
                    finals[0].append(h_n)
                outs.append(out)
            x = outs[0] if directions == 1 else cat(outs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, [stack(f, 0) for f in finals]


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), stacked
    ``num_layers`` deep, optionally bidirectional. Input ``(L, N, H_in)`` (``(N, L, H_in)`` with
    ``batch_first``), ``(L, H_in)`` unbatched, or a ``PackedSequence``; returns ``(output, h_n)``.

    Example:
        >>> rnn = ember.nn.RNN(10, 20, 2)
        >>> output, hn = rnn(ember.randn(5, 3, 10), ember.randn(2, 3, 20))
        >>> output.shape, hn.shape
        (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory: gates ``i, f, g, o`` (in that order in the weights), ``c_t = f c_{t-1} +
    i g``, ``h_t = o tanh(c_t)`` (projected by ``weight_hr`` when ``proj_size > 0``). Returns
    ``(output, (h_n, c_n))``.

    Example:
        >>> lstm = ember.nn.LSTM(10, 20, 2, batch_first=True)
        >>> output, (hn, cn) = lstm(ember.randn(3, 5, 10))
        >>> output.shape, hn.shape, cn.shape
        (ember.Size([3, 5, 20]), ember.Size([2, 3, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: gates ``r, z, n`` (in that order), ``n = tanh(W_in x + b_in + r (W_hn h +
    b_hn))``, ``h_t = (1 - z) n + z h_{t-1}``. Returns ``(output, h_n)``.

    Example:
        >>> gru = ember.nn.GRU(10, 20, bidirectional=True)
        >>> output, hn = gru(ember.randn(5, 3, 10))
        >>> output.shape, hn.shape
        (ember.Size([5, 3, 40]), ember.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# -- cells --------------------------------------------------------------------------------------

class RNNCellBase(Module):
    """The shared part of the cells: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``, all
    initialised U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        check_device(device)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_creation.empty(num_chunks * hidden_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(_creation.empty(num_chunks * hidden_size, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx, n_states):
        """(2-D input, list of 2-D states, unbatched?) after PyTorch's checks."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}")
        if input.dtype != self.weight_ih.dtype:
            raise ValueError(f"{name}: input dtype ({input.dtype}) does not match weight dtype "
                             f"({self.weight_ih.dtype}); convert the input with .to({self.weight_ih.dtype})")
        unbatched = input.dim() == 1
        if unbatched:
            input = unsqueeze(input, 0)
        batch = input.shape[0]
        if hx is None:
            states = [_creation.zeros(batch, self.hidden_size, dtype=input.dtype) for _ in range(n_states)]
        else:
            states = list(hx) if n_states == 2 else [hx]
            if n_states == 2 and (isinstance(hx, Tensor) or len(states) != 2):
                raise RuntimeError(f"{name}: hx must be a tuple (h_0, c_0) of two tensors")
            want = 1 if unbatched else 2
            for i, s in enumerate(states):
                if s.dim() != want:
                    raise RuntimeError(f"{name}: Expected hidden state to be {want}D for "
                                       f"{'1D' if unbatched else '2D'} input, got {s.dim()}D instead")
            if unbatched:
                states = [unsqueeze(s, 0) for s in states]
            for i, s in enumerate(states):
                if s.shape[0] != batch:
                    raise RuntimeError(f"Input batch size {batch} doesn't match hidden{i} batch size {s.shape[0]}")
                if s.shape[1] != self.hidden_size:
                    raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.shape[1]}, expected "
                                       f"{self.hidden_size}")
        return input, states, unbatched


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    Example:
        >>> cell = ember.nn.RNNCell(10, 20)
        >>> cell(ember.randn(3, 10), ember.randn(3, 20)).shape
        ember.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        x, (h,), unbatched = self._prepare(input, hx, 1)
        gi = F.linear(x, self.weight_ih, self.bias_ih)
        _, h_n = rnn_layer(gi, h, self.weight_hh, self.bias_hh, (x.shape[0],), False, self.nonlinearity)
        return squeeze(h_n, 0) if unbatched else h_n


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``.

    Example:
        >>> cell = ember.nn.LSTMCell(10, 20)
        >>> h, c = cell(ember.randn(3, 10))
        >>> h.shape, c.shape
        (ember.Size([3, 20]), ember.Size([3, 20]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), unbatched = self._prepare(input, hx, 2)
        gi = F.linear(x, self.weight_ih, self.bias_ih)
        _, h_n, c_n = lstm_layer(gi, h, c, self.weight_hh, self.bias_hh, (x.shape[0],), False)
        return (squeeze(h_n, 0), squeeze(c_n, 0)) if unbatched else (h_n, c_n)


class GRUCell(RNNCellBase):
    """One GRU step: returns ``h'``.

    Example:
        >>> cell = ember.nn.GRUCell(10, 20)
        >>> cell(ember.randn(3, 10)).shape
        ember.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), unbatched = self._prepare(input, hx, 1)
        gi = F.linear(x, self.weight_ih, self.bias_ih)
        _, h_n = gru_layer(gi, h, self.weight_hh, self.bias_hh, (x.shape[0],), False)
        return squeeze(h_n, 0) if unbatched else h_n
