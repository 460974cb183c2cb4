"""Which Python the interop properties use as the peer across 3.12's handshake change."""

from __future__ import annotations

import pytest

from mpconform import peers


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
    monkeypatch.delenv("MPCONFORM_PEER_PYTHON", raising=False)
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
