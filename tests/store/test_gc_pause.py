"""Write transactions pause the cyclic collector and always restore it as it was."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest

from comfyvn_vault.store.disk import DiskObjectStore
from comfyvn_vault.store.gc_pause import gc_paused


def test_nested_and_concurrent_pauses_resume_once() -> None:
    assert gc.isenabled()
    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            entered.set()
            release.wait(5)

    t = threading.Thread(target=other)
    with gc_paused():
        t.start()
        assert entered.wait(5)
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert not gc.isenabled(), "the other thread's transaction still runs"
    release.set()
    t.join(5)
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_transactions_pause_and_restore_even_when_they_fail(tmp_path: Path) -> None:
    store = DiskObjectStore.create(tmp_path / "s")
    try:
        with store.transaction() as w:
            assert not gc.isenabled()
            w.put_bytes(b"x")
        assert gc.isenabled()
        with pytest.raises(RuntimeError), store.transaction():
            raise RuntimeError("boom")
        assert gc.isenabled()
    finally:
        store.close()
