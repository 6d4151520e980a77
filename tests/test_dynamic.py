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
    "bash_bc": ["/bin/bash", "-c", "for i in $(seq 1 50); do echo $i; done | paste -sd+ | bc"],
    "sqlite3": ["/usr/bin/sqlite3", ":memory:",
                "create table t(x, y); insert into t values (1, 'a'), (2, 'b'), (3, 'c');"
                "select sum(x), group_concat(y, '-') from t; select count(*) from t where x > 1;"],
    "perl": ["/usr/bin/perl", "-e",
             'my %h = (b => 2, a => 1); print join(",", map { "$_=$h{$_}" } sort keys %h), "\\n";'
             'printf("%.3f\\n", atan2(1, 1) * 4)'],
    "lua5.4": ["/usr/bin/lua5.4", "-e",
               "local t = {} for i = 1, 10 do t[#t + 1] = i * i end print(table.concat(t, ','), math.pi)"],
    "python3_subprocess": ["/usr/bin/python3", "-c",
                           "import subprocess; r = subprocess.run(['sh', '-c', 'echo $((6*7)); exit 3'], "
                           "capture_output=True); print(r.stdout, r.returncode)"],
}

# Programs that build things in a directory of their own ({dir}).  pynix runs first: its writes stay in the
# guest's in-memory overlay, so the native run afterwards starts from the same pristine directory and both
# print the same paths.
PROJECT = {
    "hello.c": '#include <stdio.h>\nint main(void) { printf("hello %d\\n", 6 * 7); return 0; }\n',
    "a.c": "int f(void);\nint main(void) { return f() - 3; }\n",
    "b.c": "int f(void) { return 3; }\n",
    "Makefile": "prog: a.o b.o\n\t$(CC) -o $@ $^\n%.o: %.c\n\t$(CC) -c -o $@ $<\n",
    "test_small.py": "import unittest\n\nclass T(unittest.TestCase):\n"
                     "    def test_add(self):\n        self.assertEqual(1 + 1, 2)\n\n"
                     "    def test_upper(self):\n        self.assertEqual('pynix'.upper(), 'PYNIX')\n",
}
PROJECT_CASES = {
    "gcc": "gcc -O2 -o hello hello.c && ./hello",
    "make_j2": "make -s -j2 && ./prog && echo built: *.o prog",
    "tar_gzip": "mkdir src out && cp a.c b.c src/ && tar czf src.tgz src && tar xzf src.tgz -C out && "
                "cmp src/a.c out/src/a.c && ls -R out && gzip -9 -c hello.c | gunzip | cmp - hello.c && echo same",
    "python3_unittest": "python3 -m unittest -q test_small 2>&1 | tail -1",
}


def _compare(argv: list[str]) -> None:
    need(host_isa() == "x86_64", "these are the host's x86_64 programs")
    need(shutil.which(argv[0]) is not None, f"{argv[0]} is not installed")
    got = run_pynix(argv[0], argv[1:])
    native = subprocess.run(argv, capture_output=True, timeout=120)
    assert_no_traceback(got)
    assert got.stdout == native.stdout, got.describe()
    assert got.returncode == native.returncode, got.describe()


@pytest.mark.parametrize("name", sorted(CASES))
def test_host_program(name):
    _compare(CASES[name])


@pytest.mark.parametrize("name", sorted(PROJECT_CASES))
def test_host_toolchain(name, tmp_path):
    """gcc (cpp, cc1, as, ld: many fork/exec/pipe/mmap), make -j2, tar+gzip, python3's unittest."""
    for file, text in PROJECT.items():
        (tmp_path / file).write_text(text)
    need(all(shutil.which(p) for p in ("gcc", "make", "tar", "gzip")), "gcc, make, tar and gzip are needed")
    _compare(["/bin/sh", "-c", f"cd {tmp_path} && {PROJECT_CASES[name]}"])
