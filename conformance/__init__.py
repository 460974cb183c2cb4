"""Conformance properties, one ``test_*.py`` per area of the multiprocessing documentation.

Child-side code lives in ``children_*.py`` modules: spawn and forkserver children import it
by qualified name, so it must never live in a test file, and it imports only the stdlib to
keep process start-up cheap.
"""
