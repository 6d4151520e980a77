/* fs_perm_corner: corners of path walking and permissions found by outside test suites (issue 21).
   - symlink loops: ELOOP from every call that must follow the looping link (open, mkdir/rmdir/creat through
     it), and the answer of calls that do not follow a final symlink (mkdir/rmdir/unlink of the link itself);
   - setgid directories: new files and directories take the directory's group, subdirectories inherit S_ISGID,
     for root and for a non-member non-root caller;
   - chmod/fchmod by the owner who is not a member of the file's group silently clear S_ISGID; root and group
     members keep it.
   Run as root (natively and under pynix); the non-root parts run in a child that drops to uid 1000/gid 2000
   with no supplementary groups.  argv[1]: the directory to work in (default /dev/shm). */
#define _GNU_SOURCE
#include <grp.h>
#include <sys/wait.h>
#include "fs_util.h"

#define GROUP 1234

static void mode_gid(const char *label, const char *path)
{
    struct stat s;
    if (lstat(path, &s) != 0)
        say("%s: %s\n", label, errname(errno));
    else
        say("%s: mode %05o gid %d\n", label, (unsigned)(s.st_mode & 07777), (int)s.st_gid);
}

static void loops(void)
{
    say("-- symlink loops\n");
    TRY("symlink self", symlink("self", "self"));
    TRY("symlink a->b", symlink("b", "a"));
    TRY("symlink b->a", symlink("a", "b"));
    TRY("open self", open("self", O_RDONLY));
    TRY("open a", open("a", O_RDONLY));
    TRY("open self O_CREAT", open("self", O_CREAT | O_WRONLY, 0644));
    TRY("open a O_CREAT", open("a", O_CREAT | O_WRONLY, 0644));
    TRY("open self O_CREAT|O_EXCL", open("self", O_CREAT | O_EXCL | O_WRONLY, 0644));
    TRY("open self O_NOFOLLOW", open("self", O_RDONLY | O_NOFOLLOW));
    TRY("open self/x", open("self/x", O_RDONLY));
    TRY("open a/x O_CREAT", open("a/x", O_CREAT | O_WRONLY, 0644));
    TRY("open self O_DIRECTORY", open("self", O_RDONLY | O_DIRECTORY));
    TRY("mkdir self", mkdir("self", 0755));
    TRY("mkdir self/", mkdir("self/", 0755));
    TRY("mkdir a/", mkdir("a/", 0755));
    TRY("mkdir self/sub", mkdir("self/sub", 0755));
    TRY("mkdir a/sub", mkdir("a/sub", 0755));
    TRY("rmdir self", rmdir("self"));
    TRY("rmdir self/", rmdir("self/"));
    TRY("rmdir a/", rmdir("a/"));
    TRY("rmdir self/sub", rmdir("self/sub"));
    TRY("rmdir b/sub", rmdir("b/sub"));
    TRY("unlink self/x", unlink("self/x"));
    TRY("chdir self", chdir("self"));
    TRY("stat a", ({ struct stat s; stat("a", &s); }));
    TRY("mknod a/f", mknod("a/f", S_IFREG | 0644, 0));
    TRY("symlink x a/l", symlink("x", "a/l"));
    TRY("link self/x", link("self", "self/x"));
    TRY("rename x->self/y", rename("self", "self/y"));
    TRY("mkdir self/.", mkdir("self/.", 0755));
    TRY("rmdir self/.", rmdir("self/."));
    TRY("rmdir a/..", rmdir("a/.."));
    TRY("mkdir a/b/c", mkdir("a/b/c", 0755));
    TRY("open self/ O_CREAT", open("self/", O_CREAT | O_WRONLY, 0644));
    TRY("mkdirat self", mkdirat(AT_FDCWD, "self/new", 0755));
    TRY("truncate self", truncate("self", 0));
    TRY("chmod self", chmod("self", 0644));
    TRY("access self", access("self", F_OK));
    TRY("readlink self", ({ char b[16]; readlink("self", b, sizeof b); }));
    /* a chain of 41 links, each to the next: more than Linux's 40 follows (MAXSYMLINKS) */
    char name[16], next[16];
    for (int i = 0; i < 41; i++) {
        snprintf(name, sizeof name, "c%d", i);
        snprintf(next, sizeof next, "c%d", i + 1);
        symlink(next, name);
    }
    TRY("mkdir c41", mkdir("c41", 0755));
    TRY("open c0 (41 links)", open("c0", O_RDONLY));
    TRY("open c1 (40 links)", open("c1", O_RDONLY));
    TRY("mkdir c0/sub (41 links)", mkdir("c0/sub", 0755));
    TRY("mkdir c1/sub (40 links)", mkdir("c1/sub", 0755));
    TRY("rmdir c0/sub (41 links)", rmdir("c0/sub"));
    TRY("rmdir c1/sub (40 links)", rmdir("c1/sub"));
    TRY("unlink self", unlink("self"));
    TRY("unlink a", unlink("a"));
    TRY("unlink b", unlink("b"));
}

static void setgid_dirs(void)
{
    say("-- setgid directories (root)\n");
    TRY("mkdir sg", mkdir("sg", 0777));
    TRY("chown sg", chown("sg", 0, GROUP));
    TRY("chmod sg 02777", chmod("sg", 02777));
    mode_gid("  sg", "sg");
    int fd = open("sg/file", O_CREAT | O_WRONLY, 0644);
    say("create sg/file: %s\n", fd >= 0 ? "ok" : errname(errno));
    if (fd >= 0)
        close(fd);
    mode_gid("  sg/file", "sg/file");
    TRY("mkdir sg/sub", mkdir("sg/sub", 0755));
    mode_gid("  sg/sub", "sg/sub");
    TRY("mkdir sg/sub/deeper", mkdir("sg/sub/deeper", 0700));
    mode_gid("  sg/sub/deeper", "sg/sub/deeper");
    TRY("mknod sg/fifo", mknod("sg/fifo", S_IFIFO | 0644, 0));
    mode_gid("  sg/fifo", "sg/fifo");
    TRY("symlink sg/link", symlink("file", "sg/link"));
    TRY("lchown check", ({ struct stat s; lstat("sg/link", &s) == 0 ? (long)(s.st_gid == GROUP) : -1L; }));
    /* root creating a setgid file in it keeps S_ISGID (CAP_FSETID) */
    fd = open("sg/rootsgid", O_CREAT | O_WRONLY, 02755);
    if (fd >= 0)
        close(fd);
    mode_gid("  sg/rootsgid", "sg/rootsgid");
    /* an ordinary directory: the creator's group, no S_ISGID */
    TRY("mkdir plain", mkdir("plain", 0755));
    TRY("mkdir plain/sub", mkdir("plain/sub", 0755));
    mode_gid("  plain/sub", "plain/sub");
}

static void as_user(void)
{
    /* files for the child, owned by it: one in GROUP (not the child's), one in the child's own group */
    int fd = open("other", O_CREAT | O_WRONLY, 0644);
    if (fd >= 0)
        close(fd);
    fd = open("mine", O_CREAT | O_WRONLY, 0644);
    if (fd >= 0)
        close(fd);
    chown("other", 1000, GROUP);
    chown("mine", 1000, 2000);
    chmod("other", 0644);
    chmod("mine", 0644);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setresgid(2000, 2000, 2000) != 0 || setresuid(1000, 1000, 1000) != 0) {
            say("drop privileges: %s\n", errname(errno));
            _exit(1);
        }
        say("-- as uid 1000 gid 2000, no supplementary groups\n");
        TRY("chmod other 02755", chmod("other", 02755));
        mode_gid("  other", "other");
        TRY("chmod mine 02755", chmod("mine", 02755));
        mode_gid("  mine", "mine");
        int ofd = open("other", O_RDONLY);
        TRY("fchmod other 02711", fchmod(ofd, 02711));
        mode_gid("  other", "other");
        TRY("fchmodat other 02700", fchmodat(AT_FDCWD, "other", 02700, 0));
        mode_gid("  other", "other");
        TRY("chmod other 04755 (setuid stays)", chmod("other", 04755));
        mode_gid("  other", "other");
        close(ofd);
        /* a setgid directory the user may write to */
        int cfd = open("sg/userfile", O_CREAT | O_WRONLY, 0644);
        say("create sg/userfile: %s\n", cfd >= 0 ? "ok" : errname(errno));
        if (cfd >= 0)
            close(cfd);
        mode_gid("  sg/userfile", "sg/userfile");
        TRY("mkdir sg/userdir", mkdir("sg/userdir", 0755));
        mode_gid("  sg/userdir", "sg/userdir");
        /* a group-executable setgid file created by a non-member in the setgid directory loses S_ISGID */
        cfd = open("sg/usersgid", O_CREAT | O_WRONLY, 02755);
        if (cfd >= 0)
            close(cfd);
        mode_gid("  sg/usersgid", "sg/usersgid");
        TRY("mkdir sg/userdir/sub 02700", mkdir("sg/userdir/sub", 02700));
        mode_gid("  sg/userdir/sub", "sg/userdir/sub");
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    say("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    /* root (CAP_FSETID) keeps S_ISGID on a file of any group */
    TRY("root chmod other 02755", chmod("other", 02755));
    mode_gid("  other", "other");
}

int main(int argc, char **argv)
{
    if (geteuid() != 0) {
        say("needs root\n");
        return 0;
    }
    setup_in(argc > 1 ? argv[1] : "/dev/shm", "permcorner");
    loops();
    setgid_dirs();
    as_user();
    cleanup();
    TRY("cleaned up", access(scratch, F_OK));
    return 0;
}
