"""Downloading, checksums and archive extraction for the vision data sets (torchvision's helper names)."""
import gzip
import hashlib
import os
import shutil
import tarfile
import urllib.parse
import urllib.request
import zipfile

__all__ = ["calculate_md5", "check_md5", "check_integrity", "download_url", "extract_archive",
           "download_and_extract_archive"]

_CHUNK = 1 << 20


def calculate_md5(fpath, chunk_size=_CHUNK):
    """The MD5 hex digest of a file.

    Example:
        >>> calculate_md5("cifar-10-python.tar.gz")
        'c58f30108f718f92721af3b95e74349a'
    """
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5, **kwargs):
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5=None):
    """True if ``fpath`` exists and (when ``md5`` is given) has that checksum."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or check_md5(fpath, md5)


def download_url(url, root, filename=None, md5=None, timeout=60):
    """Download ``url`` to ``root/filename`` (streaming to a ``.part`` file) and verify ``md5``.

    Does nothing if the file is already there with the right checksum. A checksum mismatch
    deletes the download and raises ``RuntimeError``; network failures raise urllib's errors.

    Example:
        >>> download_url("https://example.org/data.tar.gz", "data", md5="...")
    """
    root = os.path.expanduser(str(root))
    if not filename:
        filename = os.path.basename(urllib.parse.urlparse(url).path)
    fpath = os.path.join(root, filename)
    if check_integrity(fpath, md5):
        print(f"Using downloaded and verified file: {fpath}")
        return fpath
    os.makedirs(root, exist_ok=True)
    part = fpath + ".part"
    print(f"Downloading {url} to {fpath}")
    digest = hashlib.md5(usedforsecurity=False)
    request = urllib.request.Request(url, headers={"User-Agent": "ember"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as f:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                digest.update(chunk)
                f.write(chunk)
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
    if md5 is not None and digest.hexdigest() != md5:
        os.remove(part)
        raise RuntimeError(f"Checksum mismatch for {url}: expected md5 {md5}, got {digest.hexdigest()}. "
                           f"The download is corrupted or the file on the server changed; the partial file "
                           f"was deleted, try again.")
    os.replace(part, fpath)
    return fpath


def _safe_member_path(to_path, name, archive):
    target = os.path.realpath(os.path.join(to_path, name))
    if os.path.commonpath([os.path.realpath(to_path), target]) != os.path.realpath(to_path):
        raise RuntimeError(f"{archive}: refusing to extract {name!r}, which points outside {to_path}")
    return target


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a .tar(.gz/.bz2/.xz), .tgz, .zip or single-file .gz archive; returns ``to_path``.

    Members that would land outside ``to_path`` (absolute paths, ``..``, links) are refused.

    Example:
        >>> extract_archive("data/cifar-10-python.tar.gz")
    """
    from_path = str(from_path)
    if to_path is None:
        to_path = os.path.dirname(from_path)
    os.makedirs(to_path, exist_ok=True)
    lower = from_path.lower()
    if lower.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz")):
        with tarfile.open(from_path, "r:*") as tar:
            if hasattr(tarfile, "data_filter"):   # Python >= 3.11.4 / 3.10.12
                tar.extractall(to_path, filter="data")
            else:
                for m in tar.getmembers():
                    _safe_member_path(to_path, m.name, from_path)
                    if m.issym() or m.islnk() or m.isdev():
                        raise RuntimeError(f"{from_path}: refusing to extract link or device {m.name!r}")
                tar.extractall(to_path)
    elif lower.endswith(".zip"):
        with zipfile.ZipFile(from_path) as z:
            for name in z.namelist():
                _safe_member_path(to_path, name, from_path)
            z.extractall(to_path)
    elif lower.endswith(".gz"):
        out = os.path.join(to_path, os.path.basename(from_path)[:-3])
        with gzip.open(from_path, "rb") as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst, _CHUNK)
    else:
        raise RuntimeError(f"extract_archive: unsupported archive type for {from_path} "
                           f"(known: .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz, .zip, .gz)")
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url, download_root, extract_root=None, filename=None, md5=None,
                                 remove_finished=False):
    """``download_url`` then ``extract_archive`` (into ``extract_root``, default ``download_root``).

    Example:
        >>> download_and_extract_archive(CIFAR10.url, "data", md5=CIFAR10.tgz_md5)
    """
    download_root = os.path.expanduser(str(download_root))
    extract_root = download_root if extract_root is None else extract_root
    if not filename:
        filename = os.path.basename(urllib.parse.urlparse(url).path)
    download_url(url, download_root, filename, md5)
    archive = os.path.join(download_root, filename)
    print(f"Extracting {archive} to {extract_root}")
    extract_archive(archive, extract_root, remove_finished)
