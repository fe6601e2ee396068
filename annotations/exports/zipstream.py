"""Writing a zip file as a stream of bytes: ZipFile on a write-only sink (data descriptors, no seeking)."""

from __future__ import annotations

import zipfile


class Sink:
    """A write-only file: ZipFile sees no ``tell``/``seek`` and writes a streamable zip."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts = []
        return data


def open_zip(sink: Sink) -> zipfile.ZipFile:
    return zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)


def member(zf: zipfile.ZipFile, name: str, *, date_time=(2026, 1, 1, 0, 0, 0)) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
