"""Interop: the backend's connections and managers against CPython's in another interpreter.

Real systems mix them: a billiard worker reporting to a stdlib listener, a service on Python
3.12 whose manager a 3.11 client uses. What must agree is the wire: the authentication
handshake, pickled messages and the manager protocol. Each property runs against two peers
(:mod:`mpconform.peers`): CPython's multiprocessing on this Python, and on a Python across
3.12's handshake change when one is installed. ``client`` properties have the backend connect
to the peer, ``server`` properties the peer connect to the backend: the report's interop table
shows the two roles side by side for every backend and peer.

The documentation promises none of this across versions; CPython keeps its protocols
compatible (3.12 negotiates the new digest and still answers older clients), so CPython's
behaviour is the spec. The backend's side runs in the test process; nothing here depends on
the start method (the manager a peer uses is started by it, once), so these run under one.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mpconform import peers, warm
from mpconform.conformance import children_interop as kids
from mpconform.conformance.children_common import describe
from mpconform.conformance.listeners import FAMILY_NAMES, accept, listen
from mpconform.conformance.strategies import payloads
from mpconform.outcomes import Unsupported
from mpconform.plugin import SETTINGS, name_peer, only_first_start_method
from mpconform.profiles import budget
from mpconform.target import Target
from mpconform.waiting import in_thread, receive, wait_until

pytestmark = [
    pytest.mark.mp_area("Interop across backends and Pythons"),
    pytest.mark.mp_basis("cpython"),
]

FAMILIES = st.sampled_from(FAMILY_NAMES)
AUTHKEYS = st.binary(min_size=1, max_size=32)
# Builtin values only: the peer has nothing else to unpickle them with.
MESSAGES = st.lists(payloads(), min_size=1, max_size=3)
# Every builtin type the payloads use, tried first by every exchange property: a derandomized
# budget may not draw each (a complex and a bytearray are what need dill on multiprocess's
# other side), and a difference must not depend on the seed.
EVERY_KIND = [
    (1, -2.5, 1j, "text", b"bytes", bytearray(b"ba"), None, True, [3, (4,)], {"k": (5,)}),
    ({6}, frozenset({7}), 2**70),
]
PEERS = ["same-python", "across-3.12"]


@pytest.fixture(params=PEERS)
def peer(request: pytest.FixtureRequest, mp: Target) -> Iterator[peers.Peer]:
    """The session's peer interpreter: this Python, or one across 3.12's handshake change."""
    only_first_start_method(mp, request, "the wire protocols do not depend on the start method")
    if mp.memory_model == "shared":
        raise Unsupported(
            "a thread backend's connections and managers are queues and objects of "
            "this process: no other interpreter can reach them"
        )
    interpreter = (
        peers.this_interpreter()
        if request.param == "same-python"
        else request.config.stash[SETTINGS].peer_python or peers.across_handshake_change()
    )
    if interpreter is None:
        side = "3.11 or older" if peers.this_interpreter().version >= (3, 12) else "3.12+"
        pytest.skip(
            f"no Python {side} found on PATH or in pyenv: install one, or name it with "
            "--peer-python"
        )
    with peers.borrowed(interpreter) as found:
        name_peer(request.node, found.name)
        yield found


def same(got: list, sent: list, what: str) -> None:
    assert [describe(v) for v in got] == [describe(v) for v in sent], (
        f"{what}: sent {sent!r}, got back {got!r}"
    )


def echoed(conn: Any, messages: list, peer: peers.Peer) -> None:
    """Send each message over ``conn`` and check that the peer's echo is the same value.

    When the peer stops answering, its own account says why (a message it could not
    unpickle), rather than the EOFError this side sees."""
    got = []
    try:
        for message in messages:
            conn.send(message)
            got.append(receive(conn, peer, f"{peer.name}'s echo"))
    except (EOFError, OSError) as exc:
        failures = peer.call("echo_failures")
        if not failures:
            raise
        raise AssertionError(
            f"{peer.name} could not read the backend's message: {failures[-1]}"
        ) from exc
    same(got, messages, f"through {peer.name}")


@contextlib.contextmanager
def peer_listener(peer: peers.Peer, family: str, authkey: bytes) -> Iterator[Any]:
    address = peer.call("listen", family, authkey)
    try:
        yield address
    finally:
        peer.call("unlisten", address)


def refused(mp: Target, call: Any, what: str) -> None:
    """``call()`` (bounded by the caller) raises the backend's AuthenticationError, said
    plainly otherwise."""
    try:
        call()
    except mp.AuthenticationError:
        return
    except Exception as exc:
        raise AssertionError(
            f"{what} raised {type(exc).__name__}: {exc}; CPython raises AuthenticationError"
        ) from exc
    raise AssertionError(f"{what} succeeded; CPython refuses it with AuthenticationError")


# -- connections -------------------------------------------------------------------------------


@pytest.mark.mp_catches("mutants.interop:tuples_to_lists")
@pytest.mark.mp_peer("client")
@pytest.mark.mp_requires("connection.Client")
@pytest.mark.mp_api(
    "connection.Client",
    "connection.Client(address)",
    "connection.Client(authkey)",
    "connection.Client(family)",
    "connection.Connection.recv",
    "connection.Connection.send",
)
def test_a_client_talks_to_a_listener_of_another_interpreter(mp, peer):
    """A Client of the backend connects to CPython's Listener in another interpreter, and
    every message comes back unchanged."""

    @budget("process")
    @example(family="AF_INET", authkey=b"key", messages=EVERY_KIND)
    @given(family=FAMILIES, authkey=AUTHKEYS, messages=MESSAGES)
    def check(family: str, authkey: bytes, messages: list) -> None:
        with peer_listener(peer, family, authkey) as address:
            conn = in_thread(
                lambda: mp.connection.Client(address, family=family, authkey=authkey),
                f"Client() to {peer.name}",
            )
            with conn:
                echoed(conn, messages, peer)

    check()


@pytest.mark.mp_catches("mutants.interop:tuples_to_lists")
@pytest.mark.mp_peer("server")
@pytest.mark.mp_requires("connection.Listener")
@pytest.mark.mp_api(
    "connection.Listener",
    "connection.Listener(address)",
    "connection.Listener(authkey)",
    "connection.Listener(family)",
    "connection.Listener.accept",
    "connection.Listener.address",
)
def test_a_listener_serves_a_client_of_another_interpreter(mp, peer):
    """A Listener of the backend accepts CPython's Client from another interpreter, and every
    message comes back unchanged."""

    @budget("process")
    @example(family="AF_INET", authkey=b"key", messages=EVERY_KIND)
    @given(family=FAMILIES, authkey=AUTHKEYS, messages=MESSAGES)
    def check(family: str, authkey: bytes, messages: list) -> None:
        with listen(mp, family, authkey) as listener:
            number = peer.send("connect", listener.address, family, authkey)
            with accept(listener, family) as conn:
                outcome = peer.answer(number, "connection")
                assert outcome[0] == "connected", f"{peer.name}'s Client was refused: {outcome}"
                echoed(conn, messages, peer)

    check()


@pytest.mark.mp_catches("mutants.interop:authkey_ignored")
@pytest.mark.mp_peer("client")
@pytest.mark.mp_requires("connection.Client", "AuthenticationError")
@pytest.mark.mp_api("AuthenticationError", "connection.Client", "connection.Client(authkey)")
def test_a_listener_of_another_interpreter_refuses_a_wrong_authkey(mp, peer):
    """CPython's Listener in another interpreter refuses the backend's Client with a wrong
    authkey, and both sides raise AuthenticationError."""

    @budget("process")
    @given(family=FAMILIES, keys=st.lists(AUTHKEYS, min_size=2, max_size=2, unique=True))
    def check(family: str, keys: list[bytes]) -> None:
        right, wrong = keys
        with peer_listener(peer, family, right) as address:

            def connect() -> None:
                mp.connection.Client(address, family=family, authkey=wrong).close()

            what = f"Client() with a wrong authkey to {peer.name}"
            refused(mp, lambda: in_thread(connect, what), what)
            # The client may read the refusal before the peer's accept() has raised.
            seen: list[str] = []

            def accept_ended(slice_: float) -> bool:
                seen[:] = peer.call("refused", address)
                if not seen:
                    time.sleep(slice_)
                return bool(seen)

            wait_until(accept_ended, f"{peer.name}'s accept() to end", [peer])
            assert seen == ["AuthenticationError"], (
                f"{peer.name}'s Listener did not refuse the backend's Client with "
                f"AuthenticationError: its accept() raised {seen}"
            )

    check()


@pytest.mark.mp_catches("mutants.interop:authkey_ignored")
@pytest.mark.mp_peer("server")
@pytest.mark.mp_requires("connection.Listener", "AuthenticationError")
@pytest.mark.mp_api(
    "AuthenticationError", "connection.Listener(authkey)", "connection.Listener.accept"
)
def test_a_listener_refuses_a_client_of_another_interpreter_with_a_wrong_authkey(mp, peer):
    """A Listener of the backend refuses CPython's Client from another interpreter with a wrong
    authkey, and both sides raise AuthenticationError."""

    @budget("process")
    @given(family=FAMILIES, keys=st.lists(AUTHKEYS, min_size=2, max_size=2, unique=True))
    def check(family: str, keys: list[bytes]) -> None:
        right, wrong = keys
        with listen(mp, family, right) as listener:
            number = peer.send("connect", listener.address, family, wrong)
            refused(mp, lambda: accept(listener, family).close(), "accept() of a wrong authkey")
            outcome = peer.answer(number, "connection")
            assert outcome[:2] == ("refused", "AuthenticationError"), (
                f"{peer.name}'s Client with a wrong authkey ended {outcome}; CPython's Client "
                "raises AuthenticationError"
            )

    check()


# -- managers ----------------------------------------------------------------------------------


def box_manager(mp: Target, register: bool) -> Any:
    """A BaseManager subclass of the backend with ``Box`` registered (with its class when the
    backend serves it, without when it only connects)."""
    mp.require("managers.BaseManager")

    # A class of the backend's own BaseManager, whatever module provides it.
    BoxManager: Any = type("BoxManager", (mp.managers.BaseManager,), {})
    if register:
        BoxManager.register("Box", kids.Box)
    else:
        BoxManager.register("Box")
    return BoxManager


@contextlib.contextmanager
def served_manager(mp: Target) -> Iterator[tuple[Any, bytes]]:
    """A started manager of the backend serving ``Box``, kept for the session, and its key."""
    authkey = os.urandom(16)

    def make() -> warm.Kept:
        manager = box_manager(mp, register=True)(authkey=authkey, ctx=mp.ctx)
        before = set(mp.active_children())
        manager.start()
        procs = [p for p in mp.active_children() if p not in before]
        return warm.Kept(
            (manager, authkey),
            pids=lambda: [p.pid for p in procs if isinstance(p.pid, int)],
            close=lambda: in_thread(manager.shutdown, "the interop manager's shutdown()"),
            healthy=lambda: all(p.is_alive() for p in procs),
        )

    with warm.borrowed(("interop manager", mp.id), make) as kept:
        yield kept


@pytest.mark.mp_catches("mutants.interop:tuples_to_lists")
@pytest.mark.mp_peer("client")
@pytest.mark.mp_api(
    "managers.BaseManager",
    "managers.BaseManager(address)",
    "managers.BaseManager(authkey)",
    "managers.BaseManager.connect",
    "managers.BaseManager.register",
)
def test_a_manager_of_another_interpreter_serves_the_backend(mp, peer):
    """A BaseManager of the backend connects to CPython's manager server in another
    interpreter, and a proxy from it stores and returns any value unchanged."""
    authkey = os.urandom(16)
    address = peer.call("serve_manager", authkey)
    manager = box_manager(mp, register=False)(address=address, authkey=authkey)
    in_thread(manager.connect, f"connect() to {peer.name}'s manager")
    box = in_thread(manager.Box, f"a Box of {peer.name}'s manager")

    @budget("process")
    @example(values=EVERY_KIND)
    @given(values=MESSAGES)
    def check(values: list) -> None:
        got = []
        for value in values:
            in_thread(functools.partial(box.set, value), "Box.set()")
            got.append(in_thread(box.get, "Box.get()"))
        same(got, values, f"through {peer.name}'s manager")

    check()


@pytest.mark.mp_catches("mutants.interop:tuples_to_lists")
@pytest.mark.mp_peer("server")
@pytest.mark.mp_api(
    "managers.BaseManager",
    "managers.BaseManager(authkey)",
    "managers.BaseManager.address",
    "managers.BaseManager.register",
    "managers.BaseManager.start",
)
def test_a_manager_serves_a_client_of_another_interpreter(mp, peer):
    """A started BaseManager of the backend serves CPython's manager client in another
    interpreter: a proxy there stores and returns any value unchanged."""
    with served_manager(mp) as (manager, authkey):

        @budget("process")
        @example(values=EVERY_KIND)
        @given(values=MESSAGES)
        def check(values: list) -> None:
            got = peer.call("use_manager", manager.address, authkey, values)
            same(got, values, f"through a client in {peer.name}")

        check()
