"""ProcessPoolExecutor properties as plain code, for repro scripts; see
:mod:`mpconform.conformance.plain_lifecycle` for the rules."""

from __future__ import annotations

from mpconform.plain import template
from mpconform.plain_driver import attempt

PATIENCE_S = 10.0


def square(x):
    return x * x


def refuse(x):
    raise ValueError(f"task refused {x}")


def executor_results(mp, function, values):
    import concurrent.futures

    with concurrent.futures.ProcessPoolExecutor(2, mp_context=mp) as executor:
        futures = attempt(lambda: [executor.submit(function, x) for x in values])
        if not isinstance(futures, list):
            return "submit() raised", futures
        return [attempt(f.result, PATIENCE_S) for f in futures]


@template(
    "test_executor_results_are_what_the_function_returns",
    square,
    executor_results,
    sample={"values": [3]},
)
def results(mp, values):
    return executor_results(mp, square, values)


@template(
    "test_executor_task_exceptions_reach_their_futures",
    refuse,
    executor_results,
    sample={"values": [3]},
)
def exceptions(mp, values):
    return executor_results(mp, refuse, values)
