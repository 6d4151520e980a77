/* fstat_mode: the full st_mode (type and permission bits) of descriptors 0, 1 and 2 as the test set them up --
   for inherited host descriptors, what the host's fstat says (busybox uuencode takes its mode from there). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "errname.h"
#include "say.h"

int main(void)
{
    for (int fd = 0; fd < 3; fd++) {
        struct stat st;
        memset(&st, 0, sizeof st);
        if (fstat(fd, &st) != 0)
            say("fd %d: fstat failed %s\n", fd, errname(errno));
        else
            say("fd %d: mode %06o\n", fd, (unsigned)st.st_mode);
    }
    return 0;
}
