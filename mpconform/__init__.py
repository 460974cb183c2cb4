"""mpconform: conformance and stress suite for multiprocessing-compatible backends.

Kept import-light on purpose: spawn and forkserver children import this package to reach
child-side functions, and every module imported here is paid for at each process start.
"""

__version__ = "0.1.0"
