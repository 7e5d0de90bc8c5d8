/*
 * fs_backend: files under one folder. Temporary files are opened with O_TMPFILE where the
 * file system supports it: they have no name until put() links them into place, so a killed
 * process leaves nothing behind. Elsewhere they are named files in tmp/, which opening the
 * backend sweeps. Keys must be UUID-like (hex digits and '-') and are refused otherwise.
 *
 * Only the server's user may read what is stored: files are created 0600 and folders 0700
 * (FILE_MODE, DIR_MODE; the umask can only narrow them), and opening the backend narrows
 * objects/ and tmp/ to 0700 when an older version left them open to others.
 */
#include "storage/backend.h"

#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MODE 0600
#define DIR_MODE 0700

static int named_temp_files_only; /* for tests: as on a file system without O_TMPFILE */

void sb_fs_backend_use_named_temp_files(int yes)
{
    named_temp_files_only = yes;
}

struct fs_state {
    char *root;
    char *tmp_dir;
};

static int key_is_safe(const char *key)
{
    size_t n = strlen(key);
    if (n < 8 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
            return 0;
    }
    return 1;
}

/* root/objects/<first two characters of key>/<key> into buf. */
static int key_path(const struct fs_state *s, const char *key, char *buf, size_t cap)
{
    if (!key_is_safe(key)) {
        errno = EINVAL;
        return -1;
    }
    int n = snprintf(buf, cap, "%s/objects/%.2s/%s", s->root, key, key);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int fs_open_temp(struct sb_storage_backend *b, struct sb_storage_temp *out)
{
    struct fs_state *s = b->state;
    out->path = NULL;
    if (!named_temp_files_only) {
        out->fd = open(s->tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, FILE_MODE);
        if (out->fd >= 0)
            return 0;
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
            return -1;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/upload-XXXXXX", s->tmp_dir);
    out->fd = mkostemp(path, O_CLOEXEC); /* created 0600 */
    if (out->fd < 0)
        return -1;
    out->path = strdup(path);
    return 0;
}

static int ensure_parent(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    return mkdir(dir, DIR_MODE) == 0 || errno == EEXIST ? 0 : -1;
}

static int fs_put(struct sb_storage_backend *b, struct sb_storage_temp *temp, const char *key)
{
    char final[PATH_MAX];
    if (temp->fd < 0 || key_path(b->state, key, final, sizeof final) != 0 || ensure_parent(final) != 0)
        return -1;
    int rc;
    if (temp->path) {
        rc = link(temp->path, final); /* link, not rename: never replaces an existing file */
        if (rc == 0)
            unlink(temp->path);
    } else {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", temp->fd);
        rc = linkat(AT_FDCWD, proc, AT_FDCWD, final, AT_SYMLINK_FOLLOW);
    }
    if (rc != 0)
        return -1;
    close(temp->fd);
    temp->fd = -1;
    free(temp->path);
    temp->path = NULL;
    return 0;
}

static void fs_discard(struct sb_storage_backend *b, struct sb_storage_temp *temp)
{
    if (temp->fd >= 0)
        close(temp->fd);
    temp->fd = -1;
    if (temp->path)
        unlink(temp->path);
    free(temp->path);
    temp->path = NULL;
}

static int fs_open_read(struct sb_storage_backend *b, const char *key, uint64_t *size)
{
    char path[PATH_MAX];
    if (key_path(b->state, key, path, sizeof path) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    if (fd >= 0)
        *size = (uint64_t)st.st_size;
    return fd;
}

static int fs_remove(struct sb_storage_backend *b, const char *key)
{
    char path[PATH_MAX];
    if (key_path(b->state, key, path, sizeof path) != 0)
        return -1;
    return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

static int copy_bytes(int from, int to)
{
    for (;;) {
        ssize_t n = copy_file_range(from, NULL, to, NULL, 1 << 30, 0);
        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP)
            return -1;
        char buf[65536]; /* fall back to read/write */
        ssize_t r;
        while ((r = read(from, buf, sizeof buf)) > 0)
            if (write(to, buf, (size_t)r) != r)
                return -1;
        return r < 0 ? -1 : 0;
    }
}

static int fs_copy(struct sb_storage_backend *b, const char *from, const char *to)
{
    uint64_t size;
    int in = fs_open_read(b, from, &size);
    if (in < 0)
        return -1;
    struct sb_storage_temp temp;
    int rc = fs_open_temp(b, &temp);
    if (rc == 0)
        rc = copy_bytes(in, temp.fd);
    close(in);
    if (rc == 0)
        rc = fs_put(b, &temp, to);
    if (rc != 0 && temp.fd >= 0)
        fs_discard(b, &temp);
    return rc;
}

static void fs_close(struct sb_storage_backend *b)
{
    struct fs_state *s = b->state;
    free(s->root);
    free(s->tmp_dir);
    free(s);
    free(b);
}

/* Removes the named temporary files an earlier process left in tmp/. */
static void sweep_tmp(const char *tmp_dir)
{
    DIR *d = opendir(tmp_dir);
    if (!d)
        return;
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "upload-", 7) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

/* A folder of ours that an older version created open to others (0755) becomes 0700: what
 * it holds is then out of their reach, the files already in it included. One we may not
 * change (another user's) is used as it is, with a warning. */
static void close_to_others(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || (st.st_mode & 077) == 0)
        return;
    if (chmod(path, st.st_mode & 0700) != 0)
        sb_log(SB_LOG_WARN, "storage folder is open to other users and cannot be closed", "path", path, "error",
               strerror(errno), NULL);
}

/* mkdir -p: creates path and any missing parent folders (0700). */
static int make_dir(const char *path)
{
    char partial[PATH_MAX];
    snprintf(partial, sizeof partial, "%s", path);
    for (char *p = partial + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(partial, DIR_MODE) != 0 && errno != EEXIST)
            break; /* reported below, by the full path */
        *p = '/';
    }
    if (mkdir(path, DIR_MODE) == 0 || errno == EEXIST)
        return 0;
    sb_log(SB_LOG_ERROR, "storage folder cannot be created", "path", path, "error", strerror(errno), NULL);
    return -1;
}

struct sb_storage_backend *sb_fs_backend_open(const char *dir)
{
    char objects[PATH_MAX], tmp[PATH_MAX];
    snprintf(objects, sizeof objects, "%s/objects", dir);
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    if (make_dir(dir) || make_dir(objects) || make_dir(tmp))
        return NULL;
    close_to_others(objects);
    close_to_others(tmp);
    sweep_tmp(tmp);
    struct fs_state *s = calloc(1, sizeof *s);
    s->root = strdup(dir);
    s->tmp_dir = strdup(tmp);
    struct sb_storage_backend *b = calloc(1, sizeof *b);
    *b = (struct sb_storage_backend){
        .open_temp = fs_open_temp, .put = fs_put, .discard = fs_discard,
        .open_read = fs_open_read, .remove = fs_remove, .copy = fs_copy, .close = fs_close, .state = s,
    };
    return b;
}
