/* Fork until the kernel refuses: the refusal must be EAGAIN and everything must still be reapable. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
    int p[2];
    if (pipe(p)) return 1;
    int n = 0, err = 0;
    for (;;) {
        pid_t pid = fork();
        if (pid < 0) { err = errno; break; }
        if (pid == 0) { char c; close(p[1]); read(p[0], &c, 1); _exit(0); }
        if (++n >= 100000) break;
    }
    close(p[1]);
    int reaped = 0, st;
    while (wait(&st) > 0) reaped++;
    printf("fork failed with %s; all %s reaped\n", err == EAGAIN ? "EAGAIN" : "something else",
           reaped == n ? "children" : "NOT");
    return 0;
}
