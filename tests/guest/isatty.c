/* isatty: with stdin/stdout as pipes, isatty() is 0 with errno ENOTTY and terminal ioctls fail with ENOTTY. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "errname.h"

int main(void)
{
    char line[200];
    for (int fd = 0; fd < 3; fd++) {
        errno = 0;
        int t = isatty(fd);
        snprintf(line, sizeof line, "isatty(%d) = %d %s\n", fd, t, t ? "" : errname(errno));
        write(1, line, strlen(line));
    }
    struct winsize ws;
    errno = 0;
    int r = ioctl(1, TIOCGWINSZ, &ws);
    snprintf(line, sizeof line, "ioctl(1, TIOCGWINSZ) = %d %s\n", r, errname(errno));
    write(1, line, strlen(line));
    struct termios tio;
    errno = 0;
    r = tcgetattr(0, &tio);
    snprintf(line, sizeof line, "tcgetattr(0) = %d %s\n", r, errname(errno));
    write(1, line, strlen(line));
    errno = 0;
    r = isatty(77);
    snprintf(line, sizeof line, "isatty(77) = %d %s\n", r, errname(errno));
    write(1, line, strlen(line));
    errno = 0;
    r = ioctl(77, TIOCGWINSZ, &ws);
    snprintf(line, sizeof line, "ioctl(77, TIOCGWINSZ) = %d %s\n", r, errname(errno));
    write(1, line, strlen(line));
    return 0;
}
