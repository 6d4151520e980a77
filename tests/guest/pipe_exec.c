/* A pipeline by hand: pipe + fork + dup2 + execve of another program (argv[1]), whose output the parent
 * reads from the pipe; then vfork + execve, and execve failures that leave the caller intact. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2];
    if (pipe(p)) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        char *args[] = {argv[1], "from", "the child", NULL};
        char *env[] = {"PYNIX_TEST_GREETING=via-exec", NULL};
        execve(argv[1], args, env);
        _exit(127);
    }
    close(p[1]);
    char buf[4096];
    size_t total = 0;
    ssize_t n;
    while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0) total += n;
    buf[total] = 0;
    int st;
    waitpid(pid, &st, 0);
    /* print only the lines that do not depend on the program path */
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (!strstr(line, "argv[0]")) printf("child said: %s\n", line);
    printf("child exit: %d\n", WEXITSTATUS(st));

    pid = vfork();
    if (pid == 0) {
        char *args[] = {"child", NULL};
        char *env[] = {NULL};
        execve(argv[1], args, env);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    printf("vfork child exit: %d\n", WEXITSTATUS(st));

    pid = vfork();
    if (pid == 0) _exit(9);
    waitpid(pid, &st, 0);
    printf("vfork _exit: %d\n", WEXITSTATUS(st));

    char *none[] = {"nope", NULL};
    errno = 0;
    int r = execve("/nonexistent/program", none, none);
    printf("execve missing: %d %s\n", r, errno == ENOENT ? "ENOENT" : "?");
    errno = 0;
    r = execve("/", none, none);
    printf("execve directory: %d %s\n", r, errno == EACCES ? "EACCES" : "?");
    return 0;
}
