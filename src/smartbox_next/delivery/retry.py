"""Retry policy: exponential backoff with jitter, capped per delay, bounded by attempts and total time.

The decision to retry comes from ``exc.retryable`` only (DESIGN "Error model": the outbox never parses
messages). Transient conditions are A7xx store statuses (PS3.4 B.2.3), transient association rejections
(PS3.8 §9.3.4, result 2) and aborts / timeouts / dropped connections (PS3.8 §9.3.8); everything else is
permanent. The same policy object serves the CLI's immediate retries and the outbox's persistent ones.

Delays: ``initial_delay * 2**(attempt-1)`` capped at ``max_delay``, then spread by ``±jitter`` (a share
of the delay) so many stations do not hammer a recovering PACS in lockstep. A server that says how long to
wait (HTTP ``Retry-After``, RFC 9110 §10.2.3: ``exc.retry_after``) is never asked again sooner, even past
``max_delay``. The clock, sleep and random source are injectable so tests never wait.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from smartbox_next.config import RetryConfig

T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    """True when ``exc`` says retrying can help (``exc.retryable``); unknown exceptions are not retried."""
    return bool(getattr(exc, "retryable", False))


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before the next attempt (see module docstring)."""

    max_attempts: int = 20
    initial_delay: float = 5.0
    max_delay: float = 900.0
    max_total: float = 7 * 86400.0
    jitter: float = 0.2

    @classmethod
    def from_config(cls, config: RetryConfig, *, max_attempts: int | None = None) -> RetryPolicy:
        """The configured policy, optionally with fewer attempts (the CLI's interactive send)."""
        return cls(
            max_attempts=config.max_attempts if max_attempts is None else max_attempts,
            initial_delay=config.initial_delay,
            max_delay=config.max_delay,
            max_total=config.max_total,
            jitter=config.jitter,
        )

    def base_delay(self, attempt: int) -> float:
        """Delay before attempt ``attempt + 1`` after ``attempt`` failures, without jitter."""
        exponent = max(0, attempt - 1)
        if exponent > 60:  # 2**60 overflows any sensible cap
            return self.max_delay
        return float(min(self.max_delay, self.initial_delay * (2**exponent)))

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Delay with jitter: ``base * (1 ± jitter)``, never negative, never above ``max_delay``."""
        base = self.base_delay(attempt)
        spread = base * self.jitter * (2.0 * rng() - 1.0)
        return max(0.0, min(self.max_delay, base + spread))

    def next_delay(self, exc: BaseException, attempt: int, elapsed: float,
                   rng: Callable[[], float] = random.random) -> float | None:
        """Seconds to wait before retrying after failure number ``attempt``, or None to give up.

        Gives up when ``exc`` is not retryable, ``attempt`` reached ``max_attempts``, or waiting would
        pass ``max_total`` since the first attempt (``elapsed`` seconds ago).
        """
        if not is_retryable(exc) or attempt >= self.max_attempts:
            return None
        wait = self.delay(attempt, rng)
        asked = getattr(exc, "retry_after", None)
        if isinstance(asked, int | float) and not isinstance(asked, bool) and asked > wait:
            wait = float(asked)
        if elapsed + wait > self.max_total:
            return None
        return wait
