/* Hostile arguments for every syscall number: each call runs in a child with a 1 s alarm (for calls that would
 * block) and the kernel must answer every one with a result or an errno: never a kernel bug of its own.  Calls
 * that end or replace the caller (exit, execve, clone...) or reach other processes (kill) are left out. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const long vals[] = {0, 1, -1, 0x7fffffff, 0x80000000L, 0xffffffffL, -4096, 4096, 0x1000, 0x7fffffffffffL,
                            0xffff800000000000L, 0x10000, 3, 8, 64, 0x400000, 255, 1L << 40};
#define NV (sizeof vals / sizeof *vals)

int main(int argc, char **argv) {
    long first = argc > 1 ? atol(argv[1]) : 0, last = argc > 2 ? atol(argv[2]) : 460;
    unsigned seed = 12345;
    for (long nr = first; nr <= last; nr++) {
#if defined(__x86_64__)
        if (nr == SYS_exit || nr == SYS_exit_group || nr == SYS_kill || nr == SYS_tkill || nr == SYS_tgkill ||
            nr == SYS_rt_sigreturn || nr == SYS_fork || nr == SYS_vfork || nr == SYS_clone || nr == SYS_clone3 ||
            nr == SYS_execve || nr == SYS_execveat || nr == SYS_setsid || nr == SYS_setpgid)
            continue;
#else
        if (nr == SYS_exit || nr == SYS_exit_group || nr == SYS_kill || nr == SYS_tkill || nr == SYS_tgkill ||
            nr == SYS_rt_sigreturn || nr == SYS_clone || nr == SYS_clone3 || nr == SYS_execve ||
            nr == SYS_execveat || nr == SYS_setsid || nr == SYS_setpgid)
            continue;
#endif
        for (int round = 0; round < 6; round++) {
            long a[6];
            for (int i = 0; i < 6; i++) { seed = seed * 1103515245 + 12345; a[i] = vals[(seed >> 8) % NV]; }
            pid_t pid = fork();
            if (pid == 0) {
                alarm(1);
                syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
                _exit(0);
            }
            int st;
            waitpid(pid, &st, 0);
        }
    }
    printf("done %ld..%ld\n", first, last);
    return 0;
}
