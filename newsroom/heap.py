"""Keep the garbage collector off the objects a server process holds for its whole life.

A web process loads Django, the URL configuration, the compiled templates and its settings once; every
full (generation 2) collection then walks all of them again. On the review page (~450 rows and cards,
tens of thousands of short-lived objects per response) that happened every few requests and cost ~40 ms
each time: the page's p95 was twice its p50 (bench/review.py measures both ways in one run).

``freeze_startup_heap()`` collects once, then moves every object alive at that moment to the permanent
generation (``gc.freeze()``, Python ≥ 3.7), which no collection visits again. Objects created later are
collected as before, so nothing leaks; the frozen ones are the process's own modules and configuration.
The WSGI and ASGI entry points call it after loading the application (gunicorn loads them in each worker),
and ``WARM_URLS`` below are resolved first so the URL resolver's caches are frozen with the rest.
"""

from __future__ import annotations

import contextlib
import gc

from django.urls import NoReverseMatch, reverse

WARM_URLS = ("home", "articles", "scorecard", "login")


def freeze_startup_heap() -> int:
    """Warm the URL resolver, collect, freeze; returns how many objects are now frozen."""
    for name in WARM_URLS:
        with contextlib.suppress(NoReverseMatch):
            reverse(name)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
