"""A whole program, run in an interpreter of its own by the exit-hygiene property.

Run as ``main(SPEC, METHOD)`` by :func:`children_programs.command`, it loads the backend
named SPEC (as ``--mp-backend`` does), makes one object of every kind it has, hands them to
a child of start method METHOD that uses each of them, runs a Pool and a Manager, shares a
SharedMemory block and a ShareableList, and ends the way an ordinary program does:
everything is closed or joined, nothing is torn down by hand beyond what the documentation
asks for (``unlink()`` of the shared memory the program created).

It prints its leak-check label first (names of its semaphores and blocks start with it), then
one line per kind it used. Whatever the backend writes to stderr on the way out is what the
property judges.
"""

from __future__ import annotations

from typing import Any, Callable

from mpconform.limits import LIVENESS

# kind -> how the program makes it from a context
KINDS: dict[str, Callable[[Any], Any]] = {
    "Queue": lambda ctx: ctx.Queue(),
    "SimpleQueue": lambda ctx: ctx.SimpleQueue(),
    "JoinableQueue": lambda ctx: ctx.JoinableQueue(),
    "Lock": lambda ctx: ctx.Lock(),
    "RLock": lambda ctx: ctx.RLock(),
    "Semaphore": lambda ctx: ctx.Semaphore(),
    "BoundedSemaphore": lambda ctx: ctx.BoundedSemaphore(),
    "Condition": lambda ctx: ctx.Condition(),
    "Event": lambda ctx: ctx.Event(),
    "Barrier": lambda ctx: ctx.Barrier(1),
    "Value": lambda ctx: ctx.Value("i", 0),
    "Array": lambda ctx: ctx.Array("i", 4),
}


def use(kind: str, obj: Any) -> None:
    """What a child does with one object: an ordinary use that completes."""
    if kind in ("Queue", "JoinableQueue") or kind == "SimpleQueue":
        obj.put(kind)
    elif kind in ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition"):
        with obj:
            pass
    elif kind == "Event":
        obj.set()
    elif kind == "Barrier":
        obj.wait(LIVENESS)
    elif kind == "Value":
        with obj.get_lock():
            obj.value += 1
    elif kind == "Array":
        obj[0] = 1


def child(objects: dict[str, Any], proxy: Any, shared_memory: str | None, names: list[str]) -> None:
    for kind, obj in objects.items():
        use(kind, obj)
    if proxy is not None:
        proxy.append("child")
    if shared_memory is not None:
        import importlib

        module = importlib.import_module(shared_memory)
        block = module.SharedMemory(name=names[0])
        block.buf[0] = 1
        block.close()
        shared = module.ShareableList(name=names[1])
        shared[0] = 2
        shared.shm.close()


def square(x: int) -> int:
    return x * x


def main(spec: str, method: str) -> None:
    from mpconform import registry, semaphores

    adapter = registry.resolve(spec)
    ctx = adapter.get_context(method)
    semaphores.stamp_prefix()
    label = semaphores.label()
    print(label, flush=True)
    objects = {}
    for kind, make in KINDS.items():
        if adapter.missing(ctx, kind) is None:
            objects[kind] = make(ctx)
    has_lists = adapter.missing(ctx, "shared_memory.ShareableList") is None
    sm = adapter.shared_memory if has_lists else None
    names = [f"{label}-block", f"{label}-list"]
    blocks = []
    if sm is not None:
        blocks.append(sm.SharedMemory(name=names[0], create=True, size=8))
        blocks.append(sm.ShareableList([0], name=names[1]).shm)
    manager = ctx.Manager() if adapter.missing(ctx, "Manager") is None else None
    proxy = manager.list() if manager is not None else None
    proc = ctx.Process(target=child, args=(objects, proxy, sm.__name__ if sm else None, names))
    proc.start()
    for kind in ("Queue", "JoinableQueue", "SimpleQueue"):
        if kind in objects:
            objects[kind].get()
            if kind == "JoinableQueue":
                objects[kind].task_done()
    proc.join(LIVENESS)
    print("child", proc.exitcode, flush=True)
    if adapter.missing(ctx, "Pool") is None:
        with ctx.Pool(2) as pool:
            print("pool", pool.map(square, range(4)), flush=True)
            pool.close()
            pool.join()
    if manager is not None:
        print("manager", list(proxy) if proxy is not None else None, flush=True)
        manager.shutdown()
    for block in blocks:
        block.close()
        block.unlink()
    for kind in objects:
        print("used", kind, flush=True)
