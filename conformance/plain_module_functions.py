"""Module functions and process attributes properties as plain code, for repro scripts.

Each ``observe`` does what its property does with a context (``mp``) and returns what the
property compares; see :mod:`mpconform.conformance.plain_lifecycle` for the rules.
"""

from __future__ import annotations

from mpconform.plain import template


@template("test_get_logger_is_the_logger_named_multiprocessing")
def logger_name(mp):
    logger = mp.get_logger()
    # logger.manager.getLogger(name) is logging.getLogger(name), without importing logging
    return logger.name, logger is logger.manager.getLogger("multiprocessing")
