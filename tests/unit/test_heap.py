"""freeze_heap/thaw_heap: a started suite's objects are left out of collections, then not."""

from __future__ import annotations

import gc
import weakref

from bots.suite import freeze_heap, thaw_heap


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_frozen_objects_are_skipped_until_thawed() -> None:
    alive = [_Cycle() for _ in range(10)]
    refs = [weakref.ref(c) for c in alive]
    freeze_heap()
    try:
        assert gc.get_freeze_count() >= len(alive)
        del alive
        gc.collect()
        assert all(r() is not None for r in refs)  # garbage, but no collection looks at it
    finally:
        thaw_heap()
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert all(r() is None for r in refs)
