"""The one protocol by which a test drives long-lived children ("agents").

Starting a process per Hypothesis example would spend a property's budget on start-up, and
synchronised objects (locks, queues, shared values) reach a child only as Process arguments at
creation. So a property starts its agents once, with every object they will ever use, and then
sends them commands across all its examples. Every area speaks this protocol; an area adds
*commands* (plain functions in its ``children_*`` module, gathered in a ``COMMANDS`` table),
never a wire format of its own.

The wire format:

- the test sends ``(name, args, kwargs)``; ``name`` is a key of the agent's command table, or
  one of :data:`STOP` and :data:`RESET`;
- the agent runs ``table[name](session, *args, **kwargs)`` and answers with one
  :class:`Reply`: the value returned, or the raised exception's class names (most derived
  first) and message. The exception object itself is never sent: its class may not unpickle
  in the test process, and the names are all a property needs;
- a command may send :class:`Note` values before its reply (``session.note(...)``), e.g. "I
  am about to block" or "ready, waiting for go", which the test reads with
  :meth:`Agent.note`.

:data:`RESET` clears the session's per-example state and runs the table's optional
``"reset"`` command: the one per-example reset. An agent whose test vanished gives up after
:data:`~mpconform.limits.PATIENCE` of silence.

The child side (:func:`serve`, :class:`Session`, :func:`outcome`) imports only the standard
library and :mod:`mpconform.limits`: children import this module at every process start. The
test side imports what it needs lazily.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from .limits import LIVENESS, PATIENCE

if TYPE_CHECKING:  # children import this module: nothing of the test process's side
    from .target import Target

STOP = "mpconform:stop"
RESET = "mpconform:reset"
#: What a ``get(slice)`` returns when the slice passed empty-handed (see waiting.receive).
NOTHING = ("mpconform:nothing",)

Commands = Mapping[str, Callable[..., Any]]


# -- what travels ------------------------------------------------------------------------------


class Reply(NamedTuple):
    """One call's outcome, wherever it ran: a value, or the exception's class names."""

    value: Any  # what the call returned; None when it raised
    raised: tuple[str, ...]  # the exception's class names, most derived first; () if none
    message: str  # str(exception), "" when the call returned
    t_invoke: int  # time.monotonic_ns() readings: system-wide on Linux, so comparable
    t_return: int

    @property
    def ok(self) -> bool:
        return not self.raised

    def is_a(self, name: str) -> bool:
        """Whether the call raised an exception of class ``name`` (or a subclass)."""
        return name in self.raised

    def show(self) -> str:
        if self.raised:
            return f"raised {self.raised[0]}: {self.message}"
        return f"returned {self.value!r}"

    def same(self, other: Reply) -> bool:
        """Whether two calls ended alike (same value, or same exception and message),
        whenever and wherever they ran: how a property compares a proxy with a local object."""
        return (self.value, self.raised, self.message) == (other.value, other.raised, other.message)

    def get(self) -> Any:
        """The value; an :class:`AgentRaised` AssertionError when the call raised."""
        if self.raised:
            raise AgentRaised(self)
        return self.value


class Note(NamedTuple):
    """Something a command says before its reply (e.g. that it is about to block)."""

    value: Any


class AgentRaised(AssertionError):
    """A command the test expected to succeed raised in the agent."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"the agent's call {reply.show()}")
        self.reply = reply


def _names(exc: BaseException) -> tuple[str, ...]:
    return tuple(c.__name__ for c in type(exc).__mro__)


def outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Reply:
    """Run ``call`` here and describe how it ended; used by agents and the test alike, so a
    property compares like with like wherever the call ran."""
    t0 = time.monotonic_ns()
    try:
        value = call(*args, **kwargs)
    except Exception as exc:
        return Reply(None, _names(exc), str(exc), t0, time.monotonic_ns())
    return Reply(value, (), "", t0, time.monotonic_ns())


# -- the agent's side --------------------------------------------------------------------------


def _pid(session: Session) -> int:
    return os.getpid()


def _echo(session: Session, value: Any) -> Any:
    return value


#: What ``hold`` notes once it runs.
HOLDING = "holding"


def _hold(session: Session) -> None:
    """Say that the agent runs, then block until the test's follow-up (see :func:`held`)."""
    session.note(HOLDING)
    session.receive()


#: Commands every agent has besides its table's: a health check, a pickling round trip, and
#: blocking until told (for properties about a running process: its state, sentinel, signals).
BUILTIN: dict[str, Callable[..., Any]] = {"pid": _pid, "echo": _echo, "hold": _hold}


class Session:
    """What a command receives first: the agent's objects, its per-example state, its pipe."""

    def __init__(self, conn: Any, objects: Sequence[Any], name: str) -> None:
        self.conn = conn
        self.objects = objects
        self.name = name  # e.g. "agent 2"; commands use it in their findings
        self.state: dict[str, Any] = {}  # cleared by RESET

    def note(self, value: Any) -> None:
        """Tell the test something before the reply (it reads it with ``Agent.note``)."""
        self.conn.send(Note(value))

    def receive(self, timeout: float = PATIENCE) -> Any:
        """A follow-up message from the test within a running command (e.g. "go on")."""
        if not self.conn.poll(timeout):
            raise TimeoutError(f"{self.name}: the test sent nothing within {timeout:g} s")
        return self.conn.recv()


def serve(conn: Any, commands: Commands, objects: Sequence[Any] = (), name: str = "agent") -> None:
    """The agent's main loop: run commands from ``conn`` until STOP, end of file or silence."""
    session = Session(conn, objects, name)
    while True:
        try:
            if not conn.poll(PATIENCE):
                return
            message = conn.recv()
        except EOFError:
            return
        except Exception as exc:  # a message that did not unpickle (a proxy whose manager died)
            try:
                conn.send(Reply(None, _names(exc), f"the command did not unpickle: {exc}", 0, 0))
            except Exception:
                return  # the pipe itself is broken
            continue
        if not (isinstance(message, tuple) and len(message) == 3 and isinstance(message[0], str)):
            continue  # a follow-up (Agent.tell) that arrived after its command had ended
        command, args, kwargs = message
        if command == STOP:
            conn.send(Reply(None, (), "", 0, 0))
            return
        if command == RESET:
            session.state.clear()
            command = "reset"
            if command not in commands:
                conn.send(Reply(None, (), "", 0, 0))
                continue
        function = commands.get(command) or BUILTIN.get(command)
        if function is None:
            reply = Reply(None, ("KeyError",), f"{name} has no command {command!r}", 0, 0)
        else:
            reply = outcome(function, session, *args, **kwargs)
        try:
            conn.send(reply)
        except Exception as exc:  # the value did not pickle: say so instead of dying
            conn.send(Reply(None, _names(exc), f"the reply did not pickle: {exc}", *reply[3:]))


# -- the test's side ---------------------------------------------------------------------------


class AgentDied(AssertionError):
    """The agent ended while the test still expected answers from it."""


class Agent:
    """The test's handle on one running agent."""

    def __init__(self, proc: Any, conn: Any, name: str) -> None:
        self.proc = proc
        self.conn = conn
        self.name = name
        self.stopped = False
        #: The test's own bookkeeping about this agent (e.g. what it holds, for a reset).
        self.ledger: dict[Any, Any] = {}

    @property
    def pid(self) -> int | None:
        pid = getattr(self.proc, "pid", None)
        return pid if isinstance(pid, int) else None

    def alive(self) -> bool:
        return bool(self.proc.is_alive())

    def send(self, command: str, *args: Any, **kwargs: Any) -> None:
        """Start ``command`` without waiting for its reply (see :meth:`reply`)."""
        self.conn.send((command, args, kwargs))

    def tell(self, value: Any) -> None:
        """Send a follow-up message to the running command (read by ``session.receive``)."""
        self.conn.send(value)

    def _next(self, what: str) -> Any:
        from .waiting import wait_until

        def gone() -> str | None:
            if self.proc.is_alive():
                return None
            code = getattr(self.proc, "exitcode", None)
            return f"{self.name} ended (exitcode {code}) while the test waited for {what}"

        try:
            wait_until(self.conn.poll, f"{what} from {self.name}", None, gone=gone)
        except AssertionError as exc:
            raise AgentDied(str(exc)) from None
        return self.conn.recv()

    def reply(self, what: str = "a reply") -> Reply:
        """The reply to the command sent last; a Note here means the test is out of step."""
        message = self._next(what)
        if not isinstance(message, Reply):
            raise AssertionError(f"{self.name} sent {message!r} where {what} was due")
        return message

    def note(self, what: str = "a note") -> Any:
        """The next Note's value; a Reply here means the command ended before saying it."""
        message = self._next(what)
        if not isinstance(message, Note):
            raise AssertionError(f"{self.name} answered {message!r} where {what} was due")
        return message.value

    def call(self, command: str, *args: Any, **kwargs: Any) -> Reply:
        """Run ``command`` in the agent and wait (bounded) for its reply."""
        self.send(command, *args, **kwargs)
        return self.reply(f"the reply to {command}")

    def run(self, command: str, *args: Any, **kwargs: Any) -> Any:
        """Run ``command`` and return its value; an AssertionError when it raised."""
        reply = self.call(command, *args, **kwargs)
        if reply.raised:
            raise AgentRaised(reply)
        return reply.value

    def reset(self) -> None:
        """The per-example reset: clear the agent's state and run its ``reset`` command."""
        self.run(RESET)

    def drain(self) -> None:
        with contextlib.suppress(Exception):
            while self.conn.poll(0):
                self.conn.recv()

    def stop(self, timeout: float = LIVENESS) -> Any:
        """Ask the agent to end and wait (bounded); returns its exitcode.

        While it winds down the test keeps reading its pipe, so an agent blocked on a full
        pipe (or a Queue feeder waiting for a reader, see ``drain``) can still finish.
        """
        from .waiting import finish

        if self.stopped:
            return getattr(self.proc, "exitcode", None)
        self.stopped = True
        if self.proc.is_alive():  # asking a dead agent could block on a full pipe
            with contextlib.suppress(OSError, ValueError):
                self.send(STOP)
        code = finish(self.proc, timeout, self.name, drain=self.drain)
        with contextlib.suppress(OSError):
            self.conn.close()
        return code


@contextlib.contextmanager
def started(
    mp: Target,
    commands: Commands,
    objects: Sequence[Any] = (),
    *,
    name: str = "agent",
    drain: Callable[[], None] | None = None,
) -> Iterator[Agent]:
    """Start one agent with ``objects``; stop it however the body ends.

    ``drain`` is called while the agent winds down, for objects whose feeder threads wait
    for a reader (an agent that put items nobody read cannot exit otherwise). When the body
    failed, a failure to stop cleanly is suppressed so the original error is the one
    reported; a hang still ends as TIMEOUT, because a stray child would be a leak.
    """
    with contextlib.ExitStack() as stack:
        ours, theirs = mp.Pipe()
        stack.callback(theirs.close)  # after the agent ended: start() may still need it
        proc = mp.Process(target=serve, args=(theirs, commands, tuple(objects), name), name=name)
        proc.start()
        agent = Agent(proc, ours, name)

        def stop() -> Any:
            if drain is None:
                return agent.stop()
            previous, extra = agent.drain, drain

            def both() -> None:
                previous()
                extra()

            agent.drain = both  # type: ignore[method-assign]
            return agent.stop()

        try:
            yield agent
        except BaseException:
            from .outcomes import ChildCrashed

            with contextlib.suppress(Exception, ChildCrashed):  # the body's error comes first
                stop()
            raise
        code = stop()
        if code != 0:
            raise AssertionError(f"{name} ended with exitcode {code} when asked to stop")


@contextlib.contextmanager
def crew(
    mp: Target,
    commands: Commands,
    size: int,
    objects: Sequence[Any] = (),
    *,
    name: str = "agent",
    drain: Callable[[], None] | None = None,
) -> Iterator[list[Agent]]:
    """``size`` agents sharing ``objects``, named ``"{name} 1"`` .. ``"{name} size"``."""
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(started(mp, commands, objects, name=f"{name} {i + 1}", drain=drain))
            for i in range(size)
        ]


class Crew:
    """Agents that block on each other and on the test, driven by commands in flight at once.

    For properties where a command's reply comes only once another process acted (a
    Condition waiter, a Barrier party): the test ``order``s commands, reads their Notes
    (``expect``) and replies (``result``, or whichever comes first: ``next_result``), in any
    order. Each Note is a ``(kind, payload)`` pair. ``unstick()`` wakes whatever an agent may
    still be blocked in (notify_all, abort, set); after each example :meth:`settle` tells
    ``release`` to every agent still busy and calls ``unstick`` until each has replied, so the
    next example starts with idle agents and empty pipes.
    """

    def __init__(
        self, agents: Sequence[Agent], unstick: Callable[[], None], release: Any = None
    ) -> None:
        self.agents = list(agents)
        self.unstick = unstick
        self.release = release
        self.busy: set[int] = set()

    def __len__(self) -> int:
        return len(self.agents)

    @contextlib.contextmanager
    def example(self) -> Iterator[None]:
        """One Hypothesis example, leaving idle agents however it ends."""
        try:
            yield
        except BaseException:
            self.settle()
            raise
        self.settle()

    def order(self, i: int, command: str, *args: Any) -> None:
        self.agents[i].send(command, *args)
        self.busy.add(i)

    def tell(self, i: int, value: Any) -> None:
        self.agents[i].tell(value)

    def _settled(self, i: int, message: Any) -> Any:
        if isinstance(message, Reply):
            self.busy.discard(i)
        return message

    def expect(self, i: int, kind: str, what: str) -> Any:
        """The payload of agent ``i``'s next Note, which must be of ``kind``."""
        message = self._settled(i, self.agents[i]._next(what))
        if isinstance(message, Reply):
            if message.raised:
                raise AssertionError(f"{what}: raised {message.raised[0]}: {message.message}")
            raise AssertionError(f"{what}: expected {kind!r}, got the reply {message.value!r}")
        got, payload = message.value
        assert got == kind, f"{what}: expected {kind!r}, got {got!r} {payload!r}"
        return payload

    def result(self, i: int, what: str) -> Any:
        """The value of agent ``i``'s reply; an AssertionError when its command raised."""
        message = self._settled(i, self.agents[i]._next(what))
        return self._value(message, what)

    def _value(self, message: Any, what: str) -> Any:
        if isinstance(message, Note):
            raise AssertionError(f"{what}: unexpected note {message.value!r}")
        if message.raised:
            raise AssertionError(f"{what}: raised {message.raised[0]}: {message.message}")
        return message.value

    def next_result(self, among: set[int], seconds: float, what: str) -> tuple[int, Any] | None:
        """The first reply any agent in ``among`` sends within ``seconds``, or None."""
        end = time.monotonic() + seconds
        while True:
            for i in sorted(among):
                conn = self.agents[i].conn
                if conn.poll(0):
                    message = self._settled(i, conn.recv())
                    return i, self._value(message, what)
            if time.monotonic() >= end:
                return None
            for i in among:
                if not self.agents[i].alive():
                    raise AgentDied(f"{self.agents[i].name} ended while the test waited for {what}")
            time.sleep(0.001)

    def results(
        self, among: set[int], what: str, judge: Callable[[int, Any], None] | None = None
    ) -> dict[int, Any]:
        """Every reply of ``among``, in any order, while they make progress.

        ``judge(agent, value)`` sees each as it arrives, so a wrong early result fails the
        test at once instead of after a wait that the bug may have made endless.
        """
        from .waiting import wait_until

        got: dict[int, Any] = {}

        def complete(slice_: float) -> bool:
            found = self.next_result(among - set(got), slice_, what)
            if found is not None:
                got[found[0]] = found[1]
                if judge is not None:
                    judge(*found)
            return len(got) == len(among)

        if among:
            wait_until(complete, f"agents {sorted(among)}'s {what}", None)
        return got

    def settle(self) -> None:
        """Until every busy agent replied: tell it ``release``, unstick, read and drop."""
        from .waiting import wait_until

        def idle(slice_: float) -> bool:
            for i in sorted(self.busy):
                if self.release is not None:
                    with contextlib.suppress(OSError, ValueError):
                        self.tell(i, self.release)  # first: a holder lets go before unstick
            with contextlib.suppress(Exception):
                self.unstick()
            for i in sorted(self.busy):
                agent = self.agents[i]
                with contextlib.suppress(EOFError, OSError):
                    while agent.conn.poll(min(slice_, 0.01)):
                        self._settled(i, agent.conn.recv())
                if not agent.alive():
                    self.busy.discard(i)
            return not self.busy

        if self.busy:
            wait_until(idle, f"agents {sorted(self.busy)} finishing their commands", None)


@contextlib.contextmanager
def held(mp: Target, *, wait_ready: bool = True, name: str = "the held child") -> Iterator[Agent]:
    """A child blocked in ``hold`` until :func:`release`; released and joined on the way out.

    For properties about a running process itself (is_alive, exitcode, sentinel, terminate),
    which may signal or kill it: the way out only joins (bounded) and never judges the exit.
    The test keeps the child's pipe end open throughout, so a release sent after the child
    was killed cannot fail. ``wait_ready=False``: yield as soon as start() returned.
    """
    from .waiting import join

    ours, theirs = mp.Pipe()
    proc = mp.Process(target=serve, args=(theirs, {}, (), name), name=name)
    proc.start()
    child = Agent(proc, ours, name)
    child.send("hold")
    try:
        if wait_ready:
            said = child.note("that it runs")
            assert said == HOLDING, f"{name} noted {said!r} instead of {HOLDING!r}"
        yield child
    finally:
        release(child)
        join(proc, what=name)
        theirs.close()  # only now: the child's end stays open until the child is gone


def release(child: Agent) -> None:
    """End a :func:`held` child's hold, and the child with it (exit code 0); once only."""
    if not child.ledger.get("released"):
        child.ledger["released"] = True
        child.tell("release")
        child.send(STOP)


class Discarded(Exception):
    """Ends an agent's ``started`` block on the failure path: stop without judging the exit."""


class Standby:
    """One agent that serves every example of a property, replaced after an example failed.

    A failed example may leave a command running, messages in flight or a pipe half read;
    the next example (Hypothesis shrinking, typically) must not inherit that, so the agent is
    killed and a fresh one started. ``prepare()`` makes what each agent starts with besides
    its own pipe: ``(objects for the agent, objects the test keeps)``, e.g. the two ends of an
    extra pipe; they are renewed with the agent. After an example that passed, nothing may be
    left to read on the agent's pipe or on a readable connection the test keeps: a stray or
    duplicated message fails the example that caused it.
    """

    def __init__(
        self,
        mp: Target,
        commands: Commands,
        prepare: Callable[[], tuple[Sequence[Any], Sequence[Any]]] | None = None,
        *,
        name: str = "agent",
    ) -> None:
        self.mp = mp
        self.commands = commands
        self.prepare = prepare or (lambda: ((), ()))
        self.name = name
        self.examples = 0
        self.agent: Agent
        self.kept: Sequence[Any] = ()
        self._stack: contextlib.ExitStack
        self._start()

    def _start(self) -> None:
        theirs, self.kept = self.prepare()
        stack = contextlib.ExitStack()
        for obj in (*theirs, *self.kept):
            if hasattr(obj, "close"):
                stack.callback(_quietly_close, obj)
        self.agent = stack.enter_context(started(self.mp, self.commands, theirs, name=self.name))
        self._stack = stack

    def _discard(self) -> None:
        kill = getattr(self.agent.proc, "kill", None)
        if self.agent.pid is not None and kill is not None:
            kill()  # a thread backend's agent ends by itself once its pipe is closed
        self._stack.__exit__(Discarded, Discarded(), None)

    def stop(self) -> None:
        self._stack.close()

    @contextlib.contextmanager
    def example(self) -> Iterator[Agent]:
        self.examples += 1
        try:
            yield self.agent
            for conn in (self.agent.conn, *self.kept):
                if getattr(conn, "readable", False) and conn.poll(0):
                    raise AssertionError(f"stray message from {self.name}: {conn.recv()!r}")
        except BaseException:
            self._discard()
            self._start()
            raise


def _quietly_close(conn: Any) -> None:
    with contextlib.suppress(Exception):
        conn.close()


@contextlib.contextmanager
def standby(
    mp: Target,
    commands: Commands,
    prepare: Callable[[], tuple[Sequence[Any], Sequence[Any]]] | None = None,
    *,
    name: str = "agent",
) -> Iterator[Standby]:
    """A :class:`Standby` agent for the block, stopped (and judged) at its end."""
    kept = Standby(mp, commands, prepare, name=name)
    try:
        yield kept
    except BaseException:
        kept._discard()
        raise
    kept.stop()


def together(agents: Sequence[Agent], command: str, each: Sequence[tuple]) -> list[Reply]:
    """Send ``command`` to every agent (with its own ``each`` args) before reading any
    reply; the replies in agent order. Every reply is read before any is judged, so a failing
    example leaves nothing in the pipes for the next one."""
    for agent, args in zip(agents, each):
        agent.send(command, *args)
    return [agent.reply(f"the reply to {command}") for agent in agents]


# -- warm agents, kept across tests ------------------------------------------------------------


@contextlib.contextmanager
def warm(mp: Target, commands: Commands, *, name: str = "warm agent") -> Iterator[Agent]:
    """A reset agent that serves every test of this worker with this command table.

    For properties that are not about start-up: everything such an agent needs must reach it
    after it started (plain values, Connections, manager proxies). A test that fails while
    using it gets it discarded (its breakage never reaches another test's verdict); otherwise
    it is reset and kept. See :mod:`mpconform.warm`.
    """
    from . import warm as keeper

    key = ("agent", getattr(mp, "id", repr(mp)), id(commands), name)

    def make() -> keeper.Kept:
        stack = contextlib.ExitStack()
        agent = stack.enter_context(started(mp, commands, name=name))
        pid = agent.pid
        return keeper.Kept(agent, lambda: [pid] if pid else [], stack.close, agent.alive)

    def reset(agent: Agent) -> None:
        agent.reset()
        if agent.conn.poll(0):
            raise AssertionError(f"{name} still had something to say after its reset")

    with keeper.borrowed(key, make, reset=reset) as agent:
        yield agent
