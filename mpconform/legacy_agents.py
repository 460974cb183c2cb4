"""The drivers areas used before :mod:`mpconform.agents`; removed as areas move over.

Long-lived children that one property drives across all of its Hypothesis examples.

Starting a process per example costs 50-100 ms under spawn, which would spend a property's whole
budget on start-up. An agent is started once per test, before the Hypothesis loop, and stopped
in a ``finally``. Queues and other synchronised objects can only reach a child as Process
arguments at creation, so everything the agent will ever use is passed when it starts.

Stopping must not deadlock: an agent that put items nobody read waits at exit for its feeder
thread, which waits for a reader. :meth:`Agent.stop` therefore keeps calling ``drain`` while it
waits, and a child that still runs after the liveness bound is killed (TIMEOUT).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any, Callable

from .outcomes import TestTimeout
from .waiting import LIVENESS, finish

POLL = 0.05


class AgentDied(AssertionError):
    """The agent ended while the test still expected answers from it."""


class Agent:
    """A started child plus the way to ask it to end.

    ``stop`` is called once to ask the child to end (e.g. put a STOP item on its inbox);
    ``drain`` is called repeatedly while waiting for it, to read whatever the child still
    writes.
    """

    def __init__(
        self,
        proc: Any,
        stop: Callable[[], None],
        drain: Callable[[], None] | None = None,
    ) -> None:
        self.proc = proc
        self._stop = stop
        self._drain = drain
        self.stopped = False

    @property
    def name(self) -> str:
        return str(getattr(self.proc, "name", "agent"))

    def check_alive(self, waiting_for: str = "an answer") -> None:
        if not self.proc.is_alive():
            raise AgentDied(
                f"{self.name} ended (exitcode {self.proc.exitcode}) while the test waited for "
                f"{waiting_for}"
            )

    def stop(self, timeout: float = LIVENESS) -> Any:
        """Ask the child to end and wait (bounded); returns its exitcode."""
        if self.stopped:
            return self.proc.exitcode
        self.stopped = True
        if self.proc.is_alive():  # asking a dead agent could block, e.g. on a full pipe
            self._stop()
        end = time.monotonic() + timeout
        while self.proc.is_alive() and time.monotonic() < end:
            if self._drain is not None:
                self._drain()
            self.proc.join(POLL)
        return finish(self.proc, 0 if self.proc.is_alive() else LIVENESS, self.name)


@contextlib.contextmanager
def running(
    mp: Any,
    target: Callable[..., Any],
    args: tuple,
    *,
    stop: Callable[[], None],
    drain: Callable[[], None] | None = None,
    name: str | None = None,
) -> Iterator[Agent]:
    """Start ``target(*args)`` as an agent; stop it however the body ends.

    When the body failed, a failure to stop cleanly is suppressed so the original error is the
    one reported; a hang still ends as TIMEOUT, because a stray child would be a leak.
    """
    kwargs = {} if name is None else {"name": name}
    proc = mp.Process(target=target, args=args, **kwargs)
    proc.start()
    agent = Agent(proc, stop, drain)
    try:
        yield agent
    except BaseException:
        with contextlib.suppress(Exception):
            agent.stop()
        raise
    code = agent.stop()
    if code != 0:
        raise AssertionError(f"{agent.name} ended with exitcode {code} when asked to stop")


def receive(
    get: Callable[[float], Any], agent: Agent | None, nothing: Any, what: str = "an answer"
) -> Any:
    """Wait for the next item from ``get(slice)`` (which returns ``nothing`` when the slice
    passed empty-handed), failing at once when ``agent`` ended and TIMEOUT after LIVENESS."""
    end = time.monotonic() + LIVENESS
    while time.monotonic() < end:
        item = get(POLL)
        if item is not nothing:
            return item
        if agent is not None and not agent.proc.is_alive():
            item = get(POLL)  # it may have written its last words just before ending
            if item is not nothing:
                return item
            agent.check_alive(what)
    raise TestTimeout(f"no {what} within {LIVENESS:g} s")
