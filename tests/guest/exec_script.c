/* execve of `#!` scripts: the interpreter gets [interpreter, optional argument, script path, args...],
 * nested interpreters, and the failures (no interpreter named, a loop, a missing interpreter, no permission).
 * The interpreter is this program itself, run with INTERP=1 in its environment. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static char self[4096];

static void script(const char *path, const char *first_line) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0755);
    dprintf(fd, "%s\necho not reached\n", first_line);
    close(fd);
}

static void run(const char *label, const char *path) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)path, "one", "two words", NULL};
        char *envp[] = {"INTERP=1", NULL};
        execve(path, argv, envp);
        printf("%s: execve %s\n", label, errname(errno));
        fflush(stdout);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("%s: exit %d\n", label, WEXITSTATUS(status));
}

int main(int argc, char **argv) {
    if (getenv("INTERP")) {                 /* running as the interpreter: show what we were given */
        printf("  argc=%d", argc);
        for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
        const char *execfn = (const char *)getauxval(AT_EXECFN);
        printf(" execfn=%s\n", execfn ? strrchr(execfn, '/') + 1 : "?");
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    char line[8192];
    mkdir("/tmp/pynix-scripts", 0755);
    chdir("/tmp/pynix-scripts");

    snprintf(line, sizeof line, "#!%s", self);
    script("plain", line);
    run("no argument", "./plain");
    snprintf(line, sizeof line, "#! \t%s   an argument  with spaces \t ", self);
    script("witharg", line);
    run("one argument", "./witharg");
    script("nested", "#!/tmp/pynix-scripts/witharg nested-arg");
    run("nested", "/tmp/pynix-scripts/nested");
    script("empty", "#!");
    run("no interpreter", "./empty");
    script("blank", "#!   \t ");
    run("blank interpreter", "./blank");
    script("loop", "#!/tmp/pynix-scripts/loop");
    run("loop", "./loop");
    script("missing", "#!/tmp/pynix-scripts/does-not-exist");
    run("missing interpreter", "./missing");
    script("noexec", line);
    chmod("noexec", 0644);
    run("not executable", "./noexec");
    return 0;
}
