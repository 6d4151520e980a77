/* vfork: the parent is suspended until the child execs or exits; the child runs in the parent's memory. */
// args: $SELF
// reference: x86_64
// (qemu-riscv64 cannot execve a riscv64 program without binfmt_misc; the output is ISA-independent)
#include "conf.h"
#include <spawn.h>

static volatile int shared_var = 1;

int main(int argc, char **argv)
{
    if (argc >= 3) {   /* the exec'ed child */
        return atoi(argv[2]);
    }
    if (argc < 2) return 2;
    pid_t pid = vfork();
    if (pid == 0) {
        shared_var = 2;      /* writes the parent's memory (vfork shares the address space) */
        _exit(11);
    }
    printf("parent resumed after child _exit, saw its write: %d\n", shared_var == 2);
    reap("vfork child", pid);

    pid = vfork();
    if (pid == 0) {
        char *args[] = {argv[1], argv[1], "12", NULL};
        execv(argv[1], args);
        _exit(127);
    }
    reap("vfork+exec child", pid);

    pid = vfork();
    if (pid == 0) {
        char *args[] = {"/nonexistent", NULL};
        execv(args[0], args);
        shared_var = errno;
        _exit(127);
    }
    reap("vfork+failed exec child", pid);
    printf("errno left by the child: %s\n", errname(shared_var));

    /* posix_spawn (musl: clone(CLONE_VM|CLONE_VFORK) and an exec-status pipe) */
    char *args[] = {argv[1], argv[1], "13", NULL};
    char *env[] = {NULL};
    int err = posix_spawn(&pid, argv[1], NULL, NULL, args, env);
    printf("posix_spawn: %s\n", errname(err));
    if (!err) reap("spawned child", pid);
    char *bad[] = {"/nonexistent", NULL};
    err = posix_spawn(&pid, bad[0], NULL, NULL, bad, env);
    printf("posix_spawn of a missing file: %s\n", errname(err));
    if (!err) reap("spawned child of a missing file", pid);
    return 0;
}
