/* gdb_target: a program for tests/test_gdb.py to debug under `pynix run --gdb`.  `crash` dereferences NULL in
 * a function of its own (so a backtrace has frames to show); `spin` loops until a debugger changes `stop`. */
#include <stdio.h>
#include <string.h>

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
    return 0;
}
