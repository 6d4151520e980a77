"""The host's own dynamically linked Debian programs (glibc, ld.so, shared libraries) under pynix, compared with
running them natively.  x86_64 hosts only: these are the host's binaries."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from harness import assert_no_traceback, host_isa, need, run_pynix

BASH_SCRIPT = r'''
square() { echo $(( $1 * $1 )); }
declare -a xs=(3 1 2)
total=0
for x in "${xs[@]}"; do total=$(( total + $(square "$x") )); done
echo "sum of squares: $total"
cat <<END | tr a-z A-Z
here-document with $(echo substitution)
END
for i in $(seq 1 50); do echo $i; done | paste -sd+
'''

CASES = {
    "ls": ["/bin/ls", "-la", "/usr/share/doc/bash"],
    "cat": ["/bin/cat", "/etc/os-release"],
    "grep_r": ["/bin/grep", "-r", "-c", "GNU", "/usr/share/doc/bash"],
    "find_wc": ["/bin/sh", "-c", "find /usr/share/doc -name copyright | wc -l"],
    "sort_sed_awk": ["/bin/sh", "-c", "printf 'b 2\\na 1\\nc 3\\n' | sort | sed s/a/A/ | awk '{s+=$2; print $1} END {print s}'"],
    "bash_script": ["/bin/bash", "-c", BASH_SCRIPT],
    "python3": ["/usr/bin/python3", "-c",
                "import json, hashlib, os, sqlite3; db = sqlite3.connect(':memory:'); "
                "db.execute('create table t(x)'); db.execute('insert into t values (42)'); "
                "print(json.dumps({'sha': hashlib.sha256(b'pynix').hexdigest()[:16], "
                "'row': db.execute('select x from t').fetchone()[0], 'cwd': os.getcwd()}))"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_host_program(name):
    need(host_isa() == "x86_64", "these are the host's x86_64 programs")
    argv = CASES[name]
    need(shutil.which(argv[0]) is not None, f"{argv[0]} is not installed")
    native = subprocess.run(argv, capture_output=True, timeout=60)
    got = run_pynix(argv[0], argv[1:])
    assert_no_traceback(got)
    assert got.stdout == native.stdout, got.describe()
    assert got.returncode == native.returncode, got.describe()
