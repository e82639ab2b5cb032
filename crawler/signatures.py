"""Caches for what Scrapy inspects each time it builds a crawler (the engine builds one per poll).

Scrapy asks `inspect.signature` of every middleware, pipeline and extension method (is a `spider`
argument required?) whenever a crawler is built. The answer depends only on the function, so the
engine keeps it: about a tenth of an idle poll's CPU before (py-spy, docs/engine.md). Only functions
that close over nothing but classes, and methods bound to them, are cached (by their function,
through functools.wraps wrappers), so the cache holds no crawler: closures over other values
(Scrapy wraps some stats methods per crawler), partials and callable objects are asked every time.
"""
from __future__ import annotations

import inspect
import types
from typing import Any, Callable

MAX_ENTRIES = 4096  # a safety bound: the engine's components are a few dozen functions

_cache: dict[tuple[bool, Any], inspect.Signature] = {}


def _inner_function(func: Any) -> types.FunctionType | None:
    """The function whose signature `inspect.signature(func)` reports, when caching it keeps nothing else alive.

    Wrappers made with functools.wraps report their innermost function's signature; that one
    is the key. None for anything that may hold a crawler: a closure over anything but a class
    (the `__class__` cell of a method using super()), a wrapper with its own `__signature__`, or
    something that is not a plain function.
    """
    while isinstance(func, types.FunctionType) and hasattr(func, "__wrapped__"):
        if "__signature__" in func.__dict__:
            return None
        func = func.__wrapped__
    if not isinstance(func, types.FunctionType) or "__signature__" in func.__dict__:
        return None
    if func.__closure__ and not all(isinstance(cell.cell_contents, type) for cell in func.__closure__):
        return None
    return func


def cached_signature(func: Callable[..., Any]) -> inspect.Signature:
    function = _inner_function(func.__func__ if isinstance(func, types.MethodType) else func)
    if function is None:
        return inspect.signature(func)
    key: tuple[bool, Any] = (isinstance(func, types.MethodType), function)
    found = _cache.get(key)
    if found is None:
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        found = _cache[key] = inspect.signature(func)
    return found


_returns_value: dict[types.FunctionType, bool] = {}


def cached_generator_check(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """Scrapy's `is_generator_with_return_value`, answered once per function instead of once per poll.

    Scrapy reads the source of a spider callback and parses it (inspect.getsource, ast.parse)
    to warn about `return value` in a generator. Its own cache is keyed on the bound method,
    which is a new object on every access, so it never hits: every poll paid for a parse
    (about 3 % of an idle poll's CPU). The answer depends only on the function.
    """

    def is_generator_with_return_value(callable: Any) -> bool:  # noqa: A002 (Scrapy's name)
        function = _inner_function(callable.__func__ if isinstance(callable, types.MethodType) else callable)
        if function is None:
            return check(callable)
        found = _returns_value.get(function)
        if found is None:
            if len(_returns_value) >= MAX_ENTRIES:
                _returns_value.clear()
            found = _returns_value[function] = check(callable)
        return found

    return is_generator_with_return_value


def install() -> None:
    """Route Scrapy's signature look-ups and generator checks through the caches (module-level names Scrapy calls)."""
    import scrapy.utils.misc
    import scrapy.utils.python

    scrapy.utils.python._signature = cached_signature
    if not getattr(scrapy.utils.misc.is_generator_with_return_value, "newswatch_cached", False):
        cached = cached_generator_check(scrapy.utils.misc.is_generator_with_return_value)
        cached.newswatch_cached = True  # type: ignore[attr-defined]
        scrapy.utils.misc.is_generator_with_return_value = cached
