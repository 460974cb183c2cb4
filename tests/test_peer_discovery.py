"""Which Python the interop properties use as the peer across 3.12's handshake change."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mpconform import peers
from mpconform.errors import ConfigError


@pytest.fixture
def probed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Candidates named like pyenv's binaries and shims; the paths each probe ran."""
    ran: list[str] = []
    candidates = [
        ((3, 13), "/root/.pyenv/versions/3.13.0/bin/python3"),
        ((3, 12), "/root/.pyenv/versions/3.12.1/bin/python3"),
        ((3, 12), "/root/.pyenv/shims/python3.12"),
        ((3, 10), "/usr/bin/python3.10"),
    ]
    monkeypatch.setattr(peers, "_candidates", lambda: iter(candidates))

    def version_of(path: str) -> tuple[int, int] | None:
        ran.append(path)
        return None if "shims" in path else dict((p, v) for v, p in candidates)[path]

    monkeypatch.setattr(peers, "_version_of", version_of)
    peers.across_handshake_change.cache_clear()
    yield ran
    peers.across_handshake_change.cache_clear()


def test_an_older_python_takes_the_nearest_newer_binary_before_any_shim(
    probed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peers.sys, "version_info", (3, 11, 7, "final", 0))
    found = peers.across_handshake_change()
    assert found == peers.Interpreter("/root/.pyenv/versions/3.12.1/bin/python3", (3, 12))
    assert probed == ["/root/.pyenv/versions/3.12.1/bin/python3"]


def test_a_newer_python_takes_the_nearest_older_one(
    probed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peers.sys, "version_info", (3, 12, 1, "final", 0))
    assert peers.across_handshake_change() == peers.Interpreter("/usr/bin/python3.10", (3, 10))


def test_a_name_that_does_not_run_that_version_is_passed_over(
    probed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peers.sys, "version_info", (3, 11, 7, "final", 0))
    monkeypatch.setattr(peers, "_version_of", lambda path: probed.append(path) or (3, 9))
    assert peers.across_handshake_change() is None
    assert len(probed) == 3  # every 3.12+ candidate was asked, none confirmed


def test_a_named_peer_must_run_and_cross_the_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(peers.sys, "version_info", (3, 11, 7, "final", 0))
    versions = {"/py312": (3, 12), "/py310": (3, 10)}
    monkeypatch.setattr(peers, "_version_of", versions.get)
    assert peers.named("/py312") == peers.Interpreter("/py312", (3, 12))
    with pytest.raises(ConfigError, match=r"same side of 3\.12's handshake change"):
        peers.named("/py310")
    with pytest.raises(ConfigError, match="does not run as a Python"):
        peers.named("/nothing")


def test_a_bad_peer_python_is_one_line_and_exit_2(tmp_path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mpconform.cli", "run", "--peer-python", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "--peer-python" in out.stderr and "does not run as a Python" in out.stderr
