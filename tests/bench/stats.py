"""Percentiles and growth exponents, with no numpy needed by the caller."""

from __future__ import annotations

import math
from typing import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in 0–100."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(seconds: Sequence[float]) -> dict:
    """p50/p95/p99/max in milliseconds, and how many samples they rest on."""
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
            "max": max(ms) if ms else math.nan}


def growth_exponent(size_a: float, value_a: float, size_b: float, value_b: float) -> float:
    """k in value ∝ size^k between two sizes: 1 is linear, 0 flat."""
    if min(size_a, size_b, value_a, value_b) <= 0 or size_a == size_b:
        return math.nan
    return math.log(value_b / value_a) / math.log(size_b / size_a)


def rate(amount: float, seconds: float) -> float:
    return amount / seconds if seconds > 0 else math.nan
