"""The sweep's chunk cache: Parquet files that carry their own key and checksum.

Each finished chunk is one ordinary Parquet file ``chunk-<key>.parquet`` whose key-value
metadata holds the chunk's key and a SHA-256 checksum of the whole file (computed with the
checksum's own 64 characters zeroed, then written into them: same length, so the file stays
valid Parquet). A file is trusted only if its bytes match the checksum *before* anything
parses them, and it names the key its file name promises. Anything else (an empty,
truncated or random file, any flipped bit, another chunk's file copied over this one) is
reported with a :class:`CacheWarning` naming the file, deleted, and recomputed.

Concurrent runs on one folder share the work: before computing a chunk a run re-reads the
folder and claims the chunk with an exclusive ``.claim`` file; a chunk another run has
claimed is left to it and revisited at the end (computed there if still missing, so a run
that died holding a claim costs nothing but the order). Temporary files older than a
minute are what a killed writer left behind, and are removed when a run opens the folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import time
import warnings
from pathlib import Path

import pandas as pd

from .io import write_atomic

__all__ = ["CacheWarning", "ChunkCache"]

_META = b"artifact_lab.chunk"
_MARK = b'"sha256": "'
_FORMAT = 1
STALE_SECONDS = 60.0  # a writer holds its temporary file for milliseconds


class CacheWarning(UserWarning):
    """A cache file could not be trusted and is being recomputed."""


def _seal(data: bytes) -> bytes:
    """Write the file's checksum into its zeroed placeholder."""
    at = data.rfind(_MARK)
    if at < 0:
        raise RuntimeError("the chunk file lost its checksum placeholder")
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


class ChunkCache:
    """A folder of verified chunk files (see the module docstring)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._claims: set[str] = set()
        self._remove_stale_temporaries()

    def path(self, key: str) -> Path:
        return self.folder / f"chunk-{key}.parquet"

    def _remove_stale_temporaries(self) -> None:
        now = time.time()
        for tmp in self.folder.glob(".chunk-*.tmp"):
            try:
                if now - tmp.stat().st_mtime > STALE_SECONDS:
                    tmp.unlink()
            except FileNotFoundError:  # another run removed it first
                pass

    def read(self, key: str, columns: list[str]) -> pd.DataFrame | None:
        """The chunk's frame, or None when it is absent or damaged (then warned and deleted)."""
        import pyarrow.parquet as pq

        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            _verify(data)  # nothing parses bytes that fail their checksum
            table = pq.read_table(io.BytesIO(data))
            meta = json.loads((table.schema.metadata or {})[_META])
            if meta.get("key") != key:
                raise ValueError(f"it holds chunk {meta.get('key')!r}, not {key!r}")
            frame = table.to_pandas()
            if list(frame.columns) != columns:
                raise ValueError("its columns are not the sweep's")
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except Exception as exc:  # any parse failure means the same: do not trust it
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            warnings.warn(
                f"sweep cache file {path} is damaged ({reason[:200]}); recomputing it",
                CacheWarning,
                stacklevel=3,
            )
            path.unlink(missing_ok=True)
            return None
        return frame

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
        write_atomic(self.path(key), _seal(buf.getvalue()))
        # done: drop the claim, ours or one a dead run left on this chunk
        self._claims.discard(key)
        (self.folder / f".chunk-{key}.claim").unlink(missing_ok=True)

    def claim(self, key: str) -> bool:
        """Claim a chunk for this run; False when another run holds the claim."""
        path = self.folder / f".chunk-{key}.claim"
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
            (self.folder / f".chunk-{key}.claim").unlink(missing_ok=True)

    def release_all(self) -> None:
        for key in list(self._claims):
            self.release(key)
