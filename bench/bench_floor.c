/* bench_floor.c - the floor of the ladder: what no patcher can avoid.
 *
 *   bench_floor ROOT LISTFILE
 *
 * Reads every file named in LISTFILE (one root-relative path a line), splits
 * it into lines, strips each line of blanks at both ends and hashes it,
 * eight bytes at a time. Nothing is kept: a patcher needs at least this to
 * find a snippet in a file it has not seen, and a real one also keeps an
 * index and writes a result. Prints the number of lines and a checksum of
 * the hashes (so the work cannot be optimised away). Exit status 1 when a
 * file cannot be read. Deliberately independent of the engine. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t hash(const char *s, size_t n)
{
    const uint64_t m = 0x9e3779b97f4a7c15ull;
    uint64_t h = 0xcbf29ce484222325ull ^ (n * m);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * m;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, s + i, n - i);
    h = (h ^ w) * m;
    return h ^ (h >> 32);
}

static int floor_file(const char *path, uint64_t *sum, uint64_t *lines)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t len = 0, cap = (size_t)st.st_size;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return -1;
    }
    ssize_t got;
    while (len < cap && (got = read(fd, buf + len, cap - len)) > 0)
        len += (size_t)got;
    close(fd);
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *a = p, *b = e;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        *sum += hash(a, (size_t)(b - a));
        (*lines)++;
        p = nl ? nl + 1 : end;
    }
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_floor ROOT LISTFILE\n");
        return 2;
    }
    FILE *list = fopen(argv[2], "r");
    if (!list) {
        perror(argv[2]);
        return 1;
    }
    char rel[4096], path[8192];
    uint64_t sum = 0, lines = 0;
    int rc = 0;
    while (fgets(rel, sizeof rel, list)) {
        rel[strcspn(rel, "\n")] = '\0';
        if (!rel[0])
            continue;
        snprintf(path, sizeof path, "%s/%s", argv[1], rel);
        if (floor_file(path, &sum, &lines) != 0)
            rc = 1;
    }
    fclose(list);
    printf("%llu lines, checksum %016llx\n", (unsigned long long)lines, (unsigned long long)sum);
    return rc;
}
