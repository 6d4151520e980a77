/* null_deref: flush a line, then write through a NULL pointer -> killed by SIGSEGV (status 139). */
#include <stdio.h>

int main(void)
{
    printf("about to dereference NULL\n");
    fflush(stdout);
    *(volatile int *)0 = 42;
    printf("still alive?!\n");
    return 0;
}
