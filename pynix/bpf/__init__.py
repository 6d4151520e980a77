"""Berkeley Packet Filter programs (Linux's kernel/bpf/ and net/core/filter.c): classic BPF, the checker and
the interpreter that seccomp filters and, later, socket filters (SO_ATTACH_FILTER) run on."""
