"""Data files that are tiny but describe huge arrays: refused fast, with memory proportional to the
file, and never an array of memory that no byte of the file backs."""
import gzip
import pickle
import struct
import tracemalloc

import numpy as np
import pytest

from ember.vision.datasets.mnist import read_idx
from ember.vision.datasets.safe_pickle import safe_load


def _peak(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_gzip_idx_that_inflates_past_its_header_is_refused_reading_only_what_it_declares(tmp_path):
    p = tmp_path / "bomb-idx1-ubyte.gz"
    with gzip.open(p, "wb") as f:
        f.write(struct.pack(">BBBBI", 0, 0, 8, 1, 10))
        block = bytes(1 << 20)
        for _ in range(64):   # 64 MiB of zeros: a 64 KiB file
            f.write(block)
    assert p.stat().st_size < 200_000

    def load():
        with pytest.raises(ValueError, match="more than that"):
            read_idx(p)
    assert _peak(load) < 4 << 20


def test_idx_header_declaring_more_than_the_file_can_hold_is_refused_before_reading(tmp_path):
    for name in ("huge-idx3-ubyte", "huge-idx3-ubyte.gz"):
        p = tmp_path / name
        data = struct.pack(">BBBBIII", 0, 0, 0x0E, 3, 2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1) + bytes(100)
        p.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)

        def load():
            with pytest.raises(ValueError, match="cannot hold that much"):
                read_idx(p)
        assert _peak(load) < 1 << 20


def test_idx_still_reads_good_files(tmp_path):
    a = np.arange(24, dtype=">i4").reshape(2, 3, 4)
    raw = struct.pack(">BBBB", 0, 0, 0x0C, 3) + struct.pack(">III", 2, 3, 4) + a.tobytes()
    (tmp_path / "a-idx3").write_bytes(raw)
    (tmp_path / "a-idx3.gz").write_bytes(gzip.compress(raw))
    for name in ("a-idx3", "a-idx3.gz"):
        out = read_idx(tmp_path / name)
        assert out.dtype == np.int32 and out.dtype.isnative
        np.testing.assert_array_equal(out, a)
    (tmp_path / "short-idx3").write_bytes(raw[:-1])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        read_idx(tmp_path / "short-idx3")


class _Reconstruct:
    """Pickles as NumPy's array rebuilder called with a shape of the file's choosing."""

    def __init__(self, shape):
        self.shape = shape

    def __reduce__(self):
        rebuild = np.ndarray.__reduce__(np.zeros(1))[0]
        return rebuild, (np.ndarray, self.shape, b"b")


class _Ndarray:
    """Pickles as a direct call ``numpy.ndarray(shape, 'u1')``."""

    def __reduce__(self):
        return np.ndarray, ((1 << 20,), "u1")


@pytest.mark.parametrize("payload", [_Reconstruct((1 << 32,)), _Reconstruct((1 << 20,)), _Ndarray(),
                                     {"data": _Reconstruct((1 << 20,))}])
def test_arrays_not_backed_by_bytes_in_the_file_are_refused(tmp_path, payload):
    p = tmp_path / "data_batch_1"
    p.write_bytes(pickle.dumps(payload, protocol=2))
    assert p.stat().st_size < 200
    with pytest.raises(pickle.UnpicklingError):
        safe_load(str(p))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_real_arrays_still_load(tmp_path, protocol):
    batch = {"data": np.arange(3072 * 2, dtype=np.uint8).reshape(2, 3072), "labels": [3, 7],
             "f": np.linspace(0, 1, 5).reshape(5, 1)[::2]}
    p = tmp_path / "data_batch_1"
    p.write_bytes(pickle.dumps(batch, protocol=protocol))
    back = safe_load(str(p))
    np.testing.assert_array_equal(back["data"], batch["data"])
    np.testing.assert_array_equal(back["f"], batch["f"])
    assert back["labels"] == [3, 7]
