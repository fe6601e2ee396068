"""The server entry points freeze the startup heap out of the garbage collector's way (newsroom/heap.py)."""

import gc
import importlib
import sys

import pytest

from newsroom.heap import freeze_startup_heap


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freeze_startup_heap_moves_live_objects_out_of_collection(unfrozen):
    assert gc.get_freeze_count() == 0
    frozen = freeze_startup_heap()
    assert frozen > 10_000  # Django and the project's modules, at least
    # Frozen objects still die by reference counting (the test's own frames do), so the count may
    # only have fallen since, by a handful; nothing joins the permanent generation without freeze().
    assert frozen - 100 <= gc.get_freeze_count() <= frozen


@pytest.mark.parametrize("module", ["newsroom.wsgi", "newsroom.asgi"])
def test_entry_points_freeze_after_loading_the_application(unfrozen, module):
    sys.modules.pop(module, None)
    loaded = importlib.import_module(module)
    assert loaded.application is not None
    assert gc.get_freeze_count() > 10_000
