"""Small whole programs that properties run in an interpreter of their own.

Some documented behaviour shows only across a program's whole life: what the fork server
imports before its first child (``set_forkserver_preload``), what happens to a shared memory
block when the program that made it ends (``track=``). Each function here is one such
program; a property runs it with :func:`command` and reads what it printed.
It loads the backend by the name the run was given, as ``--mp-backend`` does; see :func:`command`.
"""

from __future__ import annotations

import sys
from typing import Any


def command(function: str, *args: str, module: str = __name__) -> list[str]:
    """How a property runs ``module.function(*args)`` as a program of its own.

    The program gets this process's ``sys.path``, as a spawn child does: run from a checkout of
    mpconform, the interpreter's own path would start with the checkout, whose ``mpconform``
    folder lacks the areas an install maps into the package.
    """
    code = (
        f"import sys; sys.path[:] = {sys.path!r}; "
        f"from {module} import {function}; {function}(*sys.argv[1:])"
    )
    return [sys.executable, "-c", code, *args]


def _context(spec: str, method: str) -> tuple[Any, Any]:
    from mpconform import registry

    adapter = registry.resolve(spec)
    return adapter, adapter.get_context(method)


def report_modules(conn: Any, names: list[str]) -> None:
    conn.send({name: name in sys.modules for name in names})
    conn.close()


def preloaded(spec: str, method: str, module: str, missing: str) -> None:
    """Preload ``module`` and a ``missing`` one, then print which a new child already has."""
    _, ctx = _context(spec, method)
    ctx.set_forkserver_preload([module, missing])
    ours, theirs = ctx.Pipe(duplex=False)
    child = ctx.Process(target=report_modules, args=(theirs, [module]))
    child.start()
    theirs.close()
    print(ours.recv()[module] if ours.poll(60) else "no answer", flush=True)
    child.join(60)


def untracked_block(spec: str, method: str, name: str) -> None:
    """Create block ``name`` with ``track=False`` and end without unlinking it."""
    adapter, _ = _context(spec, method)
    block = adapter.shared_memory.SharedMemory(name=name, create=True, size=8, track=False)
    block.close()
    print("created", flush=True)
