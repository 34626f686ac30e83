"""CSVDataset on hostile or careless files: a clear error naming the line and column, memory
proportional to the file, and a byte-order mark that is not part of a column name."""
import tracemalloc

import numpy as np
import pytest

import ember
from ember.utils.data import CSVDataset


def _csv(tmp_path, text, name="d.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_text(text, encoding=encoding)
    return p


def test_huge_cell_fails_fast_without_a_memory_bomb(tmp_path):
    rows = "\n".join(f"{i},{i % 2}" for i in range(2000))
    p = _csv(tmp_path, "a,y\n" + "0" * 100000 + "1,1\n" + rows + "\n")
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"line 2, column 'a' has 100001 characters"):
            CSVDataset(p, target="y")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * p.stat().st_size, peak


def test_memory_is_proportional_to_the_file(tmp_path):
    rng = np.random.default_rng(0)
    vals = rng.integers(0, 10, size=(20000, 20))
    text = ",".join(f"c{i}" for i in range(20)) + ",y\n" + "\n".join(
        ",".join(map(str, r)) + f",{r[0] % 3}" for r in vals) + "\n"
    p = _csv(tmp_path, text)
    tracemalloc.start()
    try:
        ds = CSVDataset(p, target="y")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ds.features.shape == (20000, 20)
    np.testing.assert_array_equal(ds.features.numpy(), vals.astype(np.float32))
    assert peak < 8 * p.stat().st_size, (peak, p.stat().st_size)


def test_repeated_header_is_refused(tmp_path):
    p = _csv(tmp_path, "a,a,y\n1,2,0\n")
    with pytest.raises(ValueError, match=r"column 'a' appears twice in the header .*columns 1 and 2"):
        CSVDataset(p, target="y")


def test_huge_integer_target_is_refused_with_its_line(tmp_path):
    p = _csv(tmp_path, "a,y\n1,0\n2,1e30\n")
    with pytest.raises(ValueError, match=r"target 1e\+30 at .* line 3, column 'y' is not a whole number"):
        CSVDataset(p, target="y")
    p = _csv(tmp_path, "a,y\n1,0\n2,300\n", name="e.csv")
    with pytest.raises(ValueError, match=r"line 3, column 'y'"):
        CSVDataset(p, target="y", target_dtype=ember.uint8)
    ds = CSVDataset(p, target="y", target_dtype=ember.float32)
    assert ds.targets.tolist() == [0.0, 300.0]


def test_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    p = _csv(tmp_path, "a,y\n1,0\n2,1\n", encoding="utf-8-sig")
    assert p.read_bytes()[:3] == b"\xef\xbb\xbf"
    ds = CSVDataset(p, target="y")
    assert ds.columns == ["a"]
    assert ds.features.tolist() == [[1.0], [2.0]]


@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity", "1e400"])
def test_non_finite_feature_is_refused_with_line_and_column(tmp_path, cell):
    p = _csv(tmp_path, f"a,b,y\n1,2,0\n3,{cell},1\n")
    with pytest.raises(ValueError, match=r"non-finite value .* line 3, column 'b'"):
        CSVDataset(p, target="y")
