/* storage/fs_backend: files put under server-chosen keys, read back, copied, removed; keys
 * that could leave the store are refused; temporary files leave nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/backend.h"

#define KEY_A "0a1b2c3d-0000-4000-8000-000000000001"
#define KEY_B "0a1b2c3d-0000-4000-8000-000000000002"

static char root[64];

static int make_store(void **state)
{
    snprintf(root, sizeof root, "/tmp/sb-fs-test-XXXXXX");
    assert_non_null(mkdtemp(root));
    *state = sb_fs_backend_open(root);
    assert_non_null(*state);
    return 0;
}

static int remove_store(void **state)
{
    struct sb_storage_backend *b = *state;
    b->close(b);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static int entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void put_text(struct sb_storage_backend *b, const char *key, const char *text)
{
    struct sb_storage_temp t;
    assert_int_equal(b->open_temp(b, &t), 0);
    assert_int_equal(write(t.fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(b->put(b, &t, key), 0);
    assert_int_equal(t.fd, -1);
}

static char *read_key(struct sb_storage_backend *b, const char *key)
{
    static char buf[256];
    uint64_t size = 0;
    int fd = b->open_read(b, key, &size);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = '\0';
    assert_int_equal(size, (uint64_t)strlen(buf));
    return buf;
}

static void a_put_file_reads_back(void **state)
{
    struct sb_storage_backend *b = *state;
    put_text(b, KEY_A, "lecture notes");
    assert_string_equal(read_key(b, KEY_A), "lecture notes");
}

static void a_key_is_never_overwritten(void **state)
{
    struct sb_storage_backend *b = *state;
    put_text(b, KEY_A, "first");
    struct sb_storage_temp t;
    assert_int_equal(b->open_temp(b, &t), 0);
    assert_int_equal(write(t.fd, "second", 6), 6);
    assert_int_equal(b->put(b, &t, KEY_A), -1);
    b->discard(b, &t);
    assert_string_equal(read_key(b, KEY_A), "first");
}

static void copy_and_remove(void **state)
{
    struct sb_storage_backend *b = *state;
    put_text(b, KEY_A, "original");
    assert_int_equal(b->copy(b, KEY_A, KEY_B), 0);
    assert_int_equal(b->remove(b, KEY_A), 0);
    assert_null(read_key(b, KEY_A));
    assert_string_equal(read_key(b, KEY_B), "original");
    assert_int_equal(b->remove(b, KEY_A), 0); /* already gone is fine */
}

static void keys_that_could_leave_the_store_are_refused(void **state)
{
    struct sb_storage_backend *b = *state;
    uint64_t size;
    assert_int_equal(b->open_read(b, "../../etc/passwd", &size), -1);
    assert_int_equal(b->remove(b, "../jwt_secret"), -1);
    struct sb_storage_temp t;
    assert_int_equal(b->open_temp(b, &t), 0);
    assert_int_equal(b->put(b, &t, "0a1b2c3d/../../x"), -1);
    b->discard(b, &t);
}

static void a_discarded_temporary_file_leaves_nothing(void **state)
{
    struct sb_storage_backend *b = *state;
    struct sb_storage_temp t;
    assert_int_equal(b->open_temp(b, &t), 0);
    assert_int_equal(write(t.fd, "partial", 7), 7);
    b->discard(b, &t);
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s/tmp", root);
    assert_int_equal(entries_in(tmp), 0);
}

static void missing_parent_folders_are_created(void **state)
{
    char nested[128];
    snprintf(nested, sizeof nested, "%s/a/b/c", root);
    struct sb_storage_backend *b = sb_fs_backend_open(nested);
    assert_non_null(b);
    put_text(b, KEY_A, "deep");
    assert_string_equal(read_key(b, KEY_A), "deep");
    b->close(b);
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (unsigned)(st.st_mode & 07777);
}

static unsigned mode_of_fd(int fd)
{
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    return (unsigned)(st.st_mode & 07777);
}

static const char *under_root(const char *rest)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", root, rest);
    return path;
}

static void stored_files_are_0600_in_folders_of_0700(void **state)
{
    struct sb_storage_backend *b = *state;
    struct sb_storage_temp t;
    assert_int_equal(b->open_temp(b, &t), 0);
    assert_null(t.path);                                  /* O_TMPFILE */
    assert_int_equal(mode_of_fd(t.fd), 0600);
    b->discard(b, &t);
    put_text(b, KEY_A, "private");
    assert_int_equal(b->copy(b, KEY_A, KEY_B), 0);
    assert_int_equal(mode_of(under_root("objects/0a/" KEY_A)), 0600);
    assert_int_equal(mode_of(under_root("objects/0a/" KEY_B)), 0600);
    assert_int_equal(mode_of(under_root("objects/0a")), 0700);
    assert_int_equal(mode_of(under_root("objects")), 0700);
    assert_int_equal(mode_of(under_root("tmp")), 0700);
}

static void named_temporary_files_are_0600_too(void **state)
{
    struct sb_storage_backend *b = *state;
    struct sb_storage_temp t;
    sb_fs_backend_use_named_temp_files(1);
    assert_int_equal(b->open_temp(b, &t), 0);
    sb_fs_backend_use_named_temp_files(0);
    assert_non_null(t.path);
    assert_int_equal(mode_of(t.path), 0600);
    assert_int_equal(write(t.fd, "named", 5), 5);
    assert_int_equal(b->put(b, &t, KEY_A), 0);
    assert_int_equal(mode_of(under_root("objects/0a/" KEY_A)), 0600);
    assert_string_equal(read_key(b, KEY_A), "named");
}

static void created_parent_folders_are_0700(void **state)
{
    char nested[128];
    snprintf(nested, sizeof nested, "%s/a/b", root);
    struct sb_storage_backend *b = sb_fs_backend_open(nested);
    assert_non_null(b);
    assert_int_equal(mode_of(under_root("a")), 0700);
    assert_int_equal(mode_of(under_root("a/b")), 0700);
    b->close(b);
}

static void folders_an_older_version_left_open_are_closed_to_others(void **state)
{
    struct sb_storage_backend *b = *state;
    put_text(b, KEY_A, "old");
    b->close(b);
    assert_int_equal(chmod(under_root("objects"), 0755), 0);
    assert_int_equal(chmod(under_root("tmp"), 0755), 0);
    *state = b = sb_fs_backend_open(root);
    assert_non_null(b);
    assert_int_equal(mode_of(under_root("objects")), 0700);
    assert_int_equal(mode_of(under_root("tmp")), 0700);
    assert_string_equal(read_key(b, KEY_A), "old");
}

int main(void)
{
    umask(0); /* the modes are the backend's own, not the umask's */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_put_file_reads_back, make_store, remove_store),
        cmocka_unit_test_setup_teardown(a_key_is_never_overwritten, make_store, remove_store),
        cmocka_unit_test_setup_teardown(copy_and_remove, make_store, remove_store),
        cmocka_unit_test_setup_teardown(keys_that_could_leave_the_store_are_refused, make_store, remove_store),
        cmocka_unit_test_setup_teardown(a_discarded_temporary_file_leaves_nothing, make_store, remove_store),
        cmocka_unit_test_setup_teardown(missing_parent_folders_are_created, make_store, remove_store),
        cmocka_unit_test_setup_teardown(stored_files_are_0600_in_folders_of_0700, make_store, remove_store),
        cmocka_unit_test_setup_teardown(named_temporary_files_are_0600_too, make_store, remove_store),
        cmocka_unit_test_setup_teardown(created_parent_folders_are_0700, make_store, remove_store),
        cmocka_unit_test_setup_teardown(folders_an_older_version_left_open_are_closed_to_others, make_store, remove_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
