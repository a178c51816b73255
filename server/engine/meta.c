/* meta.c - what a replaced file keeps of the one it replaces, as `cp -a`
 * keeps it: owner and group, extended attributes (ACLs live in the
 * system.posix_acl_* attributes), and the mode with its setuid and setgid
 * bits. The mode comes last: changing the owner clears those two bits, and
 * setting an ACL rewrites the group bits.
 *
 * A user who is not root cannot give a file away: the owner then becomes
 * whoever applies (as with cp -a), but the group is kept whenever the user
 * belongs to it. Attributes of the security and trusted namespaces are kept
 * where the kernel allows it and skipped where it does not (SELinux labels
 * are the policy's); any other attribute that cannot be copied is an error,
 * since dropping an ACL silently would open or close the file to others. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static bool optional_attr(const char *name)
{
    return strncmp(name, "security.", 9) == 0 || strncmp(name, "trusted.", 8) == 0;
}

/* The NUL-separated attribute names of fd (malloc'd, *len bytes), or NULL
 * with *len 0 when there are none or the file system has none. */
static char *list_attrs(int fd, ssize_t *len)
{
    for (;;) {
        ssize_t n = flistxattr(fd, NULL, 0);
        if (n <= 0) {
            *len = 0;
            return NULL;
        }
        char *names = ap_xmalloc((size_t)n);
        ssize_t got = flistxattr(fd, names, (size_t)n);
        if (got >= 0) {
            *len = got;
            return names;
        }
        free(names);
        if (errno != ERANGE) { /* grew meanwhile: ask again */
            *len = 0;
            return NULL;
        }
    }
}

static bool has_name(const char *names, ssize_t len, const char *name)
{
    for (ssize_t i = 0; i < len; i += (ssize_t)strlen(names + i) + 1)
        if (strcmp(names + i, name) == 0)
            return true;
    return false;
}

static bool copy_attrs(int from, int to, char **why)
{
    ssize_t len, tlen;
    char *names = list_attrs(from, &len);
    bool ok = true;
    for (ssize_t i = 0; ok && i < len; i += (ssize_t)strlen(names + i) + 1) {
        const char *name = names + i;
        ssize_t n = fgetxattr(from, name, NULL, 0);
        char *val = ap_xmalloc(n > 0 ? (size_t)n : 1);
        if (n >= 0)
            n = fgetxattr(from, name, val, (size_t)n);
        if (n < 0 || fsetxattr(to, name, val, (size_t)n, 0) != 0) {
            if (!optional_attr(name)) {
                *why = ap_xprintf("cannot copy its extended attribute '%s': %s", name, strerror(errno));
                ok = false;
            }
        }
        free(val);
    }
    /* what the new file got by itself (a folder's default ACL) and the old
     * one did not have */
    char *mine = ok ? list_attrs(to, &tlen) : NULL;
    for (ssize_t i = 0; ok && mine && i < tlen; i += (ssize_t)strlen(mine + i) + 1) {
        const char *name = mine + i;
        if (!optional_attr(name) && !has_name(names, len, name) && fremovexattr(to, name) != 0 &&
            errno != ENODATA) {
            *why = ap_xprintf("cannot remove the extended attribute '%s' it does not have: %s", name,
                              strerror(errno));
            ok = false;
        }
    }
    free(mine);
    free(names);
    return ok;
}

bool ap_meta_copy(int from, const struct stat *st, int to, char **why)
{
    if (fchown(to, st->st_uid, st->st_gid) != 0 && fchown(to, (uid_t)-1, st->st_gid) != 0) {
        /* neither owner nor group may be given: the file stays ours */
    }
    if (!copy_attrs(from, to, why))
        return false;
    if (fchmod(to, st->st_mode & 07777) != 0) {
        *why = ap_xprintf("cannot set its mode %04o: %s", (unsigned)(st->st_mode & 07777),
                          strerror(errno));
        return false;
    }
    return true;
}
