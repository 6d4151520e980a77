"""Chapter 3 exercises (docs/book/programs.md)."""
import pytest

from conftest import pynix_sh

pytestmark = pytest.mark.exercise


def _auxv() -> dict[int, int]:
    words = [int(w) for w in pynix_sh("od -An -tu8 -v /proc/self/auxv").split()]
    return dict(zip(words[::2], words[1::2]))


def test_auxv_minsigstksz():
    """3.1: AT_MINSIGSTKSZ (51): the least signal stack a signal frame of this CPU needs (x86_64, Linux 5.14):
    the size of the frame pynix/arch/x86_64/signal.py builds, at least its register save area."""
    assert 1024 <= _auxv().get(51, 0) <= 65536


def test_auxv_rseq():
    """3.2: AT_RSEQ_FEATURE_SIZE (27) and AT_RSEQ_ALIGN (28), Linux 6.3: pynix implements rseq, so it can say
    how large struct rseq is and how it must be aligned."""
    auxv = _auxv()
    assert auxv.get(27) == 28 and auxv.get(28) == 32
