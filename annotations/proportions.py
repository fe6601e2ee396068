"""Proportions with their Wilson 95% interval, and rates: the numbers every figure on the scorecard is."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@functools.lru_cache(maxsize=4096)
def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion; None when there is nothing to count."""
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Proportion:
    """``numerator`` of ``denominator``, with its Wilson 95% interval (None when the denominator is 0)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.numerator, self.denominator)

    @property
    def low(self) -> float | None:
        interval = self.interval
        return interval[0] if interval else None

    @property
    def high(self) -> float | None:
        interval = self.interval
        return interval[1] if interval else None

    @property
    def has_data(self) -> bool:
        return self.denominator > 0

    @property
    def pct(self) -> str:
        return pct(self.value)

    @property
    def low_pct(self) -> str:
        return pct(self.low)

    @property
    def high_pct(self) -> str:
        return pct(self.high)

    @property
    def bar(self):
        """A small SVG bar with the interval as a whisker (for table cells)."""
        from annotations.charts import inline_bar  # charts draws what stats computes

        return inline_bar(self)

    def as_dict(self) -> dict:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": round4(self.value),
            "ci95_low": round4(self.low),
            "ci95_high": round4(self.high),
        }


@dataclass(frozen=True)
class Rate:
    """A mean count per unit (named sources per article): ``numerator / denominator``."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def has_data(self) -> bool:
        return self.denominator > 0

    def as_dict(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": round4(self.value)}


def pct(value: float | None) -> str:
    """'34%', '2.5%' under 10%, or 'no data': the tables' and the charts' way."""
    if value is None:
        return "no data"
    return f"{value * 100:.1f}%" if 0 < value < 0.1 else f"{value * 100:.0f}%"


def round4(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
