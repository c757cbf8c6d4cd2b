"""Requests per API key: a token bucket in the process (one bucket per key).

A zone running several API processes gives each its share of the rate; a shared limiter
(PostgreSQL or a cache) belongs with the scale-out decision (docs/decisions/0005).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from cbec.errors import CbecError

_EPSILON = 1e-9  # tokens: ~60 ns at 1 request a minute, far above float noise, far below a client


class TooManyRequests(CbecError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many requests for this API key; retry after {retry_after} s",
            f"该 API 密钥请求过于频繁，请在 {retry_after} 秒后重试",
            field="api_key",
        )
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(1.0, per_minute / 10.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one token of ``key``'s bucket or raise TooManyRequests with the wait."""
        if self.rate <= 0:
            return
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0 - _EPSILON:  # binary fractions: a client that waited Retry-After is let in
                self._buckets[key] = (tokens, now)
                raise TooManyRequests(max(1, math.ceil((1.0 - tokens) / self.rate - _EPSILON)))
            self._buckets[key] = (tokens - 1.0, now)
