"""Stress and fault injection: what holds under contention, volume and nemeses.

Two kinds of tests, both run by the ``mp`` fixture across backends and start methods:

* :mod:`.test_scenarios`: Hypothesis draws small concurrent programs (2-4 workers x 3-8
  steps on one Queue, SimpleQueue, Lock or Value) with delays and a nemesis (SIGSTOP pause,
  SIGKILL, CPU pinning, ``os._exit`` after put); the recorded history is judged by
  :mod:`mpconform.checkers` (linearizability and sound screens); a failure shrinks and comes
  with a standalone script (:mod:`.scripts`) that reproduces it without mpconform.
* :mod:`.test_workloads`: time-budgeted throughput runs (``mp_stress``; ``--mp-stress-seconds``)
  checked while they run, reporting ops/s, the cost of history recording, and the liveness
  outcomes of nemeses (a killed lock holder, items put before ``os._exit``).

Child-side code lives in :mod:`.programs`, :mod:`.workloads` and :mod:`.nemesis` (standard
library only); :mod:`.scenarios`, :mod:`.runner` and :mod:`.scripts` are the parent side.
"""
