"""Pipes and connections properties as plain code, for standalone repro scripts.

Each ``observe`` does what its property does with a context (``mp``) and returns what the
property compares; see :mod:`mpconform.conformance.plain_lifecycle` for the rules. A call that
may block on a broken backend (a recv() that never sees end-of-file) runs through
:func:`within`, which gives "blocked" after ``PATIENCE_S`` seconds instead of hanging.
"""

from __future__ import annotations

import sys
import threading

from mpconform.plain import template
from mpconform.plain_driver import attempt, module

PATIENCE_S = 5.0


def within(call, *args):
    """What ``call(*args)`` gives (its value or the exception), or "blocked" if it is still
    running after PATIENCE_S seconds (it is left behind in a daemon thread)."""
    box = []
    thread = threading.Thread(target=lambda: box.append(attempt(call, *args)), daemon=True)
    thread.start()
    thread.join(PATIENCE_S)
    return box[0] if box else "blocked"


def send_all(conn, messages):
    for message in messages:
        conn.send(message)


def client_sends(client, address, family, authkey, message):
    """Connect, send ``message``, and exit 0 if the listener's reply arrives."""
    conn = client(address, family=family, authkey=authkey)
    conn.send(message)
    replied = conn.poll(PATIENCE_S) and conn.recv() == "reply"
    conn.close()
    sys.exit(0 if replied else 1)


class Refuses:
    """Fails to pickle under any pickler: its reduction raises."""

    def __reduce__(self):
        raise TypeError("Refuses will not be pickled")


@template("test_simplex_ends_refuse_the_other_direction", within)
def simplex_ends(mp):
    reader, writer = mp.Pipe(duplex=False)
    wrong_way = [
        within(reader.send, "x"),
        within(reader.send_bytes, b"x"),
        within(writer.recv),
        within(writer.recv_bytes),
        within(writer.poll),
    ]
    writer.send("still works")
    still_works = reader.poll(PATIENCE_S) and reader.recv()
    reader.close()
    writer.close()
    return wrong_way, still_works


@template("test_send_bytes_sends_the_slice", sample={"case": (b"abc", 1, None)})
def send_bytes_slice(mp, case):
    buf, offset, size = case
    ours, theirs = mp.Pipe()
    if size is None:
        ours.send_bytes(buf, offset)
    else:
        ours.send_bytes(buf, offset, size)
    return theirs.poll(PATIENCE_S) and bytes(theirs.recv_bytes())


@template("test_send_bytes_rejects_slices_outside_the_buffer", sample={"case": (b"", -1, None)})
def send_bytes_bad_slice(mp, case):
    data, offset, size = case
    ours, theirs = mp.Pipe()
    if size is None:
        sent = attempt(ours.send_bytes, data, offset)
    else:
        sent = attempt(ours.send_bytes, data, offset, size)
    sent_something = theirs.poll(0)
    ours.send_bytes(b"after")
    next_message = theirs.poll(PATIENCE_S) and theirs.recv_bytes()
    return sent, sent_something, next_message


@template(
    "test_recv_bytes_maxlength",
    within,
    sample={"message": b"\x00", "maxlength": 0, "duplex": False},
)
def recv_bytes_maxlength(mp, message, maxlength, duplex):
    reader, writer = mp.Pipe(duplex=duplex)
    writer.send_bytes(message)
    reader.poll(PATIENCE_S)
    first = within(reader.recv_bytes, maxlength)
    if len(message) <= maxlength:
        return first
    return first, within(reader.recv_bytes)  # CPython: OSError, and the end stays unreadable


@template("test_recv_raises_eof_error_after_peer_closed", within)
def recv_after_peer_closed(mp):
    # The property draws the messages sent before close(); these two stand for any.
    reader, writer = mp.Pipe()
    for item in ["a", 1]:
        writer.send(item)
    writer.close()
    received = [reader.poll(PATIENCE_S) and reader.recv() for _ in range(2)]
    return received, within(reader.recv)


@template("test_poll_is_true_at_end_of_file")
def poll_at_end_of_file(mp):
    reader, writer = mp.Pipe()
    writer.close()
    return reader.poll(PATIENCE_S), reader.poll()


@template("test_closed_connection_raises_os_error", within)
def closed_connection(mp):
    # The property draws one end and one operation; this tries each operation every
    # connection class has on the first end.
    conn = mp.Pipe()[0]
    conn.close()
    return {
        "send": within(conn.send, "x"),
        "recv": within(conn.recv),
        "poll": within(conn.poll),
        "send_bytes": within(conn.send_bytes, b"x"),
        "recv_bytes": within(conn.recv_bytes),
    }


@template("test_a_connection_closes_when_its_with_block_ends", within, sample={"variant": "True"})
def with_block_closes(mp, variant):
    reader, writer = mp.Pipe(duplex=variant == "True")  # the property's parameter: duplex
    with reader:
        with writer as entered:
            gave_itself = entered is writer
        writer_closed = attempt(getattr, writer, "closed")
        at_end = within(reader.recv)
    return gave_itself, writer_closed, at_end, attempt(getattr, reader, "closed")


@template(
    "test_client_with_right_authkey_connects",
    client_sends,
    within,
    sample={"family": "AF_UNIX", "authkey": b"\x00", "message": None},
)
def client_connects(mp, family, authkey, message):
    connection = module("connection")
    address = ("127.0.0.1", 0) if family == "AF_INET" else None
    with connection.Listener(address, family=family, authkey=authkey) as listener:
        args = (connection.Client, listener.address, family, authkey, message)
        child = mp.Process(target=client_sends, args=args)
        child.start()
        conn = within(listener.accept)
        if not hasattr(conn, "recv"):
            child.join(PATIENCE_S)
            return "accept() gave", conn
        received = conn.recv() if conn.poll(PATIENCE_S) else "nothing"
        conn.send("reply")
        child.join(PATIENCE_S)
        conn.close()
    return received == message, child.exitcode


@template("test_send_of_an_unpicklable_object_raises_and_sends_nothing", Refuses, send_all)
def send_unpicklable(mp):
    reader, writer = mp.Pipe(duplex=False)
    refused = attempt(writer.send, Refuses())
    child = mp.Process(target=send_all, args=(writer, ["after"]))
    child.start()
    got = reader.poll(PATIENCE_S) and reader.recv()
    child.join(PATIENCE_S)
    return refused, got if got == "after" else type(got).__name__
