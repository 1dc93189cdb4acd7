"""What torchvision lacks for our data handling; private: imported only by :mod:`qpcnn_edu.lab.data`.

torchvision checks md5s (``check_integrity``, ``calculate_md5``), downloads (``download_url``, ``extract_archive``)
and reads the formats; this module uses those and adds only:

* **read-only data folders**: FashionMNIST is extracted into the per-user cache (:func:`cache_dir`), never beside its
  source; where the cache cannot be written, into a temporary folder removed after reading (:func:`extracted`);
* **Debian's recompressed files**: a ``.gz`` whose md5 differs but whose decompressed bytes match (:func:`verify_gz`);
* **atomic cache copies**: written beside the target, md5-checked, then renamed (:func:`atomic_copy`);
* **bounded downloads**: every socket waits at most :func:`download_timeout` seconds, into a temporary folder that is
  removed whatever happens; errors name the URL, the cause and the fix (:func:`download`).
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import math
import os
import shutil
import socket
import tempfile
import warnings
import zlib
from pathlib import Path

from torchvision.datasets.utils import calculate_md5, check_integrity, download_url, extract_archive

from .._io import atomic_write

__all__ = ["CACHE_VARIABLE", "TIMEOUT_VARIABLE", "DatasetNotFoundError", "DatasetIntegrityError", "DownloadError",
           "cache_dir", "verify", "verify_gz", "atomic_copy", "extracted", "download_timeout", "download"]

CACHE_VARIABLE, TIMEOUT_VARIABLE, DEFAULT_TIMEOUT_S = "QPCNN_EDU_CACHE", "QPCNN_EDU_DOWNLOAD_TIMEOUT", 30.0
#: errors that mean "this folder cannot be written" (rather than "the data is wrong")
_UNWRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR}


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are in none of the places looked at (or a download failed).

    Attributes:
        name (str): the dataset.
        searched (list[Path]): every folder looked in, in order.
    """

    def __init__(self, name: str, searched, files, detail: str = "", hint: str = ""):
        self.name, self.searched = name, [Path(p) for p in searched]
        where = "\n".join(f"  - {p}" for p in self.searched) or "  (nowhere)"
        fixes = [f"set QPCNN_EDU_DATA to a folder holding them (or pass root=...){', e.g. ' + hint if hint else ''}",
                 f"pass download=True (needs network; saves to root if given, else {cache_dir()})",
                 'or use the embedded offline mini set: load_dataset("fashion-mnist-mini")']
        super().__init__(f"dataset {name!r} not found{': ' + detail if detail else ''}.\n"
                         f"Looked for {', '.join(files)} in:\n{where}\nFixes:\n" + "\n".join(f"  * {f}" for f in fixes))


class DatasetIntegrityError(RuntimeError):
    """A data file is corrupt: wrong md5, or not in the expected format."""


class DownloadError(RuntimeError):
    """A download failed; the message names the URL, the cause and the fix."""


def cache_dir() -> Path:
    """The per-user cache folder, where FashionMNIST is copied and extracted (and downloads go without ``root``):
    ``$QPCNN_EDU_CACHE``, else ``$XDG_CACHE_HOME/qpcnn_edu``, else ``~/.cache/qpcnn_edu`` (not created).

    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"QPCNN_EDU_CACHE": "/srv/cache"}):
    ...     print(cache_dir())
    /srv/cache
    """
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "qpcnn_edu"


# ----------------------------------------------------------------------------------------------- integrity
def verify(path: Path, expected: str, what: str) -> str:
    """The md5 of ``path``, measured; :class:`DatasetIntegrityError` unless it is ``expected``."""
    actual = calculate_md5(path)
    if actual != expected:
        raise DatasetIntegrityError(f"{path} is corrupt or not the official {what} file: its md5 must be {expected}; "
                                    f"got {actual}. Replace it with the official file.")
    return actual


def verify_gz(path: Path, md5: str, content_md5: str) -> str:
    """The md5 of a ``.gz``, measured: accepted when it is ``md5``, or when the decompressed bytes have
    ``content_md5`` (Debian's ``dataset-fashion-mnist`` recompresses the official files: other md5, same images)."""
    actual = calculate_md5(path)
    if actual == md5:
        return actual
    h = hashlib.md5(usedforsecurity=False)
    try:
        with gzip.open(path, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        content = h.hexdigest()
    except (OSError, EOFError, zlib.error) as err:
        content = f"unreadable ({err})"
    if content == content_md5:
        return actual
    raise DatasetIntegrityError(
        f"{path} is corrupt or not the official FashionMNIST file: its md5 must be {md5}; got {actual} (decompressed "
        f"md5 must be {content_md5}; got {content}). Replace it with the official file (or delete it and use "
        "download=True). Nothing was cached.")


# ----------------------------------------------------------------------------------------------- cache
@contextlib.contextmanager
def _making_dirs(path: Path):
    """Create ``path`` (and parents); if that or the block fails, remove the folders it created that are empty."""
    created, p = [], Path(path)
    while not p.exists():
        created.append(p)
        p = p.parent
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        yield Path(path)
    except BaseException:
        for d in created:  # deepest first
            with contextlib.suppress(OSError):
                d.rmdir()
        raise


def atomic_copy(src: Path, dst: Path, md5: str, opener=open) -> None:
    """Copy the bytes ``opener(src)`` reads to ``dst`` with ``qpcnn_edu._io.atomic_write``, refused unless their md5
    is ``md5``: ``dst`` holds its old content or all of the new, never a part (also after Ctrl-C)."""
    def write(tmp: Path) -> None:
        h = hashlib.md5(usedforsecurity=False)
        with opener(src, "rb") as f, open(tmp, "wb") as out:
            while block := f.read(1 << 20):
                h.update(block)
                out.write(block)
        if h.hexdigest() != md5:
            raise DatasetIntegrityError(f"{'copy' if opener is open else 'decompressed copy'} of {src} to {dst}: md5 "
                                        f"must be {md5}; got {h.hexdigest()}. Nothing was cached.")

    atomic_write(dst, write)


def _fill(folder: Path, source: Path, files: dict, keep_gz: bool) -> None:
    """Put each verified ``source/<f>.gz`` decompressed (and, if ``keep_gz``, itself) into ``folder``, unless there
    already with the right md5 (``files``: name -> (md5, decompressed md5))."""
    with _making_dirs(folder):
        for f, (md5, content_md5) in files.items():
            gz, out = folder / f, folder / f[:-3]
            if keep_gz and not (gz.resolve() == (source / f).resolve() or check_integrity(gz, md5)):
                atomic_copy(source / f, gz, md5)
            if not check_integrity(out, content_md5):
                atomic_copy(source / f, out, content_md5, opener=gzip.open)


@contextlib.contextmanager
def extracted(source: Path, files: dict):
    """A context manager giving the folder that holds the verified ``source/<f>.gz`` files decompressed.

    That is the cache's ``FashionMNIST/raw``, filled first where needed (the ``.gz`` copied so that the cache is a data
    folder afterwards, then decompressed). Where the cache cannot be written (read-only, full, or not a folder), a
    temporary folder removed on exit, with a warning naming ``$QPCNN_EDU_CACHE``; ``source`` is never written to.

    Args:
        source (Path): the folder holding the ``.gz`` files.
        files (dict): ``.gz`` name -> (its md5, md5 of its decompressed bytes).
    """
    cache, temporary = cache_dir() / "FashionMNIST" / "raw", None
    try:
        _fill(cache, source, files, keep_gz=True)
    except OSError as err:
        if err.errno not in _UNWRITABLE:
            raise
        warnings.warn(f"the cache {cache} must be writable to keep an extracted copy of {source}; got {err}. Read "
                      f"through a temporary folder instead (removed after reading). To cache it, set "
                      f"{CACHE_VARIABLE} to a writable folder.", RuntimeWarning, stacklevel=5)
        try:
            temporary = tempfile.TemporaryDirectory(prefix="qpcnn_edu-")
            _fill(Path(temporary.name), source, files, keep_gz=False)
        except OSError as err2:
            if temporary is not None:
                temporary.cleanup()
            raise OSError(err2.errno, f"the cache {cache} must be writable to extract {source}; got {err}; and a "
                          f"temporary folder failed too ({err2}). Set {CACHE_VARIABLE} to a writable folder (or "
                          "TMPDIR for temporary files).") from err2
    try:
        yield cache if temporary is None else Path(temporary.name)
    finally:
        if temporary is not None:
            temporary.cleanup()


# ----------------------------------------------------------------------------------------------- downloads
def download_timeout() -> float:
    """Seconds a download socket waits for the server: ``$QPCNN_EDU_DOWNLOAD_TIMEOUT``, else 30."""
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{TIMEOUT_VARIABLE} must be a positive number of seconds; got {text!r}. Unset it "
                         f"(default {DEFAULT_TIMEOUT_S:g}) or set it to e.g. 120.")
    return value


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    """torchvision's ``download_url`` opens connections without a timeout: set the process-wide default meanwhile."""
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _fetch(urls, folder: Path, filename: str, md5: str, timeout: float) -> None:
    """``download_url`` (md5-checked) from each URL in turn until one works; else :class:`DownloadError`."""
    errors = []
    for url in urls:
        try:
            return download_url(url, str(folder), filename, md5)
        except Exception as err:  # URLError, TimeoutError, other OSError, RuntimeError (wrong md5), ...
            if isinstance(err, TimeoutError) or isinstance(getattr(err, "reason", None), TimeoutError):
                errors.append(f"no answer from {url} within {timeout:g} s")
            elif isinstance(err, RuntimeError) and (folder / filename).is_file():  # "File not found or corrupted."
                errors.append(f"the file downloaded from {url} must have md5 {md5}; got "
                              f"{calculate_md5(folder / filename)}")
            else:
                errors.append(f"{url} failed ({type(err).__name__}: {str(err).strip()[:300]})")
            (folder / filename).unlink(missing_ok=True)
    raise DownloadError(f"{'; '.join(errors)}. Check the network (or proxy); on a slow connection set "
                        f"{TIMEOUT_VARIABLE} to more seconds (now {timeout:g}); or download {filename} yourself and "
                        "point QPCNN_EDU_DATA at its folder.")


def download(target: Path, resources, keep, archive_folder: str | None = None) -> None:
    """Download ``resources`` into ``target`` with torchvision's ``download_url``, bounded and cleaned up.

    Each file goes to a temporary ``target/.download-*`` folder, md5-checked by torchvision; archives are extracted
    there (``extract_archive``) when ``archive_folder`` names the folder they hold. Only then are the files named in
    ``keep`` moved into ``target``. Every socket waits at most :func:`download_timeout` seconds. Whatever happens
    (error, timeout, Ctrl-C), the temporary folder and the folders created for it are removed.

    Args:
        target (Path): where the files end up.
        resources (list): ``(file name, [URL, mirror URL, ...], md5)``.
        keep (list[str]): the files to move into ``target``.
        archive_folder (str, optional): the folder inside the archives that holds ``keep``.

    Raises:
        ValueError: a bad ``$QPCNN_EDU_DOWNLOAD_TIMEOUT`` (before anything is created).
        DownloadError: names each URL tried and why it failed, and the fixes.
    """
    timeout = download_timeout()
    try:
        with _making_dirs(target):
            tmp = Path(tempfile.mkdtemp(dir=target, prefix=".download-"))
            try:
                with _socket_timeout(timeout):
                    for filename, urls, md5 in resources:
                        _fetch(urls, tmp, filename, md5, timeout)
                for filename, _, _ in resources if archive_folder is not None else ():
                    extract_archive(str(tmp / filename), str(tmp))
                for f in keep:
                    os.replace(tmp / (archive_folder or "") / f, target / f)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except DownloadError:
        raise
    except OSError as err:
        if err.errno in _UNWRITABLE:
            raise DownloadError(f"{target} must be a writable folder to download into; got {err}. Pass root=<a "
                                f"writable folder> (or set {CACHE_VARIABLE} to one).") from err
        raise DownloadError(f"{type(err).__name__}: {err}") from err
    except Exception as err:  # e.g. a broken archive
        raise DownloadError(f"{type(err).__name__}: {err}") from err
