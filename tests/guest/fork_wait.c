/* fork + wait: exit codes, 200 sequential children, WNOHANG, ECHILD, death by signal, copy-on-write
 * isolation, MAP_SHARED anonymous memory shared across fork, getppid. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

static int global = 100;

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(40 + i);
        int st;
        pid_t got = waitpid(pid, &st, 0);
        printf("child %d: reaped=%d exited=%d code=%d\n", i, got == pid, WIFEXITED(st), WEXITSTATUS(st));
    }
    int ok = 0;
    for (int i = 0; i < 200; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(i & 0x7f);
        int st;
        if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == (i & 0x7f)) ok++;
    }
    printf("sequential: %d/200\n", ok);

    /* copy-on-write: the child's writes stay in the child */
    char *heap = malloc(1 << 20);
    memset(heap, 'p', 1 << 20);
    int *shared = mmap(NULL, 4096 * 4, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    shared[0] = 1;                         /* one page touched before fork, one after */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        global = 7;
        memset(heap, 'c', 1 << 20);
        shared[0] = 2;
        shared[2048] = 3;
        _exit(getppid() == parent ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("cow: global=%d heap=%c%c child_ppid_ok=%d\n", global, heap[0], heap[(1 << 20) - 1], WEXITSTATUS(st) == 0);
    printf("shared: %d %d\n", shared[0], shared[2048]);

    /* WNOHANG on a live child, then the real wait */
    int p[2];
    pipe(p);
    pid = fork();
    if (pid == 0) { char c; close(p[1]); read(p[0], &c, 1); _exit(5); }
    close(p[0]);
    printf("wnohang: %d\n", waitpid(pid, &st, WNOHANG));
    write(p[1], "x", 1);
    int reaped = waitpid(pid, &st, 0) == pid;   /* (not inside printf: argument order is unspecified) */
    printf("waited: %d code=%d\n", reaped, WEXITSTATUS(st));

    /* a child killed by SIGSEGV */
    pid = fork();
    if (pid == 0) { *(volatile int *)0 = 1; _exit(0); }
    waitpid(pid, &st, 0);
    printf("segv child: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));

    errno = 0;
    int none = waitpid(-1, &st, 0);
    printf("no children: %d %s\n", none, errno == ECHILD ? "ECHILD" : "?");
    return 0;
}
