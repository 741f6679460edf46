"""The one verified store: a folder of Parquet files that carry their own key and checksum.

The sweep's chunk cache and the training checkpoints both keep finished work here. Each
entry is one ordinary Parquet file ``<prefix>-<key>.parquet`` whose key-value metadata holds
the entry's key and a SHA-256 checksum of the whole file (computed with the checksum's own
64 characters zeroed, then written into them: same length, so the file stays valid Parquet).
A file is trusted only if its bytes match the checksum *before* anything parses them, it
names the key its file name promises, and its columns are the ones asked for. Anything else
(an empty, truncated or random file, any flipped bit, another entry's file copied over this
one, a folder, a FIFO, a link to nowhere or an unreadable file in its place) is reported with
a :class:`StoreWarning` naming the file, removed where possible, and recomputed by the
caller; an entry that cannot be replaced is an ``OSError`` naming it.

Concurrent runs on one folder share the work: before computing an entry a run claims it with
an exclusive ``.claim`` file (:meth:`VerifiedStore.claim`); an entry another run has claimed
is left to it. Temporary files older than a minute are what a killed writer left behind, and
are removed when a run opens the folder.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import socket
import stat
import time
import warnings
from pathlib import Path

import pandas as pd

from .io import write_atomic

__all__ = ["STALE_SECONDS", "StoreWarning", "VerifiedStore", "check_folder"]

_META = b"artifact_lab.chunk"
_MARK = b'"sha256": "'
_FORMAT = 1
STALE_SECONDS = 60.0  # a writer holds its temporary file for milliseconds


_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
}


class StoreWarning(UserWarning):
    """A stored file could not be trusted and is being recomputed."""


def check_folder(name: str, folder: str | os.PathLike) -> Path:
    """``folder`` as a Path if it is, or can become, a folder this process can write to.

    Checked before any work, so a run is not lost at its end: a path that is a file, lies
    under a file, or sits in a folder that accepts no new file is refused with a ValueError
    naming ``name``. Nothing is created.

    Examples
    --------
    >>> import tempfile
    >>> check_folder("checkpoint", tempfile.gettempdir()).is_dir()
    True
    """
    if not isinstance(folder, (str, os.PathLike)) or not str(folder):
        raise TypeError(f"{name} must be a folder path (str or os.PathLike), got {folder!r}")
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name} {str(path)!r} is a file, not a folder")
    parent = path
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{name} {str(path)!r} cannot be created: {str(parent)!r} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{name} {str(path)!r} cannot be written: {str(parent)!r} is read-only")
    return path


def _seal(data: bytes) -> bytes:
    """Write the file's checksum into its zeroed placeholder."""
    at = data.rfind(_MARK)
    if at < 0:
        raise RuntimeError("the stored file lost its checksum placeholder")
    at += len(_MARK)
    digest = hashlib.sha256(data).hexdigest().encode()
    return data[:at] + digest + data[at + 64 :]


def _verify(data: bytes) -> None:
    """Raise ValueError unless the bytes match the checksum they carry."""
    at = data.rfind(_MARK)
    if at < 0:
        raise ValueError("no checksum found (empty, truncated or foreign file)")
    at += len(_MARK)
    stored = data[at : at + 64]
    if hashlib.sha256(data[:at] + b"0" * 64 + data[at + 64 :]).hexdigest().encode() != stored:
        raise ValueError("its bytes do not match their checksum")


class VerifiedStore:
    """A folder of verified entries (see the module docstring).

    Parameters
    ----------
    folder : path
        Created if missing.
    prefix : str
        File names are ``<prefix>-<key>.parquet``.
    what : str
        How a warning names one entry (``"sweep cache file"``, ``"checkpoint"``).
    name : str
        The argument the folder came from, for errors (``"cache"``, ``"checkpoint"``).
    """

    def __init__(self, folder: str | Path, *, prefix: str, what: str, name: str = "folder") -> None:
        self.folder = check_folder(name, folder)
        self.prefix, self.what = prefix, what
        self.folder.mkdir(parents=True, exist_ok=True)
        self._claims: set[str] = set()
        self.remove_stale_temporaries()

    def path(self, key: str) -> Path:
        return self.folder / f"{self.prefix}-{key}.parquet"

    def remove_stale_temporaries(self) -> None:
        """Delete temporary files a killed writer left behind (``write_atomic``'s names)."""
        now = time.time()
        for tmp in self.folder.glob(f".{self.prefix}-*.tmp"):
            try:
                if now - tmp.stat().st_mtime > STALE_SECONDS:
                    tmp.unlink()
            except OSError:  # another run removed it first, or it cannot be removed
                pass

    def read(self, key: str, columns: list[str]) -> pd.DataFrame | None:
        """The entry's frame, or None when it is absent or untrustworthy (then warned and
        removed, so that the recomputed entry can take its place)."""
        import pyarrow.parquet as pq

        path = self.path(key)
        if not path.exists() and not path.is_symlink():
            return None
        try:
            kind = os.stat(path).st_mode  # follows links: one to nowhere is an OSError
            if not stat.S_ISREG(kind):  # a folder, or a FIFO whose read would wait for ever
                raise ValueError(f"it is {_KINDS.get(stat.S_IFMT(kind), 'not a file')}")
            data = path.read_bytes()
            _verify(data)  # nothing parses bytes that fail their checksum
            table = pq.read_table(io.BytesIO(data))
            meta = json.loads((table.schema.metadata or {})[_META])
            if meta.get("key") != key:
                raise ValueError(f"it holds {meta.get('key')!r}, not {key!r}")
            frame = table.to_pandas()
            if list(frame.columns) != list(columns):
                raise ValueError("its columns are not the ones expected")
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except Exception as exc:  # any failure means the same: do not trust it
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if isinstance(exc, OSError):
                reason = f"it cannot be read: {exc.strerror or type(exc).__name__}"
            warnings.warn(
                f"{self.what} {path} is damaged ({reason[:200]}); recomputing and replacing it",
                StoreWarning,
                stacklevel=3,
            )
            self._discard(path)
            return None
        return frame

    @staticmethod
    def _discard(path: Path) -> None:
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError:  # the write that follows replaces it, or says why it cannot
            pass

    def write(self, key: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        plain = frame.copy(deep=False)
        plain.attrs = {}  # timings of this run: not part of the result
        table = pa.Table.from_pandas(plain, preserve_index=False)
        meta = {"key": key, "format": _FORMAT, "sha256": "0" * 64}
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), _META: json.dumps(meta).encode()}
        )
        buf = io.BytesIO()
        pq.write_table(table, buf)
        path = self.path(key)
        try:
            write_atomic(path, _seal(buf.getvalue()))
        except (OSError, ValueError) as exc:  # disk full, or a folder that would not go
            reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
            code = getattr(exc, "errno", None) or errno.EIO
            raise OSError(code, f"{self.what} {path} cannot be replaced: {reason}") from exc
        # done: drop the claim, ours or one a dead run left on this entry
        self._claims.discard(key)
        (self.folder / f".{self.prefix}-{key}.claim").unlink(missing_ok=True)

    def claim(self, key: str) -> bool:
        """Claim an entry for this run; False when another run holds the claim."""
        path = self.folder / f".{self.prefix}-{key}.claim"
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            return False
        except OSError:  # a folder without exclusive create: work unshared, still correct
            return True
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{socket.gethostname()} {os.getpid()} {time.time():.0f}\n")
        self._claims.add(key)
        return True

    def release(self, key: str) -> None:
        if key in self._claims:
            self._claims.discard(key)
            (self.folder / f".{self.prefix}-{key}.claim").unlink(missing_ok=True)

    def release_all(self) -> None:
        for key in list(self._claims):
            self.release(key)
