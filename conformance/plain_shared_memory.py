"""Shared memory properties as plain code, for standalone repro scripts.

Each ``observe`` does what its property does with a context (``mp``) and returns what the
property compares; see :mod:`mpconform.conformance.plain_lifecycle` for the rules. A block is
shared by name: the child receives the backend's SharedMemory class and the block's name, and
answers through a pipe with plain data (block names are random, so they are never returned).
"""

from __future__ import annotations

from mpconform.plain import template
from mpconform.plain_driver import attempt, module

PATIENCE_S = 10.0


def close_and_attach_again(shared_memory, name, size, conn):
    """Attach, close twice, attach again and read ``size`` bytes; report each step."""
    block = shared_memory(name=name)
    block.close()
    buf_after_close = type(block.buf).__name__
    second_close = repr(attempt(block.close))
    again = shared_memory(name=name)
    read_again = bytes(again.buf[:size])
    again.close()
    conn.send((buf_after_close, second_close, read_again))


@template(
    "test_close_ends_only_this_instance", close_and_attach_again, sample={"data": b"\x01\x02"}
)
def close_ends_one_instance(mp, data):
    shared_memory = module("shared_memory").SharedMemory
    block = shared_memory(create=True, size=len(data))
    try:
        block.buf[: len(data)] = data
        ours, theirs = mp.Pipe()
        args = (shared_memory, block.name, len(data), theirs)
        child = mp.Process(target=close_and_attach_again, args=args)
        child.start()
        in_child = ours.recv() if ours.poll(PATIENCE_S) else "no answer"
        child.join(PATIENCE_S)
        kept = bytes(block.buf[: len(data)])
    finally:
        block.close()
        block.unlink()
    return in_child, kept
