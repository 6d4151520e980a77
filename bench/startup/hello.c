/* The translation unit of the `start_gcc` start-up benchmark: `gcc -O2 -c hello.c`, then `gcc -o hello hello.o`. */
#include <stdio.h>

int main(void)
{
    printf("hello, %s\n", "world");
    return 0;
}
