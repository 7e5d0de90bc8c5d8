/*
 * fdio: writing everything to a file descriptor, resuming after short writes and EINTR.
 * Used where a partial write would lose bytes: log lines to stderr, uploads to their file.
 */
#ifndef SB_UTIL_FDIO_H
#define SB_UTIL_FDIO_H

#include <stddef.h>
#include <sys/uio.h>

/* Writes all of iov[0..count) in order, as few writev calls as the kernel allows. iov is
 * consumed (its entries are advanced past what was written). 0, or -1 with errno set. */
int sb_writev_all(int fd, struct iovec *iov, int count);

/* Writes all len bytes of data: sb_writev_all with one piece. */
int sb_write_all(int fd, const void *data, size_t len);

#endif
