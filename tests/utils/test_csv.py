"""CSVDataset on the phone-price data and on small files with bad cells."""
import csv

import numpy as np
import pytest

import ember
from ember.utils.data import CSVDataset, DataLoader
from tests.paths import PHONE_CSV

CSV = PHONE_CSV


def _reference():
    with open(CSV, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array(rows[1:], dtype=np.float64)


def test_phone_price():
    header, table = _reference()
    ds = CSVDataset(CSV, target="price_range")
    assert len(ds) == 2000 and ds.features.shape == (2000, 20) and ds.targets.shape == (2000,)
    assert ds.columns == header[:-1] and "price_range" not in ds.columns
    assert ds.features.dtype == ember.float32 and ds.targets.dtype == ember.int64
    np.testing.assert_array_equal(ds.features.numpy(), table[:, :-1].astype(np.float32))
    np.testing.assert_array_equal(ds.targets.numpy(), table[:, -1].astype(np.int64))
    assert ds.classes == [0, 1, 2, 3]
    x, y = ds[0]
    assert x.shape == (20,) and y.item() == int(table[0, -1])
    xb, yb = next(iter(DataLoader(ds, batch_size=16)))
    assert xb.shape == (16, 20) and yb.dtype == ember.int64


def test_columns_dtype_and_no_target():
    ds = CSVDataset(CSV, target="price_range", columns=["ram", "battery_power"], dtype=ember.float64)
    assert ds.features.shape == (2000, 2) and ds.features.dtype == ember.float64
    feats = CSVDataset(CSV, columns=["ram"])
    assert feats.targets is None and feats[3].shape == (1,)
    float_target = CSVDataset(CSV, target="clock_speed")  # 2.2, 0.5, ...: a regression target
    assert float_target.targets.dtype == ember.float32 and float_target.features.shape == (2000, 20)
    forced = CSVDataset(CSV, target="price_range", target_dtype=ember.float32)
    assert forced.targets.dtype == ember.float32
    two = CSVDataset(CSV, target=["price_range", "wifi"])
    assert two.targets.shape == (2000, 2) and two.features.shape == (2000, 19)


def _write(tmp_path, text):
    p = tmp_path / "t.csv"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("text,match", [
    ("a,b,y\n1,2,0\n3,x,1\n", r"non-numeric value 'x' at .* line 3, column 'b'"),
    ("a,b,y\n1,2,0\n3,,1\n", r"missing value at .* line 3, column 'b'"),
    ("a,b,y\n1,2,0\n3,4,NA\n", r"missing value at .* line 3, column 'y'"),
    ("a,b,y\n1,2,0\n\n5,nan,1\n", r"missing value at .* line 4, column 'b'"),
    ("a,b,y\n1,2,0\n3,4\n", r"line 3 has 2 cells but the header has 3 columns"),
    ("a,b,y\n", "no data rows"),
])
def test_bad_cells_name_line_and_column(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        CSVDataset(_write(tmp_path, text), target="y")


def test_unknown_column(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,0\n")
    with pytest.raises(ValueError, match=r"column 'z' is not in .*\['a', 'b', 'y'\]"):
        CSVDataset(path, target="z")
    ds = CSVDataset(path, target="y")
    assert ds.features.tolist() == [[1.0, 2.0]] and ds.targets.tolist() == [0]
