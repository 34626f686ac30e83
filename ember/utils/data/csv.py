"""CSVDataset: a numeric table with a header row as feature and target tensors."""
import array
import csv as _csv
import math

import numpy as np

from ... import _dtype
from ..._tensor import _wrap
from .dataset import TensorDataset

__all__ = ["CSVDataset"]

_MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}
_MAX_CELL = 256       # characters: far more than any number needs
_EXACT = float(2 ** 53)  # whole numbers beyond this are not exact in float64: not class labels


class CSVDataset(TensorDataset):
    """A CSV file with a header row; samples are ``(features, target)`` (or ``features`` alone
    when ``target=None``).

    ``features`` is an ``(N, F)`` tensor of ``dtype`` holding ``columns`` (default: every column
    but the target, in file order). The target becomes an int64 tensor of class labels when every
    value in its column is a whole number (``0``, ``3``, ``2.0``), else a tensor of ``dtype``;
    pass ``target_dtype`` to choose. A list of target names gives an ``(N, k)`` target.
    Empty cells, ``NA``/``nan``-style markers and non-numeric text raise ``ValueError`` naming
    the file line (1 is the header) and the column.

    Example:
        >>> ds = CSVDataset("train.csv", target="price_range")
        >>> x, y = ds[0]             # x: float32 (20,), y: int64 scalar
        >>> ds.columns[:2], ds.features.shape
        (['battery_power', 'blue'], ember.Size([2000, 20]))
    """

    def __init__(self, path, target=None, columns=None, dtype=_dtype.float32, target_dtype=None, delimiter=","):
        self.path = str(path)
        targets = [] if target is None else ([target] if isinstance(target, str) else list(target))
        # utf-8-sig: a byte-order mark (Excel writes one) is not part of the first column's name
        with open(self.path, newline="", encoding="utf-8-sig") as f:
            reader = _csv.reader(f, delimiter=delimiter)
            try:
                header = [h.strip() for h in next(reader)]
            except StopIteration:
                raise ValueError(f"CSVDataset: {self.path} is empty; expected a header row of column names") from None
            except _csv.Error as e:
                raise ValueError(f"CSVDataset: {self.path} line 1 cannot be read as CSV: {e}") from None
            seen = {}
            for i, h in enumerate(header):
                if h in seen:
                    raise ValueError(f"CSVDataset: column {h!r} appears twice in the header of {self.path} "
                                     f"(columns {seen[h] + 1} and {i + 1}); give every column a distinct name")
                seen[h] = i
            if columns is None:
                columns = [h for h in header if h not in targets]
            columns = list(columns)
            for name in targets + columns:
                if name not in seen:
                    raise ValueError(f"CSVDataset: column {name!r} is not in {self.path}; its columns are {header}")
            feat_idx = [seen[n] for n in columns]
            targ_idx = [seen[n] for n in targets]
            # numbers are parsed cell by cell into flat float64 buffers: memory stays proportional to the file
            feats, tvals, lines = array.array("d"), array.array("d"), []
            try:
                for row in reader:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # blank line
                    if len(row) != len(header):
                        raise ValueError(f"CSVDataset: {self.path} line {reader.line_num} has {len(row)} cells but "
                                         f"the header has {len(header)} columns")
                    line = reader.line_num
                    for i in feat_idx:
                        feats.append(self._number(row[i], line, header[i]))
                    for i in targ_idx:
                        tvals.append(self._number(row[i], line, header[i]))
                    lines.append(line)
            except _csv.Error as e:
                raise ValueError(f"CSVDataset: {self.path} line {reader.line_num} cannot be read as CSV: {e}") from None
        if not lines:
            raise ValueError(f"CSVDataset: {self.path} has a header but no data rows")
        n = len(lines)
        feats = np.frombuffer(feats, dtype=np.float64).reshape(n, len(columns))
        self.columns = columns
        self.target = target
        self.features = _wrap(feats.astype(_dtype.to_numpy_dtype(dtype)))
        if targets:
            tv = np.frombuffer(tvals, dtype=np.float64).reshape(n, len(targets))
            whole = bool(np.all(tv == np.round(tv)))
            if target_dtype is None:
                target_dtype = _dtype.int64 if whole else dtype
            np_t = np.dtype(_dtype.to_numpy_dtype(target_dtype))
            if np_t.kind in "iu":
                info = np.iinfo(np_t)
                lo, hi = max(float(info.min), -_EXACT), min(float(info.max), _EXACT)
                bad = np.argwhere((tv < lo) | (tv > hi) | (tv != np.round(tv)))
                if bad.size:
                    r, c = bad[0]
                    raise ValueError(f"CSVDataset: target {float(tv[r, c])!r} at {self.path} line {lines[r]}, column "
                                     f"{targets[c]!r} is not a whole number in [{int(lo)}, {int(hi)}], so it cannot "
                                     f"be a {np_t} class label; fix the value, or pass target_dtype=ember.float32 "
                                     f"for a regression target")
            tv = tv.astype(np_t)
            self.targets = _wrap(tv[:, 0] if isinstance(target, str) else tv)
            super().__init__(self.features, self.targets)
        else:
            self.targets = None
            super().__init__(self.features)

    def _number(self, cell, line, name):
        """One cell as a finite float, or ValueError naming the line and column."""
        if len(cell) > _MAX_CELL:
            raise ValueError(f"CSVDataset: the cell at {self.path} line {line}, column {name!r} has {len(cell)} "
                             f"characters (a number needs at most {_MAX_CELL}); the file is corrupted or not numeric")
        text = cell.strip()
        if text.lower() in _MISSING:
            raise ValueError(f"CSVDataset: missing value at {self.path} line {line}, column "
                             f"{name!r} (cell {cell!r}); fill or drop it before loading")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"CSVDataset: non-numeric value {cell!r} at {self.path} line "
                             f"{line}, column {name!r}; every feature and target cell "
                             f"must be a number (encode categories as integers first)") from None
        if not math.isfinite(value):
            raise ValueError(f"CSVDataset: non-finite value {cell!r} at {self.path} line {line}, column {name!r}; "
                             f"features and targets must be finite numbers")
        return value

    def __getitem__(self, index):
        if self.targets is None:
            return self.features[index]
        return self.features[index], self.targets[index]

    @property
    def classes(self):
        """The sorted distinct integer target values (for classification targets)."""
        if self.targets is None or self.targets._data.dtype.kind not in "iu" or self.targets._data.ndim != 1:
            return None
        return np.unique(self.targets._data).tolist()

    def __repr__(self):
        return (f"CSVDataset({self.path!r}, rows={len(self)}, features={len(self.columns)}"
                f"{'' if self.target is None else f', target={self.target!r}'})")

