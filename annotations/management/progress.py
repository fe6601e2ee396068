"""A small progress bar for management commands: drawn only on a terminal."""

from __future__ import annotations

import time


class Progress:
    def __init__(self, stream, total: int | None, label: str, *, min_total: int = 20) -> None:
        self.stream = stream
        self.total = total
        self.label = label
        self.done = 0
        self.started = time.monotonic()
        self._last = 0.0
        isatty = getattr(getattr(stream, "_out", stream), "isatty", lambda: False)
        self.enabled = bool(isatty()) and (total is None or total >= min_total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            rate = self.done / max(now - self.started, 1e-9)
            if self.total:
                filled = int(30 * self.done / self.total)
                bar = "#" * filled + "-" * (30 - filled)
                self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {rate:.0f}/s", ending="")
            else:
                self.stream.write(f"\r{self.label} {self.done} {rate:.0f}/s", ending="")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("")
