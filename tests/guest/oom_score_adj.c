/* /proc/self/oom_score_adj (choom, redis, systemd): values in [-1000, 1000] as kstrtoint reads them (sign, 0x
 * hex, 0 octal, surrounding blanks), EINVAL outside or for junk, inherited by fork; /proc/self/oom_score is 0
 * at OOM_SCORE_ADJ_MIN (only with CAP_SYS_RESOURCE: EACCES without it) and grows with the adjustment. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static int put(const char *text)
{
    int fd = open("/proc/self/oom_score_adj", O_WRONLY);
    int rc = write(fd, text, strlen(text)) < 0 ? errno : 0;
    close(fd);
    return rc;
}

static long get(const char *name)
{
    char path[64], line[32] = "";
    snprintf(path, sizeof path, "/proc/self/%s", name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -99999;
    fgets(line, sizeof line, f);
    fclose(f);
    return strtol(line, NULL, 10);
}

int main(void)
{
    static const char *const inputs[] = {"500", "-200\n", " 0x10 ", "010", "+7", "1001", "-1001", "abc", "12x",
                                         "1000", "0"};
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("initial %ld\n", get("oom_score_adj"));
    long before = get("oom_score");
    for (unsigned i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        int rc = put(inputs[i]);
        printf("write [%s]: %s, now %ld\n", inputs[i], errname(rc), get("oom_score_adj"));
    }
    put("300");
    printf("oom_score grows with the adjustment: %d\n", get("oom_score") > before);
    pid_t child = fork();
    if (child == 0) {
        printf("child inherits %ld\n", get("oom_score_adj"));
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    int rc = put("-1000");
    printf("write -1000: %s, oom_score 0 when allowed: %d\n", errname(rc), rc || get("oom_score") == 0);
    return 0;
}
