"""Throughput workloads: the loops stress children run, each checking what it can in-band.

Imported by spawn and forkserver children by name, so: the standard library and the in-band
checks of mpconform.checkers.screens only, nothing done at import time, and the backend
reached only through the objects passed in. Each loop runs for a
number of seconds (``time.monotonic()`` is system-wide on Linux, so a worker's own clock
measures the same interval as the parent's), then reports over its ``out`` connection: counts,
the problems it saw itself (owner cell, sequence gaps, corrupted payloads) and, when
``history`` is on, the timestamps the parent's screens need. ``history=False`` runs the same
loop without reading clocks or keeping records, which is what the overhead figures compare.

Every wait is bounded by PATIENCE; a child that gives up says so in its report.
"""

from __future__ import annotations

import array
import threading
import time
from typing import Any

from mpconform.agents import STOP
from mpconform.checkers.screens import enter_owned, exit_owned
from mpconform.limits import PATIENCE

GET_SLICE = 0.1
#: Critical sections or increments each contending worker does at least, however short its
#: slice: on a loaded machine a 0.05 s slice may give a worker a few hundred operations, too
#: few for a lock that lets two in to show it. A few milliseconds of work on an idle machine.
MIN_OPS = 5000
MAX_REPORTED = 20  # problems listed per worker; the count is always exact


def _empty(exc: BaseException) -> bool:
    return type(exc).__name__ == "Empty"


def blob(seq: int, size: int) -> bytes:
    """A payload whose every byte says which item it belongs to, so corruption shows."""
    return bytes([seq % 251]) * size


# -- locks and counters ------------------------------------------------------------------------


def lock_worker(
    wid: int, lock: Any, owner: Any, counter: Any, go: Any, seconds: float, history: bool, out: Any
) -> None:
    """Hammer ``lock``: each section checks the owner cell on entry and exit and increments
    an unsynchronized counter, which ends short if two holders ever overlapped.

    Section times go into two flat arrays rather than a list of tuples: appending a machine
    integer allocates nothing, and the arrays pickle as bytes, so recording the history costs
    as little as it can. The loop's own duration is reported, so the throughput excludes
    sending the history back.
    """
    problems: list[str] = []
    starts, ends = array.array("q"), array.array("q")
    done = 0
    looped = 0.0
    if go.wait(PATIENCE):
        me, now = wid + 1, time.monotonic_ns
        begin = time.monotonic()
        end = begin + seconds
        while time.monotonic() < end or done < MIN_OPS:
            if not lock.acquire(timeout=PATIENCE):
                problems.append(f"acquire(timeout={PATIENCE:g}) gave up")
                break
            if history:
                starts.append(now())
            entered = enter_owned(owner, me)
            if entered is not None:
                problems.append(entered.message)
            counter.value += 1
            leaving = exit_owned(owner, me)
            if leaving is not None:
                problems.append(leaving.message)
            if history:
                ends.append(now())
            lock.release()
            done += 1
        looped = time.monotonic() - begin
    else:
        problems.append("never told to start")
    out.send((done, problems[:MAX_REPORTED], len(problems), (starts, ends), looped))


def value_worker(wid: int, value: Any, go: Any, seconds: float, out: Any) -> None:
    """Fetch-and-increment under ``value.get_lock()``; report every old value seen."""
    olds: list[int] = []
    problems: list[str] = []
    if go.wait(PATIENCE):
        end = time.monotonic() + seconds
        while time.monotonic() < end or len(olds) < MIN_OPS:
            lock = value.get_lock()
            if not lock.acquire(timeout=PATIENCE):
                problems.append("get_lock().acquire() gave up")
                break
            try:
                old = value.value
                value.value = old + 1
            finally:
                lock.release()
            olds.append(old)
    out.send((olds, problems))


# -- queues ------------------------------------------------------------------------------------


def producer(
    wid: int,
    q: Any,
    go: Any,
    seconds: float,
    big_every: int,
    big_size: int,
    history: bool,
    out: Any,
    limit: int = 0,
) -> None:
    """Put ``(wid, seq, payload)`` for ``seconds`` (and at most ``limit`` items, 0 for no
    limit); every ``big_every``-th payload is big."""
    puts: list[tuple[int, int, int]] = []
    problems: list[str] = []
    seq = 0
    if go.wait(PATIENCE):
        end = time.monotonic() + seconds
        while time.monotonic() < end and (not limit or seq < limit):
            big = big_every and seq % big_every == big_every - 1
            item = (wid, seq, blob(seq, big_size) if big else b"")
            start = time.monotonic_ns() if history else 0
            try:
                q.put(item, timeout=PATIENCE)
            except Exception as exc:
                problems.append(f"put gave up: {type(exc).__name__}")
                break
            if history:
                puts.append((seq, start, time.monotonic_ns()))
            seq += 1
    out.send((seq, puts, problems))


def consumer(wid: int, q: Any, go: Any, history: bool, out: Any) -> None:
    """Get until STOP, checking payloads and that each producer's sequence numbers rise.

    One consumer's gets are sequential, so a producer's items reaching it out of order were
    read from the queue out of order: a per-producer FIFO violation, whoever else reads.
    """
    got: list[tuple] = []
    problems: list[str] = []
    last: dict[int, int] = {}
    count = 0
    if go.wait(PATIENCE):
        idle_since = time.monotonic()
        while True:
            start = time.monotonic_ns() if history else 0
            try:
                item = q.get(timeout=GET_SLICE)
            except Exception as exc:
                if not _empty(exc):
                    raise
                if time.monotonic() - idle_since > PATIENCE:
                    problems.append(f"no STOP within {PATIENCE:g} s")
                    break
                continue
            idle_since = time.monotonic()
            if item == STOP:
                break
            p, seq, payload = item
            if payload and payload != blob(seq, len(payload)):
                problems.append(f"payload of ({p}, {seq}) corrupted")
            if seq <= last.get(p, -1):
                problems.append(f"w{wid} got ({p}, {seq}) after ({p}, {last[p]})")
            last[p] = seq
            count += 1
            if history:
                got.append((p, seq, start, time.monotonic_ns()))
            else:
                got.append((p, seq))
    out.send((count, got, problems[:MAX_REPORTED], len(problems)))


# -- pipes -------------------------------------------------------------------------------------


def flood_end(conn: Any, go: Any, seconds: float, big_every: int, big_size: int, out: Any) -> None:
    """One end of a duplex pipe: a thread sends numbered messages while this one receives.

    Both directions run at once, so a pipe that serializes them, or mixes up its buffers,
    shows as a gap, a reordering or a corrupted payload.
    """
    sent = [0]
    errors: list[str] = []

    def send() -> None:
        end = time.monotonic() + seconds
        seq = 0
        try:
            while time.monotonic() < end:
                big = big_every and seq % big_every == big_every - 1
                conn.send((seq, blob(seq, big_size) if big else b""))
                seq += 1
            conn.send(("end", seq))
        except Exception as exc:
            errors.append(f"send failed: {exc!r}")
        sent[0] = seq

    if not go.wait(PATIENCE):
        out.send((0, 0, ["never told to start"]))
        return
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    received, expected = 0, 0
    while True:
        if not conn.poll(PATIENCE):
            errors.append(f"nothing received for {PATIENCE:g} s")
            break
        seq, payload = conn.recv()
        if seq == "end":
            if payload != expected:
                errors.append(f"the other end sent {payload} messages, {expected} arrived")
            break
        if seq != expected:
            errors.append(f"message {seq} arrived when {expected} was due")
            expected = seq
        if payload and payload != blob(seq, len(payload)):
            errors.append(f"payload of message {seq} corrupted")
        expected += 1
        received += 1
    sender.join(PATIENCE)
    if sender.is_alive():
        errors.append("the sending thread was still blocked after the exchange")
    out.send((sent[0], received, errors[:MAX_REPORTED]))


# -- pool tasks --------------------------------------------------------------------------------


def square(x: int) -> int:
    return x * x


def spin(n: int) -> int:
    """A task that costs CPU (about a millisecond), so the pool's workers, not its pipes,
    are the bottleneck."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


# -- ping-pong ---------------------------------------------------------------------------------


def condition_player(parity: int, cond: Any, turn: Any, seconds: float, out: Any) -> None:
    """Play while it is our turn (``turn`` has our parity); player 0 ends the game by setting
    turn to -1. Each player checks that the turns it sees are exactly parity, parity+2, ..."""
    expected, moves, problems = parity, 0, []
    end = time.monotonic() + seconds
    with cond:
        while True:
            ready = cond.wait_for(lambda: turn.value < 0 or turn.value % 2 == parity, PATIENCE)
            if not ready:
                problems.append(f"turn stayed {turn.value} for {PATIENCE:g} s")
                break
            if turn.value < 0:
                break
            if turn.value != expected:
                problems.append(f"player {parity} saw turn {turn.value}, expected {expected}")
            expected = turn.value + 2
            if parity == 0 and time.monotonic() > end:
                turn.value = -1
            else:
                turn.value += 1
                moves += 1
            cond.notify_all()
            if turn.value < 0:
                break
    out.send((moves, problems[:MAX_REPORTED]))


def event_player(
    parity: int, mine: Any, theirs: Any, turn: Any, stop: Any, seconds: float, out: Any
) -> None:
    """Two Events as a baton: player 0 moves, sets ``theirs`` and waits for ``mine``; player 1
    waits first. Each clears its own event before handing the baton back, so the two strictly
    alternate, which the shared ``turn`` counter checks."""
    moves, problems = 0, []
    end = time.monotonic() + seconds
    while True:
        if parity == 1 or moves:
            if not mine.wait(PATIENCE):
                problems.append(f"player {parity} waited {PATIENCE:g} s for its turn")
                break
            mine.clear()
        if stop.value:
            break
        if turn.value % 2 != parity:
            problems.append(f"player {parity} moved on turn {turn.value}")
        if parity == 0 and time.monotonic() > end:
            stop.value = 1
        else:
            turn.value += 1
            moves += 1
        theirs.set()
        if stop.value:
            break
    out.send((moves, problems[:MAX_REPORTED]))
