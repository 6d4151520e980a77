/* IPC namespaces: a System V message queue and a POSIX message queue of one namespace are invisible in a new
 * one (unshare CLONE_NEWIPC), objects made there are invisible outside, /proc/sysvipc follows the namespace,
 * and setns goes back. */
#define _GNU_SOURCE
#include <mqueue.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "errname.h"
#include "say.h"
#include "ns_util.h"

#define KEY 0x5e1f1a

static int sysvipc_lines(void)
{
    char buf[4096];
    int fd = open("/proc/sysvipc/msg", O_RDONLY), n, lines = 0;
    if (fd < 0)
        return -1;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (int i = 0; i < n; i++)
            lines += buf[i] == '\n';
    close(fd);
    return lines;
}

int main(void)
{
    int outer_q = msgget(KEY, IPC_CREAT | IPC_EXCL | 0600);
    say("outer msgget: %s\n", RES(outer_q));
    int outer_lines = sysvipc_lines();
    int self = open("/proc/self/ns/ipc", O_RDONLY);
    say("ipc link ok: %d, NS_GET_NSTYPE ipc: %d\n", ns_link_ok("ipc"), ioctl(self, NS_GET_NSTYPE) == CLONE_NEWIPC);
    int pipefd[2], back[2];
    pipe(pipefd);
    pipe(back);
    pid_t pid = fork();
    if (pid == 0) {
        say("child: unshare CLONE_NEWIPC: %s\n", RES(unshare(CLONE_NEWIPC)));
        say("child: new namespace: %d\n", ns_ino(0, "ipc") != fd_ino(self));
        say("child: outer queue by key: %s\n", RES(msgget(KEY, 0)));
        say("child: /proc/sysvipc/msg has only its header: %d\n", sysvipc_lines() == 1);
        int q = msgget(KEY, IPC_CREAT | IPC_EXCL | 0600);
        say("child: same key again: %s\n", RES(q));
        struct { long type; char text[8]; } m = {1, "inner"};
        say("child: msgsnd: %s\n", RES(msgsnd(q, &m, sizeof m.text, 0)));
        mqd_t mq = mq_open("/nsipc", O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
        say("child: mq_open: %s\n", RES((int)mq));
        signal_peer(pipefd[1]);
        wait_peer(back[0]);
        say("child: setns back: %s\n", RES(setns(self, CLONE_NEWIPC)));
        struct msqid_ds ds;
        say("child: back: the outer queue: %s, empty: %d\n", RES(msgget(KEY, 0)),
            msgctl(outer_q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 0);
        _exit(0);
    }
    wait_peer(pipefd[0]);
    struct msqid_ds ds;
    say("parent: own queue still empty: %d\n", msgctl(outer_q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 0);
    say("parent: /proc/sysvipc/msg unchanged: %d\n", sysvipc_lines() == outer_lines);
    say("parent: the child's POSIX queue: %s\n", RES((int)mq_open("/nsipc", O_RDONLY)));
    signal_peer(back[1]);
    waitpid(pid, NULL, 0);
    msgctl(outer_q, IPC_RMID, NULL);
    say("ALL DONE\n");
    return 0;
}
