/* api_target: what tests/test_api.py drives through the Python API (pynix.api).
     open PATH...   open each PATH and print OK or the errno name
     steps N        print "step I value V" for I = 1..N, calling getpid() before each (a place for hooks);
                    V is the global api_value, which a test may change through Process.write_memory
     signal         take SIGUSR1 in a handler
     exec PROG ARG  execv PROG
     segv           write through a null pointer
   api_secret is a global the tests find through the ELF symbol table.  Run natively it prints the same. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "errname.h"

char api_secret[32] = "pynix api secret";
volatile long api_value = 42;

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
    got = sig;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2)
        return 2;
    if (!strcmp(argv[1], "open")) {
        for (int i = 2; i < argc; i++) {
            int fd = open(argv[i], O_RDONLY);
            printf("open %s: %s\n", argv[i], fd >= 0 ? "OK" : errname(errno));
            if (fd >= 0)
                close(fd);
        }
        return 0;
    }
    if (!strcmp(argv[1], "steps") && argc > 2) {
        int n = atoi(argv[2]);
        for (int i = 1; i <= n; i++) {
            getpid();
            printf("step %d value %ld\n", i, api_value);
            api_value += i;
        }
        return 0;
    }
    if (!strcmp(argv[1], "signal")) {
        signal(SIGUSR1, on_usr1);
        raise(SIGUSR1);
        printf("got %s\n", got == SIGUSR1 ? "SIGUSR1" : "nothing");
        return 0;
    }
    if (!strcmp(argv[1], "exec") && argc > 2) {
        execv(argv[2], argv + 2);
        printf("execv: %s\n", errname(errno));
        return 1;
    }
    if (!strcmp(argv[1], "segv")) {
        *(volatile int *)0x10000 = 1;     /* (a page-aligned address: faults report the page) */
        return 0;
    }
    return 2;
}
