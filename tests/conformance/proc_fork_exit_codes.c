/* Exit statuses as the parent sees them: exit() and _exit() values are truncated to 8 bits, returning from
 * main is exit(), atexit handlers run on exit() but not _exit(), stdio buffers are flushed by exit() only. */
// exit: 7
#include "conf.h"

static void handler(void) { printf("atexit handler ran\n"); }

static void child(int how, int code)
{
    pid_t pid = xfork();
    if (pid == 0) {
        if (how == 0) exit(code);
        if (how == 1) _exit(code);
        if (how == 2) syscall(SYS_exit_group, code);
        if (how == 3) syscall(SYS_exit, code);   /* the only thread: ends the process */
        _exit(99);
    }
    int st;
    pid_t r = waitpid(pid, &st, 0);
    const char *names[] = {"exit", "_exit", "exit_group", "exit (thread)"};
    printf("%s(%d): %s, waitpid returned the child: %d\n", names[how], code, status_text(st), r == pid);
}

int main(void)
{
    int codes[] = {0, 1, 42, 127, 255, 256, 257, -1};
    for (int i = 0; i < 8; i++) child(0, codes[i]);
    child(1, 3);
    child(2, 4);
    child(3, 5);

    /* atexit runs on exit(), not on _exit() */
    pid_t pid = xfork();
    if (pid == 0) { atexit(handler); exit(0); }
    reap("child with atexit, exit()", pid);
    pid = xfork();
    if (pid == 0) { atexit(handler); _exit(0); }
    reap("child with atexit, _exit()", pid);

    /* buffered stdio: flushed by exit(), lost by _exit() */
    int p[2];
    MUST(pipe(p));
    pid = xfork();
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 1);
        setvbuf(stdout, NULL, _IOFBF, 4096);
        printf("buffered text");
        _exit(0);
    }
    close(p[1]);
    char buf[64];
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("after _exit the pipe had %zd bytes\n", n);
    close(p[0]);
    waitpid(pid, NULL, 0);

    MUST(pipe(p));
    pid = xfork();
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 1);
        setvbuf(stdout, NULL, _IOFBF, 4096);
        printf("buffered text");
        exit(0);
    }
    close(p[1]);
    n = read(p[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("after exit the pipe had %zd bytes: %s\n", n, buf);
    waitpid(pid, NULL, 0);

    /* 50 children at once, reaped in any order, each status right */
    pid_t pids[50];
    for (int i = 0; i < 50; i++) {
        pids[i] = xfork();
        if (pids[i] == 0) _exit(i);
    }
    int right = 0;
    for (int i = 0; i < 50; i++) {
        int st;
        pid_t r = wait(&st);
        for (int j = 0; j < 50; j++)
            if (pids[j] == r && WIFEXITED(st) && WEXITSTATUS(st) == j) right++;
    }
    printf("50 concurrent children: %d statuses right\n", right);
    SHOW("wait with no children", wait(NULL));
    return 7;   /* from main: the process's exit status */
}
