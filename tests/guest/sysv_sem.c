/* System V semaphores: semget, semop/semtimedop (atomicity, IPC_NOWAIT, blocking, timeouts, EINTR, EIDRM,
   SEM_UNDO at exit), semctl (GETALL/SETALL/GETVAL/SETVAL/GETPID/GETNCNT/GETZCNT/IPC_STAT/IPC_SET/IPC_INFO),
   keys and permissions.  Output through write(2) only; ids and pids are never printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

static int id;

static void show(const char *what)
{
    unsigned short v[3];
    union semun u = {.array = v};
    if (semctl(id, 0, GETALL, u) < 0)
        say("%s: GETALL %s\n", what, errname(errno));
    else
        say("%s: %u %u %u\n", what, v[0], v[1], v[2]);
}

static int op(int num, int delta, int flg)
{
    struct sembuf sb = {(unsigned short)num, (short)delta, (short)flg};
    return semop(id, &sb, 1);
}

static int wait_child(pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Wait until `n` tasks sleep on semaphore `num` (GETNCNT, or GETZCNT for zero waits). */
static int await_sleepers(int num, int cmd, int n)
{
    for (int i = 0; i < 2000; i++) {
        int got = semctl(id, num, cmd);
        if (got == n)
            return got;
        usleep(5000);
    }
    return semctl(id, num, cmd);
}

static void on_alarm(int sig) { (void)sig; }

int main(void)
{
    say("nsems 0: %s\n", RES(semget(IPC_PRIVATE, 0, 0600)));
    say("nsems -1: %s\n", RES(semget(IPC_PRIVATE, -1, 0600)));
    id = semget(IPC_PRIVATE, 3, 0600);
    say("semget: %s\n", RES(id));
    show("fresh");
    struct semid_ds ds;
    union semun u = {.buf = &ds};
    int r = semctl(id, 0, IPC_STAT, u);
    say("IPC_STAT: %s nsems %lu otime %d mode %o\n", RES(r), (unsigned long)ds.sem_nsems, (int)ds.sem_otime,
        (unsigned)ds.sem_perm.mode & 0777);

    unsigned short init[3] = {1, 2, 3};
    u.array = init;
    say("SETALL: %s\n", RES(semctl(id, 0, SETALL, u)));
    show("after SETALL");
    say("GETVAL 2: %d\n", semctl(id, 2, GETVAL));
    say("GETVAL 3: %s\n", RES(semctl(id, 3, GETVAL)));
    u.val = 40000;
    say("SETVAL 40000: %s\n", RES(semctl(id, 0, SETVAL, u)));
    u.val = -1;
    say("SETVAL -1: %s\n", RES(semctl(id, 0, SETVAL, u)));

    /* semop: atomic, all or nothing */
    struct sembuf two[2] = {{0, -1, 0}, {1, -5, IPC_NOWAIT}};
    say("atomic fail: %s\n", RES(semop(id, two, 2)));
    show("unchanged");
    struct sembuf dup[3] = {{1, -1, 0}, {1, -1, 0}, {2, 1, 0}};
    say("same sem twice: %s\n", RES(semop(id, dup, 3)));
    show("after");
    say("GETPID is me: %d\n", semctl(id, 1, GETPID) == getpid());
    r = semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
    say("IPC_STAT otime set: %d\n", r == 0 && ds.sem_otime != 0);
    say("nowait: %s\n", RES(op(1, -1, IPC_NOWAIT)));
    say("zero nowait: %s\n", RES(op(0, 0, IPC_NOWAIT)));
    say("EFBIG: %s\n", RES(op(3, 1, 0)));
    say("nsops 0: %s\n", RES(semop(id, two, 0)));
    static struct sembuf many[501];
    say("nsops 501: %s\n", RES(semop(id, many, 501)));
    say("ERANGE: %s\n", RES(op(2, 32767, 0)));
    say("bad id: %s\n", RES(semop(id + 1, two, 1)));
    struct timespec ts = {0, 50 * 1000 * 1000};
    struct sembuf dec = {1, -1, 0};
    say("semtimedop timeout: %s\n", RES(semtimedop(id, &dec, 1, &ts)));
    ts.tv_nsec = 2000000000;
    say("semtimedop bad timeout: %s\n", RES(semtimedop(id, &dec, 1, &ts)));
    show("before blocking");

    /* blocking decrement, woken by an increment */
    pid_t pid = fork();
    if (pid == 0) {
        int r = op(1, -2, 0);
        say("child: decrement done: %s\n", RES(r));
        _exit(0);
    }
    say("GETNCNT: %d\n", await_sleepers(1, GETNCNT, 1));
    say("GETZCNT: %d\n", semctl(id, 1, GETZCNT));
    r = op(1, 2, 0);
    say("child: %d\n", wait_child(pid));
    say("increment: %s\n", RES(r));
    show("after the child");

    /* waiting for zero */
    pid = fork();
    if (pid == 0) {
        say("child: zero wait: %s\n", RES(op(2, 0, 0)));
        _exit(0);
    }
    say("GETZCNT 2: %d\n", await_sleepers(2, GETZCNT, 1));
    u.val = 0;
    r = semctl(id, 2, SETVAL, u);
    say("child: %d\n", wait_child(pid));
    say("SETVAL 0: %s\n", RES(r));

    /* a signal interrupts semop even with SA_RESTART */
    pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGALRM, &sa, NULL);
        struct itimerval it = {{0, 0}, {0, 100000}};
        setitimer(ITIMER_REAL, &it, NULL);
        say("child: interrupted: %s\n", RES(op(1, -5, 0)));
        _exit(0);
    }
    say("child: %d\n", wait_child(pid));
    say("GETNCNT after: %d\n", semctl(id, 1, GETNCNT));

    /* SEM_UNDO: a process's adjustments are reversed when it exits */
    u.val = 5;
    semctl(id, 0, SETVAL, u);
    pid = fork();
    if (pid == 0) {
        op(0, -3, SEM_UNDO);
        op(0, 1, SEM_UNDO);
        op(1, 1, 0);
        say("child: sem0 %d\n", semctl(id, 0, GETVAL));
        _exit(0);
    }
    wait_child(pid);
    show("undone at exit");
    pid = fork();
    if (pid == 0) {                          /* an undo that would go below zero is clamped */
        op(0, 2, SEM_UNDO);
        u.val = 1;
        semctl(id, 0, SETVAL, u);            /* SETVAL clears the adjustment */
        op(2, 4, SEM_UNDO);
        u.val = 0;
        _exit(0);
    }
    wait_child(pid);
    show("setval cleared the undo");
    u.val = 4;
    semctl(id, 2, SETVAL, u);
    pid = fork();
    if (pid == 0) {
        op(2, -4, SEM_UNDO);
        u.val = 1;
        struct sembuf up = {2, 1, 0};
        semop(id, &up, 1);
        _exit(0);
    }
    wait_child(pid);
    show("undo of a decrement");

    /* removal wakes sleepers with EIDRM */
    pid = fork();
    if (pid == 0) {
        say("child: on removed set: %s\n", RES(op(1, -10, 0)));
        _exit(0);
    }
    await_sleepers(1, GETNCNT, 1);
    u.buf = &ds;
    semctl(id, 0, IPC_STAT, u);
    ds.sem_perm.mode = 0644;
    say("IPC_SET: %s\n", RES(semctl(id, 0, IPC_SET, u)));
    semctl(id, 0, IPC_STAT, u);
    say("mode now %o\n", (unsigned)ds.sem_perm.mode & 0777);
    r = semctl(id, 0, IPC_RMID);
    say("child: %d\n", wait_child(pid));
    say("IPC_RMID: %s\n", RES(r));
    say("GETVAL removed: %s\n", RES(semctl(id, 0, GETVAL)));

    /* keys and permissions */
    key_t key = 0x5f000000 | (getpid() & 0xffffff);
    int k = semget(key, 2, IPC_CREAT | IPC_EXCL | 0640);
    say("key create: %s\n", RES(k));
    say("key excl: %s\n", RES(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600)));
    say("key more sems: %s\n", RES(semget(key, 3, 0)));
    say("key lookup: %d\n", semget(key, 0, 0) == k);
    say("unknown key: %s\n", RES(semget(key + 1, 1, 0)));
    pid = fork();
    if (pid == 0) {
        if (setgid(1000) < 0 || setuid(1000) < 0) {
            say("setuid: %s\n", errname(errno));
            _exit(0);
        }
        int save = id;
        id = k;
        say("other: GETVAL: %s\n", RES(semctl(k, 0, GETVAL)));
        say("other: semop: %s\n", RES(op(0, 1, 0)));
        say("other: IPC_RMID: %s\n", RES(semctl(k, 0, IPC_RMID)));
        id = save;
        _exit(0);
    }
    wait_child(pid);
    say("key IPC_RMID: %s\n", RES(semctl(k, 0, IPC_RMID)));

    struct seminfo si;
    u.__buf = &si;
    int maxidx = semctl(0, 0, IPC_INFO, u);
    say("IPC_INFO: %s semmsl %d semopm %d semvmx %d semmni %d\n", maxidx >= 0 ? "ok" : errname(errno), si.semmsl,
        si.semopm, si.semvmx, si.semmni);
    say("unknown cmd: %s\n", RES(semctl(0, 0, 99)));
    say("ALL DONE\n");
    return 0;
}
