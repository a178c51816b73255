/* fileio.c - whole-file reads and writes on descriptors, for the commit and
 * its recovery: every call retries on EINTR and short counts. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool ap_write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return false;
        if (w == 0) {
            errno = EIO;
            return false;
        }
        s += w;
        n -= (size_t)w;
    }
    return true;
}

char *ap_read_fd(int fd, size_t limit, size_t *len)
{
    return ap_read_fd_sized(fd, 0, limit, len);
}

char *ap_read_fd_sized(int fd, size_t expect, size_t limit, size_t *len)
{
    /* a buffer of the expected size and one byte more reads the file in
     * one go and sees its end without growing (each doubling copies) */
    size_t cap = expect && expect < limit ? expect + 1 : 65536, n = 0;
    char *buf = ap_xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > limit) {
                free(buf);
                errno = EFBIG;
                return NULL;
            }
            cap *= 2;
            buf = ap_xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            free(buf);
            errno = err;
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n == cap)
        buf = ap_xrealloc(buf, cap + 1);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Reads name in dirfd (never through a link). */
static char *read_at(int dirfd, const char *name, size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *s = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        s = ap_read_fd(fd, SIZE_MAX / 4, len);
    else
        errno = EINVAL;
    int err = errno;
    close(fd);
    errno = err;
    return s;
}

bool ap_hash_at(int dirfd, const char *name, uint64_t *size, uint64_t *hash)
{
    size_t n;
    char *s = read_at(dirfd, name, &n);
    if (!s)
        return false;
    *size = n;
    *hash = ap_hash(s, n);
    free(s);
    return true;
}

bool ap_copy_new_at(int dirfd, const char *from, const char *to, char **why)
{
    int src = openat(dirfd, from, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (src < 0 || fstat(src, &st) != 0) {
        *why = ap_xprintf("cannot read it: %s", strerror(errno));
        if (src >= 0)
            close(src);
        return false;
    }
    size_t n = 0;
    char *s = ap_read_fd(src, SIZE_MAX / 4, &n);
    int dst = s ? openat(dirfd, to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
    bool ok = dst >= 0 && ap_write_all(dst, s, n);
    if (!ok)
        *why = ap_xprintf("cannot copy it: %s", strerror(errno));
    ok = ok && ap_meta_copy(src, &st, dst, why);
    if (ok && fsync(dst) != 0) {
        *why = ap_xprintf("cannot copy it: %s", strerror(errno));
        ok = false;
    }
    if (dst >= 0 && close(dst) != 0 && ok) {
        *why = ap_xprintf("cannot copy it: %s", strerror(errno));
        ok = false;
    }
    if (!ok && dst >= 0)
        unlinkat(dirfd, to, 0);
    free(s);
    close(src);
    return ok;
}

bool ap_copy_into_at(int dirfd, const char *from, const char *to)
{
    size_t n;
    char *s = read_at(dirfd, from, &n);
    if (!s)
        return false;
    int fd = openat(dirfd, to, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat before, after;
    bool ok = fd >= 0 && fstat(fd, &before) == 0 && S_ISREG(before.st_mode);
    if (fd >= 0 && !ok)
        errno = EINVAL;
    ok = ok && ap_write_all(fd, s, n) && ftruncate(fd, (off_t)n) == 0;
    /* a write by someone other than root clears setuid and setgid: put them back */
    if (ok && fstat(fd, &after) == 0 && after.st_mode != before.st_mode &&
        fchmod(fd, before.st_mode & 07777) != 0) {
        /* not ours to change: the content is what matters here */
    }
    ok = ok && fsync(fd) == 0;
    int err = errno;
    if (fd >= 0)
        close(fd);
    free(s);
    errno = err;
    return ok;
}
