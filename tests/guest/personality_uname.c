/* PER_LINUX32 (setarch linux32) makes uname report the ISA's 32-bit machine name (override_architecture:
 * i686 on x86_64), PER_LINUX the 64-bit one again; /proc/self/personality shows the value as %08x. */
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/utsname.h>

static void show_file(void)
{
    char line[32] = "";
    FILE *f = fopen("/proc/self/personality", "r");
    if (f) {
        fgets(line, sizeof line, f);
        fclose(f);
    }
    printf("/proc/self/personality: %s", line[0] ? line : "(missing)\n");
}

int main(void)
{
    struct utsname native, compat, again;
    uname(&native);
    show_file();
    personality(PER_LINUX32 | ADDR_NO_RANDOMIZE);
    uname(&compat);
    show_file();
    personality(PER_LINUX);
    uname(&again);
    printf("PER_LINUX32 changes the machine: %d, to a shorter name: %d\n", strcmp(native.machine, compat.machine) != 0,
           strlen(compat.machine) < strlen(native.machine));
    printf("PER_LINUX gives it back: %d\n", strcmp(native.machine, again.machine) == 0);
    return 0;
}
