"""A complete adapter for a backend mpconform does not know: run it with

    mpconform run --backend adapter_example:adapter

from this directory (or anywhere the module is importable). This one describes a
hypothetical backend built on CPython's multiprocessing that only offers the spawn start
method and ships no Manager.
"""

import multiprocessing
import multiprocessing.connection

from mpconform.adapter import Adapter

adapter = Adapter(
    name="spawn-only",
    # Called once per start method; returns an object with the multiprocessing API.
    get_context=multiprocessing.get_context,
    start_methods=("spawn",),
    version="1.0",
    # Where connection.wait, Listener and Client live for this backend.
    connection=multiprocessing.connection,
    # Features that exist by name but cannot work: reported UNSUPPORTED with this reason.
    unsupported={"Manager": "this backend ships no manager process"},
    description="example: stdlib restricted to spawn",
)
