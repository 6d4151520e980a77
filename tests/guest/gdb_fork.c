/* gdb_fork: a child process runs the code that has a breakpoint in the debugged parent (tests/test_gdb.py).
   With `vfork`, the child is a vfork child that runs this program again without arguments. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int work(int n)
{
    return n + 1;
}

int main(int argc, char **argv)
{
    pid_t child = argc > 1 ? vfork() : fork();
    if (child == 0 && argc > 1) {
        execl(argv[0], argv[0], (char *)NULL);
        _exit(127);
    }
    if (child == 0) {
        printf("child %d\n", work(1));
        return 0;
    }
    int status;
    waitpid(child, &status, 0);
    printf("parent %d, child %s %d\n", work(2), WIFEXITED(status) ? "exited" : "killed by signal",
           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return 0;
}
