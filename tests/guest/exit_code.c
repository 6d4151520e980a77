/* exit_code CODE [exit|_exit|return]: terminate with CODE the chosen way, after printing a line
   (which only appears for exit/return: _exit does not flush stdio). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: exit_code CODE [exit|_exit|return]\n");
        return 2;
    }
    int code = atoi(argv[1]);
    const char *how = argc > 2 ? argv[2] : "exit";
    printf("exiting with %d via %s\n", code, how);
    if (strcmp(how, "_exit") == 0)
        _exit(code);
    if (strcmp(how, "return") == 0)
        return code;
    exit(code);
}
