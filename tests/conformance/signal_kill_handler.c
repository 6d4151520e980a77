/* kill/raise/tgkill: a signal sent to oneself is handled before kill returns; kill(pid, 0) probes; errors
 * (ESRCH, EINVAL); signals to a child: handler in the child, default actions (terminate), process groups. */
#include "conf.h"

static volatile sig_atomic_t got;

static void handler(int sig) { got = sig; }

static void wait_flag(void)
{
    for (int i = 0; i < 1000 && !got; i++) usleep(1000);
}

int main(void)
{
    signal(SIGUSR1, handler);
    SHOW("kill self SIGUSR1", kill(getpid(), SIGUSR1));
    printf("handled before kill returned: %s\n", got ? signame(got) : "no");
    got = 0;
    SHOW("raise SIGUSR1", raise(SIGUSR1));
    printf("handled: %s\n", got ? signame(got) : "no");
    got = 0;
    SHOW("tgkill self", syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1));
    printf("handled: %s\n", got ? signame(got) : "no");
    SHOW("kill(self, 0)", kill(getpid(), 0));
    SHOW("kill no such pid", kill(0x3ffffff0, 0));
    SHOW("kill bad signal", kill(getpid(), 65));
    SHOW("kill negative signal", kill(getpid(), -1));
    SHOW("tgkill wrong tgid", syscall(SYS_tgkill, getpid() + 1000000, syscall(SYS_gettid), 0));
    SHOW("tgkill bad tid", syscall(SYS_tgkill, getpid(), -5, 0));

    /* a child with a handler: it reports the signal through its exit status */
    int ready[2];
    MUST(pipe(ready));
    pid_t pid = xfork();
    if (pid == 0) {
        got = 0;
        signal(SIGUSR2, handler);
        write(ready[1], "r", 1);
        for (int i = 0; i < 1000 && !got; i++) usleep(1000);
        _exit(got == SIGUSR2 ? 42 : 1);
    }
    char c;
    read(ready[0], &c, 1);
    SHOW("kill child SIGUSR2", kill(pid, SIGUSR2));
    reap("child with a handler", pid);

    /* default actions */
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGKILL, SIGALRM};
    for (int i = 0; i < 6; i++) {
        pid = xfork();
        if (pid == 0) {
            signal(SIGUSR1, SIG_DFL);
            write(ready[1], "r", 1);
            pause();
            _exit(99);
        }
        read(ready[0], &c, 1);
        kill(pid, sigs[i]);
        char label[64];
        snprintf(label, sizeof label, "child sent %s", signame(sigs[i]));
        reap(label, pid);
    }

    /* ignored by default: SIGCHLD, SIGURG, SIGWINCH do not kill */
    pid = xfork();
    if (pid == 0) {
        write(ready[1], "r", 1);
        usleep(100000);
        _exit(7);
    }
    read(ready[0], &c, 1);
    kill(pid, SIGCHLD);
    kill(pid, SIGURG);
    kill(pid, SIGWINCH);
    reap("child sent default-ignored signals", pid);

    /* kill a whole process group */
    pid_t g1 = xfork();
    if (g1 == 0) { setpgid(0, 0); write(ready[1], "r", 1); pause(); _exit(99); }
    setpgid(g1, g1);
    read(ready[0], &c, 1);
    pid_t g2 = xfork();
    if (g2 == 0) { setpgid(0, g1); write(ready[1], "r", 1); pause(); _exit(99); }
    setpgid(g2, g1);
    read(ready[0], &c, 1);
    SHOW("kill(-pgid, SIGTERM)", kill(-g1, SIGTERM));
    reap("group member 1", g1);
    reap("group member 2", g2);
    SHOW("kill an empty group", kill(-g1, SIGTERM));
    (void)wait_flag;
    return 0;
}
