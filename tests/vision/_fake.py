"""Write small data sets in the real on-disk formats (CIFAR python batches, MNIST IDX), and a
local HTTP server to download them from."""
import functools
import gzip
import hashlib
import http.server
import os
import pickle
import struct
import tarfile
import threading

import numpy as np


def md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


# -- CIFAR --------------------------------------------------------------------------------------
def _py2_str(b):
    return (b"U" + bytes([len(b)]) + b) if len(b) < 256 else (b"T" + struct.pack("<I", len(b)) + b)


def _py2_int(i):
    return (b"K" + bytes([i])) if 0 <= i < 256 else (b"J" + struct.pack("<i", i))


def _py2_obj(x):
    """Pickle opcodes as Python 2's cPickle (protocol 2) writes them: str is a byte string."""
    if isinstance(x, dict):
        return b"}(" + b"".join(_py2_obj(k) + _py2_obj(v) for k, v in x.items()) + b"u"
    if isinstance(x, list):
        return b"](" + b"".join(_py2_obj(v) for v in x) + b"e"
    if isinstance(x, str):
        return _py2_str(x.encode("latin1"))
    if isinstance(x, int):
        return _py2_int(x)
    if isinstance(x, np.ndarray):
        assert x.dtype == np.uint8 and x.ndim == 2
        shape = _py2_int(x.shape[0]) + _py2_int(x.shape[1]) + b"\x86"
        dtype = (b"cnumpy\ndtype\n" + _py2_str(b"u1") + b"\x89\x88\x87R"
                 + b"(" + _py2_int(3) + _py2_str(b"|") + b"NNN" + _py2_int(-1) + _py2_int(-1) + _py2_int(0) + b"tb")
        return (b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\n" + _py2_int(0) + b"\x85"
                + _py2_str(b"b") + b"\x87R" + b"(" + _py2_int(1) + shape + dtype + b"\x89"
                + _py2_str(x.tobytes()) + b"tb")
    raise TypeError(type(x))


def dump(obj, path, style):
    with open(path, "wb") as f:
        if style == "py2":
            f.write(b"\x80\x02" + _py2_obj(obj) + b".")
        else:
            pickle.dump(obj, f, protocol=int(style[-1]))   # "p2" / "p4"


def make_cifar(root, hundred=False, n=6, style="py2", seed=0):
    """Write a tiny CIFAR-10 (or -100) folder under root; return (folder, {file: md5}, images, labels)."""
    rng = np.random.default_rng(seed)
    folder = os.path.join(root, "cifar-100-python" if hundred else "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    names = ["train", "test"] if hundred else [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    k = 100 if hundred else 10
    content = {}
    for name in names:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = rng.integers(0, k, n).tolist()
        entry = {"batch_label": f"batch {name}", "data": data, "filenames": [f"img{i}.png" for i in range(n)]}
        if hundred:
            entry.update(fine_labels=labels, coarse_labels=[x // 5 for x in labels])
        else:
            entry["labels"] = labels
        dump(entry, os.path.join(folder, name), style)
        content[name] = (data, labels)
    meta_name = "meta" if hundred else "batches.meta"
    meta = ({"fine_label_names": [f"fine{i}" for i in range(100)], "coarse_label_names": [f"c{i}" for i in range(20)]}
            if hundred else {"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                                             "horse", "ship", "truck"], "num_cases_per_batch": n, "num_vis": 3072})
    dump(meta, os.path.join(folder, meta_name), style)
    md5s = {name: md5(os.path.join(folder, name)) for name in names + [meta_name]}
    return folder, md5s, content


def local_cifar(base, md5s):
    """A subclass of CIFAR10/CIFAR100 whose checksums are those of the fake files."""
    hundred = "train" in md5s
    attrs = dict(
        train_list=[[n, md5s[n]] for n in (["train"] if hundred else [f"data_batch_{i}" for i in range(1, 6)])],
        test_list=[[n, md5s[n]] for n in (["test"] if hundred else ["test_batch"])],
        meta=dict(base.meta, md5=md5s["meta" if hundred else "batches.meta"]))
    return type(base.__name__, (base,), attrs)


def tar_gz(src_dir, out_path):
    with tarfile.open(out_path, "w:gz") as tar:
        tar.add(src_dir, arcname=os.path.basename(src_dir))
    return md5(out_path)


# -- MNIST --------------------------------------------------------------------------------------
def write_idx(path, arr, gz=False):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D}
    code = codes[arr.dtype]
    be = arr.astype(arr.dtype.newbyteorder(">"))
    raw = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + be.tobytes()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(raw)


def make_mnist(raw_dir, n_train=5, n_test=3, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(raw_dir, exist_ok=True)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        ext = ".gz" if gz else ""
        write_idx(os.path.join(raw_dir, f"{prefix}-images-idx3-ubyte{ext}"), images, gz)
        write_idx(os.path.join(raw_dir, f"{prefix}-labels-idx1-ubyte{ext}"), labels, gz)
        out[prefix] = (images, labels)
    return out


# -- HTTP ---------------------------------------------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class LocalServer:
    """Serve ``directory`` on 127.0.0.1 at a free port from a daemon thread."""

    def __init__(self, directory):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
