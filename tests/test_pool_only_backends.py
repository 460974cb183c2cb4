"""The Pool-only backends, run for real when installed: their Pool area runs, everything else
reads UNSUPPORTED without running, and a run leaves none of their processes or listening
sockets behind (a Ray cluster, an MPI process manager)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import psutil
import pytest
from childrun import REPO  # noqa: F401 - the suite's import path

CLI = [sys.executable, "-m", "mpconform.cli"]
SMOKE = "test_map_returns_results_in_order or test_apply_calls_func or test_queue_proxy_is_fifo"
# What each backend's service runs as, to find any of it left behind.
SERVICE_NAMES = {
    "ray": ("raylet", "gcs_server", "ray::", "default_worker", "dashboard"),
    "mpi4py": ("mpiexec", "hydra_pmi_proxy", "mpi4py.futures"),
    "joblib": (),
}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# Whether the backend runs on this machine at all, asked in plain code: a machine where Ray
# cannot start a cluster or MPI cannot spawn says nothing about mpconform, so the test skips
# with the backend's own error; where the probe works, the suite's run must work too.
PROBES = {
    "joblib": "from joblib.pool import MemmappingPool as P\n"
    "with P(1) as p: assert p.map(abs, [-1]) == [1]",
    "ray": "import ray\n"
    "ray.init(num_cpus=2, include_dashboard=False, _node_ip_address='127.0.0.1')\n"
    "from ray.util.multiprocessing import Pool\n"
    "with Pool(1) as p: assert p.map(abs, [-1]) == [1]\nray.shutdown()",
    "mpi4py": "from mpconform.adapters.mpi4py import load\nload()\n"
    "from mpi4py.util.pool import Pool\n"
    "with Pool(1) as p: assert p.map(abs, [-1]) == [1]",
}


def _runs_here(backend: str, tmp_path) -> str | None:
    """None when a plain script can use the backend here, else why not (its last line)."""
    script = tmp_path / "probe.py"
    script.write_text(
        "if __name__ == '__main__':\n"
        + "".join(f"    {line}\n" for line in PROBES[backend].splitlines())
    )
    try:
        out = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
    except subprocess.TimeoutExpired:
        return "a plain script using it did not finish in 180 s"
    if out.returncode == 0:
        return None
    lines = (out.stderr or out.stdout).strip().splitlines()
    return lines[-1] if lines else f"a plain script using it exited {out.returncode}"


def _theirs(names: tuple[str, ...]) -> set[int]:
    found = set()
    for proc in psutil.process_iter(["pid", "cmdline", "name", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue  # ended; only its reaping is left (to init, for an orphan)
        text = " ".join(proc.info["cmdline"] or []) + " " + (proc.info["name"] or "")
        if any(name in text for name in names):
            found.add(proc.info["pid"])
    return found


# What each backend names its /dev/shm segments (MPICH one per MPI process group, Ray its
# object store's, joblib's loky semaphores); other tests running beside this one make their own.
SHM_NAMES = {"ray": ("plasma", "ray"), "mpi4py": ("mpich_shm_",), "joblib": ("sem.loky", "joblib")}


def _shared_memory(backend: str) -> set[str]:
    if not os.path.isdir("/dev/shm"):
        return set()
    return {n for n in os.listdir("/dev/shm") if n.startswith(SHM_NAMES[backend])}


def _listening(names: tuple[str, ...]) -> set[tuple[str, int]]:
    """Listening sockets of the backend's processes (other tests beside this one listen too)."""
    theirs = _theirs(names) if names else set()
    return {
        (c.laddr.ip, c.laddr.port)
        for c in psutil.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.pid in theirs
    }


@pytest.mark.parametrize("backend", ["joblib", "ray", "mpi4py"])
def test_a_pool_only_backend_runs_its_pool_area_and_leaves_nothing(tmp_path, backend):
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed (pip install 'mpconform[{backend}]')")
    why = _runs_here(backend, tmp_path)
    if why is not None:
        pytest.skip(f"{backend} does not run on this machine: {why}")
    before_procs = _theirs(SERVICE_NAMES[backend])
    before_ports = _listening(SERVICE_NAMES[backend])
    before_shm = _shared_memory(backend)
    report = tmp_path / "report"
    out = subprocess.run(
        [*CLI, "run", "--backend", backend, "--report", str(report), "-k", SMOKE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode in (0, 1), out.stdout + out.stderr
    doc = json.loads((report / "results.json").read_text())
    statuses = {r["nodeid"].split("::")[1].split("[")[0]: r["status"] for r in doc["results"]}
    assert statuses["test_map_returns_results_in_order"] == "PASS", out.stdout
    assert statuses["test_queue_proxy_is_fifo_across_processes"] == "UNSUPPORTED"
    assert doc["run"]["leftovers"] == []
    assert _theirs(SERVICE_NAMES[backend]) - before_procs == set()
    assert _listening(SERVICE_NAMES[backend]) - before_ports == set()
    assert _shared_memory(backend) - before_shm == set()
