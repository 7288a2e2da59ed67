"""Token buckets: the one TokenBucket, and Budgets (buckets by key, in this process or shared through Redis).

TokenBucket is the one implementation of the rule: a socket holds one for its messages, and Budgets keeps one
per key for every limit that is counted by name (login attempts per account name, new device ids per event,
sockets and votes per device). The Lua script below is the same rule run inside Redis, so that instances
share a bucket atomically. Nothing here ever looks at an IP address: a whole hall may share one.

`take()` answers how long the caller must wait before the action may go ahead (0.0: at once), or None when
even waiting `max_wait` seconds would not be enough (refused; nothing is spent then). Waiting callers have
already reserved their token, so a queue of them is served at the bucket's rate, in order.

When Redis is down the budgets fall back to this process's memory (logged once) and go back to Redis by
themselves: a limit that is briefly per instance is better than a refused hall.
"""

import logging
import threading
import time
from dataclasses import dataclass

log = logging.getLogger("saalumfrage.limits")

# In memory at most this many keys; past it, keys whose bucket has refilled are forgotten (they hold nothing).
MEMORY_KEYS_MAX = 100_000

# Token bucket in Redis, atomic. KEYS[1]: the bucket; ARGV: burst, per second, cost, max wait.
# The clock is Redis's own (TIME), so instances whose clocks disagree still share one bucket.
_LUA = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local max_wait = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local data = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(data[1]) or burst
local at = tonumber(data[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens < cost then
  wait = (cost - tokens) / rate
  if wait > max_wait then
    redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
    redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
    return '-1'
  end
end
tokens = tokens - cost
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


@dataclass(frozen=True, slots=True)
class Rate:
    """A burst of `burst` actions, then `per_s` a second."""

    burst: float
    per_s: float


class TokenBucket:
    """A burst of `rate.burst` tokens, refilled at `rate.per_s` (a socket's messages, one key of Budgets)."""

    __slots__ = ("at", "rate", "tokens")

    def __init__(self, rate: Rate, now: float) -> None:
        self.rate = rate
        self.tokens = float(rate.burst)
        self.at = now

    def take(self, now: float, cost: float = 1.0, max_wait: float = 0.0) -> float | None:
        """Spend `cost` at `now` (monotonic seconds); seconds to wait first (0.0: at once), None if refused.

        A refusal spends nothing; a wait up to `max_wait` reserves the tokens, so waiting callers go in order.
        """
        rate = self.rate
        tokens = min(rate.burst, self.tokens + max(0.0, now - self.at) * rate.per_s)
        self.at = now
        wait = 0.0
        if tokens < cost:
            wait = (cost - tokens) / rate.per_s
            if wait > max_wait:
                self.tokens = tokens
                return None
        self.tokens = tokens - cost
        return wait

    def full(self, now: float) -> bool:
        """Refilled to its burst by `now`: forgetting it changes nothing."""
        return now - self.at >= (self.rate.burst - self.tokens) / self.rate.per_s


class Budgets:
    def __init__(self, redis_url: str | None = None, prefix: str = "saalumfrage:") -> None:
        self._lock = threading.Lock()
        self._memory: dict[str, TokenBucket] = {}
        self._prefix = prefix + "budget:"
        self._redis = None
        self._script = None
        self._redis_down_since: float | None = None
        self._sweep_above = MEMORY_KEYS_MAX
        if redis_url and redis_url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
            self._script = self._redis.register_script(_LUA)

    @property
    def shared(self) -> bool:
        return self._redis is not None

    def take(self, key: str, rate: Rate, *, cost: float = 1.0, max_wait: float = 0.0) -> float | None:
        """Spend `cost` from the bucket `key`; seconds to wait first (0.0: go ahead now), None if refused."""
        if self._script is not None and self._redis_usable():
            try:
                wait = float(self._script(keys=[self._prefix + key], args=[rate.burst, rate.per_s, cost, max_wait]))
            except Exception as exc:  # Redis away: this process's memory until it is back
                self._note_redis_down(exc)
            else:
                if self._redis_down_since is not None:
                    log.warning("Grenzwerte werden wieder über Redis geteilt.")
                    self._redis_down_since = None
                return None if wait < 0 else wait
        return self._take_memory(key, rate, cost, max_wait)

    def clear(self) -> None:
        """Forget every bucket of this process (tests)."""
        with self._lock:
            self._memory.clear()

    def _redis_usable(self) -> bool:
        # After a failure, try Redis again at most every 2 s, so a dead Redis does not slow every request.
        return self._redis_down_since is None or time.monotonic() - self._redis_down_since > 2.0

    def _note_redis_down(self, exc: Exception) -> None:
        if self._redis_down_since is None:
            log.warning("Redis nicht erreichbar (%s): Grenzwerte gelten vorübergehend je Instanz.", exc.__class__.__name__)
        self._redis_down_since = time.monotonic()

    def _take_memory(self, key: str, rate: Rate, cost: float, max_wait: float) -> float | None:
        now = time.monotonic()
        with self._lock:
            bucket = self._memory.get(key)
            if bucket is None:
                bucket = self._memory[key] = TokenBucket(rate, now)
            else:
                bucket.rate = rate  # the caller's rate, as in Redis (a key is used with one rate)
            wait = bucket.take(now, cost, max_wait)
            if wait is None:
                return None
            if len(self._memory) > self._sweep_above:
                self._forget_refilled(now)
                # Sweep again only once the map has doubled: a spray of keys costs O(1) per take, not O(n).
                self._sweep_above = max(MEMORY_KEYS_MAX, 2 * len(self._memory))
            return wait

    def _forget_refilled(self, now: float) -> None:
        """Drop buckets that are full again: forgetting them changes nothing, so no one can reset a limit this way."""
        self._memory = {k: bucket for k, bucket in self._memory.items() if not bucket.full(now)}


_budgets: Budgets | None = None


def budgets() -> Budgets:
    """The process's budgets: shared through Redis when BUS_URL names one."""
    global _budgets
    if _budgets is None:
        from app.config import settings

        _budgets = Budgets(settings.bus_url, settings.bus_prefix)
    return _budgets


def reset_budgets() -> None:
    """Forget the process's budgets (tests; a changed BUS_URL)."""
    global _budgets
    _budgets = None
