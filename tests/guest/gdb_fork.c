/* gdb_fork: a child process runs the code that has a breakpoint in the debugged parent (tests/test_gdb.py). */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int work(int n)
{
    return n + 1;
}

int main(void)
{
    pid_t child = fork();
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
