/* Process groups and sessions: getpgrp/getpgid/getsid, setpgid rules (own children only, same session, not
 * after exec...), setsid creates a session and a group and fails for a group leader. */
#include "conf.h"

int main(void)
{
    pid_t me = getpid();
    printf("getpgrp == getpgid(0): %d\n", getpgrp() == getpgid(0));
    printf("getpgid(self) == getpgid(0): %d\n", getpgid(me) == getpgid(0));
    printf("getsid(0) == getsid(self): %d\n", getsid(0) == getsid(me));
    SHOW("getpgid of no such process", getpgid(0x3ffffff0));
    SHOW("getsid of no such process", getsid(0x3ffffff0));
    SHOW("setpgid negative pgid", setpgid(0, -1));
    SHOW("setpgid no such process", setpgid(0x3ffffff0, 0));

    /* become a group leader in our own new group, so the rest does not depend on how we were started */
    SHOW("setpgid(0, 0)", setpgid(0, 0));
    printf("now a group leader: %d\n", getpgrp() == me);
    SHOW("setsid as a group leader", setsid());

    int gate[2];
    MUST(pipe(gate));
    pid_t child = xfork();
    if (child == 0) {
        char c;
        close(gate[1]);
        read(gate[0], &c, 1);
        printf("child: in the group set by the parent: %d\n", getpgrp() == getpid());
        pid_t sid = setsid();
        printf("child: setsid returned its pid: %d\n", sid == getpid());
        printf("child: group and session are its pid: %d %d\n", getpgrp() == getpid(), getsid(0) == getpid());
        SHOW("child: setsid again", setsid());
        SHOW("child: setpgid into the old group (other session)", setpgid(0, me));
        _exit(0);
    }
    close(gate[0]);
    printf("child inherited our group: %d\n", getpgid(child) == me);
    SHOW("setpgid(child, child)", setpgid(child, child));
    printf("child's group is now its pid: %d\n", getpgid(child) == child);
    SHOW("setpgid(child, child) again", setpgid(child, child));
    SHOW("setpgid child into our group", setpgid(child, me));
    SHOW("setpgid child back", setpgid(child, child));
    SHOW("setpgid into a group that does not exist", setpgid(child, child + 1));
    close(gate[1]);
    reap("child", child);
    SHOW("setpgid of a reaped child", setpgid(child, child));

    /* grandchildren are not ours to move */
    int report[2], hold[2];
    MUST(pipe(report));
    MUST(pipe(hold));
    child = xfork();
    if (child == 0) {
        pid_t g = xfork();
        if (g == 0) { char c; close(hold[1]); read(hold[0], &c, 1); _exit(0); }   /* lives until we close */
        close(hold[0]);
        close(hold[1]);
        write(report[1], &g, sizeof g);
        waitpid(g, NULL, 0);
        _exit(0);
    }
    close(report[1]);
    close(hold[0]);
    pid_t grandchild = 0;
    read(report[0], &grandchild, sizeof grandchild);
    SHOW("setpgid of a grandchild", setpgid(grandchild, 0));
    close(hold[1]);
    reap("middle child", child);
    return 0;
}
