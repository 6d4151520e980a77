/* gdb_target: a program for tests/test_gdb.py to debug under `pynix run --gdb`.  `crash` dereferences NULL in
 * a function of its own (so a backtrace has frames to show); `spin` loops until a debugger changes `stop`;
 * `libc` faults inside the C library (fputs to a NULL stream); `exec` runs itself again without arguments. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

volatile int stop;
int counter = 5;

int add(int a, int b)
{
    int sum = a + b;
    return sum;
}

int fault(int *p)
{
    return *p + 1;
}

int main(int argc, char **argv)
{
    int x = add(argc, 41);
    printf("x=%d counter=%d\n", x, counter);
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "crash") == 0)
        return fault(NULL);
    if (argc > 1 && strcmp(argv[1], "spin") == 0) {
        while (!stop)
            counter++;
        printf("stopped\n");
    }
    if (argc > 1 && strcmp(argv[1], "libc") == 0) {
        FILE *volatile none = NULL;
        fputs("never\n", none);
    }
    if (argc > 1 && strcmp(argv[1], "exec") == 0)
        execl(argv[0], argv[0], (char *)NULL);
    return 0;
}
