"""A run raises the garbage collector's young threshold and always restores it."""

import gc
import threading

import pytest

from sim.engine.gcpause import YOUNG_THRESHOLD, relaxed_gc


@pytest.fixture
def threshold():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_threshold_is_raised_inside_and_restored_after_even_on_error(threshold):
    with pytest.raises(RuntimeError), relaxed_gc():
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        with relaxed_gc():  # nested: still raised, and the outer exit restores
            pass
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        raise RuntimeError("a failing run")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_disabled_collector_threshold_is_left_alone(threshold):
    gc.set_threshold(0, 10, 10)
    with relaxed_gc():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold() == (0, 10, 10)


def test_overlapping_runs_in_threads_restore_the_original(threshold):
    inside = threading.Barrier(2)

    def work():
        with relaxed_gc():
            inside.wait()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.get_threshold() == (700, 10, 10)
