/* Attempts to reach host files outside a read-write hostfs mount.  argv[1]: the mount (guest path), argv[2]:
 * a host directory outside it.  Prints what each attempt gave (0 or an errno number).  Between the "ready"
 * line and reading a line from stdin, the test swaps host objects under the mount (sub -> symlink, f ->
 * symlink), to check that what was looked up before the swap cannot be turned into an escape. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *what, int ok)
{
    printf("%-22s %d\n", what, ok ? 0 : errno);
    fflush(stdout);
}

static int put(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 0;
    int ok = write(fd, "pwned\n", 6) == 6;
    close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    const char *m = argv[1], *out = argv[2];
    char p[1024], q[1024];
    if (chdir(m) != 0)
        return 1;
    /* relative symlinks that point out of the mount on the host: resolved in the guest, they stay inside */
    snprintf(p, sizeof p, "../outside/secret");
    report("symlink rel", symlink(p, "rel") == 0);
    report("write via rel", put("rel"));
    report("symlink dotdot", symlink("../../../../../../../../..", "up") == 0);
    snprintf(p, sizeof p, "up%s/secret", out);
    report("write via up", put(p));
    /* an absolute symlink: resolved in the guest's root */
    snprintf(p, sizeof p, "%s/secret", out);
    report("symlink abs", symlink(p, "abs") == 0);
    report("write via abs", put("abs"));
    /* .. from the mount */
    snprintf(p, sizeof p, "../../../../../../../..%s/secret", out);
    report("write via ..", put(p));
    /* rename and hard links across the mount's edge */
    report("create a", put("a"));
    snprintf(p, sizeof p, "%s/moved", out);
    report("rename out", rename("a", p) == 0);
    snprintf(p, sizeof p, "%s/hl", out);
    report("link out", link("a", p) == 0);
    snprintf(p, sizeof p, "%s/secret", out);
    report("link in", link(p, "hl") == 0);
    report("rename via ..", rename("a", "../a") == 0);

    /* look things up, let the host swap them, use them */
    mkdir("sub", 0755);
    report("create f", put("f"));
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    struct stat s;
    stat("sub/.", &s);
    stat("sub/none", &s);      /* a lookup inside sub: its host directory is now open */
    stat("f", &s);
    printf("ready\n");
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        return 2;
    report("write f after swap", put("f"));
    report("write sub/g after swap", put("sub/g"));
    report("openat dfd after swap", openat(dfd, "h", O_CREAT | O_WRONLY, 0644) >= 0);
    snprintf(q, sizeof q, "sub/secret");
    report("write sub/secret", put(q));
    return 0;
}
