/* execve of the program itself ($SELF): the new image gets exactly the argv and envp passed, the pid stays,
 * execve only returns on failure (ENOENT, EACCES for a directory or a non-executable file, EFAULT, ENOEXEC
 * is not possible from a static test...), and execvp searches PATH. */
// args: $SELF
// reference: x86_64
// (qemu-riscv64 cannot execve a riscv64 program without binfmt_misc; the output is ISA-independent)
#include "conf.h"

extern char **environ;

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "child")) {
        printf("child argc=%d\n", argc);
        for (int i = 2; i < argc; i++) printf("child argv[%d]=[%s]\n", i, argv[i]);
        int n = 0;
        for (char **e = environ; *e; e++)
            printf("child env[%d]=[%s]\n", n++, strncmp(*e, "PARENT_PID=", 11) ? *e : "PARENT_PID=(pid)");
        printf("child getenv(GREETING)=[%s]\n", getenv("GREETING") ? getenv("GREETING") : "(null)");
        const char *expect = getenv("PARENT_PID");
        printf("child pid unchanged: %d\n", expect && atol(expect) == (long)getpid());
        return 33;
    }
    if (argc < 2) { printf("usage: %s SELF\n", argv[0]); return 2; }
    const char *self = argv[1];

    char pidbuf[64];
    pid_t pid = xfork();
    if (pid == 0) {
        snprintf(pidbuf, sizeof pidbuf, "PARENT_PID=%ld", (long)getpid());
        char *args[] = {(char *)self, "child", "one", "", "with space", "ünïcode", NULL};
        char *env[] = {"GREETING=hello", "EMPTY=", pidbuf, "NOEQUALS", NULL};
        execve(self, args, env);
        printf("execve failed: %s\n", errname(errno));
        _exit(127);
    }
    reap("exec child", pid);

    /* an empty environment and argv with just argv[0]... plus one marker */
    pid = xfork();
    if (pid == 0) {
        char *args[] = {(char *)self, "child", NULL};
        char *env[] = {NULL};
        execve(self, args, env);
        _exit(127);
    }
    reap("exec child, empty env", pid);

    /* failures return to the caller */
    char *args[] = {"x", NULL};
    char *env[] = {NULL};
    SHOW("execve missing file", execve("/nonexistent/program", args, env));
    SHOW("execve directory", execve("/", args, env));
    SHOW("execve not executable", execve("/etc/passwd", args, env));
    SHOW("execve path through a file", execve("/etc/passwd/x", args, env));
    SHOW("execve empty path", execve("", args, env));
    SHOW("execve bad argv pointer", execve(self, (char **)8, env));

    /* execvp searches PATH; a PATH without the program gives ENOENT */
    pid = xfork();
    if (pid == 0) {
        setenv("PATH", "/nonexistent:/also/missing", 1);
        char *a[] = {"no-such-program-here", NULL};
        execvp(a[0], a);
        printf("execvp: %s\n", errname(errno));
        _exit(0);
    }
    reap("execvp child", pid);
    return 0;
}
