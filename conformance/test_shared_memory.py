"""multiprocessing.shared_memory: SharedMemory blocks, ShareableList and SharedMemoryManager.

A block is shared by its *name*: one process creates it, any other attaches with
``SharedMemory(name)``, with no Process argument in between. So every property here drives one
warm agent per start method (:func:`mpconform.agents.warm`) that attaches to what the test
created, and an example costs a few pipe round trips.

Blocks are named by the test with :func:`mpconform.semaphores.label` as prefix, so the
plugin's leak check finds one the backend failed to unlink, and an example that fails removes
its blocks itself (:func:`scrub`) instead of leaving them in /dev/shm.

What the documentation leaves open is CPython's behaviour on the running Python, read from the
standard library in this very process (:func:`reference_list`): the exact ``format`` string,
which exception a bad size or a missing name raises, that ``bytes`` and ``str`` items lose
trailing NUL bytes before Python 3.13. Those properties are marked ``mp_basis("cpython")``.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import multiprocessing.shared_memory
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mpconform import agents, semaphores
from mpconform.agents import Agent, Reply
from mpconform.conformance import children_programs as programs
from mpconform.conformance import children_shared_memory as kids
from mpconform.limits import scaled
from mpconform.outcomes import Unsupported
from mpconform.profiles import budget
from mpconform.target import Target

pytestmark = pytest.mark.mp_area("Shared memory: shared_memory blocks and lists")

PAGE = 4096
# A program of its own ends in well under a second on an idle machine; a liveness bound.
PROGRAM_BOUND = scaled(60.0)
_numbers = itertools.count()

# -- strategies --------------------------------------------------------------------------------

# The documented item types, at their documented limits: int is a signed 64-bit integer;
# str must encode to UTF-8 (no lone surrogates); str and bytes edge cases are the empty
# value, NUL bytes anywhere (trailing ones included) and multi-byte characters.
INTS = st.integers(-(2**63), 2**63 - 1)
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["", "\x00", "a\x00", "\x00a", "é" * 5, "😀", "x" * 8, "x" * 9]
)
BYTES = st.binary(max_size=12) | st.sampled_from([b"", b"\x00", b"a\x00\x00", b"\x00a", b"x" * 8])
ITEMS = st.one_of(INTS, FLOATS, st.booleans(), TEXT, BYTES, st.none())
VALUES = st.lists(ITEMS, max_size=8)


# -- helpers -----------------------------------------------------------------------------------


def block_name() -> str:
    """A fresh name the leak check recognises as this test process's."""
    return f"{semaphores.label()}-{next(_numbers)}"


def scrub(*names: str) -> None:
    """Remove blocks an example created, whatever state the backend left them in: a failing
    backend (or an unlink it never did) must not leave files in /dev/shm."""
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(semaphores.SHM_DIR, name.lstrip("/")))


@contextlib.contextmanager
def owned(block: Any, *, unlink: bool = True) -> Iterator[Any]:
    """A block the example created: closed and (unless the example does it) unlinked at the
    end. On the failure path errors of closing are suppressed, so the example's own error is
    the one reported, and the block is scrubbed."""
    try:
        yield block
    except BaseException:
        with contextlib.suppress(Exception):
            block.close()
        scrub(block.name)
        raise
    block.close()
    if unlink:
        block.unlink()


def module_of(mp: Target, what: str) -> Any:
    mp.require(f"shared_memory.{what}")
    return mp.shared_memory


@contextlib.contextmanager
def attacher(mp: Target, what: str) -> Iterator[tuple[Any, Agent]]:
    """The backend's shared_memory module (UNSUPPORTED without ``what``) and the warm agent
    of this start method, for every example of a property.

    A block is created (and unlinked) here first, as a program creates its first block before
    it starts workers: under fork the agent then shares the parent's resource tracker instead
    of starting one of its own, whose exit would report the test's blocks as leaked.
    """
    sm = module_of(mp, what)
    first = sm.SharedMemory(name=block_name(), create=True, size=1)
    first.close()
    first.unlink()
    with agents.warm(mp, kids.COMMANDS, name="the shared_memory agent") as agent:
        yield sm, agent


def shown(values: list[Any]) -> list[str]:
    """Items compared by repr: NaN equals itself, -0.0 differs from 0.0, True from 1."""
    return [repr(v) for v in values]


def contents(reply: Reply) -> tuple[Any, ...]:
    """How reading a whole list ended, comparably: its items, or the exception's class.

    Reading can raise: CPython before 3.13 sizes a str item's slot by its length in
    characters, so a str that encodes to more bytes is cut and fails to decode on every read.
    """
    return (shown(reply.value), ()) if reply.ok else (None, reply.raised[:1])


def same_outcome(got: Reply, expected: Reply) -> bool:
    """Same value, or the same exception class (messages may word it differently)."""
    return (got.value, got.raised[:1]) == (expected.value, expected.raised[:1])


def read_here(shared: Any) -> tuple[Any, ...]:
    return contents(agents.outcome(list, shared))


@contextlib.contextmanager
def reference_list(values: list[Any]) -> Iterator[Any]:
    """CPython's ShareableList of ``values`` on the running Python, in this process."""
    shared = multiprocessing.shared_memory.ShareableList(values, name=block_name())
    with owned(shared.shm):
        yield shared


# -- SharedMemory ------------------------------------------------------------------------------


@pytest.mark.mp_catches("mutants.shared_memory:private_attach")
@pytest.mark.mp_api(
    "shared_memory.SharedMemory",
    "shared_memory.SharedMemory(create)",
    "shared_memory.SharedMemory(name)",
    "shared_memory.SharedMemory(size)",
    "shared_memory.SharedMemory.buf",
    "shared_memory.SharedMemory.name",
    "shared_memory.SharedMemory.size",
)
def test_block_written_by_one_process_is_read_by_the_other(mp: Target) -> None:
    """A block written by one process is read by another that attached it by name.

    Each side's writes show to the other, at every offset up to the size asked for.

    ``name=None`` asks for a generated name, which the other process attaches with like any
    other; ``size`` may be rounded up by the platform, never down.
    """
    with attacher(mp, "SharedMemory") as (sm, agent):

        @given(
            size=st.integers(1, 3 * PAGE) | st.sampled_from([1, PAGE - 1, PAGE, PAGE + 1]),
            data=st.data(),
            named=st.booleans(),
        )
        @example(size=PAGE + 1, data=None, named=False)
        @budget("cheap")
        def check(size: int, data: Any, named: bool) -> None:
            if data is None:
                ours, theirs = b"\x01" * size, b"\x02" * size
            else:
                ours = data.draw(st.binary(min_size=1, max_size=size), label="parent writes")
                theirs = data.draw(st.binary(min_size=1, max_size=size), label="child writes")
            name = block_name() if named else None
            with owned(sm.SharedMemory(name=name, create=True, size=size)) as block:
                assert block.size >= size, f"size {block.size} < the {size} bytes requested"
                block.buf[size - len(ours) : size] = ours
                seen_name, seen_size = agent.run("attach_block", sm.__name__, block.name)
                assert seen_name == block.name, f"attached as {seen_name!r}, made as {block.name!r}"
                assert seen_size >= size, f"the child sees {seen_size} bytes of {size}"
                got = agent.run("read_block", block.name, size - len(ours), size)
                assert got == ours, (
                    f"the child read {got[:40]!r}..., the parent wrote {ours[:40]!r}..."
                )
                agent.run("write_block", block.name, 0, theirs)
                mine = bytes(block.buf[: len(theirs)])
                assert mine == theirs, (
                    f"the parent read {mine[:40]!r}..., the child wrote {theirs[:40]!r}..."
                )
                agent.run("close", block.name)

        check()


BAD_CALLS: dict[str, dict[str, Any]] = {
    "create=True, size=0": {"create": True, "size": 0},
    "create=True, size=-1": {"create": True, "size": -1},
    "create=False without a name": {"create": False},
    "a name nobody created": {"name": "missing"},
    "create=True with a taken name": {"name": "taken", "create": True, "size": 8},
}


@pytest.mark.mp_catches("mutants.shared_memory:taken_name_attached")
@pytest.mark.mp_basis("cpython")
@pytest.mark.parametrize("case", sorted(BAD_CALLS))
@pytest.mark.mp_api(
    "shared_memory.SharedMemory(create)",
    "shared_memory.SharedMemory(name)",
    "shared_memory.SharedMemory(size)",
)
def test_bad_names_and_sizes_raise_like_cpython(mp: Target, case: str) -> None:
    """Bad sizes and names raise the exception CPython raises and create nothing.

    A zero or negative size, create=False without a name, a name nobody created, and
    create=True with a name already taken.
    """
    sm = module_of(mp, "SharedMemory")
    missing = block_name()
    with owned(sm.SharedMemory(name=block_name(), create=True, size=8)) as taken:
        kwargs = dict(BAD_CALLS[case])
        if "name" in kwargs:
            kwargs["name"] = {"taken": taken.name, "missing": missing}[kwargs["name"]]
        got = agents.outcome(sm.SharedMemory, **kwargs)
        if got.ok:
            with owned(got.value, unlink=kwargs.get("name") != taken.name):
                pass
        expected = agents.outcome(multiprocessing.shared_memory.SharedMemory, **kwargs)
        assert got.raised[:1] == expected.raised[:1], (
            f"SharedMemory({kwargs}) {got.show()}; CPython {expected.show()}"
        )
        made = os.path.exists(os.path.join(semaphores.SHM_DIR, missing))
        scrub(missing)
        assert not made, f"SharedMemory({kwargs}) created {missing}"


@pytest.mark.mp_catches("mutants.shared_memory:unlink_ignored")
@pytest.mark.mp_api("shared_memory.SharedMemory.unlink")
def test_unlinked_block_cannot_be_attached_but_open_instances_keep_it(mp: Target) -> None:
    """After unlink() no process can attach the block, but open instances still share it.

    The documentation: unlink "requests that the underlying shared memory block be
    destroyed"; the memory itself goes when the last instance is closed.
    """
    with attacher(mp, "SharedMemory") as (sm, agent):

        @given(data=st.binary(min_size=1, max_size=64))
        @budget("cheap")
        def check(data: bytes) -> None:
            made = sm.SharedMemory(name=block_name(), create=True, size=len(data))
            with owned(made, unlink=False) as block:
                agent.run("attach_block", sm.__name__, block.name)
                block.unlink()
                again = agent.call("attach_block", sm.__name__, block.name)
                assert again.is_a("FileNotFoundError"), (
                    f"attaching {block.name!r} after unlink() {again.show()}, "
                    "CPython raises FileNotFoundError"
                )
                block.buf[: len(data)] = data
                got = agent.run("read_block", block.name, 0, len(data))
                assert got == data, (
                    f"after unlink() the child read {got!r}, the parent wrote {data!r}"
                )

        check()


@pytest.mark.mp_catches("mutants.shared_memory:close_unlinks")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("shared_memory.SharedMemory.buf", "shared_memory.SharedMemory.close")
def test_close_ends_only_this_instance(mp: Target) -> None:
    """close() ends only this instance: the block keeps its data and can be attached again.

    Only unlink() destroys a block. After close() CPython's ``buf`` is None (the documentation
    does not say), and a second close() is harmless.
    """
    with attacher(mp, "SharedMemory") as (sm, agent):

        @given(data=st.binary(min_size=1, max_size=64))
        @budget("cheap")
        def check(data: bytes) -> None:
            made = sm.SharedMemory(name=block_name(), create=True, size=len(data))
            with owned(made) as block:
                block.buf[: len(data)] = data
                agent.run("attach_block", sm.__name__, block.name)
                agent.run("close", block.name)
                after = agent.run("buf_after_close", block.name)
                assert after == "NoneType", f"after close() buf is a {after}; CPython's is None"
                second = agent.call("close", block.name)
                assert second.ok, f"a second close() {second.show()}; CPython's does nothing"
                kept = bytes(block.buf[: len(data)])
                assert kept == data, f"after the child's close() the block holds {kept!r}"
                again = agent.call("attach_block", sm.__name__, block.name)
                assert again.ok, f"attaching again after the child's close() {again.show()}"
                got = agent.run("read_block", block.name, 0, len(data))
                assert got == data, f"re-attached, the child read {got!r}; it holds {data!r}"

        check()


# -- ShareableList -----------------------------------------------------------------------------


@pytest.mark.mp_catches("mutants.shared_memory:bool_read_as_int")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api(
    "shared_memory.ShareableList",
    "shared_memory.ShareableList(name)",
    "shared_memory.ShareableList(sequence)",
)
def test_shareable_list_reads_the_same_in_every_process(mp: Target) -> None:
    """A ShareableList of every documented item type reads the same in every process.

    The types are int, float, bool, str, bytes and None. The creator and a process that
    attaches the list by name read what CPython's ShareableList of the same values reads
    (before Python 3.13 str and bytes items lose their trailing NUL bytes there).
    """
    with attacher(mp, "ShareableList") as (sm, agent):

        @given(values=VALUES)
        @example(values=[b"a\x00", "b\x00", "", b"", None, True, 0, -(2**63), 2**63 - 1])
        @example(values=[float("nan"), -0.0, float("inf"), "é😀", b"\x00" * 9])
        @budget("cheap")
        def check(values: list[Any]) -> None:
            with reference_list(values) as reference:
                expected = read_here(reference)
                name = block_name()
                with owned(sm.ShareableList(values, name=name).shm):
                    mine = read_here(sm.ShareableList(name=name))
                    assert mine == expected, f"the creator reads {mine}; CPython's list {expected}"
                    theirs = contents(agent.call("attach_list", sm.__name__, name))
                    assert theirs == expected, (
                        f"the child reads {theirs}; CPython's list {expected}"
                    )
                    agent.run("close", name)

        check()


@st.composite
def assignments(draw: Any) -> tuple[list[Any], list[tuple[int, Any]]]:
    values = draw(st.lists(ITEMS, min_size=1, max_size=6), label="values")
    index = st.integers(-len(values) - 1, len(values))
    return values, draw(st.lists(st.tuples(index, ITEMS), max_size=4), label="assignments")


@pytest.mark.mp_catches("mutants.shared_memory:overlong_item_cut")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("shared_memory.ShareableList", "shared_memory.ShareableList(name)")
def test_shareable_list_items_set_in_one_process_are_read_in_the_other(mp: Target) -> None:
    """ShareableList items set in one process are read in another, errors as in CPython.

    An item too long for its slot or an index out of range raises. Each assignment's outcome
    (None, or the exception class) and the final contents are those of CPython's
    ShareableList given the same assignments.
    """
    with attacher(mp, "ShareableList") as (sm, agent):

        @given(case=assignments())
        @example(case=(["ab", b"ab", 1], [(0, "much longer than ab"), (1, b"b"), (2, "s"), (3, 0)]))
        @budget("cheap")
        def check(case: tuple) -> None:
            values, changes = case
            with reference_list(values) as reference:
                shared = sm.ShareableList(values, name=block_name())
                with owned(shared.shm) as block:
                    agent.call("attach_list", sm.__name__, block.name)  # may raise: contents()
                    for index, value in changes:
                        got = agent.call("set_item", block.name, index, value)
                        expected = agents.outcome(reference.__setitem__, index, value)
                        assert got.raised[:1] == expected.raised[:1], (
                            f"the child's list[{index}] = {value!r} {got.show()}; "
                            f"CPython's {expected.show()}"
                        )
                    mine, want = read_here(shared), read_here(reference)
                    assert mine == want, f"the creator reads {mine}; CPython's list reads {want}"
                    agent.run("close", block.name)

        check()


@st.composite
def probes(draw: Any) -> tuple[list[Any], Any]:
    values = draw(VALUES, label="values")
    probe = draw(st.sampled_from(values) | ITEMS if values else ITEMS, label="probe")
    return values, probe


@pytest.mark.mp_catches("mutants.shared_memory:index_absent_is_minus_one")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api(
    "shared_memory.ShareableList.count",
    "shared_memory.ShareableList.count(value)",
    "shared_memory.ShareableList.format",
    "shared_memory.ShareableList.index",
    "shared_memory.ShareableList.index(value)",
    "shared_memory.ShareableList.shm",
)
def test_shareable_list_count_index_format_and_shm_describe_its_items(mp: Target) -> None:
    """count(), index(), format and shm of an attached ShareableList are CPython's.

    count() and index() find items as a list does (index() raising ValueError when absent),
    and shm is the block of the list's name, in any process that attaches it.
    """
    with attacher(mp, "ShareableList") as (sm, agent):

        @given(case=probes())
        @example(case=([1, True, 1.0, "1", b"1"], 1))
        @example(case=(["a", None], "b"))
        @example(case=(["0\x80\x80\U00010000"], "0\x80\x80\U00010000"))
        @budget("cheap")
        def check(case: tuple) -> None:
            values, probe = case
            with reference_list(values) as reference:
                shared = sm.ShareableList(values, name=block_name())
                with owned(shared.shm) as block:
                    agent.call("attach_list", sm.__name__, block.name)  # may raise: contents()
                    length, fmt, shm_name = agent.run("describe_list", block.name)
                    assert length == len(values), f"len() is {length} for {len(values)} items"
                    assert shm_name == block.name, f"shm.name is {shm_name!r}, not {block.name!r}"
                    want = reference.format
                    assert fmt == want, f"format is {fmt!r}; CPython's {want!r}"
                    # count() reads every item, which can raise (see contents()): compared as
                    # outcomes, like index().
                    counted = agent.call("count", block.name, probe)
                    expected = agents.outcome(reference.count, probe)
                    assert same_outcome(counted, expected), (
                        f"count({probe!r}) {counted.show()}; CPython's {expected.show()}"
                    )
                    got = agent.call("index", block.name, probe)
                    expected = agents.outcome(reference.index, probe)
                    assert same_outcome(got, expected), (
                        f"index({probe!r}) {got.show()}; CPython's {expected.show()}"
                    )
                    agent.run("close", block.name)

        check()


# -- SharedMemoryManager -----------------------------------------------------------------------


@pytest.mark.mp_catches("mutants.shared_memory:client_side_blocks")
@pytest.mark.mp_api(
    "managers.SharedMemoryManager",
    "managers.SharedMemoryManager.ShareableList",
    "managers.SharedMemoryManager.ShareableList(sequence)",
    "managers.SharedMemoryManager.SharedMemory",
    "managers.SharedMemoryManager.SharedMemory(size)",
)
def test_shared_memory_manager_unlinks_its_blocks_at_shutdown(mp: Target) -> None:
    """A SharedMemoryManager's blocks are shared while it runs and gone after shutdown.

    Other processes attach its SharedMemory blocks and ShareableLists by name.
    """
    mp.require("managers.SharedMemoryManager")
    with attacher(mp, "ShareableList") as (sm, agent):

        @given(values=st.lists(st.lists(ITEMS, max_size=4), min_size=1, max_size=3))
        @budget("heavy")
        def check(values: list[list[Any]]) -> None:
            names: list[str] = []
            manager = mp.managers.SharedMemoryManager(ctx=mp.ctx)
            manager.start()
            try:
                for items in values:
                    shared = manager.ShareableList(items)
                    block = manager.SharedMemory(size=8)
                    block.buf[:3] = b"abc"
                    names += [shared.shm.name, block.name]
                    with reference_list(items) as reference:
                        want = read_here(reference)
                    got = contents(agent.call("attach_list", sm.__name__, shared.shm.name))
                    assert got == want, f"the child reads {got}; CPython's list reads {want}"
                    agent.run("attach_block", sm.__name__, block.name)
                    seen = agent.run("read_block", block.name, 0, 3)
                    assert seen == b"abc", f"the child read {seen!r} from the manager's block"
                    for name in (shared.shm.name, block.name):
                        agent.run("close", name)
                        agent.run("forget", name)
                    shared.shm.close()
                    block.close()
            finally:
                manager.shutdown()
                shm = semaphores.SHM_DIR
                left = [n for n in names if os.path.exists(os.path.join(shm, n.lstrip("/")))]
                scrub(*left)
            assert not left, f"after shutdown() these blocks are still there: {left}"
            for name in names:
                gone = agent.call("attach_block", sm.__name__, name)
                assert gone.is_a("FileNotFoundError"), (
                    f"attaching {name!r} after shutdown {gone.show()}"
                )

        check()


@pytest.mark.mp_catches("mutants.shared_memory:track_ignored")
@pytest.mark.mp_api("shared_memory.SharedMemory(track)")
def test_an_untracked_block_outlives_the_program_that_made_it(mp: Target) -> None:
    """A block made with track=False stays after its program ends, and nothing is reported.

    Python 3.13 documents ``track``: with False the block is not registered with the
    resource tracker, so the tracker neither unlinks it at the program's end nor warns about
    it. The program runs in an interpreter of its own; earlier Pythons read SKIP.
    """
    if sys.version_info < (3, 13):
        pytest.skip("track= is documented from Python 3.13")
    sm = module_of(mp, "SharedMemory")
    if "track" not in inspect.signature(sm.SharedMemory).parameters:
        raise Unsupported(f"{mp.adapter.name}'s SharedMemory has no track parameter")
    name = block_name()
    try:
        done = subprocess.run(
            programs.command("untracked_block", mp.spec, mp.start_method, name),
            capture_output=True,
            text=True,
            timeout=PROGRAM_BOUND,
        )
        assert done.returncode == 0, f"the program failed:\n{done.stderr[-3000:]}"
        exists = os.path.exists(os.path.join(semaphores.SHM_DIR, name))
        assert exists, "the block made with track=False was unlinked when its program ended"
        assert "leaked" not in done.stderr, f"the program's exit reported: {done.stderr[-500:]}"
    finally:
        scrub(name)


@pytest.mark.mp_catches("mutants.shared_memory:smm_address_ignored")
@pytest.mark.mp_api(
    "managers.SharedMemoryManager(address)", "managers.SharedMemoryManager(authkey)"
)
def test_a_shared_memory_manager_serves_at_its_address_those_with_its_authkey(
    mp: Target, tmp_path: Any
) -> None:
    """A SharedMemoryManager listens at the address it was given, for clients with its authkey.

    Another manager object connect()ed to that address with the key makes blocks the server
    tracks (gone after its shutdown); a wrong key is refused with AuthenticationError.
    """
    mp.require("managers.SharedMemoryManager", "AuthenticationError")
    cls = mp.managers.SharedMemoryManager
    address = str(tmp_path / "smm")
    key = os.urandom(16)
    manager = cls(address=address, authkey=key, ctx=mp.ctx)
    manager.start()
    names = []
    try:
        assert manager.address == address, f"it listens at {manager.address!r}, not {address!r}"
        client = cls(address=address, authkey=key)
        client.connect()
        block = client.SharedMemory(8)
        names.append(block.name)
        block.close()
        intruder = cls(address=address, authkey=key + b"x")
        refused = agents.outcome(intruder.connect)
        assert refused.is_a("AuthenticationError"), f"a wrong authkey's connect() {refused.show()}"
    finally:
        manager.shutdown()
        left = [n for n in names if os.path.exists(os.path.join(semaphores.SHM_DIR, n.lstrip("/")))]
        scrub(*left)
    assert not left, f"blocks made through the connected client outlived shutdown(): {left}"
