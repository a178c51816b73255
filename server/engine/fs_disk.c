/* fs_disk.c - the file provider for the disk under a root folder.
 *
 * A target is read only if it is a regular file that stays inside the root
 * once every symbolic link on its way is followed. Files are opened
 * non-blocking and checked with fstat before any read, so a FIFO or a device
 * named by a hostile patch is refused instead of hanging the run. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TARGET_BYTES (256u << 20)

typedef struct disk_fs {
    ap_fs fs;
    char *root;      /* as given */
    char *real_root; /* realpath of it, or NULL when it does not exist */
} disk_fs;

static char *join(const char *root, const char *path)
{
    return ap_xprintf("%s/%s", root, path);
}

/* Is real (a resolved path) the root or below it? */
static bool inside(const char *real_root, const char *real)
{
    size_t n = strlen(real_root);
    if (strncmp(real, real_root, n) != 0)
        return false;
    return real[n] == '\0' || real[n] == '/' || (n == 1 && real_root[0] == '/');
}

static ap_code disk_check(ap_fs *fs, const char *path, char **why)
{
    disk_fs *d = (disk_fs *)fs;
    if (!d->real_root) {
        *why = ap_xprintf("the root folder '%s' does not exist", d->root);
        return AP_INVALID_FILE_PATH;
    }
    /* resolve the longest prefix that exists; what is left does not exist
     * yet and cannot be a link */
    char *full = join(d->real_root, path);
    char *probe = ap_xstrdup(full);
    for (;;) {
        struct stat st;
        if (lstat(probe, &st) == 0) {
            char *real = realpath(probe, NULL);
            if (!real) {
                *why = ap_xprintf("'%s' is a symbolic link that leads nowhere",
                                  probe + strlen(d->real_root) + 1);
                free(probe);
                free(full);
                return AP_INVALID_FILE_PATH;
            }
            bool ok = inside(d->real_root, real);
            struct stat rs;
            bool is_dir = stat(real, &rs) == 0 && S_ISDIR(rs.st_mode);
            free(real);
            if (ok && strcmp(probe, full) != 0 && !is_dir) {
                /* a file where the path needs a folder: nothing can be made below it */
                *why = ap_xprintf("'%s' is a file, not a folder", probe + strlen(d->real_root) + 1);
                free(probe);
                free(full);
                return AP_INVALID_FILE_PATH;
            }
            if (!ok) {
                *why = ap_xprintf("it leads out of the root through the symbolic link '%s'",
                                  strlen(probe) > strlen(d->real_root)
                                      ? probe + strlen(d->real_root) + 1
                                      : path);
                free(probe);
                free(full);
                return AP_INVALID_FILE_PATH;
            }
            break;
        }
        char *slash = strrchr(probe, '/');
        if (!slash || slash <= probe + strlen(d->real_root))
            break;
        *slash = '\0';
    }
    free(probe);
    free(full);
    return AP_OK;
}

static ap_code disk_load(ap_fs *fs, const char *path, ap_text **out, char **why)
{
    disk_fs *d = (disk_fs *)fs;
    char *full = join(d->real_root ? d->real_root : d->root, path);
    int fd = open(full, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    free(full);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return AP_FILE_NOT_FOUND;
        *why = ap_xprintf("cannot be read: %s", strerror(errno));
        return AP_IO_ERROR;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *why = ap_xprintf("cannot be read: %s", strerror(errno));
        close(fd);
        return AP_IO_ERROR;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        *why = ap_xstrdup("is a folder, not a file");
        return AP_INVALID_FILE_PATH;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        *why = ap_xstrdup("is not a regular file (a device, FIFO or socket)");
        return AP_INVALID_FILE_PATH;
    }
    if ((uint64_t)st.st_size > MAX_TARGET_BYTES) {
        close(fd);
        *why = ap_xprintf("is %lld bytes; apls edits files of up to %u MiB", (long long)st.st_size,
                          MAX_TARGET_BYTES >> 20);
        return AP_IO_ERROR;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = ap_xmalloc(cap);
    for (;;) {
        if (len == cap) {
            if (cap > MAX_TARGET_BYTES) {
                free(buf);
                close(fd);
                *why = ap_xstrdup("grew too large while being read");
                return AP_IO_ERROR;
            }
            cap *= 2;
            buf = ap_xrealloc(buf, cap);
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *why = ap_xprintf("cannot be read: %s", strerror(errno));
            free(buf);
            close(fd);
            return AP_IO_ERROR;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (memchr(buf, '\0', len)) {
        free(buf);
        *why = ap_xstrdup("is a binary file (it contains NUL bytes); apls edits text");
        return AP_FILE_NOT_TEXT;
    }
    *out = ap_text_new(buf, len);
    free(buf);
    return AP_OK;
}

static ap_code disk_writable(ap_fs *fs, const char *path, char **why)
{
    disk_fs *d = (disk_fs *)fs;
    char *full = join(d->real_root ? d->real_root : d->root, path);
    /* What an in-place write would be told: the mode bits for a user, a
     * read-only mount for everyone (root may write a 0444 file, as the
     * reference patcher does). The rename apls writes with would bypass
     * both, so it asks first. */
    int rc = access(full, W_OK);
    int err = errno;
    free(full);
    if (rc != 0 && err != ENOENT) {
        *why = ap_xprintf("the file is read-only (%s)", strerror(err));
        return AP_FILE_READ_ONLY;
    }
    return AP_OK;
}

static ap_path_kind disk_kind(ap_fs *fs, const char *path)
{
    disk_fs *d = (disk_fs *)fs;
    char *why = NULL;
    if (disk_check(fs, path, &why) != AP_OK) {
        free(why);
        return AP_PATH_OTHER;
    }
    char *full = join(d->real_root, path);
    struct stat st;
    int rc = stat(full, &st);
    int err = errno;
    free(full);
    if (rc != 0)
        return err == ENOENT || err == ENOTDIR ? AP_PATH_NONE : AP_PATH_OTHER;
    return S_ISREG(st.st_mode) ? AP_PATH_FILE : S_ISDIR(st.st_mode) ? AP_PATH_DIR : AP_PATH_OTHER;
}

ap_fs *ap_fs_disk_new(const char *root)
{
    disk_fs *d = ap_xcalloc(1, sizeof *d);
    d->fs.check_path = disk_check;
    d->fs.load = disk_load;
    d->fs.writable = disk_writable;
    d->fs.kind = disk_kind;
    d->root = ap_xstrdup(root);
    d->real_root = realpath(root, NULL);
    return &d->fs;
}

void ap_fs_disk_free(ap_fs *fs)
{
    disk_fs *d = (disk_fs *)fs;
    if (!d)
        return;
    free(d->root);
    free(d->real_root);
    free(d);
}
