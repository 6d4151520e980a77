"""Capabilities: guest/capabilities.c differentially (capget/capset, the bounding and ambient sets, keepcaps and
the uid rules, file capabilities on execve, refusals after a capability is dropped), and libcap's own programs
-- capsh, setcap/getcap, getpcaps -- run natively and under pynix.  The privileged parts need root (CI runs as
root); the host's programs need an x86_64 host."""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from harness import assert_no_traceback, assert_same, assert_same_as_native, host_isa, need, run_pynix, run_reference

SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
CAPSH, SETCAP = shutil.which("capsh", path=SBIN), shutil.which("setcap", path=SBIN)
GETCAP, GETPCAPS = shutil.which("getcap", path=SBIN), shutil.which("getpcaps", path=SBIN)
BASH = "/bin/bash"


def test_capabilities(target):
    out = assert_same_as_native("capabilities.c", target)
    assert b"capget probe (version 0, NULL data) = 0\n  header version now 0x20080522\n" in out
    if os.geteuid() == 0:
        assert b"  chown = -1 EPERM\n" in out and b"capset prm + CAP_KILL again = -1 EPERM\n" in out
        assert b"exec as uid 1000 with an ambient capability:\nUid:\t1000\t1000\t1000\t1000\n" \
               b"CapInh:\t0000000000000400\nCapPrm:\t0000000000000400\nCapEff:\t0000000000000400\n" in out
        assert b"kill(uid 1234's process, 0) without CAP_KILL = -1 EPERM\n" in out
        assert b"exec as uid 1000:\nUid:\t1000\t1000\t1000\t1000\nCapInh:\t0000000000000000\n" \
               b"CapPrm:\t0000000000000400\nCapEff:\t0000000000000400\n" in out
        assert b"exec after CAP_NET_BIND_SERVICE left the bounding set:\nexecve: EPERM\n" in out


@pytest.fixture
def libcap():
    need(host_isa() == "x86_64", "the host's libcap programs are x86_64")
    need(None not in (CAPSH, SETCAP, GETCAP, GETPCAPS), "libcap2-bin is not installed")


@pytest.fixture
def open_dir():
    """A directory every user may enter (pytest's tmp_path is under a 0700 one)."""
    path = tempfile.mkdtemp(prefix="pynix-caps-")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def test_capsh_print(libcap):
    """capsh --print: the sets, the bounding set, securebits, ids, as pynix's first process holds them."""
    pynix, _ = assert_same(CAPSH, ["--print"])
    assert pynix.stdout.startswith(b"Current: ")


def test_capsh_drop_refuses_chown(libcap, open_dir):
    """`capsh --drop=cap_chown -- -c 'chown ...'`: the shell capsh starts has lost CAP_CHOWN (natively too)."""
    need(os.geteuid() == 0, "dropping from the bounding set needs root")
    script = f"touch {open_dir}/f; chown 1:1 {open_dir}/f; echo chown=$?; grep -E '^Cap(Prm|Eff|Bnd)' /proc/self/status"
    pynix, _ = assert_same(CAPSH, ["--drop=cap_chown", "--", "-c", script])
    assert b"chown=1\n" in pynix.stdout


def test_getpcaps_of_the_shell(libcap):
    """getpcaps $$ names the shell's capabilities (its pid differs: only what follows it is compared)."""
    command = [BASH, "-c", f"{GETPCAPS} $$"]
    got, ref = run_pynix(command[0], command[1:]), run_reference(command[0], command[1:])
    assert_no_traceback(got)
    assert got.returncode == ref.returncode == 0, got.describe()
    assert got.stdout.split(b":", 1)[1] == ref.stdout.split(b":", 1)[1], got.describe() + ref.describe()


def test_setcap_then_exec_gains_the_capability(libcap, open_dir):
    """setcap cap_net_raw+ep on a copy of capsh, getcap shows it, and that copy run as nobody holds
    cap_net_raw (while the ordinary capsh run as nobody holds nothing)."""
    need(os.geteuid() == 0, "setcap needs CAP_SETFCAP")
    copy = f"{open_dir}/capsh"
    script = (f"cp {CAPSH} {copy} && {SETCAP} cap_net_raw+ep {copy} && {GETCAP} {copy} | sed 's|.*/||' && "
              f"{CAPSH} --user=nobody -- -c '{copy} --print | head -1; {CAPSH} --print | head -1' && "
              f"{SETCAP} -r {copy} && {GETCAP} {copy} && echo removed")
    pynix, _ = assert_same(BASH, ["-c", script])
    assert pynix.stdout == b"capsh cap_net_raw=ep\nCurrent: cap_net_raw=ep\nCurrent: =\nremoved\n", pynix.describe()


def test_set_user_id_root_program(libcap, open_dir):
    """A set-user-ID-root copy of id and of capsh run as nobody: effective uid 0 and root's capabilities
    (execve's bprm_fill_uid and the root rules); chown of the file drops the bit."""
    need(os.geteuid() == 0, "making a set-user-ID-root file needs root")
    script = (f"for p in id capsh; do cp $(command -v $p || echo {CAPSH}) {open_dir}/$p; chmod 4755 {open_dir}/$p; "
              f"done; {CAPSH} --user=nobody -- -c '{open_dir}/id; {open_dir}/capsh --print | head -1'; "
              f"chown 0:0 {open_dir}/id; stat -c %A {open_dir}/id")
    pynix, _ = assert_same(BASH, ["-c", script])
    assert b"euid=0(root)" in pynix.stdout and pynix.stdout.endswith(b"-rwxr-xr-x\n"), pynix.describe()


def test_capsh_ambient_for_nobody(libcap):
    """`capsh --keep=1 --user=nobody --inh=... --addamb=...`: the shell it starts as nobody holds
    cap_net_bind_service through the ambient set, as its /proc/self/status and getpcaps say."""
    need(os.geteuid() == 0, "changing to nobody needs root")
    pynix, _ = assert_same(CAPSH, ["--keep=1", "--user=nobody", "--inh=cap_net_bind_service",
                                   "--addamb=cap_net_bind_service", "--", "-c",
                                   f"grep -E '^(Cap|Uid)' /proc/self/status; {GETPCAPS} 0"])
    assert b"CapAmb:\t0000000000000400\n" in pynix.stdout and b"0: cap_net_bind_service=eip\n" in pynix.stdout
