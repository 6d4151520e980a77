/* fs_util: shared helpers of the fs_*.c programs and of the notify programs (inotify*.c, dnotify.c,
   fanotify*.c) -- output through write(2) (safe around fork, say.h), errno names (errname.h), a private scratch
   directory under /dev/shm (a tmpfs both natively and under pynix) and its removal, paths and files in the
   scratch directory, and the reading and printing of notification events.  Include it after
   `#define _GNU_SOURCE` (and after <sys/inotify.h> for the names of inotify's event bits). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"


/* "label: result errno-name" of a call that may fail */
#define TRY(label, expr) do { errno = 0; long r_ = (long)(expr); \
    say("%s: %ld %s\n", label, r_ < 0 ? -1L : r_, r_ < 0 ? errname(errno) : "ok"); } while (0)

static char scratch[256];

/* mkdir BASE/pynix-NAME-PID and make it the cwd (the pid keeps concurrent native runs apart; it is never
   printed).  $FS_SCRATCH, when set, is used instead of BASE (to run the same checks on another filesystem: an
   ext2 mount under pynix). */
static void setup_in(const char *base, const char *name)
{
    const char *scratch_base = getenv("FS_SCRATCH");
    umask(022);
    snprintf(scratch, sizeof scratch, "%s/pynix-%s-%d", scratch_base ? scratch_base : base, name, (int)getpid());
    if (mkdir(scratch, 0755) != 0 || chdir(scratch) != 0) {
        say("setup %s failed: %s\n", name, errname(errno));
        exit(1);
    }
}

/* the scratch directory under /dev/shm: a tmpfs both natively and under pynix */
__attribute__((unused)) static void setup(const char *name)
{
    setup_in("/dev/shm", name);
}

static void rm_tree(const char *path)
{
    struct stat s;
    if (lstat(path, &s) != 0)
        return;
    if (S_ISDIR(s.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            char sub[1024];
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rm_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

__attribute__((unused)) static void cleanup(void)
{
    if (chdir("/") == 0)
        rm_tree(scratch);
}

static char type_char(mode_t m)
{
    return S_ISREG(m) ? '-' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISFIFO(m) ? 'p' : S_ISCHR(m) ? 'c'
         : S_ISBLK(m) ? 'b' : S_ISSOCK(m) ? 's' : '?';
}

/* type, permission bits, link count and (not for directories, whose size is filesystem-specific) size */
__attribute__((unused)) static void show(const char *path)
{
    struct stat s;
    if (lstat(path, &s) != 0) {
        say("  %s: %s\n", path, errname(errno));
        return;
    }
    if (S_ISDIR(s.st_mode))
        say("  %s: %c%04o nlink=%lu\n", path, type_char(s.st_mode), (unsigned)(s.st_mode & 07777),
            (unsigned long)s.st_nlink);
    else
        say("  %s: %c%04o nlink=%lu size=%lld\n", path, type_char(s.st_mode), (unsigned)(s.st_mode & 07777),
            (unsigned long)s.st_nlink, (long long)s.st_size);
}

/* the names in a directory, sorted, on one line */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

__attribute__((unused)) static void list(const char *path)
{
    char *names[256];
    int n = 0;
    DIR *d = opendir(path);
    if (!d) {
        say("  ls %s: %s\n", path, errname(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    say("  ls %s:", path);
    for (int i = 0; i < n; i++) {
        say(" %s", names[i]);
        free(names[i]);
    }
    say("\n");
}

__attribute__((unused)) static int make_file(const char *path, const char *content, mode_t mode)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    if (content)
        write(fd, content, strlen(content));
    close(fd);
    return 0;
}

/* ------------------------------------------------------------------------------------- the notify programs */

/* a call's result: "ok" or its errno name */
#define RES(r) ((r) < 0 ? errname(errno) : "ok")

/* the scratch directory /tmp/pynix-NAME-PID with a tmpfs of its own mounted on it (`options`: its size); on
   failure the program exits with 1, having said why (mounting needs root) */
__attribute__((unused)) static void mount_scratch(const char *name, const char *options)
{
    snprintf(scratch, sizeof scratch, "/tmp/pynix-%s-%d", name, (int)getpid());
    mkdir(scratch, 0755);
    if (mount("pynix-fsnotify", scratch, "tmpfs", 0, options) < 0) {
        say("mount tmpfs: %s\n", errname(errno));
        exit(1);
    }
}

/* the path of `name` in the scratch directory ("/": the directory itself); four results may be in use at once */
__attribute__((unused)) static char *at(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    if (strcmp(name, "/") == 0)
        snprintf(p, 512, "%s", scratch);
    else
        snprintf(p, 512, "%s/%s", scratch, name);
    return p;
}

/* the file `name` of the scratch directory, created or truncated, holding `text` */
__attribute__((unused)) static void put(const char *name, const char *text)
{
    make_file(at(name), text, 0644);
}

/* an executable copy of this program as `name` in the scratch directory (its events are the watched ones) */
__attribute__((unused)) static void copy_self(const char *name)
{
    int self = open("/proc/self/exe", O_RDONLY);
    int prog = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0755);
    for (;;) {
        char chunk[65536];
        ssize_t k = read(self, chunk, sizeof chunk);
        if (k <= 0)
            break;
        write(prog, chunk, k);
    }
    close(self);
    close(prog);
}

#ifdef FAN_CLASS_NOTIF
/* fanotify's constants newer than some libcs' <sys/fanotify.h> (musl's), for the programs that include it first */
#ifndef FAN_REPORT_FID
#define FAN_REPORT_FID 0x00000200
#endif
#ifndef FAN_REPORT_DIR_FID
#define FAN_REPORT_DIR_FID 0x00000400
#endif
#ifndef FAN_REPORT_NAME
#define FAN_REPORT_NAME 0x00000800
#endif
#ifndef FAN_REPORT_DFID_NAME
#define FAN_REPORT_DFID_NAME (FAN_REPORT_DIR_FID | FAN_REPORT_NAME)
#endif
#ifndef FAN_EVENT_INFO_TYPE_FID
#define FAN_EVENT_INFO_TYPE_FID 1
#endif
#ifndef FAN_EVENT_INFO_TYPE_DFID_NAME
#define FAN_EVENT_INFO_TYPE_DFID_NAME 2
#endif
#ifndef FAN_EVENT_INFO_TYPE_DFID
#define FAN_EVENT_INFO_TYPE_DFID 3
#endif
#ifndef FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
#define FAN_EVENT_INFO_TYPE_OLD_DFID_NAME 10
#define FAN_EVENT_INFO_TYPE_NEW_DFID_NAME 12
#endif
#ifndef FAN_RENAME
#define FAN_RENAME 0x10000000
#endif
#ifndef FAN_REPORT_PIDFD
#define FAN_REPORT_PIDFD 0x00000080
#endif
#ifndef FAN_REPORT_TID
#define FAN_REPORT_TID 0x00000100
#endif
#ifndef FAN_EVENT_INFO_TYPE_PIDFD
#define FAN_EVENT_INFO_TYPE_PIDFD 4
#endif
#ifndef FAN_NOPIDFD
#define FAN_NOPIDFD (-1)
#endif
#endif

/* the names of the bits of an event mask */
struct flag_name { uint64_t bit; const char *name; };

/* " NAME" for each entry of `table` (`n` of them) whose bit is set in `mask`, appended at line[len] (the whole
   line has `size` bytes); returns the new length */
__attribute__((unused)) static int append_flags(char *line, int len, size_t size, uint64_t mask,
                                                const struct flag_name *table, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (mask & table[i].bit)
            len += snprintf(line + len, size - len, " %s", table[i].name);
    return len;
}

/* append_flags of a char array `line` and an array `table` */
#define APPEND_FLAGS(line, len, mask, table) \
    append_flags(line, len, sizeof line, mask, table, sizeof table / sizeof table[0])

#ifdef IN_ALL_EVENTS
/* inotify's event bits by name (for the programs that include <sys/inotify.h> first) */
static const struct flag_name inotify_flags[] = {
    {IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"}, {IN_CLOSE_WRITE, "CLOSE_WRITE"},
    {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"}, {IN_MOVED_FROM, "MOVED_FROM"},
    {IN_MOVED_TO, "MOVED_TO"}, {IN_CREATE, "CREATE"}, {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"},
    {IN_MOVE_SELF, "MOVE_SELF"}, {IN_UNMOUNT, "UNMOUNT"}, {IN_Q_OVERFLOW, "Q_OVERFLOW"}, {IN_IGNORED, "IGNORED"},
    {IN_ISDIR, "ISDIR"},
};
#endif

/* Every event queued on the non-blocking notification descriptor `fd`: reads of `size` bytes (at most 64 KiB)
   until none is left, each read's events handed to `print`; a failed read other than EAGAIN is printed after
   `indent`. */
__attribute__((unused)) static void read_events(int fd, size_t size, const char *indent,
                                                void (*print)(char *events, ssize_t n))
{
    char buf[65536] __attribute__((aligned(8)));
    for (;;) {
        ssize_t n = read(fd, buf, size < sizeof buf ? size : sizeof buf);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN)
                say("%sread: %s\n", indent, errname(errno));
            return;
        }
        print(buf, n);
    }
}
