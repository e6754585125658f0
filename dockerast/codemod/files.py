"""Reading and writing one Dockerfile safely: encodings, binary files, atomic replacement.

Files are handled as bytes.  UTF-8 (with or without a BOM, with bytes that
are not UTF-8 kept through ``surrogateescape``) is what ``parse_bytes``
reads; a file that starts with a UTF-16 or UTF-32 byte order mark is decoded
and written back in the same encoding with the same mark.  A file with NUL
bytes and no such mark is binary and is left alone.

:func:`atomic_write` writes a temporary file in the same folder and renames
it over the original with :func:`os.replace`, so a reader (or a Ctrl-C, or a
crash) only ever sees the old bytes or the new ones; the file keeps its mode.
"""

from __future__ import annotations

import codecs
import os
import stat
import tempfile
from contextlib import suppress
from dataclasses import dataclass

# Longest first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
BINARY_SNIFF = 8192
TEMP_SUFFIX = ".dockerast-tmp"


class BinaryFile(ValueError):
    """The bytes are not text that a Dockerfile could be."""


@dataclass(frozen=True, slots=True)
class Source:
    """The text of a file and how to turn text back into its bytes."""

    text: str
    encoding: str  # "utf-8" (BOM, if any, is part of the text) or a UTF-16/32 codec
    bom: bytes = b""  # the mark of a UTF-16/32 file, written back before the text

    def encode(self, text: str) -> bytes:
        if self.encoding == "utf-8":
            return text.encode("utf-8", "surrogateescape")
        return self.bom + text.encode(self.encoding)


def decode(data: bytes) -> Source:
    """The text of ``data``; raises :class:`BinaryFile` for bytes that are no text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Source(data[len(bom) :].decode(encoding), encoding, bom)
            except UnicodeDecodeError:
                raise BinaryFile(f"starts with a {encoding} byte order mark but is not {encoding}") from None
    if b"\0" in data[:BINARY_SNIFF]:
        raise BinaryFile("binary file (NUL bytes)")
    return Source(data.decode("utf-8", "surrogateescape"), "utf-8")


class ChangedOnDisk(OSError):
    """The file changed between reading it and writing the result."""


def atomic_write(path: str, data: bytes, *, expected: bytes | None = None) -> None:
    """Replace the file at ``path`` with ``data`` atomically, keeping its permission bits.

    With ``expected``, refuse (:class:`ChangedOnDisk`) when the file no longer
    holds those bytes, so an edit made meanwhile is not lost.  On any failure,
    KeyboardInterrupt included, the temporary file is removed and ``path`` is
    untouched.
    """
    folder = os.path.dirname(os.path.abspath(path))
    info = os.stat(path)
    fd, temp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, stat.S_IMODE(info.st_mode))
        if hasattr(os, "chown"):
            with suppress(OSError):
                current = os.stat(temp)
                if (current.st_uid, current.st_gid) != (info.st_uid, info.st_gid):
                    os.chown(temp, info.st_uid, info.st_gid)
        if expected is not None:
            with open(path, "rb") as handle:
                if handle.read() != expected:
                    raise ChangedOnDisk(f"{path} changed on disk while it was processed; not written")
        os.replace(temp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename durable where the platform allows it."""
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:  # pragma: no cover  (Windows)
        return
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
