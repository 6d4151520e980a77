/* hello: argv and a few environment variables.  The first line is a single raw write(2) so that --strace
   tests can look for write(1, "hello, world\n", 13) = 13 on every libc (musl's stdio uses writev). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void show_env(const char *name)
{
    const char *value = getenv(name);
    if (value)
        printf("env %s=[%s] (%zu bytes)\n", name, value, strlen(value));
    else
        printf("env %s unset\n", name);
}

int main(int argc, char **argv, char **envp)
{
    static const char greeting[] = "hello, world\n";
    if (write(1, greeting, sizeof greeting - 1) != (ssize_t)(sizeof greeting - 1))
        return 3;
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=[%s]\n", i, argv[i]);
    printf("argv[argc] is %s\n", argv[argc] == NULL ? "NULL" : "not NULL");
    show_env("PYNIX_TEST_GREETING");
    show_env("PYNIX_TEST_EMPTY");
    show_env("PYNIX_TEST_SPACES");
    show_env("PYNIX_TEST_UTF8");
    show_env("PYNIX_TEST_UNSET");
    /* envp (main's third argument) and environ must be the same vector */
    extern char **environ;
    int n = 0, same = 1;
    for (; envp[n]; n++)
        if (envp[n] != environ[n])
            same = 0;
    printf("envp matches environ: %s\n", same && environ[n] == NULL ? "yes" : "no");
    int found = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(envp[i], "PYNIX_TEST_GREETING=bonjour") == 0)
            found++;
    printf("PYNIX_TEST_GREETING found in envp %d time(s)\n", found);
    return 0;
}
