/*
 * fdio: write-until-done loops over writev (see fdio.h).
 */
#include "util/fdio.h"

#include <errno.h>

/* Skips the pieces (and the part of the next one) that n written bytes covered. */
static void advance(struct iovec **iov, int *count, size_t n)
{
    while (*count > 0 && n >= (*iov)->iov_len) {
        n -= (*iov)->iov_len;
        (*iov)++;
        (*count)--;
    }
    if (*count > 0) {
        (*iov)->iov_base = (char *)(*iov)->iov_base + n;
        (*iov)->iov_len -= n;
    }
}

int sb_writev_all(int fd, struct iovec *iov, int count)
{
    advance(&iov, &count, 0); /* drop empty leading pieces */
    while (count > 0) {
        ssize_t n = writev(fd, iov, count);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        advance(&iov, &count, (size_t)n);
    }
    return 0;
}

int sb_write_all(int fd, const void *data, size_t len)
{
    struct iovec one = { (void *)data, len };
    return sb_writev_all(fd, &one, 1);
}
