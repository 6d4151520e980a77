/* A program that waits to be interrupted: with the argument "handle" it catches SIGINT and SIGTERM and exits
 * with 3; without, their default action ends it.  It says "ready" once its handlers are in place. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void handler(int sig)
{
    const char *name = sig == SIGINT ? "caught SIGINT\n" : "caught SIGTERM\n";
    write(1, name, strlen(name));
    _exit(3);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "handle") == 0) {
        signal(SIGINT, handler);
        signal(SIGTERM, handler);
    }
    write(1, "ready\n", 6);
    for (;;)
        sleep(1);
}
