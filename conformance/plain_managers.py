"""Manager properties as plain code, for standalone repro scripts.

Each ``observe`` does what its property does with a context (``mp``) and returns what the
property compares; the helpers are the child-side functions. They are copied verbatim into
scripts that import only the backend and the standard library (see
:mod:`mpconform.conformance.plain_lifecycle`). Every wait is bounded by ``PATIENCE_S``.
"""

from __future__ import annotations

import threading

from mpconform.plain import template

PATIENCE_S = 10.0


def write_through_outer(outer, items):
    inner = outer[0]  # a proxy to the dict stored in the list, since Python 3.6
    for key, value in items:
        inner[key] = value


def fails(function, *args):
    """Whether ``function(*args)`` raises, in a thread: "blocked" if it has not returned."""
    result: list = ["blocked"]

    def call():
        try:
            function(*args)
            result[0] = False
        except Exception:
            result[0] = True

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(PATIENCE_S)
    return result[0]


@template(
    "test_nested_proxy_writes_are_visible",
    write_through_outer,
    sample={"items": [("a", 0), ("b", 1)], "extra": 2},
)
def nested_proxy(mp, items, extra):
    with mp.Manager() as manager:
        inner = manager.dict()
        outer = manager.list([inner])
        p = mp.Process(target=write_through_outer, args=(outer, items))
        p.start()
        p.join(PATIENCE_S)
        fetched = outer[0]
        written_by_child = inner.copy()
        outer[0]["extra"] = extra
        return [type(fetched).__name__, written_by_child, inner.get("extra")]


@template("test_shutdown_ends_the_manager_process", fails, sample={"variant": "with"})
def shutdown_ends_manager(mp, variant):
    before = mp.active_children()
    manager = mp.Manager()
    procs = [p for p in mp.active_children() if p not in before]
    if variant == "with":
        with manager as entered:
            shared = entered.list([1])
            shared.append(2)
    else:
        shared = manager.list([1])
        shared.append(2)
        manager.shutdown()
    for p in procs:
        p.join(PATIENCE_S)
    ended = [not p.is_alive() for p in procs]
    return [ended, shared.__class__.__name__, fails(shared.append, 3)]
