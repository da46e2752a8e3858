"""A cache for values that are costly to build and shared by threads, such as a corpus's indexes."""

from __future__ import annotations

import functools
import threading
from typing import Callable, TypeVar

T = TypeVar("T")


def built_once(maxsize: int) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """functools.lru_cache whose misses are built one at a time: a caller that comes while a
    value is being built waits for it instead of building a copy of its own (16 gallery
    requests at once each built a corpus's indexes, hundreds of MB apiece)."""
    def wrap(build: Callable[..., T]) -> Callable[..., T]:
        cached, lock = functools.lru_cache(maxsize=maxsize)(build), threading.Lock()

        @functools.wraps(build)
        def get(*args):
            with lock:
                return cached(*args)
        return get
    return wrap
