"""Queue properties as plain code, for standalone repro scripts.

Each ``observe`` does what its property does with a context (``mp``) and returns what the
property compares; the helpers are the child-side functions. They are copied verbatim into
scripts that import only the backend and the standard library (see
:mod:`mpconform.conformance.plain_lifecycle`). SimpleQueue.get() takes no timeout, so a bounded
read polls empty() first, as the properties do: put() writes to the pipe before it returns.
"""

from __future__ import annotations

import threading
import time

from mpconform.plain import template
from mpconform.plain_driver import attempt

PATIENCE_S = 10.0
POLL_S = 0.01


class Refuses:
    """An object that cannot be pickled: its reduction raises."""

    def __reduce__(self):
        raise TypeError("Refuses will not be pickled")


def take(q, seconds=PATIENCE_S):
    """The next item of a SimpleQueue, or "nothing" after ``seconds``."""
    end = time.monotonic() + seconds
    while q.empty():
        if time.monotonic() >= end:
            return "nothing"
        time.sleep(POLL_S)
    return q.get()


def put_all_then_signal(q, values, done):
    for value in values:
        q.put(value)
    done.set()


def put_one(q, item):
    q.put(item)


def echo(inbox, outbox, count):
    for _ in range(count):
        outbox.put(take(inbox))


def produce(q, name, values):
    for index, value in enumerate(values):
        q.put((name, index, value))


def consume(q, conn):
    """Get until "quit"; send what came, or what get raised."""
    got = []
    try:
        item = take(q)
        while item not in ("quit", "nothing"):
            got.append(item)
            item = take(q)
        conn.send(got)
    except Exception as exc:
        conn.send(f"raised {type(exc).__name__}")


def within(seconds, function, *args):
    """What ``function(*args)`` gives, run in a thread: "blocked" if it has not returned."""
    result = ["blocked"]

    def call():
        result[0] = attempt(function, *args)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    return result[0]


@template(
    "test_simple_queue_empty_put_get",
    take,
    put_all_then_signal,
    sample={"values": [1, 2]},
)
def simple_queue_empty_put_get(mp, values):
    q = mp.SimpleQueue()
    seen = [attempt(q.empty)]
    done = mp.Event()
    p = mp.Process(target=put_all_then_signal, args=(q, values, done))
    p.start()
    seen.append(done.wait(PATIENCE_S))
    seen.append(attempt(q.empty))
    seen.append([attempt(take, q) for _ in values])
    seen.append(attempt(q.empty))
    p.join(PATIENCE_S)
    return seen


@template(
    "test_simple_queue_is_fifo_in_real_time",
    take,
    produce,
    consume,
    sample={"scenario": ([[1, 2, 2], [3]], 2)},
)
def simple_queue_fifo(mp, scenario):
    per_producer, consumers = scenario
    q = mp.SimpleQueue()
    ends = [mp.Pipe() for _ in range(consumers)]
    readers = [mp.Process(target=consume, args=(q, theirs)) for _, theirs in ends]
    writers = [mp.Process(target=produce, args=(q, n, v)) for n, v in enumerate(per_producer)]
    for p in readers + writers:
        p.start()
    for p in writers:
        p.join(PATIENCE_S)  # put() has written to the pipe: every item is ahead of the quits
    for _ in readers:
        q.put("quit")
    got: list = [ours.recv() if ours.poll(PATIENCE_S) else "nothing" for ours, _ in ends]
    for p in readers:
        p.join(PATIENCE_S)
    if not all(isinstance(items, list) for items in got):
        return got
    # Which consumer got what varies; each one's items of a producer are in put order.
    in_order = all(
        [i for n, i, _ in items if n == name] == sorted(i for n, i, _ in items if n == name)
        for items in got
        for name in range(len(per_producer))
    )
    return [sorted(item for items in got for item in items), in_order]


@template("test_simple_queue_payloads_arrive_intact", take, echo)
def simple_queue_payloads(mp):
    payloads = [None, 0, -1.5, "text", b"\x00\xff", (1, "a"), [1, [2]], {"k": {3}}]
    inbox, outbox = mp.SimpleQueue(), mp.SimpleQueue()
    p = mp.Process(target=echo, args=(inbox, outbox, len(payloads)))
    p.start()
    for item in payloads:
        inbox.put(item)
    got = [attempt(take, outbox) for _ in payloads]
    p.join(PATIENCE_S)
    return got


@template("test_closed_simple_queue_raises_os_error", within, sample={"variant": "get"})
def closed_simple_queue(mp, variant):
    q = mp.SimpleQueue()
    q.close()
    calls = {"put": lambda: q.put("late"), "get": q.get, "empty": q.empty}
    return [f"{variant}() after close()", within(PATIENCE_S, calls[variant])]


@template("test_simple_queue_put_of_an_unpicklable_object_raises", Refuses, take, put_one)
def simple_queue_unpicklable(mp):
    q = mp.SimpleQueue()
    failed_put = attempt(q.put, Refuses())
    p = mp.Process(target=put_one, args=(q, "after"))
    p.start()
    after = attempt(take, q)
    p.join(PATIENCE_S)
    return [failed_put, after]


@template("test_unpicklable_item_is_dropped_and_later_items_still_arrive", Refuses)
def queue_drops_unpicklable(mp):
    q = mp.Queue()
    q.put(Refuses())  # the feeder thread pickles it, reports the error and drops it
    q.put("after")
    got = attempt(q.get, timeout=PATIENCE_S)
    if hasattr(q, "cancel_join_thread"):
        q.cancel_join_thread()
    return "a Refuses object" if isinstance(got, Refuses) else got  # no address in the repr
