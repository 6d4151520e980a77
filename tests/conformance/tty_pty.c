/* Pseudo-terminals: posix_openpt/grantpt/unlockpt/ptsname, the slave is a tty with the default termios
 * (canonical mode, echo, ICRNL, ONLCR), line discipline behaviour seen from the master (echo, output
 * CR-LF, canonical line buffering, VERASE), raw mode, window size set and read back. */
#include "conf.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

static void drain(int m, const char *label)
{
    char buf[256];
    struct pollfd p = {m, POLLIN, 0};
    int total = 0;
    printf("%s: [", label);
    while (poll(&p, 1, 100) > 0 && (p.revents & POLLIN)) {
        ssize_t n = read(m, buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)buf[i];
            if (c == '\r') printf("\\r");
            else if (c == '\n') printf("\\n");
            else if (c < 32 || c >= 127) printf("\\x%02x", c);
            else putchar(c);
        }
        total += (int)n;
    }
    printf("] %d bytes\n", total);
}

int main(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0) { printf("posix_openpt: %s\n", errname(errno)); return 1; }
    SHOW("grantpt", grantpt(m));
    SHOW("unlockpt", unlockpt(m));
    char *name = ptsname(m);
    printf("ptsname under /dev/pts/: %d\n", name && !strncmp(name, "/dev/pts/", 9));
    int s = open(name, O_RDWR | O_NOCTTY);
    if (s < 0) { printf("open slave: %s\n", errname(errno)); return 1; }
    printf("isatty slave %d, master %d\n", isatty(s), isatty(m));

    struct termios t;
    SHOW("tcgetattr slave", tcgetattr(s, &t));
    printf("  ICANON %d ECHO %d ISIG %d ICRNL %d OPOST %d ONLCR %d CS8 %d VERASE %d VINTR %d VEOF %d\n",
           !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO), !!(t.c_lflag & ISIG), !!(t.c_iflag & ICRNL),
           !!(t.c_oflag & OPOST), !!(t.c_oflag & ONLCR), (t.c_cflag & CSIZE) == CS8, t.c_cc[VERASE], t.c_cc[VINTR],
           t.c_cc[VEOF]);

    /* output processing: "\n" becomes "\r\n" */
    write(s, "out\n", 4);
    drain(m, "slave wrote out\\n, master reads");

    /* input: echoed back to the master, a line is readable only once complete */
    write(m, "ab", 2);
    drain(m, "echo of ab");
    int flags = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, flags | O_NONBLOCK);
    char buf[64];
    SHOW("read before the newline", read(s, buf, sizeof buf));
    write(m, "\x7f" "c\r", 3);   /* erase 'b', type 'c', CR (ICRNL makes it \n) */
    drain(m, "echo of DEL c CR");
    ssize_t n = read(s, buf, sizeof buf);
    printf("slave reads the edited line: %zd [%.*s]\n", n, n > 0 ? (int)n - 1 : 0, buf);

    /* raw mode */
    cfmakeraw(&t);
    SHOW("tcsetattr raw", tcsetattr(s, TCSANOW, &t));
    write(m, "xy", 2);
    drain(m, "echo in raw mode");
    usleep(10000);
    n = read(s, buf, sizeof buf);
    printf("raw read: %zd\n", n);
    write(s, "r\n", 2);
    drain(m, "raw output (no CR added)");

    struct winsize ws = {24, 80, 0, 0}, got;
    SHOW("TIOCSWINSZ", ioctl(m, TIOCSWINSZ, &ws));
    SHOW("TIOCGWINSZ on the slave", ioctl(s, TIOCGWINSZ, &got));
    printf("  rows %d cols %d\n", got.ws_row, got.ws_col);
    int avail = -1;
    write(m, "123", 3);
    usleep(10000);
    SHOW("FIONREAD on the slave", ioctl(s, FIONREAD, &avail));
    printf("  bytes: %d\n", avail);
    SHOW("tcflush input", tcflush(s, TCIFLUSH));
    SHOW("read after flush", read(s, buf, sizeof buf));
    close(s);
    struct pollfd p = {m, POLLIN, 0};
    poll(&p, 1, 100);
    printf("master after the slave closed: POLLHUP %d\n", !!(p.revents & POLLHUP));
    SHOW("read master after the slave closed", read(m, buf, sizeof buf));
    return 0;
}
