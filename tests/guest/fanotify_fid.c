/* fanotify's fid modes: FAN_REPORT_FID, FAN_REPORT_DIR_FID, FAN_REPORT_DFID_NAME and FAN_REPORT_DFID_NAME |
   FAN_REPORT_FID groups with filesystem marks, and a FAN_REPORT_FID group with a directory's inode mark, hearing
   create, modify, close, attrib, moves, delete and delete-self of files and directories.  Each event's info
   records are printed by type, with the file handle named by the path whose name_to_handle_at gives the same
   handle, the fsid checked against statfs's f_fsid, and the entry's name.  Works on a tmpfs of its own
   mounted under /tmp (run as root).  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "fs_util.h"

struct info_header { uint8_t info_type, pad; uint16_t len; };
struct info_fid { struct info_header hdr; int32_t fsid[2]; uint32_t handle_bytes; int32_t handle_type;
                  unsigned char f_handle[]; };

static const struct flag_name names[] = {
    {FAN_ACCESS, "ACCESS"}, {FAN_MODIFY, "MODIFY"}, {FAN_ATTRIB, "ATTRIB"}, {FAN_CLOSE_WRITE, "CLOSE_WRITE"},
    {FAN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {FAN_OPEN, "OPEN"}, {FAN_MOVED_FROM, "MOVED_FROM"},
    {FAN_MOVED_TO, "MOVED_TO"}, {FAN_CREATE, "CREATE"}, {FAN_DELETE, "DELETE"}, {FAN_DELETE_SELF, "DELETE_SELF"},
    {FAN_MOVE_SELF, "MOVE_SELF"}, {FAN_RENAME, "RENAME"}, {FAN_Q_OVERFLOW, "Q_OVERFLOW"}, {FAN_ONDIR, "ONDIR"},
};

static int32_t fsid[2];

#define MAX_KNOWN 32
static struct { char name[64]; uint32_t bytes; int32_t type; unsigned char h[128]; } known[MAX_KNOWN];
static int nknown;

/* Learn the handle of `name` (before it can be deleted), to name handles found in events. */
static void remember(const char *name)
{
    struct { struct file_handle fh; unsigned char room[128]; } h;
    h.fh.handle_bytes = 128;
    int mount_id;
    if (name_to_handle_at(AT_FDCWD, at(name), &h.fh, &mount_id, 0) < 0) {
        say("name_to_handle_at %s: %s\n", name, errname(errno));
        return;
    }
    snprintf(known[nknown].name, sizeof known[nknown].name, "%s", name);
    known[nknown].bytes = h.fh.handle_bytes;
    known[nknown].type = h.fh.handle_type;
    memcpy(known[nknown].h, h.fh.f_handle, h.fh.handle_bytes);
    nknown++;
}

static const char *whose(const struct info_fid *r)
{
    for (int i = 0; i < nknown; i++)
        if (known[i].bytes == r->handle_bytes && known[i].type == r->handle_type &&
            memcmp(known[i].h, r->f_handle, r->handle_bytes) == 0)
            return known[i].name;
    return "?";
}

static void print_events(char *events, ssize_t n)
{
    for (struct fanotify_event_metadata *m = (void *)events; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
        char line[1024];
        int len = APPEND_FLAGS(line, 0, m->mask, names);
        if (m->fd != FAN_NOFD)
            len += snprintf(line + len, sizeof line - len, " fd %d!", m->fd);
        if (m->pid != getpid())
            len += snprintf(line + len, sizeof line - len, " other pid");
        for (char *p = (char *)m + m->metadata_len; p < (char *)m + m->event_len;) {
            struct info_fid *r = (void *)p;
            const char *type = r->hdr.info_type == FAN_EVENT_INFO_TYPE_FID ? "FID"
                               : r->hdr.info_type == FAN_EVENT_INFO_TYPE_DFID ? "DFID"
                               : r->hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ? "DFID_NAME"
                               : r->hdr.info_type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME ? "OLD_DFID_NAME"
                               : r->hdr.info_type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME ? "NEW_DFID_NAME" : "?";
            len += snprintf(line + len, sizeof line - len, " | %s %s%s", type, whose(r),
                            r->fsid[0] == fsid[0] && r->fsid[1] == fsid[1] ? "" : " (fsid differs)");
            if (r->hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ||
                r->hdr.info_type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME ||
                r->hdr.info_type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME)
                len += snprintf(line + len, sizeof line - len, " '%s'",
                                (char *)r->f_handle + r->handle_bytes);
            if (r->hdr.len % 4 || r->hdr.len < sizeof *r)
                len += snprintf(line + len, sizeof line - len, " bad length %u", r->hdr.len);
            if (!r->hdr.len)
                break;
            p += r->hdr.len;
        }
        say("    %s\n", line + 1);
    }
}

static void drain(int g, const char *what)
{
    say("  %s:\n", what);
    read_events(g, 8192, "    ", print_events);
}

#define GROUPS 7
static int groups[GROUPS];
static const char *group_names[GROUPS] = {"FID", "DIR_FID", "DFID_NAME", "DFID_NAME|FID", "FID on sub",
                                          "RENAME on the filesystem", "RENAME on sub"};

static void step(const char *what)
{
    say("%s\n", what);
    for (int i = 0; i < GROUPS; i++)
        drain(groups[i], group_names[i]);
}

int main(void)
{
    mount_scratch("fanotify-fid", "size=16m");
    struct statfs sf;
    statfs(scratch, &sf);
    memcpy(fsid, &sf.f_fsid, sizeof fsid);
    mkdir(at("sub"), 0755);
    put("sub/y", "y");
    remember("/");
    remember("sub");
    remember("sub/y");

    unsigned flags[GROUPS] = {FAN_REPORT_FID, FAN_REPORT_DIR_FID, FAN_REPORT_DFID_NAME,
                              FAN_REPORT_DFID_NAME | FAN_REPORT_FID, FAN_REPORT_FID,
                              FAN_REPORT_DFID_NAME | FAN_REPORT_FID, FAN_REPORT_DFID_NAME};
    uint64_t mask = FAN_CREATE | FAN_DELETE | FAN_ATTRIB | FAN_MODIFY | FAN_CLOSE_WRITE | FAN_DELETE_SELF |
                    FAN_MOVED_FROM | FAN_MOVED_TO | FAN_MOVE_SELF | FAN_ONDIR;
    for (int i = 0; i < GROUPS; i++) {
        groups[i] = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK | flags[i], O_RDONLY);
        if (i < 4)
            say("%s: init %s, filesystem mark %s\n", group_names[i], RES(groups[i]),
                RES(fanotify_mark(groups[i], FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask, AT_FDCWD, scratch)));
    }
    say("%s: init %s, mark sub %s\n", group_names[4], RES(groups[4]),
        RES(fanotify_mark(groups[4], FAN_MARK_ADD, mask | FAN_EVENT_ON_CHILD, AT_FDCWD, at("sub"))));
    say("%s: init %s, filesystem mark %s\n", group_names[5], RES(groups[5]),
        RES(fanotify_mark(groups[5], FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_RENAME | FAN_ONDIR, AT_FDCWD, scratch)));
    say("%s: init %s, mark sub %s\n", group_names[6], RES(groups[6]),
        RES(fanotify_mark(groups[6], FAN_MARK_ADD, FAN_RENAME | FAN_ONDIR, AT_FDCWD, at("sub"))));
    say("FID group, FAN_RENAME: %s\n", RES(fanotify_mark(groups[0], FAN_MARK_ADD, FAN_RENAME, AT_FDCWD, scratch)));
    say("FID group, mount mark with FAN_CREATE: %s\n",
        RES(fanotify_mark(groups[0], FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_CREATE, AT_FDCWD, scratch)));
    say("FID group, mount mark with FAN_OPEN: %s\n",
        RES(fanotify_mark(groups[0], FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN, AT_FDCWD, scratch)));
    fanotify_mark(groups[0], FAN_MARK_REMOVE | FAN_MARK_MOUNT, FAN_OPEN, AT_FDCWD, scratch);
    say("classic group, FAN_CREATE: %s\n",
        RES(fanotify_mark(fanotify_init(FAN_CLASS_NOTIF, O_RDONLY), FAN_MARK_ADD, FAN_CREATE, AT_FDCWD, scratch)));
    say("DFID_NAME with a permission class: %s\n",
        RES(fanotify_init(FAN_CLASS_CONTENT | FAN_REPORT_DFID_NAME, O_RDONLY)));

    put("x", "hello");
    remember("x");
    step("create and write x");
    put("sub/z", "z");
    remember("sub/z");
    step("create and write sub/z");
    mkdir(at("d"), 0755);
    remember("d");
    step("mkdir d");
    chmod(at("x"), 0600);
    chmod(at("d"), 0700);
    chmod(at("sub"), 0700);
    step("chmod x, d, sub");
    rename(at("x"), at("sub/x2"));
    step("rename x sub/x2");
    rename(at("d"), at("sub/d2"));
    step("rename d sub/d2");
    rename(at("sub/z"), at("sub/z2"));
    step("rename sub/z sub/z2");
    rename(at("sub/z2"), at("z3"));
    step("rename sub/z2 z3");
    rename(at("z3"), at("sub/z"));
    step("rename z3 sub/z");
    unlink(at("sub/x2"));
    step("unlink sub/x2");
    rmdir(at("sub/d2"));
    step("rmdir sub/d2");
    unlink(at("sub/y"));
    unlink(at("sub/z"));
    step("unlink sub/y, sub/z");
    rmdir(at("sub"));
    step("rmdir sub");

    for (int i = 0; i < GROUPS; i++)
        close(groups[i]);
    umount(scratch);
    rmdir(scratch);
    say("ALL DONE\n");
    return 0;
}
