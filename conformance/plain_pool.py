"""Pool properties as plain code, for standalone repro scripts (see plain_lifecycle.py).

Each ``observe`` runs a small Pool, returns what its property compares (results, the class
of what is raised or handed to a callback) and terminates the pool; every wait is bounded, so
a backend whose pool blocks gives "blocked" or a TimeoutError instead of hanging the script.
"""

from __future__ import annotations

import threading
import time

from mpconform.plain import template
from mpconform.plain_driver import Raised, attempt, module

PATIENCE_S = 10.0


def square(x):
    return x * x


def refuse(x):
    raise ValueError(f"task refused {x}")


def outcome_of(call, *args):
    """'returned' or the Raised of calling ``call``: what a property about raising compares."""
    value = attempt(call, *args)
    return value if isinstance(value, Raised) else "returned"


def within(call, *args):
    """``call(*args)`` in a thread, or "blocked" when it has not returned after PATIENCE_S."""
    box = []
    worker = threading.Thread(target=lambda: box.append(attempt(call, *args)), daemon=True)
    worker.start()
    worker.join(PATIENCE_S)
    return box[0] if box else "blocked"


@template(
    "test_callbacks_are_called_once_with_the_outcome",
    square,
    refuse,
    sample={"api": "apply_async", "items": [0], "fails": True},
)
def callbacks(mp, api, items, fails):
    task = refuse if fails else square
    calls = []
    with mp.Pool(2) as pool:
        hooks = {
            "callback": lambda value: calls.append(("callback", type(value).__name__)),
            "error_callback": lambda exc: calls.append(("error_callback", type(exc).__name__)),
        }
        if api == "apply_async":
            result = pool.apply_async(task, (items[0],), **hooks)
        elif api == "map_async":
            result = pool.map_async(task, items, **hooks)
        else:
            result = pool.starmap_async(task, [(x,) for x in items], **hooks)
        result.wait(PATIENCE_S)
        got = attempt(result.get, 0)
    return {"get()": got if isinstance(got, Raised) else "returned", "calls": calls}


@template("test_context_manager_exit_terminates", square, outcome_of)
def after_with_block(mp):
    with mp.Pool(2) as pool:
        pass
    return {"apply_async() after the with block": outcome_of(pool.apply_async, square, (1,))}


@template("test_submitting_after_close_raises_value_error", square, outcome_of)
def submit_after_close(mp):
    pool = mp.Pool(2)
    pool.close()
    found = {
        "apply_async": outcome_of(pool.apply_async, square, (1,)),
        "map_async": outcome_of(pool.map_async, square, [1]),
        "imap": outcome_of(pool.imap, square, [1]),
    }
    pool.join()
    return found


@template("test_join_before_close_raises_value_error", outcome_of, within)
def join_before_close(mp):
    pool = mp.Pool(1)
    found = within(outcome_of, pool.join)
    pool.terminate()
    pool.join()
    return {"join() on a running pool": found}


@template("test_successful_before_ready_raises_value_error", outcome_of)
def successful_before_ready(mp):
    with mp.Pool(1) as pool:
        result = pool.apply_async(time.sleep, (2,))
        early = outcome_of(result.successful)
        result.wait(PATIENCE_S)
    return {"successful() before ready()": early}


@template("test_unpicklable_argument_raises_from_get", square, outcome_of)
def unpicklable_argument(mp):
    items = [1, (x for x in "a generator cannot be pickled")]
    with mp.Pool(2) as pool:
        result = pool.map_async(square, items)
        result.wait(PATIENCE_S)
        got = outcome_of(result.get, 0) if result.ready() else "blocked"
    return {"map_async(a generator).get()": got}


def thread_pool(size, *args):
    """A ThreadPool of the observed package, or the Raised of trying to make one."""
    return attempt(module("pool").ThreadPool, size, *args)


@template("test_thread_pool_computes_what_sequential_calls_compute", square, thread_pool)
def thread_pool_results(mp):
    pool = thread_pool(2)
    if isinstance(pool, Raised):
        return {"ThreadPool(2)": pool}
    with pool:
        return {"map": pool.map(square, range(6)), "imap": list(pool.imap(square, range(6)))}


@template("test_thread_pool_raises_the_task_exception", refuse, thread_pool)
def thread_pool_exception(mp):
    pool = thread_pool(2)
    if isinstance(pool, Raised):
        return {"ThreadPool(2)": pool}
    with pool:
        return {"map": attempt(pool.map, refuse, [1, 2])}


STARTED: list = []  # (thread, token) of every initializer run


def remember_start(token):
    STARTED.append((threading.get_ident(), token))


def thread_token(_):
    here = threading.get_ident()
    return next((token for thread, token in STARTED if thread == here), None)


@template(
    "test_thread_pool_runs_its_initializer_in_every_thread",
    remember_start,
    thread_token,
    thread_pool,
)
def thread_pool_initializer(mp):
    pool = thread_pool(2, remember_start, ("set up",))
    if isinstance(pool, Raised):
        return {"ThreadPool(2, initializer)": pool}
    with pool:
        seen = set(pool.map(thread_token, range(8), 1))
    return {"initializer runs": len(STARTED), "tasks saw": sorted(seen, key=str)}
