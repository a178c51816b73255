/* fs_list.c - what the disk provider tells about files it does not read:
 * whether a path names anything, and which files stand under the root. Both
 * answer only once a file is found missing (suggest.c), and read no file.
 *
 * The walk is breadth first from the root's descriptor (so the files nearest
 * the root come first), never follows a symbolic link, skips hidden folders
 * and node_modules, and stops after AP_LIST_ENTRIES folder entries: a home
 * folder given as root costs a bounded walk, not a slow keystroke. */
#include "internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool ap_disk_exists(ap_fs *fs, const char *path)
{
    int root = ap_fs_disk_rootfd(fs);
    struct stat st;
    return root >= 0 && fstatat(root, path, &st, 0) == 0;
}

static bool skipped(const char *name)
{
    return name[0] == '.' || strcmp(name, "node_modules") == 0;
}

/* A name paths.c would refuse in a patch is never suggested either: it would
 * carry its control characters into a message. */
static bool unspeakable(const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return true;
    return false;
}

bool ap_disk_list(ap_fs *fs, void (*each)(void *ctx, const char *path), void *ctx)
{
    int root = ap_fs_disk_rootfd(fs);
    if (root < 0)
        return true;
    /* the folders to read, as root-relative paths ("" is the root) */
    char **queue = ap_xmalloc(16 * sizeof *queue);
    size_t head = 0, tail = 0, cap = 16, seen = 0;
    queue[tail++] = ap_xstrdup("");
    bool complete = true;
    while (head < tail) {
        char *dir = queue[head++];
        int fd = openat(root, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
        if (!dp && fd >= 0)
            close(fd);
        struct dirent *e;
        while (dp && (e = readdir(dp)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (++seen > AP_LIST_ENTRIES) {
                complete = false;
                break;
            }
            if (unspeakable(e->d_name))
                continue;
            unsigned char type = e->d_type;
            char *path = dir[0] ? ap_xprintf("%s/%s", dir, e->d_name) : ap_xstrdup(e->d_name);
            if (type == DT_UNKNOWN) {
                struct stat st;
                type = fstatat(root, path, &st, AT_SYMLINK_NOFOLLOW) != 0 ? DT_UNKNOWN
                       : S_ISDIR(st.st_mode)                          ? DT_DIR
                       : S_ISREG(st.st_mode)                          ? DT_REG
                                                                      : DT_UNKNOWN;
            }
            if (type == DT_DIR && !skipped(e->d_name)) {
                if (tail == cap)
                    queue = ap_xrealloc(queue, (cap *= 2) * sizeof *queue);
                queue[tail++] = path;
                continue;
            }
            if (type == DT_REG)
                each(ctx, path);
            free(path);
        }
        if (dp)
            closedir(dp);
        free(dir);
        if (!complete)
            break;
    }
    while (head < tail)
        free(queue[head++]);
    free(queue);
    return complete;
}
