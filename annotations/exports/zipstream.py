"""Writing a zip file as a stream of bytes: ZipFile on a write-only sink (data descriptors, no seeking).

ZipFile keeps one ZipInfo per member until ``close()`` writes the central directory: ~0.5 kB each, so
a brat export of a million articles (two members each) would hold ~1 GB. ``SpooledEntries`` keeps them
pickled in a temporary file instead, so memory stays flat whatever the number of members.
"""

from __future__ import annotations

import marshal
import tempfile
import zipfile
from collections.abc import Iterator


class Sink:
    """A write-only file: ZipFile sees no ``tell``/``seek`` and writes a streamable zip.

    Written bytes wait in one buffer until drained; past ``SPILL`` bytes (the central directory written by
    ``close()``, ~90 bytes per member) they go on to a temporary file, so nothing grows with the export.
    """

    SPILL = 4 << 20

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._spill = None

    def write(self, data) -> int:
        self._buffer += data
        if len(self._buffer) >= self.SPILL:
            if self._spill is None:
                self._spill = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by chunks()
            self._spill.write(self._buffer)
            self._buffer = bytearray()
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        """What was written since the last drain (call after each member; see ``chunks`` after close)."""
        if self._spill is not None:
            return b"".join(self.chunks())
        data = bytes(self._buffer)
        self._buffer = bytearray()
        return data

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """Everything written since the last drain, in pieces of at most ``size`` bytes."""
        if self._spill is not None:
            spill, self._spill = self._spill, None
            with spill:
                spill.seek(0)
                while piece := spill.read(size):
                    yield piece
        data, self._buffer = bytes(self._buffer), bytearray()
        if data:
            yield data


_FIELDS = (
    "date_time",
    "compress_type",
    "comment",
    "extra",
    "create_system",
    "create_version",
    "extract_version",
    "reserved",
    "flag_bits",
    "internal_attr",
    "external_attr",
    "header_offset",
    "CRC",
    "compress_size",
    "file_size",
)  # fmt: skip  -- what ZipFile._write_end_record reads, besides the name


class SpooledEntries:
    """Stands in for ``ZipFile.filelist``: members' ZipInfo records kept on disk, read back once at close."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 -- closed when the zip is closed (or collected)
        self._count = 0

    def append(self, info: zipfile.ZipInfo) -> None:
        marshal.dump((info.filename, *(getattr(info, name) for name in _FIELDS)), self._file)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[zipfile.ZipInfo]:
        self._file.seek(0)
        for _ in range(self._count):
            filename, *values = marshal.load(self._file)  # noqa: S302 -- our own records, written above
            info = zipfile.ZipInfo(filename)
            for name, value in zip(_FIELDS, values, strict=True):
                setattr(info, name, value)
            yield info
        self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()


class _NoIndex(dict):
    """``ZipFile.NameToInfo`` that keeps nothing: only used to warn about duplicate names, which we never write."""

    def __setitem__(self, key, value) -> None:
        pass


class StreamingZipFile(zipfile.ZipFile):
    def __init__(self, sink: Sink) -> None:
        super().__init__(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.filelist = SpooledEntries()  # type: ignore[assignment]
        self.NameToInfo = _NoIndex()

    def close(self) -> None:
        entries = self.filelist
        try:
            super().close()
        finally:
            if isinstance(entries, SpooledEntries):
                entries.close()


def open_zip(sink: Sink) -> zipfile.ZipFile:
    return StreamingZipFile(sink)


def member(zf: zipfile.ZipFile, name: str, *, date_time=(2026, 1, 1, 0, 0, 0)) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
