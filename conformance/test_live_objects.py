"""Passing live objects to processes that are already running.

Most objects reach a child as Process arguments at its creation. Some can also be sent to a
process that already runs: a Connection end (through a Pipe or a Queue), a manager proxy, an
address to connect a Client to. The synchronized objects (Queue, Lock, Value...) cannot: they
are shared by inheritance only, and sending one later raises RuntimeError in CPython.

Every property drives one agent (:class:`mpconform.agents.Standby`) that is running before
anything is sent to it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpconform import agents
from mpconform.agents import Standby, standby
from mpconform.conformance import children_live_objects as kids
from mpconform.conformance.strategies import payloads
from mpconform.limits import scaled
from mpconform.outcomes import TestTimeout, Unsupported
from mpconform.profiles import budget
from mpconform.target import Target
from mpconform.waiting import LIVENESS, in_thread, receive

pytestmark = pytest.mark.mp_area("Passing live objects")

MESSAGES = st.lists(payloads(), min_size=1, max_size=4)


def require_processes(mp: Target) -> None:
    """Threads share every object: nothing is pickled, so nothing here applies."""
    if mp.memory_model == "shared":
        raise Unsupported("children are threads: objects are shared, not sent")


@contextlib.contextmanager
def agent_for(mp: Target) -> Iterator[Standby]:
    """The running agent; it starts with a Queue to take objects from (see :func:`queue_of`)."""

    def prepare() -> tuple[tuple, tuple]:
        queue = mp.Queue()
        return (queue,), (queue,)

    with standby(mp, kids.COMMANDS, prepare, name="the running agent") as srv:
        yield srv


def queue_of(srv: Standby) -> Any:
    """The Queue the current agent was started with (renewed with the agent)."""
    return srv.kept[0]


# -- Connections -------------------------------------------------------------------------------


@pytest.mark.mp_catches("mutants.live_objects:connection_inherited_only")
@pytest.mark.mp_api("Pipe", "Queue.put", "connection.Connection", "connection.Connection.send")
@pytest.mark.parametrize("via", ["Pipe", "Queue"])
def test_a_connection_sent_to_a_running_process_carries_messages_there(
    mp: Target, via: str
) -> None:
    """A Connection end sent to a running process, through a Pipe or a Queue, works there.

    The documentation: Connection objects are picklable, so one end of a pipe can be handed
    to a process started before the pipe existed. Messages then go both ways over it.
    """
    require_processes(mp)
    with agent_for(mp) as srv:

        @given(messages=MESSAGES)
        @budget("process")
        def check(messages: list[Any]) -> None:
            with srv.example() as agent:
                ours, theirs = mp.Pipe()  # the agent answers, so both directions are needed
                with ours, theirs:
                    if via == "Pipe":
                        opened = agent.call("adopt", theirs).get()
                    else:
                        queue_of(srv).put(theirs)
                        opened = agent.call("adopt_from_queue").get()
                    assert opened, f"the Connection sent through a {via} arrived closed"
                    theirs.close()  # the agent's copy is its own now
                    for message in messages:
                        ours.send(message)
                    agent.send("relay", len(messages))
                    for message in messages:
                        got = receive(ours, agent.proc, "the agent's answer")
                        assert got == ("echo", message), f"sent {message!r}, came back {got!r}"
                    assert agent.reply("the relay's end").get() == len(messages)
                    agent.call("drop").get()
                    extra = agents.outcome(ours.recv)  # the agent closed its end: end of file
                    assert extra.is_a("EOFError"), (
                        f"after its answers the agent's end {extra.show()}"
                    )

        check()


# -- objects shared by inheritance only --------------------------------------------------------

INHERITED = {
    "Queue": lambda mp: mp.Queue(),
    "SimpleQueue": lambda mp: mp.SimpleQueue(),
    "JoinableQueue": lambda mp: mp.JoinableQueue(),
    "Lock": lambda mp: mp.Lock(),
    "RLock": lambda mp: mp.RLock(),
    "Semaphore": lambda mp: mp.Semaphore(),
    "BoundedSemaphore": lambda mp: mp.BoundedSemaphore(),
    "Condition": lambda mp: mp.Condition(),
    "Event": lambda mp: mp.Event(),
    "Barrier": lambda mp: mp.Barrier(2),
    "Value": lambda mp: mp.Value("i", 0),
    "Array": lambda mp: mp.Array("i", 3),
}


@pytest.mark.mp_catches("mutants.live_objects:lock_pickles_anytime")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api(*sorted(INHERITED))
@pytest.mark.parametrize("kind", sorted(INHERITED))
def test_objects_shared_by_inheritance_refuse_to_be_sent_later(mp: Target, kind: str) -> None:
    """Sending a Queue, lock or shared value to a running process raises RuntimeError.

    The documentation says these objects are shared "through inheritance" (as Process
    arguments); CPython refuses to pickle them at any other time, so nothing reaches the
    other end and the sender learns at once instead of the receiver holding a dead copy.
    """
    require_processes(mp)
    mp.require(kind)
    obj = INHERITED[kind](mp)
    ours, theirs = mp.Pipe()
    with ours, theirs:
        with pytest.raises(RuntimeError):
            ours.send(obj)
        assert not theirs.poll(0), f"a {kind} reached the other end"
    if hasattr(obj, "close"):
        obj.close()


# -- manager proxies ---------------------------------------------------------------------------


@pytest.mark.mp_catches("mutants.live_objects:list_proxy_sent_as_copy")
@pytest.mark.mp_api(
    "managers.BaseProxy",
    "managers.SyncManager.Queue",
    "managers.SyncManager.dict",
    "managers.SyncManager.list",
)
def test_a_proxy_sent_to_a_running_process_works_there(mp: Target) -> None:
    """A manager proxy sent to a running process works there like in its creator.

    The documentation: proxy objects are picklable, so they can be passed between processes;
    what the running process does through it (put, extend, update) is seen by the creator.
    """
    require_processes(mp)
    mp.require("Manager")
    with agent_for(mp) as srv, mp.Manager() as manager:

        @given(
            kind=st.sampled_from(["Queue", "list", "dict"]),
            values=st.lists(st.integers(), max_size=5),
        )
        @budget("process")
        def check(kind: str, values: list[int]) -> None:
            proxy = getattr(manager, kind)()
            with srv.example() as agent:
                assert agent.call("use_proxy", proxy, kind, values).get() == len(values)
            if kind == "Queue":
                got = [proxy.get(timeout=LIVENESS) for _ in values]
            elif kind == "list":
                got = list(proxy)
            else:
                got = [proxy[i] for i in range(len(proxy))]
            assert got == values, f"the running process put {values} in the {kind} proxy; {got}"

        check()


# -- Listener and Client -----------------------------------------------------------------------


def wake(listener: Any, family: str) -> None:
    """Connect a bare socket, which ends a Listener's accept() that nobody else will end."""
    kind = socket.AF_INET if family == "AF_INET" else socket.AF_UNIX
    with contextlib.suppress(OSError), socket.socket(kind) as sock:
        sock.connect(listener.address)


@pytest.mark.mp_catches(
    "mutants.live_objects:listener_close_ignored", "mutants.live_objects:listener_forgets_client"
)
@pytest.mark.mp_api(
    "connection.Client",
    "connection.Client(address)",
    "connection.Client(family)",
    "connection.Listener",
    "connection.Listener(address)",
    "connection.Listener(family)",
    "connection.Listener.accept",
    "connection.Listener.address",
    "connection.Listener.close",
    "connection.Listener.last_accepted",
)
@pytest.mark.parametrize("family", ["AF_INET", "AF_UNIX", None])
def test_listener_address_and_last_accepted_of_each_family(mp: Target, family: str | None) -> None:
    """A Listener of each family has a usable address, a running process's Client reaches it.

    An AF_INET Listener asked for port 0 reports the port it got; an AF_UNIX one (and one of
    the default family, AF_UNIX on Linux, given no address) reports a socket path that exists
    until close(). last_accepted is None until a connection was accepted, then the client's
    address: a (host, port) pair for AF_INET. After close() no Client reaches the address.
    """
    require_processes(mp)
    mp.require("connection.Listener", "connection.Client")
    address = ("127.0.0.1", 0) if family == "AF_INET" else None
    with agent_for(mp) as srv, srv.example() as agent:
        listener = mp.connection.Listener(address, family=family)
        used = family or "AF_UNIX"
        try:
            before = listener.last_accepted
            assert before is None, f"before any accept() last_accepted is {before!r}, not None"
            where = listener.address
            if used == "AF_INET":
                assert isinstance(where, tuple) and where[1] != 0, f"AF_INET address is {where!r}"
            else:
                assert isinstance(where, str) and os.path.exists(where), (
                    f"the AF_UNIX address {where!r} is not a path that exists"
                )
            agent.send("connect", mp.connection.Client, where, family, "hello")
            accepted = in_thread(
                listener.accept, "listener.accept()", LIVENESS, lambda: wake(listener, used)
            )
            with accepted as conn:
                assert receive(conn, agent.proc, "the client's message") == "hello"
                conn.send("welcome")
                assert agent.reply("the client's answer").get() == "welcome"
            last = listener.last_accepted
            if used == "AF_INET":
                assert isinstance(last, tuple) and last[0] == "127.0.0.1" and last[1] > 0, (
                    f"last_accepted is {last!r}, not the client's (host, port)"
                )
        finally:
            listener.close()
        if used == "AF_UNIX":
            assert not os.path.exists(where), f"the socket file {where} is left after close()"
        late = agents.outcome(mp.connection.Client, where, family=family)
        assert late.is_a("OSError"), f"Client() to a closed Listener {late.show()}"


# -- authentication and remote managers --------------------------------------------------------

AUTHKEYS = st.binary(min_size=1, max_size=32)


@pytest.mark.mp_catches("mutants.live_objects:refusal_unnoticed")
@pytest.mark.mp_api(
    "AuthenticationError",
    "connection.answer_challenge",
    "connection.answer_challenge(authkey)",
    "connection.answer_challenge(connection)",
    "connection.deliver_challenge",
    "connection.deliver_challenge(authkey)",
    "connection.deliver_challenge(connection)",
)
def test_deliver_and_answer_challenge_authenticate_both_ends(mp: Target) -> None:
    """deliver_challenge() and answer_challenge() with one key authenticate both ends.

    With different keys both raise AuthenticationError: the end that delivers the challenge
    refuses the answer, and the answering end learns it was refused. The ends are the two
    sides of a Pipe, one of them in a running process.
    """
    require_processes(mp)
    mp.require("AuthenticationError")
    with agent_for(mp) as srv:

        @given(keys=st.lists(AUTHKEYS, min_size=2, max_size=2), same=st.booleans())
        @budget("process")
        def check(keys: list[bytes], same: bool) -> None:
            ours_key, theirs_key = (keys[0], keys[0]) if same else keys
            same = ours_key == theirs_key
            with srv.example() as agent:
                ours, theirs = mp.Pipe()
                with ours, theirs:
                    agent.call("adopt", theirs).get()
                    agent.send("answer", mp.connection.answer_challenge, theirs_key)
                    delivered = agents.outcome(
                        in_thread,
                        lambda: mp.connection.deliver_challenge(ours, ours_key),
                        "deliver_challenge()",
                    )
                    answered = agent.reply("the answer's outcome")
                    agent.call("drop").get()
                if same:
                    assert delivered.ok and answered.ok, (
                        f"with one key deliver_challenge() {delivered.show()} and "
                        f"answer_challenge() {answered.show()}"
                    )
                else:
                    name = mp.AuthenticationError.__name__
                    assert delivered.is_a(name) and answered.is_a(name), (
                        f"with different keys deliver_challenge() {delivered.show()} and "
                        f"answer_challenge() {answered.show()}; both raise {name} in CPython"
                    )

        check()


@pytest.mark.mp_catches("mutants.live_objects:connect_does_nothing")
@pytest.mark.mp_api(
    "managers.BaseManager(address)",
    "managers.BaseManager(authkey)",
    "managers.BaseManager.connect",
    "managers.BaseManager.get_server",
)
def test_a_manager_served_with_get_server_is_used_through_connect(mp: Target) -> None:
    """A manager served by get_server().serve_forever() is used from another process via connect().

    The documentation's "using a remote manager": one process serves a registered type at an
    address with an authkey; another makes a manager of the same class for that address and
    key, connect()s, and the objects it creates live in the server.
    """
    require_processes(mp)
    mp.require("managers.BaseManager")
    from mpconform.conformance.children_managers import counter_manager

    key = os.urandom(16)
    ours, theirs = mp.Pipe(duplex=False)
    server = mp.Process(target=kids.serve_counter_manager, args=(mp.managers.__name__, key, theirs))
    server.start()
    theirs.close()
    try:
        address = receive(ours, server, "the server's address")
        client = counter_manager(mp.managers)(address=tuple(address), authkey=key)
        client.connect()
        counter = client.Counter(5)
        assert counter.increment(2) == 7, "the served Counter did not count from 5"
        again = counter_manager(mp.managers)(address=tuple(address), authkey=key)
        again.connect()
        other = again.Counter(0)
        assert other.increment(1) == 1 and counter.increment(1) == 8, "the two objects mixed up"
    finally:
        ours.close()
        server.terminate()
        server.join(LIVENESS)


# A connect the kernel queues returns at once; one it refuses to queue blocks. This bounds it.
CONNECT_BOUND = scaled(10.0)


@pytest.mark.mp_catches("mutants.live_objects:backlog_ignored")
@pytest.mark.mp_api("connection.Listener(backlog)")
@pytest.mark.parametrize("family", ["AF_INET", "AF_UNIX"])
def test_a_listener_keeps_backlog_clients_waiting_until_accepted(mp: Target, family: str) -> None:
    """Up to backlog clients can connect before accept(), and each is then accepted in turn.

    The documentation passes backlog to the socket's listen(); the kernel may queue more, so
    only this lower bound is a promise. Clients without an authkey connect with no
    handshake, so they can all connect from this one process before any accept().
    """
    require_processes(mp)
    mp.require("connection.Listener", "connection.Client")
    backlog = 3
    address = ("127.0.0.1", 0) if family == "AF_INET" else None
    with mp.connection.Listener(address, family=family, backlog=backlog) as listener:
        clients: list[Any] = []

        def connect_all() -> None:
            for _ in range(backlog):
                clients.append(mp.connection.Client(listener.address, family=family))

        try:
            try:
                in_thread(connect_all, f"{backlog} connects", CONNECT_BOUND)
            except TestTimeout:
                raise AssertionError(
                    f"client {len(clients) + 1} of {backlog} could not connect before accept() "
                    f"(Listener(backlog={backlog})): its connect() still blocked after "
                    f"{CONNECT_BOUND:g} s"
                ) from None
            for i, client in enumerate(clients):
                client.send(i)
            got = []
            for _ in clients:
                accepted = in_thread(
                    listener.accept, "listener.accept()", LIVENESS, lambda: wake(listener, family)
                )
                with accepted as conn:
                    got.append(receive(conn, None, "a waiting client's message"))
            assert sorted(got) == list(range(backlog)), f"accepted clients sent {got}"
        finally:
            for client in clients:
                client.close()


@pytest.mark.mp_catches("mutants.live_objects:fork_lock_unchecked")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("Lock", "Process.start", "get_context(method)")
def test_a_lock_of_the_fork_context_is_refused_by_another_start_method(mp: Target) -> None:
    """A lock made by the fork context is refused by start() of a spawn or fork server child.

    The documentation: locks created using the fork context cannot be passed to processes
    started using the spawn or forkserver start methods. CPython's start() raises RuntimeError
    saying so, before any child runs; the fork column reads SKIP.
    """
    require_processes(mp)
    if mp.start_method == "fork" or "fork" not in mp.adapter.start_methods:
        pytest.skip("only a child of another start method can receive a fork context's lock")
    if sys.version_info < (3, 11):
        pytest.skip(
            "CPython refuses such a lock from Python 3.11 on; before, start() lets it through "
            "and the child crashes: no behaviour of this Python to compare with"
        )
    lock = mp.get_context("fork").Lock()
    child = mp.Process(target=kids.hold_briefly, args=(lock,))
    started = agents.outcome(child.start)
    if started.ok:
        finish_anyhow = agents.outcome(child.join, LIVENESS)
        raise AssertionError(
            f"start() accepted a fork context's lock for a {mp.start_method} child, which "
            f"ended with exitcode {child.exitcode} ({finish_anyhow.show()}); CPython raises "
            "RuntimeError"
        )
    assert started.is_a("RuntimeError"), f"start() {started.show()}; CPython raises RuntimeError"
