/* System V message queues: msgget, msgsnd/msgrcv (type selection, MSG_EXCEPT, MSG_NOERROR, E2BIG, IPC_NOWAIT,
   blocking receive and send, EINTR, EIDRM), msgctl (IPC_STAT/IPC_SET/IPC_RMID/IPC_INFO), permissions and
   /proc/sysvipc/msg.  Output through write(2) only; ids and pids are never printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")

struct message {
    long mtype;
    char text[9000];
};

static int q;

static int snd(long type, const char *text, int flags)
{
    struct message m;
    m.mtype = type;
    strcpy(m.text, text);
    return msgsnd(q, &m, strlen(text), flags);
}

static void rcv(const char *what, size_t size, long type, int flags)
{
    struct message m;
    memset(&m, 0, sizeof m);
    ssize_t n = msgrcv(q, &m, size, type, flags);
    if (n < 0)
        say("%s: %s\n", what, errname(errno));
    else
        say("%s: %zd type %ld '%.*s'\n", what, n, m.mtype, (int)n, m.text);
}

static void stat_line(const char *what)
{
    struct msqid_ds ds;
    int r = msgctl(q, IPC_STAT, &ds);
    if (r < 0) {
        say("%s: IPC_STAT %s\n", what, errname(errno));
        return;
    }
        say("%s: qnum %lu cbytes %lu qbytes %lu mode %o lspid_me %d lrpid_me %d stime %d rtime %d\n", what,
            (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes,
            (unsigned)ds.msg_perm.mode & 0777, ds.msg_lspid == getpid(), ds.msg_lrpid == getpid(),
            ds.msg_stime != 0, ds.msg_rtime != 0);
}

static int wait_child(pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void proc_line(void)
{
    char buf[4096];
    FILE *f = fopen("/proc/sysvipc/msg", "r");
    if (!f) {
        say("/proc/sysvipc/msg: %s\n", errname(errno));
        return;
    }
    fgets(buf, sizeof buf, f);
    while (fgets(buf, sizeof buf, f)) {
        int key, id;
        unsigned perms;
        unsigned long cbytes, qnum;
        if (sscanf(buf, "%d %d %o %lu %lu", &key, &id, &perms, &cbytes, &qnum) == 5 && id == q)
            say("proc: perms %o cbytes %lu qnum %lu\n", perms, cbytes, qnum);
    }
    fclose(f);
}

static void on_alarm(int sig) { (void)sig; }

int main(void)
{
    q = msgget(IPC_PRIVATE, 0600);
    say("msgget: %s\n", RES(q));
    stat_line("fresh");
    say("send 5: %s\n", RES(snd(5, "five", 0)));
    say("send 1: %s\n", RES(snd(1, "one-a", 0)));
    say("send 3: %s\n", RES(snd(3, "three", 0)));
    say("send 1: %s\n", RES(snd(1, "one-b", 0)));
    say("send 2 empty: %s\n", RES(snd(2, "", 0)));
    say("send type 0: %s\n", RES(snd(0, "x", 0)));
    say("send type -1: %s\n", RES(snd(-1, "x", 0)));
    struct message big;
    big.mtype = 1;
    say("send 8193 bytes: %s\n", RES(msgsnd(q, &big, 8193, 0)));
    stat_line("five queued");
    proc_line();

    rcv("type 1", 100, 1, 0);
    rcv("type -4", 100, -4, 0);
    rcv("except 5", 100, 5, MSG_EXCEPT);
    rcv("type 9 nowait", 100, 9, IPC_NOWAIT);
    rcv("type 5 small buffer", 2, 5, 0);
    rcv("type 5 noerror", 2, 5, MSG_NOERROR);
    rcv("any", 100, 0, 0);
    rcv("empty nowait", 100, 0, IPC_NOWAIT);
    stat_line("drained");

    /* a receiver sleeps until a message of its type comes */
    pid_t pid = fork();
    if (pid == 0) {
        rcv("child: type 7", 100, 7, 0);
        _exit(0);
    }
    usleep(100000);
    snd(6, "six", 0);
    snd(7, "seven", 0);
    say("child: %d\n", wait_child(pid));
    rcv("left", 100, 0, IPC_NOWAIT);

    /* a full queue: IPC_NOWAIT is EAGAIN, a sender sleeps until there is room */
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    ds.msg_qbytes = 100;
    say("IPC_SET qbytes 100: %s\n", RES(msgctl(q, IPC_SET, &ds)));
    char sixty[61];
    memset(sixty, 'x', 60);
    sixty[60] = 0;
    say("send 60: %s\n", RES(snd(1, sixty, 0)));
    say("send 60 nowait: %s\n", RES(snd(2, sixty, IPC_NOWAIT)));
    pid = fork();
    if (pid == 0) {
        say("child: blocked send: %s\n", RES(snd(2, sixty, 0)));
        _exit(0);
    }
    usleep(100000);
    stat_line("full");
    struct message m;
    ssize_t n = msgrcv(q, &m, 100, 1, 0);
    say("child: %d\n", wait_child(pid));
    say("made room: %zd\n", n);
    stat_line("the late one came");
    rcv("the late one", 100, 0, 0);

    /* a signal interrupts msgrcv even with SA_RESTART */
    pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGALRM, &sa, NULL);
        struct itimerval it = {{0, 0}, {0, 100000}};
        setitimer(ITIMER_REAL, &it, NULL);
        rcv("child: interrupted", 100, 0, 0);
        _exit(0);
    }
    say("child: %d\n", wait_child(pid));

    /* removal wakes a sleeping receiver with EIDRM */
    pid = fork();
    if (pid == 0) {
        rcv("child: removed queue", 100, 0, 0);
        _exit(0);
    }
    usleep(100000);
    int r = msgctl(q, IPC_RMID, NULL);
    say("child: %d\n", wait_child(pid));
    say("IPC_RMID: %s\n", RES(r));
    stat_line("removed");
    say("send to removed: %s\n", RES(snd(1, "x", 0)));

    /* keys and permissions */
    key_t key = 0x5d000000 | (getpid() & 0xffffff);
    q = msgget(key, IPC_CREAT | IPC_EXCL | 0620);
    say("key create: %s\n", RES(q));
    say("key excl: %s\n", RES(msgget(key, IPC_CREAT | IPC_EXCL | 0600)));
    say("key lookup: %d\n", msgget(key, 0) == q);
    say("unknown key: %s\n", RES(msgget(key + 1, 0)));
    pid = fork();
    if (pid == 0) {
        if (setuid(1000) < 0) {
            say("setuid: %s\n", errname(errno));
            _exit(0);
        }
        say("other: send: %s\n", RES(snd(1, "hi", 0)));
        rcv("other: receive", 100, 0, IPC_NOWAIT);
        say("other: IPC_RMID: %s\n", RES(msgctl(q, IPC_RMID, NULL)));
        _exit(0);
    }
    wait_child(pid);
    stat_line("after other");
    say("key IPC_RMID: %s\n", RES(msgctl(q, IPC_RMID, NULL)));

    struct msginfo mi;
    int maxidx = msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
    say("IPC_INFO: %s msgmax %d msgmnb %d msgmni %d msgssz %d msgseg %d\n", maxidx >= 0 ? "ok" : errname(errno),
        mi.msgmax, mi.msgmnb, mi.msgmni, mi.msgssz, mi.msgseg);
    say("unknown cmd: %s\n", RES(msgctl(0, 99, &ds)));
    say("ALL DONE\n");
    return 0;
}
