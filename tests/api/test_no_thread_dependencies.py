"""The API's own dependencies never run on the worker thread pool.

FastAPI runs a plain ``def`` dependency through ``run_in_threadpool``: a thread round trip, and a
turn in the small pool's queue behind the database work, for what is an attribute read or a token
bucket. Under the mixed load that doubled the CPU of a citizen read (2.0 -> 0.9 ms) and queued
requests behind each other, so every dependency of every route is a coroutine function.
"""

from __future__ import annotations

import inspect

from fastapi.routing import APIRoute


def _calls(dependant):
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _api_routes(routes):
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # FastAPI keeps an included router as a wrapper around the router itself
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def test_every_dependency_is_async(client):
    checked = 0
    for route in _api_routes(client.app.routes):
        for call in _calls(route.dependant):
            checked += 1
            assert inspect.iscoroutinefunction(call), f"{route.path}: dependency {call.__qualname__} is sync"
    assert checked >= 10  # LedgerDep and the rate limits are there to be checked
