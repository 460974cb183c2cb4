"""Pipes and connections: Pipe(), Connection objects, connection.wait, Listener and Client.

Properties that need a second process talk to one long-lived server child per test
(:func:`server`, an :class:`~mpconform.agents.Standby` agent), started before the Hypothesis
loop, so examples cost a message rather than a process start. Properties about a connection
object alone use both ends of one pipe in the test process, with messages small enough
(:data:`IN_PROCESS_MAX`) to fit the pipe's buffer: nothing reads the other end while the test
sends. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import select
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpconform import agents
from mpconform.agents import Standby, held, release, standby
from mpconform.conformance import children_pipes as kids
from mpconform.conformance.listeners import FAMILY_NAMES, accept, listen
from mpconform.conformance.strategies import Refuses, payloads, with_backend_payloads
from mpconform.limits import scaled
from mpconform.outcomes import TestTimeout, Unsupported
from mpconform.profiles import budget
from mpconform.target import Target
from mpconform.waiting import LIVENESS, finish, in_thread, receive

pytestmark = pytest.mark.mp_area("Pipes and connections")

# Timeouts are lower bounds; a backend that rounds its timeout to whole milliseconds may
# return up to 1 ms "early", which is clock granularity, not a conformance failure.
CLOCK_SLACK = 0.001
MIB = 1024 * 1024
# A simplex pipe buffers 64 KiB on Linux; in-process messages stay well below, since a send
# that fills the buffer would block with nobody reading.
IN_PROCESS_MAX = 4096
# How long end-of-file may take to show after the peer closed in this very process: it is
# immediate in CPython, so this is a generous liveness bound, not a timing property.
EOF_GRACE = scaled(5.0)

# -- strategies --------------------------------------------------------------------------------

# Sizes around the ones implementations special-case: CPython writes the header and body in
# one call below 16 KiB, and pipe buffers are 4 KiB pages, 64 KiB in all. Hypothesis favours
# small integers, so MiB sizes are also listed explicitly.
SIZES = st.one_of(
    st.sampled_from([0, 1, 4095, 4096, 16383, 16384, 65535, 65536, 65537, MIB, 3 * MIB - 1]),
    st.integers(0, 300),
    st.integers(0, 3 * MIB),
)
BIG_BYTES = st.builds(kids.pattern, st.just("payload"), st.integers(0, 9), SIZES)

NESTED = payloads()
# At most one big blob per example keeps an example in milliseconds.
PAYLOADS = NESTED | st.tuples(NESTED, BIG_BYTES | BIG_BYTES.map(bytearray))


@st.composite
def schedules(draw: Any) -> tuple[list[int], list[int], list[str]]:
    """The parent's sizes, the child's sizes, and the order of the parent's sends and receives."""
    sent = draw(st.lists(SIZES, max_size=5), label="parent sends")
    received = draw(st.lists(SIZES, max_size=5), label="child sends")
    order = draw(st.permutations(["send"] * len(sent) + ["recv"] * len(received)))
    return sent, received, order


# -- helpers -----------------------------------------------------------------------------------


def require_methods(conn: Any, *names: str) -> None:
    """Connection objects are not forwarded by :class:`Target`: check their API here."""
    for name in names:
        if not hasattr(conn, name):
            raise Unsupported(f"{type(conn).__qualname__} has no {name}")


def require_real_processes(mp: Target) -> None:
    if mp.memory_model not in ("copied", "fresh"):
        raise Unsupported(f"children under {mp.start_method!r} are not known to be processes")


def server(mp: Target) -> contextlib.AbstractContextManager[Standby]:
    """The agent every example of a property talks to, with a pair of one-way pipes beside its
    own duplex one (``kept``: the test's writing end to it, and its reading end from it)."""
    client = None if mp.missing("connection.Client") else mp.connection.Client

    def prepare() -> tuple[tuple, tuple]:
        down_reader, down = mp.Pipe(duplex=False)
        up, up_writer = mp.Pipe(duplex=False)
        return (down_reader, up_writer, client), (down, up)

    return standby(mp, kids.COMMANDS, prepare, name="the pipe agent")


def tag_of(srv: Standby) -> tuple[int, int]:
    """The tag of this example's message: one of another example shows as a mismatch."""
    return (srv.examples, 0)


def timed(call: Any, *args: Any) -> tuple[Any, float]:
    t0 = time.monotonic()
    result = call(*args)
    return result, time.monotonic() - t0


# -- send and recv -----------------------------------------------------------------------------


@pytest.mark.mp_api(
    "connection.Connection.recv", "connection.Connection.send", "connection.Connection.send(obj)"
)
def test_pipe_send_recv_preserves_payloads(mp):
    """send() and recv() carry any picklable object between processes intact, type included."""
    with server(mp) as srv:

        @budget("cheap")
        @given(payload=with_backend_payloads(PAYLOADS, mp))
        def check(payload: Any) -> None:
            with srv.example() as agent:
                tag = tag_of(srv)
                kind, got_tag, childs_view, echoed = agent.run("echo", tag, payload)
                assert (kind, got_tag) == ("echo", tag)
                assert childs_view == kids.describe(payload), "the child received something else"
                assert kids.describe(echoed) == kids.describe(payload), "the reply differs"

        check()


@pytest.mark.mp_api(
    "Pipe",
    "Pipe(duplex)",
    "connection.Connection.recv",
    "connection.Connection.send",
    "connection.Connection.send(obj)",
)
def test_pipe_two_way_traffic_without_deadlock(mp):
    """Both ends send and receive messages from empty to MiB, in any order, intact and in order.

    Deadlock-free by construction: the child receives in a thread of its own while its main
    thread sends, so the parent's sends always complete and the parent's receives, in order,
    let the child's sends complete. A correct implementation cannot block on this schedule.
    """
    with server(mp) as srv:

        @budget("cheap")
        @given(schedule=schedules(), duplex=st.booleans())
        def check(schedule: tuple[list[int], list[int], list[str]], duplex: bool) -> None:
            sent, expected, order = schedule
            with srv.example() as agent:
                tag = tag_of(srv)
                agent.send("traffic", tag, duplex, expected, len(sent))
                outbound, inbound = (agent.conn, agent.conn) if duplex else srv.kept
                sends, recvs = iter(enumerate(sent)), iter(enumerate(expected))
                for step in order:
                    if step == "send":
                        index, size = next(sends)
                        outbound.send((tag, index, kids.pattern(tag, index, size)))
                    else:
                        index, size = next(recvs)
                        got = receive(inbound, agent.proc, f"message {index}")
                        assert got[:2] == (tag, index)
                        assert len(got[2]) == size
                        assert got[2] == kids.pattern(tag, index, size)
                report = agent.reply("the traffic report").get()
                assert report[:2] == ("traffic", tag)
                assert report[2] == [(True, i, size, True) for i, size in enumerate(sent)]

        check()


# -- duplex and simplex ------------------------------------------------------------------------


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api(
    "Pipe",
    "Pipe(duplex)",
    "connection.Connection.poll",
    "connection.Connection.recv",
    "connection.Connection.send",
    "connection.Connection.send(obj)",
)
def test_simplex_ends_refuse_the_other_direction(mp):
    """Pipe(duplex=False) gives (reader, writer); using one the wrong way raises OSError."""
    reader, writer = mp.Pipe(duplex=False)
    try:
        require_methods(reader, "send_bytes", "recv_bytes")
        wrong_way = [
            lambda: reader.send("x"),
            lambda: reader.send_bytes(b"x"),
            writer.recv,
            writer.recv_bytes,
            writer.poll,
        ]
        for call in wrong_way:
            with pytest.raises(OSError) as info:
                call()
            assert type(info.value) is OSError, f"raised {type(info.value).__name__}"
        writer.send("still works")
        assert reader.poll(LIVENESS)
        assert reader.recv() == "still works"
    finally:
        reader.close()
        writer.close()


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("Pipe", "Pipe(duplex)", "connection.Connection.close")
@budget("cheap")
@given(duplex=st.booleans(), close_first=st.booleans())
def test_readable_writable_closed_attributes(mp, duplex, close_first):
    """readable, writable and closed describe a connection: duplex ends do both, simplex one
    each."""
    first, second = mp.Pipe(duplex=duplex)
    require_methods(first, "readable", "writable", "closed")
    assert (first.readable, first.writable) == (True, duplex)
    assert (second.readable, second.writable) == (duplex, True)
    closing, other = (first, second) if close_first else (second, first)
    assert not closing.closed
    closing.close()
    assert closing.closed
    assert not other.closed
    other.close()
    assert other.closed


# -- bytes -------------------------------------------------------------------------------------


@st.composite
def slices(draw: Any) -> tuple[Any, int, int | None]:
    """A bytes-like buffer and a valid (offset, size) within it; size None means "the rest"."""
    data = draw(st.binary(max_size=IN_PROCESS_MAX))
    buf = draw(st.sampled_from([bytes, bytearray, memoryview]))(data)
    offset = draw(st.integers(0, len(data)))
    size = draw(st.none() | st.integers(0, len(data) - offset))
    return buf, offset, size


@pytest.mark.mp_catches("mutants.messaging:send_bytes_offset_ignored")
@pytest.mark.mp_api(
    "connection.Connection.poll",
    "connection.Connection.recv_bytes",
    "connection.Connection.send_bytes",
    "connection.Connection.send_bytes(buffer)",
    "connection.Connection.send_bytes(offset)",
    "connection.Connection.send_bytes(size)",
)
@budget("cheap")
@given(case=slices())
def test_send_bytes_sends_the_slice(mp, case):
    """send_bytes(buf, offset, size) sends size bytes of buf from offset (default: the rest)."""
    buf, offset, size = case
    ours, theirs = mp.Pipe()
    require_methods(ours, "send_bytes", "recv_bytes")
    if size is None:
        ours.send_bytes(buf, offset)
        expected = bytes(buf[offset:])
    else:
        ours.send_bytes(buf, offset, size)
        expected = bytes(buf[offset : offset + size])
    assert theirs.poll(LIVENESS)
    assert theirs.recv_bytes() == expected


@st.composite
def bad_slices(draw: Any) -> tuple[bytes, int, int | None]:
    data = draw(st.binary(max_size=64))
    n = len(data)
    return draw(
        st.one_of(
            st.tuples(st.just(data), st.integers(max_value=-1), st.none() | st.integers(0, 64)),
            st.tuples(st.just(data), st.integers(n + 1, n + 100), st.none() | st.integers(0, 64)),
            st.tuples(st.just(data), st.integers(0, n), st.integers(max_value=-1)),
            st.integers(0, n).flatmap(
                lambda off: st.tuples(st.just(data), st.just(off), st.integers(n - off + 1, 200))
            ),
        )
    )


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api(
    "connection.Connection.poll",
    "connection.Connection.recv_bytes",
    "connection.Connection.send_bytes",
    "connection.Connection.send_bytes(buffer)",
    "connection.Connection.send_bytes(offset)",
    "connection.Connection.send_bytes(size)",
)
@budget("cheap")
@given(case=bad_slices())
def test_send_bytes_rejects_slices_outside_the_buffer(mp, case):
    """send_bytes raises ValueError and sends nothing for an offset or size outside the buffer."""
    data, offset, size = case
    ours, theirs = mp.Pipe()
    require_methods(ours, "send_bytes", "recv_bytes")
    with pytest.raises(ValueError):
        if size is None:
            ours.send_bytes(data, offset)
        else:
            ours.send_bytes(data, offset, size)
    assert not theirs.poll(0), "a rejected send_bytes sent something"
    ours.send_bytes(b"after")
    assert theirs.poll(LIVENESS)
    assert theirs.recv_bytes() == b"after"


@pytest.mark.mp_catches("mutants.messaging:recv_bytes_maxlength_ignored")
@pytest.mark.mp_api(
    "connection.Connection.poll",
    "connection.Connection.recv_bytes",
    "connection.Connection.recv_bytes(maxlength)",
    "connection.Connection.send_bytes",
    "connection.Connection.send_bytes(buffer)",
)
@budget("cheap")
@given(
    message=st.binary(max_size=IN_PROCESS_MAX),
    maxlength=st.integers(0, IN_PROCESS_MAX + 10),
    duplex=st.booleans(),
)
def test_recv_bytes_maxlength(mp, message, maxlength, duplex):
    """recv_bytes(maxlength) raises OSError for a longer message; the end is no longer readable."""
    reader, writer = mp.Pipe(duplex=duplex)
    require_methods(reader, "send_bytes", "recv_bytes")
    writer.send_bytes(message)
    assert reader.poll(LIVENESS)
    if len(message) <= maxlength:
        assert reader.recv_bytes(maxlength) == message
        return
    with pytest.raises(OSError):
        reader.recv_bytes(maxlength)
    with pytest.raises(OSError):
        reader.recv_bytes()


@st.composite
def into_cases(draw: Any) -> tuple[bytes, bytearray, int]:
    message = draw(st.binary(max_size=IN_PROCESS_MAX))
    buf = bytearray(draw(st.binary(max_size=IN_PROCESS_MAX + 16)))
    offset = draw(st.integers(0, len(buf)))
    return message, buf, offset


@pytest.mark.mp_requires("BufferTooShort")
@pytest.mark.mp_api(
    "BufferTooShort",
    "connection.Connection.poll",
    "connection.Connection.recv_bytes_into",
    "connection.Connection.recv_bytes_into(buffer)",
    "connection.Connection.recv_bytes_into(offset)",
    "connection.Connection.send_bytes",
    "connection.Connection.send_bytes(buffer)",
)
@budget("cheap")
@given(case=into_cases())
def test_recv_bytes_into_fills_buffer_or_raises_buffer_too_short(mp, case):
    """recv_bytes_into(buf, offset) puts the message at offset, or raises
    BufferTooShort(message)."""
    message, buf, offset = case
    ours, theirs = mp.Pipe()
    require_methods(ours, "send_bytes", "recv_bytes_into")
    before = bytes(buf)
    ours.send_bytes(message)
    assert theirs.poll(LIVENESS)
    if offset + len(message) <= len(buf):
        assert theirs.recv_bytes_into(buf, offset) == len(message)
        assert bytes(buf) == before[:offset] + message + before[offset + len(message) :]
        return
    with pytest.raises(mp.BufferTooShort) as info:
        theirs.recv_bytes_into(buf, offset)
    assert bytes(info.value.args[0]) == message


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api(
    "connection.Connection.recv_bytes_into", "connection.Connection.recv_bytes_into(offset)"
)
@budget("cheap")
@given(size=st.integers(0, 64), offset=st.integers(max_value=-1) | st.integers(65, 200))
def test_recv_bytes_into_rejects_offset_outside_buffer(mp, size, offset):
    """recv_bytes_into raises ValueError for an offset below 0 or past the buffer's end."""
    ours, theirs = mp.Pipe()
    require_methods(ours, "send_bytes", "recv_bytes_into")
    buf = bytearray(size)
    offset = offset if offset < 0 else size + offset - 64
    ours.send_bytes(b"x")
    with pytest.raises(ValueError):
        theirs.recv_bytes_into(buf, offset)


# -- poll, end-of-file and closing -------------------------------------------------------------


@pytest.mark.mp_catches("mutants.messaging:poll_never_waits")
@pytest.mark.mp_api("connection.Connection.poll", "connection.Connection.poll(timeout)")
@budget("process")  # each example sleeps: the timeout is the cost, not the process
@given(timeout=st.floats(min_value=0.0, max_value=0.05), duplex=st.booleans())
def test_poll_timeout_without_data_returns_false(mp, timeout, duplex):
    """poll(timeout) with nothing sent returns False, after waiting at least timeout."""
    reader, _writer = mp.Pipe(duplex=duplex)  # kept open: a closed peer makes poll() True
    ready, elapsed = timed(reader.poll, timeout)
    assert ready is False
    assert elapsed >= timeout - CLOCK_SLACK, f"poll({timeout}) returned after {elapsed}"
    assert reader.poll() is False, "poll() without a timeout must not block"


@pytest.mark.mp_catches("mutants.messaging:poll_never_waits")
@pytest.mark.mp_api("connection.Connection.poll", "connection.Connection.poll(timeout)")
def test_poll_returns_true_once_data_arrives(mp):
    """poll(timeout) waiting for a message sent later by another process returns True."""
    with server(mp) as srv:

        @budget("process")
        @given(delay=st.floats(min_value=0.0, max_value=0.05))
        def check(delay: float) -> None:
            with srv.example() as agent:
                tag = tag_of(srv)
                t0 = time.monotonic()
                agent.send("later", tag, delay)
                assert agent.conn.poll(LIVENESS) is True
                elapsed = time.monotonic() - t0
                assert elapsed >= delay - CLOCK_SLACK, f"data seen {elapsed} s after asking"
                assert agent.conn.poll(0) is True, "poll() consumed the message"
                assert agent.conn.recv().get() == ("later", tag)

        check()


@pytest.mark.mp_api(
    "connection.Connection.poll",
    "connection.Connection.recv",
    "connection.Connection.send",
    "connection.Connection.send(obj)",
)
@budget("cheap")
@given(pending=st.lists(st.integers() | st.text(max_size=20), max_size=5), duplex=st.booleans())
def test_recv_raises_eof_error_after_peer_closed(mp, pending, duplex):
    """Messages sent before the peer closed are received, then recv() raises EOFError."""
    reader, writer = mp.Pipe(duplex=duplex)
    for item in pending:
        writer.send(item)
    writer.close()
    for item in pending:
        assert reader.poll(LIVENESS)
        assert reader.recv() == item
    with pytest.raises(EOFError):
        in_thread(reader.recv, "recv() after the peer closed", EOF_GRACE)


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("connection.Connection.poll")
def test_poll_is_true_at_end_of_file(mp):
    """poll() returns True once the peer closed: a recv() would not block (it raises EOFError)."""
    reader, writer = mp.Pipe()
    writer.close()
    assert reader.poll(EOF_GRACE) is True
    assert reader.poll() is True


@pytest.mark.mp_api(
    "connection.Connection.recv", "connection.Connection.send", "connection.Connection.send(obj)"
)
def test_recv_raises_eof_error_when_peer_process_ends(mp):
    """A child's messages arrive, then recv() raises EOFError once the child ended."""
    require_real_processes(mp)  # with threads the parent and the child share one end
    reader, writer = mp.Pipe(duplex=False)
    # The parent closes its copy of the writer once the child has it, so end-of-file comes
    # from the child's exit alone.
    proc = mp.Process(target=kids.send_all, args=(writer, ["a", b"b", 3]))
    proc.start()
    writer.close()
    received = [receive(reader, proc, f"message {i}") for i in range(3)]
    assert finish(proc) == 0
    assert received == ["a", b"b", 3]
    with pytest.raises(EOFError):
        in_thread(reader.recv, "recv() after the child ended", LIVENESS)


CLOSED_OPERATIONS = {
    "send": lambda c: c.send("x"),
    "recv": lambda c: c.recv(),
    "poll": lambda c: c.poll(),
    "send_bytes": lambda c: c.send_bytes(b"x"),
    "recv_bytes": lambda c: c.recv_bytes(),
    "recv_bytes_into": lambda c: c.recv_bytes_into(bytearray(4)),
    "fileno": lambda c: c.fileno(),
}


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("connection.Connection.close")
@budget("cheap")
@given(data=st.data(), which=st.sampled_from([0, 1]))
def test_closed_connection_raises_os_error(mp, data, which):
    """Every operation on a closed connection raises OSError; close() again is harmless."""
    conn = mp.Pipe()[which]
    # Drawn from what the backend has, so a missing method narrows the property instead of
    # hiding the others behind UNSUPPORTED.
    names = sorted(name for name in CLOSED_OPERATIONS if hasattr(conn, name))
    if not names:
        raise Unsupported(f"{type(conn).__qualname__} has none of {sorted(CLOSED_OPERATIONS)}")
    name = data.draw(st.sampled_from(names), label="operation")
    conn.close()
    with pytest.raises(OSError):
        # bounded: on a backend whose close() does nothing, recv() would wait forever
        in_thread(lambda: CLOSED_OPERATIONS[name](conn), f"{name}() after close()", EOF_GRACE)
    conn.close()


# -- connection.wait ---------------------------------------------------------------------------


@pytest.mark.mp_requires("connection.wait")
@pytest.mark.mp_api("connection.wait", "connection.wait(object_list)", "connection.wait(timeout)")
@budget("cheap")
@given(data=st.data(), count=st.integers(1, 5))
def test_wait_returns_every_ready_connection(mp, data, count):
    """connection.wait() returns exactly the connections with data or at end-of-file."""
    pipes = [mp.Pipe() for _ in range(count)]
    ready = data.draw(st.sets(st.sampled_from(range(count))), label="ready")
    at_eof = data.draw(st.sets(st.sampled_from(sorted(ready) or [None])), label="closed")
    for index in ready:
        if index in at_eof:
            pipes[index][1].close()
        else:
            pipes[index][1].send(index)
    readers = [reader for reader, _ in pipes]
    timeout = 0.0 if ready else 0.02
    result, elapsed = timed(mp.connection.wait, readers, timeout)
    assert sorted(readers.index(r) for r in result) == sorted(ready)
    if not ready:
        assert elapsed >= timeout - CLOCK_SLACK


@pytest.mark.mp_requires("connection.wait", "Process.sentinel")
@pytest.mark.mp_api(
    "Process.sentinel",
    "connection.wait",
    "connection.wait(object_list)",
    "connection.wait(timeout)",
)
@budget("process")
@given(data=st.data(), children=st.integers(1, 2), pipes=st.integers(0, 2))
def test_wait_returns_ready_sentinels_and_connections(mp, data, children, pipes):
    """connection.wait() on sentinels and connections returns exactly the ready ones."""
    connections = [mp.Pipe() for _ in range(pipes)]
    with contextlib.ExitStack() as stack:
        held_children = [stack.enter_context(held(mp)) for _ in range(children)]
        procs = [child.proc for child in held_children]
        ended = data.draw(st.sets(st.sampled_from(range(children))), label="ended")
        with_data = data.draw(st.sets(st.sampled_from(range(pipes or 1))), label="sent")
        with_data &= set(range(pipes))
        for index in ended:
            release(held_children[index])
            # wait on the one sentinel until it is ready: the child needs time to exit
            if not mp.connection.wait([procs[index].sentinel], LIVENESS):
                raise TestTimeout(f"child {index} still running {LIVENESS:g} s after release")
        for index in with_data:
            connections[index][1].send(index)
        objects = [proc.sentinel for proc in procs] + [r for r, _ in connections]
        expected = [procs[i].sentinel for i in ended] + [connections[i][0] for i in with_data]
        timeout = 0.0 if expected else 0.02
        result, elapsed = timed(mp.connection.wait, objects, timeout)
        assert sorted(map(objects.index, result)) == sorted(map(objects.index, expected))
        if not expected:
            assert elapsed >= timeout - CLOCK_SLACK


@pytest.mark.mp_requires("connection.wait")
@pytest.mark.mp_api("connection.wait", "connection.wait(object_list)", "connection.wait(timeout)")
@budget("process")  # each example sleeps: the timeout is the cost, not the process
@given(timeout=st.floats(min_value=0.0, max_value=0.05), count=st.integers(0, 3))
def test_wait_returns_empty_list_after_timeout(mp, timeout, count):
    """connection.wait(objects, timeout) with nothing ready returns [] after at least timeout."""
    pipes = [mp.Pipe() for _ in range(count)]
    result, elapsed = timed(mp.connection.wait, [r for r, _ in pipes], timeout)
    assert result == []
    assert elapsed >= timeout - CLOCK_SLACK, f"wait(timeout={timeout}) returned after {elapsed}"


@pytest.mark.mp_catches("mutants.messaging:exit_leaves_open")
@pytest.mark.mp_api("Pipe", "connection.Connection", "connection.Connection.close")
@pytest.mark.parametrize("duplex", [True, False])
def test_a_connection_closes_when_its_with_block_ends(mp, duplex):
    """A Connection is a context manager: the with block gives the connection and closes it.

    The documentation: connection objects support the context management protocol. After
    the block the connection is closed, and its peer reads end of file.
    """
    reader, writer = mp.Pipe(duplex=duplex)
    with reader:
        with writer as entered:
            assert entered is writer, f"with gave {entered!r}, not the connection itself"
        assert writer.closed, "the connection is still open after its with block"
        at_end = agents.outcome(reader.recv)
        assert at_end.is_a("EOFError"), f"after the peer's with block recv() {at_end.show()}"
    assert reader.closed, "the reading end is still open after its with block"


# -- Listener and Client -----------------------------------------------------------------------

FAMILIES = st.sampled_from(FAMILY_NAMES)
AUTHKEYS = st.binary(min_size=1, max_size=32)


@pytest.mark.mp_requires("connection.Listener", "connection.Client")
@pytest.mark.mp_api(
    "connection.Client",
    "connection.Client(address)",
    "connection.Client(authkey)",
    "connection.Client(family)",
    "connection.Connection.recv",
    "connection.Connection.send",
    "connection.Connection.send(obj)",
    "connection.Listener",
    "connection.Listener(address)",
    "connection.Listener(authkey)",
    "connection.Listener(family)",
    "connection.Listener.accept",
    "connection.Listener.address",
)
def test_client_with_right_authkey_connects(mp):
    """A Client with the Listener's authkey connects, and messages go both ways."""
    with server(mp) as srv:

        @budget("process")
        @given(family=FAMILIES, authkey=AUTHKEYS, message=NESTED)
        def check(family: str, authkey: bytes, message: Any) -> None:
            with srv.example() as agent, listen(mp, family, authkey) as listener:
                tag = tag_of(srv)
                agent.send("connect", listener.address, family, authkey, (tag, message))
                with accept(listener, family) as conn:
                    got = receive(conn, agent.proc, "the client's message")
                    assert got[0] == tag, f"a message of another example: {got!r}"
                    assert kids.describe(got[1]) == kids.describe(message)
                    conn.send(("reply", tag))
                    assert agent.reply("the client's answer").get() == ("reply", tag)

        check()


@pytest.mark.mp_catches("mutants.messaging:authkey_ignored")
@pytest.mark.mp_requires("AuthenticationError", "connection.Listener", "connection.Client")
@pytest.mark.mp_api(
    "AuthenticationError",
    "connection.Client",
    "connection.Client(authkey)",
    "connection.Listener",
    "connection.Listener(authkey)",
    "connection.Listener.accept",
)
def test_wrong_authkey_is_rejected_on_both_sides(mp):
    """Security: a Client with the wrong authkey is refused; both sides raise
    AuthenticationError."""
    with server(mp) as srv:

        @budget("process")
        @given(family=FAMILIES, keys=st.lists(AUTHKEYS, min_size=2, max_size=2, unique=True))
        def check(family: str, keys: list[bytes]) -> None:
            right, wrong = keys
            with srv.example() as agent, listen(mp, family, right) as listener:
                agent.send("connect", listener.address, family, wrong, "intruder")
                with pytest.raises(mp.AuthenticationError):
                    accept(listener, family).close()
                outcome = agent.reply("the client's outcome")
                assert outcome.is_a(mp.AuthenticationError.__name__), (
                    f"Client with the wrong authkey {outcome.show()}; CPython raises "
                    "AuthenticationError"
                )

        check()


# -- pickling errors and file descriptors ------------------------------------------------------


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("connection.Connection.send", "connection.Connection.send(obj)")
def test_send_of_an_unpicklable_object_raises_and_sends_nothing(mp):
    """send() of an object that cannot be pickled raises the pickling error and sends nothing.

    The documentation only says the object must be picklable; CPython pickles before writing,
    so the error reaches the caller and the connection stays usable.
    """
    reader, writer = mp.Pipe(duplex=False)
    with pytest.raises(TypeError, match="will not be pickled"):
        writer.send(Refuses())
    proc = mp.Process(target=kids.send_all, args=(writer, ["after"]))
    proc.start()
    try:
        got = receive(reader, proc, "the message sent after the failed send()")
    finally:
        finish(proc)
    assert got == "after", f"the first message after a failed send() was {got!r}"


@pytest.mark.mp_api("connection.Connection.fileno", "connection.Connection.recv")
def test_fileno_is_a_descriptor_select_sees_messages_on(mp):
    """fileno() is the descriptor the connection reads: select() reports it readable exactly
    when a message from another process is waiting."""
    reader, writer = mp.Pipe(duplex=False)
    if not callable(getattr(reader, "fileno", None)):
        raise Unsupported(f"{type(reader).__name__} has no fileno()")
    fd = reader.fileno()
    assert isinstance(fd, int) and fd >= 0, f"fileno() returned {fd!r}"
    assert select.select([fd], [], [], 0)[0] == [], "readable before anything was sent"
    proc = mp.Process(target=kids.send_all, args=(writer, ["ping"]))
    proc.start()
    try:
        ready = select.select([fd], [], [], LIVENESS)[0]
        assert ready == [fd], f"select() on fileno() saw nothing within {LIVENESS:g} s"
        assert reader.recv() == "ping"
    finally:
        finish(proc)
