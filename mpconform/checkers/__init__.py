"""History checkers: is what a run observed something a correct object could have produced?

Two tiers, because exact checking is exponential: :mod:`.linearizability` searches for a valid
order against a sequential :mod:`.models` specification (small scenarios, every violation), and
:mod:`.screens` test necessary conditions in O(n log n) (long stress runs, no false alarms).
Both read the same :mod:`.history` records.
"""

from .history import EMPTY, History, HistoryError, Op
from .linearizability import DEFAULT_MAX_STEPS, CheckResult, Verdict, check
from .models import Counter, FifoQueue, Model, ModelError, Mutex, Register, RelaxedQueue
from .screens import (
    NO_OWNER,
    Section,
    Violation,
    enter_owned,
    exit_owned,
    screen_counter,
    screen_critical_sections,
    screen_holders,
    screen_mutex,
    screen_queue,
)
from .values import same

__all__ = [
    "DEFAULT_MAX_STEPS",
    "EMPTY",
    "NO_OWNER",
    "CheckResult",
    "Counter",
    "FifoQueue",
    "History",
    "HistoryError",
    "Model",
    "ModelError",
    "Mutex",
    "Op",
    "Register",
    "RelaxedQueue",
    "Section",
    "Verdict",
    "Violation",
    "check",
    "enter_owned",
    "exit_owned",
    "same",
    "screen_counter",
    "screen_critical_sections",
    "screen_holders",
    "screen_mutex",
    "screen_queue",
]
