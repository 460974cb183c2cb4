"""Conditions, events and barriers properties as plain code, for standalone repro scripts.

Each ``observe`` does what its property does with a context (``mp``) and returns what the
property compares; see :mod:`mpconform.conformance.plain_lifecycle` for the rules. A waiter
announces itself while holding the Condition's lock, and wait() releases the lock only after
registering as a sleeper, so once the notifier holds the lock every announced waiter sleeps.
"""

from __future__ import annotations

from mpconform.plain import template
from mpconform.plain_driver import attempt

PATIENCE_S = 10.0
#: How long to watch for a waiter woken beyond those notified (seeing none proves nothing).
WATCH_S = 0.5


def wait_on(cond, ready, woke):
    with cond:
        ready.send("waiting")
        woke.send(cond.wait(PATIENCE_S))


@template("test_condition_notify_wakes_exactly_n", wait_on, sample={"waiters": 2, "n": 1})
def condition_notify_n(mp, waiters, n):
    cond = mp.Condition()
    ready, ready_writer = mp.Pipe(duplex=False)
    woke, woke_writer = mp.Pipe(duplex=False)
    children = [
        mp.Process(target=wait_on, args=(cond, ready_writer, woke_writer)) for _ in range(waiters)
    ]
    for child in children:
        child.start()
    for _ in children:
        ready.poll(PATIENCE_S) and ready.recv()
    with cond:  # every waiter is inside wait() now
        notified = attempt(cond.notify, n)
    woken = 0
    while woken < min(n, waiters) and woke.poll(PATIENCE_S):
        woken += woke.recv() is True
    while woke.poll(WATCH_S):  # one more would be a waiter woken beyond n
        woken += woke.recv() is True
    with cond:
        cond.notify_all()
    for child in children:
        child.join(PATIENCE_S)
    return notified, woken
