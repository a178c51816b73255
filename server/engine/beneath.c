/* beneath.c - reaching a file below a folder descriptor without following
 * any symbolic link, so that a link swapped in while apls works makes the
 * open fail instead of leading elsewhere.
 *
 * openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS does it in one call
 * where the kernel has it (Linux 5.6); elsewhere (an older kernel, a seccomp
 * filter that refuses it) the path is walked one component at a time, each
 * folder opened with O_NOFOLLOW | O_DIRECTORY from the one before. Paths are
 * normalized root-relative paths: no "..", no empty component. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool no_openat2; /* the kernel (or a filter) refused it once */

static int try_openat2(int dirfd, const char *path, int flags, mode_t mode)
{
#ifdef SYS_openat2
    if (!no_openat2) {
        struct open_how how = {0};
        how.flags = (uint64_t)flags;
        how.mode = (flags & O_CREAT) ? mode : 0;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != E2BIG))
            return fd;
        no_openat2 = true;
    }
#endif
    errno = ENOSYS;
    return -1;
}

/* The walk: every folder of path opened from the one before, never through
 * a link; then the last component opened with flags | O_NOFOLLOW. */
static int walk(int dirfd, const char *path, int flags, mode_t mode)
{
    int cur = dirfd;
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        char *name = ap_xmemdup(p, (size_t)(slash - p));
        int next = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        free(name);
        if (cur != dirfd)
            close(cur);
        if (next < 0) {
            errno = err;
            return -1;
        }
        cur = next;
        p = slash + 1;
    }
    int fd = openat(cur, p, flags | O_NOFOLLOW, mode);
    int err = errno;
    if (cur != dirfd)
        close(cur);
    errno = err;
    return fd;
}

int ap_open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
    if (!*path)
        path = ".";
    flags |= O_CLOEXEC;
    int fd = try_openat2(dirfd, path, flags, mode);
    if (fd >= 0 || errno != ENOSYS)
        return fd;
    return walk(dirfd, path, flags, mode);
}

int ap_open_dir_beneath(int dirfd, const char *path)
{
    return ap_open_beneath(dirfd, path, O_RDONLY | O_DIRECTORY, 0);
}

/* path's folder part ("" for a name at the top) and its last component. */
void ap_path_split(const char *path, char **dir, const char **name)
{
    const char *slash = strrchr(path, '/');
    *dir = slash ? ap_xmemdup(path, (size_t)(slash - path)) : ap_xstrdup("");
    *name = slash ? slash + 1 : path;
}
