/*
 * backend: where stored files live, behind a small interface so that an S3-compatible store
 * can replace the local file system later.
 *
 * A file is addressed by a key the server chooses (an object version, a UUID), never by the
 * client's object name, so no name can reach outside the store. Uploads are written to a
 * temporary file first; put() makes it the file of a new key (keys are never reused, so
 * nothing is overwritten); discard() drops it. The caller owns the temp struct; the backend
 * owns the backend (one per process, lives until exit).
 */
#ifndef SB_STORAGE_BACKEND_H
#define SB_STORAGE_BACKEND_H

#include <stdint.h>

struct sb_storage_temp {
    int fd;          /* open for reading and writing; -1 once put or discarded */
    char *path;      /* a named temporary file (malloc'd), or NULL when it has no name yet */
};

struct sb_storage_backend {
    /* Opens a new, empty temporary file. Returns 0, or -1 (errno set). */
    int (*open_temp)(struct sb_storage_backend *b, struct sb_storage_temp *out);
    /* Makes the temporary file's bytes the file of key and closes it. Returns 0 or -1. */
    int (*put)(struct sb_storage_backend *b, struct sb_storage_temp *temp, const char *key);
    /* Closes and forgets a temporary file that will not be kept (safe to call twice). */
    void (*discard)(struct sb_storage_backend *b, struct sb_storage_temp *temp);
    /* Opens key's file for reading; sets *size. Returns the fd (caller closes), or -1. */
    int (*open_read)(struct sb_storage_backend *b, const char *key, uint64_t *size);
    /* Removes key's file. A missing file is not an error. Returns 0 or -1. */
    int (*remove)(struct sb_storage_backend *b, const char *key);
    /* Makes to's file a copy of from's. Returns 0 or -1. */
    int (*copy)(struct sb_storage_backend *b, const char *from, const char *to);
    /* Frees the backend (the server keeps its one until exit; tests close theirs). */
    void (*close)(struct sb_storage_backend *b);
    void *state;
};

/* The local file-system backend rooted at dir: dir/objects/<2 hex>/<key> and dir/tmp.
 * Creates the folders (and missing parents) 0700, narrows objects/ and tmp/ to 0700 if they
 * are open to others, and removes temporary files a previous process left behind. Files are
 * created 0600. Returns NULL (after logging why) when dir cannot be used. */
struct sb_storage_backend *sb_fs_backend_open(const char *dir);

/* For tests: temporary files are named files in tmp/, as where O_TMPFILE is not supported
 * (non-zero), or O_TMPFILE first again (0). */
void sb_fs_backend_use_named_temp_files(int yes);

#endif
