"""Requests for a language model wait their turn here, in arrival order, and know how many are
ahead of them.

The local model generates for one request at a time (one llama.cpp slot); an OpenAI-compatible
server is sent ``llm_server_slots`` requests at once. Waiting here rather than inside the engine
or the server lets the chat say that the model is busy, with a place in line, and keeps a
server's HTTP timeout from running while a request only waits.

    with llm_queue(spec, settings).place() as place:
        for ahead in place.waiting():   # nothing is yielded when a slot is free at once
            ...                         # tell the user: `ahead` requests before this one
                                        # (or `yield from place.events()` in a pipeline generator)
        ...                             # use the model; the slot is freed on leaving the block
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

POLL_S = 1.0  # how often a waiting request re-checks its place (it is also woken on each change)


class LLMQueue:
    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"an LLM needs at least one slot, not {slots}")
        self.slots = slots
        self._running = 0
        self._line: deque[object] = deque()
        self._changed = threading.Condition()

    @contextmanager
    def place(self) -> Iterator["Place"]:
        """A place at the end of the line, given up (or the slot freed) when the block is left,
        also when the caller stops early (a closed generator, an error)."""
        ticket = object()
        with self._changed:
            self._line.append(ticket)
        try:
            yield Place(self, ticket)
        finally:
            with self._changed:
                if ticket in self._line:
                    self._line.remove(ticket)
                else:
                    self._running -= 1
                self._changed.notify_all()

    def _admit(self, ticket: object) -> int | None:
        """None once ``ticket`` holds a slot; otherwise how many requests are ahead (held by the lock)."""
        if self._line[0] is ticket and self._running < self.slots:
            self._line.popleft()
            self._running += 1
            return None
        return self._running + self._line.index(ticket)

    def busy(self) -> int:
        """Requests running or waiting."""
        with self._changed:
            return self._running + len(self._line)


class Place:
    def __init__(self, queue: LLMQueue, ticket: object) -> None:
        self._queue, self._ticket = queue, ticket

    def waiting(self) -> Iterator[int]:
        """Yield the number of requests ahead, first and whenever it changes, until a slot is
        this request's; a request that finds a free slot yields nothing."""
        queue, last = self._queue, None
        while True:
            with queue._changed:
                ahead = queue._admit(self._ticket)
                if ahead is None:
                    return
                if ahead == last:
                    queue._changed.wait(POLL_S)
                    continue
            last = ahead
            yield ahead

    def events(self) -> Iterator[dict]:
        """``waiting`` events (``{"type": "waiting", "ahead": n}``) for the chat, as ``waiting``."""
        for ahead in self.waiting():
            yield {"type": "waiting", "ahead": ahead}


_queues: dict[tuple[str, int], LLMQueue] = {}
_queues_lock = threading.Lock()


def llm_queue(spec: str, settings) -> LLMQueue:
    """The one queue of the LLM named by ``spec`` in this process: one slot for the local model,
    ``settings.llm_server_slots`` for a server."""
    slots = 1 if spec == "local" else settings.llm_server_slots
    with _queues_lock:
        return _queues.setdefault((spec, slots), LLMQueue(slots))
