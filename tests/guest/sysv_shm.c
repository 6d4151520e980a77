/* System V shared memory: shmget keys and flags, shmat/shmdt (SHM_RDONLY, SHM_RND, SHM_REMAP), sharing across
   fork, shm_nattch, IPC_RMID while attached, IPC_STAT/IPC_SET/IPC_INFO, permissions, /proc/sysvipc/shm and
   /proc/self/maps.  Output through write(2) only; ids, pids and addresses are never printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")

static void stat_line(int id, const char *what)
{
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0) {
        say("%s: IPC_STAT %s\n", what, errname(errno));
        return;
    }
    say("%s: size %zu nattch %lu mode %o key0 %d cpid_self %d atime_set %d uid %u\n", what, (size_t)ds.shm_segsz,
        (unsigned long)ds.shm_nattch, (unsigned)ds.shm_perm.mode & 07777, ds.shm_perm.__key == 0,
        ds.shm_cpid == getpid(), ds.shm_atime != 0, (unsigned)ds.shm_perm.uid);
}

static int wait_child(pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void proc_line(int id)
{
    char buf[8192];
    FILE *f = fopen("/proc/sysvipc/shm", "r");
    if (!f) {
        say("/proc/sysvipc/shm: %s\n", errname(errno));
        return;
    }
    int found = 0;
    fgets(buf, sizeof buf, f);
    say("header starts: %.30s\n", buf);
    while (fgets(buf, sizeof buf, f)) {
        int key, sid, cpid, lpid;
        unsigned perms;
        unsigned long size, nattch;
        if (sscanf(buf, "%d %d %o %lu %d %d %lu", &key, &sid, &perms, &size, &cpid, &lpid, &nattch) == 7 && sid == id) {
            say("proc: perms %o size %lu nattch %lu\n", perms, size, nattch);
            found = 1;
        }
    }
    fclose(f);
    if (!found)
        say("proc: not listed\n");
}

static int maps_has_sysv(void)
{
    char buf[512];
    int n = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    while (f && fgets(buf, sizeof buf, f))
        if (strstr(buf, "/SYSV00000000 (deleted)"))
            n++;
    if (f)
        fclose(f);
    return n;
}

int main(void)
{
    say("create size 0: %s\n", RES(shmget(IPC_PRIVATE, 0, 0600)));
    int id = shmget(IPC_PRIVATE, 10000, 0600);
    say("shmget private: %s\n", RES(id));
    stat_line(id, "fresh");

    char *a = shmat(id, NULL, 0);
    say("shmat: %s\n", a == (void *)-1 ? errname(errno) : "ok");
    char *b = shmat(id, NULL, 0);
    strcpy(a, "written through a");
    a[9999] = 'z';
    say("b sees: %s, last byte %c, past the size (same page) %d\n", b, b[9999], b[10000]);
    stat_line(id, "two attached");
    say("maps lines: %d\n", maps_has_sysv());
    proc_line(id);

    pid_t pid = fork();
    if (pid == 0) {
        stat_line(id, "child after fork");
        strcpy(b + 100, "from the child");
        _exit(0);
    }
    say("child: %d\n", wait_child(pid));
    say("parent reads: %s\n", a + 100);
    stat_line(id, "child exited");

    /* SHM_RDONLY: readable, a store is SIGSEGV, mprotect cannot add write access */
    char *r = shmat(id, NULL, SHM_RDONLY);
    say("rdonly reads: %.7s\n", r);
    say("mprotect rdonly to write: %s\n", RES(mprotect(r, 4096, PROT_READ | PROT_WRITE)));
    pid = fork();
    if (pid == 0) {
        r[0] = 'x';
        _exit(0);
    }
    say("store into rdonly child: %d\n", wait_child(pid));
    say("shmdt rdonly: %s\n", RES(shmdt(r)));

    /* shmdt of something that is not an attachment */
    say("shmdt unaligned: %s\n", RES(shmdt(a + 1)));
    say("shmdt heap: %s\n", RES(shmdt(malloc(10))));
    say("shmdt b: %s\n", RES(shmdt(b)));
    say("shmdt b again: %s\n", RES(shmdt(b)));
    stat_line(id, "one attached");

    /* fixed addresses: SHM_RND, overlap without and with SHM_REMAP */
    char *area = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    say("shmat unaligned: %s\n", shmat(id, area + 100, 0) == (void *)-1 ? errname(errno) : "ok");
    say("shmat over a mapping: %s\n", shmat(id, area, 0) == (void *)-1 ? errname(errno) : "ok");
    char *c = shmat(id, area + 100, SHM_RND | SHM_REMAP);
    say("shmat SHM_RND|SHM_REMAP: at area %d reads %.7s\n", c == area, c);
    say("SHM_REMAP without address: %s\n", shmat(id, NULL, SHM_REMAP) == (void *)-1 ? errname(errno) : "ok");
    munmap(area + 4096, 4096);               /* the attachment is now in two pieces */
    stat_line(id, "split attachment");
    say("shmdt split: %s\n", RES(shmdt(c)));
    stat_line(id, "split detached");

    /* IPC_SET, IPC_RMID while attached */
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    ds.shm_perm.mode = 0640;
    say("IPC_SET: %s\n", RES(shmctl(id, IPC_SET, &ds)));
    stat_line(id, "after IPC_SET");
    say("IPC_RMID attached: %s\n", RES(shmctl(id, IPC_RMID, NULL)));
    stat_line(id, "removed, attached");
    proc_line(id);
    say("still usable: %.7s\n", a);
    say("shmat removed: %s\n", shmat(id, NULL, 0) == (void *)-1 ? errname(errno) : "ok");
    pid = fork();
    if (pid == 0) {
        say("child of removed reads: %.7s\n", a);
        _exit(0);
    }
    wait_child(pid);
    say("shmdt last: %s\n", RES(shmdt(a)));
    stat_line(id, "gone");
    say("IPC_RMID gone: %s\n", RES(shmctl(id, IPC_RMID, NULL)));

    /* keys */
    key_t key = 0x5e000000 | (getpid() & 0xffffff);
    int k1 = shmget(key, 5000, IPC_CREAT | IPC_EXCL | 0600);
    say("key create: %s\n", RES(k1));
    say("key excl again: %s\n", RES(shmget(key, 5000, IPC_CREAT | IPC_EXCL | 0600)));
    say("key lookup same: %d\n", shmget(key, 0, 0) == k1);
    say("key lookup bigger: %s\n", RES(shmget(key, 6000, 0)));
    say("key lookup smaller: %d\n", shmget(key, 100, 0600) == k1);
    say("unknown key: %s\n", RES(shmget(key + 1, 100, 0600)));
    say("bad id: %s\n", shmat(k1 + 1, NULL, 0) == (void *)-1 ? errname(errno) : "ok");
    say("cmd with IPC_64: %s\n", RES(syscall(SYS_shmctl, k1, IPC_STAT | 0x100, &ds)));
    say("unknown cmd: %s\n", RES(shmctl(k1, 99, &ds)));

    /* another user */
    pid = fork();
    if (pid == 0) {
        if (setuid(1000) < 0) {
            say("setuid: %s\n", errname(errno));
            _exit(0);
        }
        say("other: shmget key 0600: %s\n", RES(shmget(key, 0, 0600)));
        say("other: shmget key 0: %s\n", shmget(key, 0, 0) == k1 ? "same" : errname(errno));
        say("other: shmat: %s\n", shmat(k1, NULL, 0) == (void *)-1 ? errname(errno) : "ok");
        say("other: IPC_STAT: %s\n", RES(shmctl(k1, IPC_STAT, &ds)));
        say("other: IPC_RMID: %s\n", RES(shmctl(k1, IPC_RMID, NULL)));
        _exit(0);
    }
    wait_child(pid);
    say("key IPC_RMID: %s\n", RES(shmctl(k1, IPC_RMID, NULL)));
    say("key after RMID: %s\n", RES(shmget(key, 100, 0600)));

    struct shminfo info;
    int maxidx = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
    say("IPC_INFO: %s shmmin %lu shmmni %lu shmseg %lu\n", maxidx >= 0 ? "ok" : errname(errno),
        (unsigned long)info.shmmin, (unsigned long)info.shmmni, (unsigned long)info.shmseg);
    struct shm_info sinfo;
    say("SHM_INFO: %s\n", shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo) >= 0 ? "ok" : errname(errno));
    char line[64] = "";
    FILE *f = fopen("/proc/sys/kernel/shmmni", "r");
    if (f) {
        fgets(line, sizeof line, f);
        fclose(f);
    }
    say("shmmni: %s", line);
    say("ALL DONE\n");
    return 0;
}
