/* NUMA memory policy calls on a one-node machine: set_mempolicy/get_mempolicy (modes, flags, node masks),
   mbind on a mapping and get_mempolicy(MPOL_F_ADDR), set_mempolicy_home_node, migrate_pages, move_pages.
   Raw syscalls (no libnuma).  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")
enum { DEFAULT, PREFERRED, BIND, INTERLEAVE, LOCAL, PREFERRED_MANY };
#define F_STATIC (1 << 15)
#define F_RELATIVE (1 << 14)
#define F_BALANCING (1 << 13)
#define F_NODE 1
#define F_ADDR 2
#define F_MEMS_ALLOWED 4

static long setpol(int mode, unsigned long *mask, unsigned long maxnode)
{
    return syscall(SYS_set_mempolicy, mode, mask, maxnode);
}

static void getpol(const char *what, void *addr, int flags)
{
    int mode = -1;
    unsigned long mask[2] = {~0ul, ~0ul};
    long r = syscall(SYS_get_mempolicy, &mode, mask, 128, addr, flags);
    if (r < 0)
        say("%s: %s\n", what, errname(errno));
    else
        say("%s: mode %#x nodes %#lx %#lx\n", what, mode, mask[0], mask[1]);
}

int main(void)
{
    unsigned long node0 = 1, node1 = 2, both = 3, none = 0;
    getpol("start", NULL, 0);
    getpol("mems allowed", NULL, F_MEMS_ALLOWED);
    getpol("mems allowed with F_NODE", NULL, F_MEMS_ALLOWED | F_NODE);
    getpol("node of nothing", NULL, F_NODE);
    getpol("addr without F_ADDR", (void *)4096, 0);
    getpol("bad flags", NULL, 8);
    int mode;
    unsigned long m;
    say("maxnode 0 with a mask: %s\n", RES(syscall(SYS_get_mempolicy, &mode, &m, 0, NULL, 0)));

    say("BIND {0}: %s\n", RES(setpol(BIND, &node0, 64)));
    getpol("bind", NULL, 0);
    getpol("node under bind", NULL, F_NODE);
    say("BIND {1}: %s\n", RES(setpol(BIND, &node1, 64)));
    say("BIND {0,1}: %s\n", RES(setpol(BIND, &both, 64)));
    getpol("bind {0,1}", NULL, 0);
    say("BIND {}: %s\n", RES(setpol(BIND, &none, 64)));
    say("INTERLEAVE {0}: %s\n", RES(setpol(INTERLEAVE, &node0, 64)));
    getpol("node under interleave", NULL, F_NODE);
    say("PREFERRED {}: %s\n", RES(setpol(PREFERRED, NULL, 0)));
    getpol("preferred without nodes", NULL, 0);
    say("PREFERRED {1}: %s\n", RES(setpol(PREFERRED, &node1, 64)));
    say("LOCAL {0}: %s\n", RES(setpol(LOCAL, &node0, 64)));
    say("LOCAL: %s\n", RES(setpol(LOCAL, NULL, 0)));
    getpol("local", NULL, 0);
    say("BIND|STATIC {0,1}: %s\n", RES(setpol(BIND | F_STATIC, &both, 64)));
    getpol("static", NULL, 0);
    say("BIND|RELATIVE {1}: %s\n", RES(setpol(BIND | F_RELATIVE, &node1, 64)));
    getpol("relative", NULL, 0);
    say("STATIC|RELATIVE: %s\n", RES(setpol(BIND | F_STATIC | F_RELATIVE, &node0, 64)));
    say("INTERLEAVE|BALANCING: %s\n", RES(setpol(INTERLEAVE | F_BALANCING, &node0, 64)));
    say("mode 7: %s\n", RES(setpol(7, &node0, 64)));
    say("DEFAULT {0}: %s\n", RES(setpol(DEFAULT, &node0, 64)));
    say("maxnode past a page: %s\n", RES(setpol(BIND, &node0, 4096 * 8 + 2)));
    unsigned long wide[32] = {1};
    wide[20] = 1;
    say("node past MAX_NUMNODES: %s\n", RES(setpol(BIND, wide, 2048)));
    say("INTERLEAVE {0} again: %s\n", RES(setpol(INTERLEAVE, &node0, 64)));
    pid_t pid = fork();
    if (pid == 0) {
        getpol("child inherits", NULL, 0);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    say("DEFAULT: %s\n", RES(setpol(DEFAULT, NULL, 0)));
    getpol("default", NULL, 0);

    /* mbind */
    char *area = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    say("mbind BIND {0} on 2 pages: %s\n", RES(syscall(SYS_mbind, area + 4096, 8192, BIND, &node0, 64, 0)));
    getpol("addr page 0", area, F_ADDR);
    getpol("addr page 1", area + 4096, F_ADDR);
    getpol("addr page 2", area + 8192, F_ADDR);
    area[4096] = 1;
    getpol("node of a touched page", area + 4096, F_ADDR | F_NODE);
    getpol("addr unmapped", (void *)4096, F_ADDR);
    say("mbind unaligned: %s\n", RES(syscall(SYS_mbind, area + 1, 4096, BIND, &node0, 64, 0)));
    say("mbind bad flags: %s\n", RES(syscall(SYS_mbind, area, 4096, BIND, &node0, 64, 8)));
    say("mbind MOVE|STRICT: %s\n", RES(syscall(SYS_mbind, area, 4096, BIND, &node0, 64, 3)));
    say("mbind zero length: %s\n", RES(syscall(SYS_mbind, area, 0, BIND, &node1, 64, 0)));
    say("mbind bad nodes: %s\n", RES(syscall(SYS_mbind, area, 4096, BIND, &node1, 64, 0)));
    munmap(area + 3 * 4096, 4096);
    say("mbind over a hole: %s\n", RES(syscall(SYS_mbind, area, 4 * 4096, BIND, &node0, 64, 0)));
    say("home node: %s\n", RES(syscall(SYS_set_mempolicy_home_node, area, 3 * 4096, 0, 0)));
    say("home node 1: %s\n", RES(syscall(SYS_set_mempolicy_home_node, area, 4096, 1, 0)));
    say("home node flags: %s\n", RES(syscall(SYS_set_mempolicy_home_node, area, 4096, 0, 1)));
    syscall(SYS_mbind, area + 8192, 4096, INTERLEAVE, &node0, 64, 0);
    say("home node on interleave: %s\n", RES(syscall(SYS_set_mempolicy_home_node, area + 8192, 4096, 0, 0)));

    /* migrate_pages, move_pages */
    say("migrate_pages: %ld\n", (long)syscall(SYS_migrate_pages, 0, 64, &node0, &node0));
    say("migrate_pages to node 1: %s\n", RES(syscall(SYS_migrate_pages, 0, 64, &node0, &node1)));
    say("migrate_pages no such pid: %s\n", RES(syscall(SYS_migrate_pages, 0x3ffffff0, 64, &node0, &node0)));
    void *pages[4] = {area, area + 4096, (void *)4096, area + 8192};
    int status[4] = {9, 9, 9, 9};
    long r = syscall(SYS_move_pages, 0, 4, pages, NULL, status, 0);
    say("move_pages query: %s status %d %d %d %d\n", RES(r), status[0], status[1], status[2], status[3]);
    int to[4] = {0, 0, 0, 0};
    r = syscall(SYS_move_pages, 0, 4, pages, to, status, 2);
    say("move_pages to 0: %s status %d %d %d %d\n", RES(r), status[0], status[1], status[2], status[3]);
    to[1] = 1;
    r = syscall(SYS_move_pages, 0, 2, pages, to, status, 2);
    say("move_pages to 1: %s status %d %d\n", RES(r), status[0], status[1]);
    say("move_pages bad flags: %s\n", RES(syscall(SYS_move_pages, 0, 1, pages, NULL, status, 1)));
    say("ALL DONE\n");
    return 0;
}
