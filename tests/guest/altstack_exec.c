/* execve clears the alternate signal stack (it lay in the old image's memory), for a vforked child that
 * inherited it and for the process itself; fork keeps it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *when)
{
    stack_t old;
    sigaltstack(NULL, &old);
    printf("%s: disabled %d size %zu\n", when, !!(old.ss_flags & SS_DISABLE), old.ss_size);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        show(argv[1]);
        return 0;
    }
    stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    pid_t child = fork();
    if (child == 0) {
        show("forked child");
        _exit(0);
    }
    waitpid(child, NULL, 0);
    child = vfork();
    if (child == 0) {
        execl(argv[0], argv[0], "vforked child after exec", (char *)0);
        _exit(1);
    }
    waitpid(child, NULL, 0);
    execl(argv[0], argv[0], "after exec", (char *)0);
    return 1;
}
