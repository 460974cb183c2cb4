import pytest

from mpconform.conformance import children_lifecycle as kids
from mpconform.waiting import finish

pytestmark = pytest.mark.mp_area("Process lifecycle")


def test_exit_zero(mp):
    """A child that calls sys.exit(0) ends with exitcode 0."""
    p = mp.Process(target=kids.exit_with, args=(0,))
    p.start()
    assert finish(p) == 0
