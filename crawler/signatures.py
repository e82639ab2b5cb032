"""A cache for the signatures Scrapy inspects each time it builds a crawler (the engine builds one per poll).

Scrapy asks `inspect.signature` of every middleware, pipeline and extension method (is a `spider`
argument required?) whenever a crawler is built. The answer depends only on the function, so the
engine keeps it: about a tenth of an idle poll's CPU before (py-spy, docs/engine.md). Only functions
defined at module or class level, and methods bound to them, are cached (by their function), so the
cache holds no crawler: closures, partials and callable objects are asked every time.
"""
from __future__ import annotations

import inspect
import types
from typing import Any, Callable

MAX_ENTRIES = 4096  # a safety bound: the engine's components are a few dozen functions

_cache: dict[tuple[bool, Any], inspect.Signature] = {}


def cached_signature(func: Callable[..., Any]) -> inspect.Signature:
    function = func.__func__ if isinstance(func, types.MethodType) else func
    if not isinstance(function, types.FunctionType) or "<locals>" in function.__qualname__:
        return inspect.signature(func)  # a closure made per crawler would keep that crawler alive in the cache
    key: tuple[bool, Any] = (function is not func, function)
    found = _cache.get(key)
    if found is None:
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        found = _cache[key] = inspect.signature(func)
    return found


def install() -> None:
    """Route Scrapy's signature look-ups through the cache (Scrapy calls its module-level `_signature`)."""
    import scrapy.utils.python

    scrapy.utils.python._signature = cached_signature
