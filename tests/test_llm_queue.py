"""The line requests wait in for the LLM (pure logic: threads and a condition, no model)."""

from __future__ import annotations

import threading
import time

import pytest

from rag.llm_queue import LLMQueue, llm_queue
from rag.settings import Settings


def _admitted(queue: LLMQueue, place) -> bool:
    return next(place.waiting(), None) is None


def test_a_free_slot_is_taken_without_waiting():
    queue = LLMQueue(1)
    with queue.place() as place:
        assert list(place.waiting()) == []
        assert queue.busy() == 1
    assert queue.busy() == 0


def _until(condition, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_waiters_learn_how_many_are_ahead_and_go_in_arrival_order():
    queue = LLMQueue(1)
    order: list[str] = []
    seen: dict[str, list[int]] = {"b": [], "c": []}
    leave = {"b": threading.Event(), "c": threading.Event()}

    def user(name: str) -> None:
        with queue.place() as place:
            for ahead in place.waiting():
                seen[name].append(ahead)
            order.append(name)
            leave[name].wait(5)

    with queue.place() as holder:
        assert list(holder.waiting()) == []
        threads = [threading.Thread(target=user, args=(name,)) for name in ("b", "c")]
        threads[0].start()
        assert _until(lambda: seen["b"] == [1])  # the holder is ahead of b
        threads[1].start()
        assert _until(lambda: seen["c"] == [2])  # the holder and b are ahead of c
        assert queue.busy() == 3 and order == []
    assert _until(lambda: order == ["b"])  # the slot went to b, the first in line
    assert _until(lambda: seen["c"] == [2, 1])  # c is told it moved up
    leave["b"].set()
    assert _until(lambda: order == ["b", "c"])
    leave["c"].set()
    for t in threads:
        t.join(5)
    assert queue.busy() == 0


def test_a_waiter_that_gives_up_leaves_the_line():
    queue = LLMQueue(1)
    with queue.place():
        with queue.place() as place:
            waiting = place.waiting()
            assert next(waiting) == 1
            waiting.close()
        assert queue.busy() == 1
    with queue.place() as place:
        assert _admitted(queue, place)


def test_an_error_in_the_block_frees_the_slot():
    queue = LLMQueue(1)
    with pytest.raises(RuntimeError):
        with queue.place() as place:
            list(place.waiting())
            raise RuntimeError("the model failed")
    assert queue.busy() == 0


def test_several_slots_admit_that_many_at_once():
    queue = LLMQueue(2)
    with queue.place() as a, queue.place() as b, queue.place() as c:
        assert _admitted(queue, a) and _admitted(queue, b)
        assert next(c.waiting()) == 2


def test_one_queue_per_llm_and_slots_from_the_settings():
    settings = Settings(llm_server_slots=3)
    assert llm_queue("local", settings).slots == 1  # one llama.cpp slot
    assert llm_queue("http://127.0.0.1:9/v1", settings).slots == 3
    assert llm_queue("local", settings) is llm_queue("local", Settings())
    with pytest.raises(ValueError):
        LLMQueue(0)
