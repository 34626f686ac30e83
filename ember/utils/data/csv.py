"""CSVDataset: a numeric table with a header row as feature and target tensors."""
import csv as _csv

import numpy as np

from ... import _dtype
from ..._tensor import _wrap
from .dataset import TensorDataset

__all__ = ["CSVDataset"]

_MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}


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
        with open(self.path, newline="") as f:
            reader = _csv.reader(f, delimiter=delimiter)
            try:
                header = [h.strip() for h in next(reader)]
            except StopIteration:
                raise ValueError(f"CSVDataset: {self.path} is empty; expected a header row of column names") from None
            rows, lines = [], []
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                if len(row) != len(header):
                    raise ValueError(f"CSVDataset: {self.path} line {reader.line_num} has {len(row)} cells but "
                                     f"the header has {len(header)} columns")
                rows.append(row)
                lines.append(reader.line_num)
        if not rows:
            raise ValueError(f"CSVDataset: {self.path} has a header but no data rows")

        targets = [] if target is None else ([target] if isinstance(target, str) else list(target))
        if columns is None:
            columns = [h for h in header if h not in targets]
        columns = list(columns)
        for name in targets + columns:
            if name not in header:
                raise ValueError(f"CSVDataset: column {name!r} is not in {self.path}; its columns are {header}")
        position = {h: i for i, h in enumerate(header)}
        table = np.array(rows, dtype=object)

        def parse(names):
            cells = table[:, [position[n] for n in names]]
            try:
                return np.array(cells, dtype=np.str_).astype(np.float64)
            except ValueError:
                pass
            for r, row in enumerate(cells):          # slow path only to name the bad cell
                for c, cell in enumerate(row):
                    text = cell.strip()
                    if text.lower() in _MISSING:
                        raise ValueError(f"CSVDataset: missing value at {self.path} line {lines[r]}, column "
                                         f"{names[c]!r} (cell {cell!r}); fill or drop it before loading")
                    try:
                        float(text)
                    except ValueError:
                        raise ValueError(f"CSVDataset: non-numeric value {cell!r} at {self.path} line "
                                         f"{lines[r]}, column {names[c]!r}; every feature and target cell "
                                         f"must be a number (encode categories as integers first)") from None
            raise ValueError(f"CSVDataset: could not parse {self.path}")  # unreachable in practice

        def check_nan(values, names):
            bad = np.argwhere(np.isnan(values))
            if bad.size:
                r, c = bad[0]
                raise ValueError(f"CSVDataset: missing value at {self.path} line {lines[r]}, column "
                                 f"{names[c]!r} (cell {table[r, position[names[c]]]!r}); fill or drop it "
                                 f"before loading")

        feats = parse(columns)
        check_nan(feats, columns)
        self.columns = columns
        self.target = target
        self.features = _wrap(feats.astype(_dtype.to_numpy_dtype(dtype)))
        if targets:
            tv = parse(targets)
            check_nan(tv, targets)
            if target_dtype is None:
                whole = np.all(np.isfinite(tv)) and np.all(tv == np.round(tv))
                target_dtype = _dtype.int64 if whole else dtype
            tv = tv.astype(_dtype.to_numpy_dtype(target_dtype))
            self.targets = _wrap(tv[:, 0] if isinstance(target, str) else tv)
            super().__init__(self.features, self.targets)
        else:
            self.targets = None
            super().__init__(self.features)

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

