"""stdlib with one bug in ``multiprocessing.shared_memory`` (or its manager) per mutant.

Each mutant's ``shared_memory`` module is a copy of the stdlib module with one class swapped,
registered in ``sys.modules`` under this module's name plus the mutant's, so the agent (which
imports the backend's module by name) gets the same bug; a spawn child re-imports this module
and finds it registered again. The properties that must FAIL against each carry its name in an
``mp_catches`` marker.
"""

from __future__ import annotations

import contextlib
import multiprocessing.managers
import multiprocessing.shared_memory as stdlib_shm
import os
from types import ModuleType
from typing import Any

from mpconform.adapter import Adapter

from .managers import managers_module
from .wrap import module_like, stdlib_with


def _module(name: str, **overrides: Any) -> ModuleType:
    return module_like(stdlib_shm, f"{__name__}.{name}", **overrides)


def _adapter(name: str, description: str, **overrides: Any) -> Adapter:
    fields: dict[str, Any] = {"shared_memory": _module(name.replace("-", "_"), **overrides)}
    if "SharedMemoryManager" in overrides:
        fields["managers"] = managers_module(
            name.replace("-", "_"), SharedMemoryManager=overrides["SharedMemoryManager"]
        )
    return stdlib_with(name, description, **fields)


class PrivateAttach(stdlib_shm.SharedMemory):
    """Attaching copies the block into private memory: the attacher's writes stay its own."""

    def __init__(self, name: Any = None, create: bool = False, size: int = 0) -> None:
        super().__init__(name, create, size)
        self._private = None if create else memoryview(bytearray(self._buf))

    @property
    def buf(self) -> Any:
        return self._buf if self._private is None else self._private


class TakenNameAttached(stdlib_shm.SharedMemory):
    """create=True with a name already taken attaches to it instead of raising."""

    def __init__(self, name: Any = None, create: bool = False, size: int = 0) -> None:
        try:
            super().__init__(name, create, size)
        except FileExistsError:
            self._flags = os.O_RDWR  # the failed call left O_CREAT | O_EXCL on the instance
            super().__init__(name, False, size)


class UnlinkIgnored(stdlib_shm.SharedMemory):
    """unlink() does nothing: the name stays attachable."""

    def unlink(self) -> None:
        pass


class CloseUnlinks(stdlib_shm.SharedMemory):
    """close() also unlinks, as if closing one instance destroyed the block."""

    def close(self) -> None:
        super().close()
        with contextlib.suppress(FileNotFoundError):
            super().unlink()


class TrackIgnored(stdlib_shm.SharedMemory):
    """track=False is accepted and ignored: the block is tracked, and unlinked at exit."""

    def __init__(
        self, name: Any = None, create: bool = False, size: int = 0, track: bool = True
    ) -> None:
        super().__init__(name, create, size)


class BoolReadAsInt(stdlib_shm.ShareableList):
    """A bool item reads back as 0 or 1."""

    def __getitem__(self, position: int) -> Any:
        value = super().__getitem__(position)
        return int(value) if isinstance(value, bool) else value


class OverlongItemCut(stdlib_shm.ShareableList):
    """A str or bytes item too long for its slot is cut to fit instead of raising."""

    def __setitem__(self, position: int, value: Any) -> None:
        try:
            super().__setitem__(position, value)
        except ValueError:
            if not isinstance(value, (str, bytes)):
                raise
            old = super().__getitem__(position)
            room = len(old.encode() if isinstance(old, str) else old)
            super().__setitem__(position, value[: max(room, 0)])


class IndexAbsentIsMinusOne(stdlib_shm.ShareableList):
    """index() of an absent value returns -1 instead of raising ValueError."""

    def index(self, value: Any) -> int:
        try:
            return super().index(value)
        except ValueError:
            return -1


class ClientSideBlocks(multiprocessing.managers.SharedMemoryManager):
    """Blocks are made in the client, so the manager never learns of them to unlink them."""

    def SharedMemory(self, size: int) -> Any:
        return stdlib_shm.SharedMemory(None, create=True, size=size)

    def ShareableList(self, sequence: Any) -> Any:
        return stdlib_shm.ShareableList(sequence)


class AddressIgnored(multiprocessing.managers.SharedMemoryManager):
    """SharedMemoryManager(address=...) listens at an address of its own choosing."""

    def __init__(self, *args: Any, address: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


private_attach = _adapter(
    "private-attach", "attaching copies the block into private memory", SharedMemory=PrivateAttach
)
taken_name_attached = _adapter(
    "taken-name-attached",
    "SharedMemory(name, create=True) attaches when the name is taken",
    SharedMemory=TakenNameAttached,
)
unlink_ignored = _adapter("unlink-ignored", "unlink() does nothing", SharedMemory=UnlinkIgnored)
close_unlinks = _adapter("close-unlinks", "close() also unlinks", SharedMemory=CloseUnlinks)
smm_address_ignored = _adapter(
    "smm-address-ignored",
    "SharedMemoryManager(address=...) is ignored",
    SharedMemoryManager=AddressIgnored,
)
track_ignored = _adapter("track-ignored", "track=False is ignored", SharedMemory=TrackIgnored)
bool_read_as_int = _adapter(
    "bool-read-as-int", "ShareableList reads bools as 0 and 1", ShareableList=BoolReadAsInt
)
overlong_item_cut = _adapter(
    "overlong-item-cut",
    "ShareableList cuts a too long str or bytes item instead of raising ValueError",
    ShareableList=OverlongItemCut,
)
index_absent_is_minus_one = _adapter(
    "index-absent-is-minus-one",
    "ShareableList.index() returns -1 for an absent value",
    ShareableList=IndexAbsentIsMinusOne,
)
client_side_blocks = _adapter(
    "client-side-blocks",
    "SharedMemoryManager makes its blocks in the client and never unlinks them",
    SharedMemoryManager=ClientSideBlocks,
)


#: Mutants whose property only runs on a newer Python (it reads SKIP before).
NEEDS_PYTHON: dict[str, tuple[int, int]] = {"track_ignored": (3, 13)}
