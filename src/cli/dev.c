/*
 * dev: creates, starts and stops the private cluster with initdb and pg_ctl, run as the
 * `postgres` user when we are root (initdb and postgres refuse to run as root). The cluster
 * runs in its own session so that Ctrl-C on studybase reaches studybase first, which then
 * stops the cluster cleanly.
 *
 * Where the cluster lives: in the data folder's pg/, except as root when the postgres user
 * cannot reach the data folder (a folder above it is closed to postgres, e.g. /root, 0700 on
 * Debian). Then it lives in a folder of the postgres user, ~postgres/studybase/<id> (id: from
 * the data folder's real path), and the data folder's pg is a symlink to it, which every
 * command follows (stop, status, the next dev).
 *
 * Permissions: nothing outside the data folder and that folder is changed. The data folder is
 * 0700; 0701 as root when the cluster is inside it (postgres passes through to pg/, without
 * listing; what it holds is 0600 files and closed folders). The cluster's folder, and
 * ~postgres/studybase, are 0700 and postgres's.
 */
#include "cli/dev.h"

#include "util/hex.h"

#include <errno.h>
#include <limits.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* When the data folder's pg is a symlink, the cluster lives where it points. */
static void follow_cluster_link(struct sb_dev_cluster *c)
{
    char target[sizeof c->pg_dir];
    ssize_t n = readlink(c->pg_dir, target, sizeof target - 1);
    if (n <= 0)
        return;
    target[n] = '\0';
    if (target[0] == '/')
        snprintf(c->pg_dir, sizeof c->pg_dir, "%s", target);
    else
        snprintf(c->pg_dir, sizeof c->pg_dir, "%s/%s", c->data_dir, target);
}

void sb_dev_cluster_init(struct sb_dev_cluster *c)
{
    char cwd[1024];
    const char *dir = env_or("SB_DATA_DIR", ".studybase");
    if (dir[0] != '/' && getcwd(cwd, sizeof cwd))
        snprintf(c->data_dir, sizeof c->data_dir, "%s/%s", cwd, dir);
    else
        snprintf(c->data_dir, sizeof c->data_dir, "%s", dir);
    snprintf(c->pg_dir, sizeof c->pg_dir, "%s/pg", c->data_dir);
    follow_cluster_link(c);
    snprintf(c->bin_dir, sizeof c->bin_dir, "%s", env_or("SB_PG_BINDIR", "/usr/lib/postgresql/15/bin"));
    c->port = atoi(env_or("SB_DB_PORT", "54322"));
}

void sb_dev_cluster_url(const struct sb_dev_cluster *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "postgresql://postgres:postgres@127.0.0.1:%d/postgres", c->port);
}

/* In a child: when root, becomes the postgres user, with its own groups only (not root's);
 * exits 127 when that fails. */
static void become_cluster_owner(void)
{
    if (geteuid() != 0)
        return;
    struct passwd *pw = getpwnam("postgres");
    if (!pw || initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        fprintf(stderr, "studybase: cannot switch to the postgres user (is PostgreSQL installed?)\n");
        _exit(127);
    }
}

static int wait_for(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs argv as the postgres user (when root) and waits; returns its exit status or -1.
 * The program's output goes to log (opened before privileges are dropped), or nowhere. */
static int run_as_cluster_owner(char *const argv[], const char *log, int new_session)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (new_session)
            setsid();
        int out = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (out >= 0) {
            dup2(out, STDOUT_FILENO);
            dup2(out, STDERR_FILENO);
        }
        become_cluster_owner();
        execv(argv[0], argv);
        fprintf(stderr, "studybase: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return wait_for(pid);
}

static struct passwd *cluster_owner(void)
{
    struct passwd *pw = getpwnam("postgres");
    if (!pw)
        fprintf(stderr, "studybase: there is no postgres user; install PostgreSQL 15 first\n");
    return pw;
}

/* Makes path (or keeps it) a folder of the cluster owner (postgres as root, else ourselves),
 * mode 0700. Set through a descriptor opened without following a symlink, so that what the
 * postgres user can put in its own folders cannot redirect a chown. */
static int make_cluster_owner_folder(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "studybase: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (fd < 0) {
        fprintf(stderr, "studybase: %s is not a folder: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (geteuid() == 0) {
        struct passwd *pw = cluster_owner();
        rc = pw && fchown(fd, pw->pw_uid, pw->pw_gid) == 0 ? 0 : -1;
    }
    if (rc == 0)
        rc = fchmod(fd, 0700);
    if (rc != 0)
        fprintf(stderr, "studybase: cannot give %s to the postgres user: %s\n", path, strerror(errno));
    close(fd);
    return rc;
}

/* Writes initdb's password file, readable by the cluster owner only. A file left there is
 * removed first and the new one created exclusively, so that no symlink is followed. */
static int write_password_file(const char *path)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    if (fd < 0) {
        fprintf(stderr, "studybase: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    int ok = write(fd, "postgres\n", 9) == 9;
    if (ok && geteuid() == 0) {
        struct passwd *pw = cluster_owner();
        ok = pw && fchown(fd, pw->pw_uid, pw->pw_gid) == 0;
    }
    close(fd);
    return ok ? 0 : -1;
}

/* Whether the calling user may pass through every folder on the way to dir, dir included:
 * 0, or -1 with the first folder it may not enter in closed (a PATH_MAX buffer). */
static int first_closed_folder(const char *dir, char *closed)
{
    snprintf(closed, PATH_MAX, "%s", dir);
    for (char *p = closed + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char kept = *p;
        *p = '\0';
        if (access(closed, X_OK) != 0)
            return -1;
        if (kept == '\0')
            return 0;
        *p = kept;
    }
}

/* As root: whether the postgres user can pass through every folder down to dir, dir
 * included (checked as that user, in a child). When it cannot, closed (PATH_MAX) gets the
 * first folder it may not enter. Changes no permission. */
static int cluster_owner_can_reach(const char *dir, char *closed)
{
    int fds[2];
    if (pipe(fds) != 0)
        return 0;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return 0;
    }
    if (pid == 0) {
        close(fds[0]);
        become_cluster_owner();
        char found[PATH_MAX];
        if (first_closed_folder(dir, found) == 0)
            _exit(0);
        ssize_t ignored = write(fds[1], found, strlen(found));
        (void)ignored;
        _exit(1);
    }
    close(fds[1]);
    size_t got = 0;
    while (got < PATH_MAX - 1) {
        ssize_t n = read(fds[0], closed + got, PATH_MAX - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    closed[got] = '\0';
    close(fds[0]);
    return wait_for(pid) == 0;
}

/* The folder the cluster gets when postgres cannot reach the data folder:
 * ~postgres/studybase/<the first 12 hex digits of the SHA-256 of the data folder's real path>. */
static int outside_folder(const char *real_data_dir, char *base, size_t base_cap, char *out, size_t cap)
{
    struct passwd *pw = cluster_owner();
    if (!pw)
        return -1;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(real_data_dir, strlen(real_data_dir), digest, &len, EVP_sha256(), NULL) != 1)
        return -1;
    char id[13];
    sb_hex_encode(digest, 6, id);
    snprintf(base, base_cap, "%s/studybase", pw->pw_dir);
    snprintf(out, cap, "%s/%s", base, id);
    return 0;
}

/* Links the data folder's pg to a new folder of the postgres user (see the top comment),
 * unless pg/ already holds something, which is never moved. */
static int link_cluster_outside(struct sb_dev_cluster *c, const char *real_data_dir, const char *closed)
{
    char link[sizeof c->pg_dir], base[PATH_MAX], target[sizeof c->pg_dir];
    snprintf(link, sizeof link, "%s/pg", c->data_dir);
    if (rmdir(link) != 0 && errno != ENOENT) {
        fprintf(stderr,
                "studybase: the postgres user cannot reach the cluster in %s: it may not enter %s.\n"
                "  studybase moves no cluster and changes no permission outside its data folder: move\n"
                "  that folder somewhere the postgres user can reach and link %s to it, or set SB_DATA_DIR.\n",
                link, closed, link);
        return -1;
    }
    if (outside_folder(real_data_dir, base, sizeof base, target, sizeof target) != 0)
        return -1;
    if (make_cluster_owner_folder(base) != 0 || make_cluster_owner_folder(target) != 0)
        return -1;
    if (symlink(target, link) != 0) {
        fprintf(stderr, "studybase: cannot link %s to %s: %s\n", link, target, strerror(errno));
        return -1;
    }
    snprintf(c->pg_dir, sizeof c->pg_dir, "%s", target);
    return 0;
}

static int is_symlink(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* Decides where the cluster lives (see the top comment), making the folders and the link it
 * needs, and closes the data folder accordingly. */
static int place_cluster(struct sb_dev_cluster *c)
{
    char link[sizeof c->pg_dir], real_data_dir[PATH_MAX], closed[PATH_MAX] = "";
    snprintf(link, sizeof link, "%s/pg", c->data_dir);
    if (!realpath(c->data_dir, real_data_dir)) {
        fprintf(stderr, "studybase: cannot resolve %s: %s\n", c->data_dir, strerror(errno));
        return -1;
    }
    int outside = is_symlink(link);
    if (geteuid() == 0 && !outside) {
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", real_data_dir);
        outside = !cluster_owner_can_reach(dirname(parent), closed);
        if (outside && link_cluster_outside(c, real_data_dir, closed) != 0)
            return -1;
    }
    if (outside) {
        printf("the local PostgreSQL cluster lives in %s (linked from %s: the postgres user cannot reach the data folder)\n",
               c->pg_dir, link);
        if (make_cluster_owner_folder(c->pg_dir) != 0) /* again, if it was removed */
            return -1;
    }
    mode_t wanted = geteuid() == 0 && !outside ? 0701 : 0700;
    if (chmod(c->data_dir, wanted) != 0) {
        fprintf(stderr, "studybase: cannot set the permissions of %s: %s\n", c->data_dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int create_cluster(const struct sb_dev_cluster *c)
{
    char initdb[1200], pwfile[4200], log[4200];
    snprintf(initdb, sizeof initdb, "%s/initdb", c->bin_dir);
    snprintf(log, sizeof log, "%s/initdb.log", c->data_dir);
    /* beside the cluster's folder: where the postgres user can read it, and not in the folder
     * initdb wants empty */
    snprintf(pwfile, sizeof pwfile, "%s.pwfile", c->pg_dir);
    if (make_cluster_owner_folder(c->pg_dir) != 0 || write_password_file(pwfile) != 0)
        return -1;
    char *const argv[] = { initdb, "-D", (char *)c->pg_dir, "-U", "postgres", "--pwfile", pwfile,
                           "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                           "--locale=C.UTF-8", NULL };
    printf("creating the local PostgreSQL cluster in %s\n", c->pg_dir);
    int rc = run_as_cluster_owner(argv, log, 0);
    unlink(pwfile);
    if (rc != 0)
        fprintf(stderr, "studybase: initdb failed (exit %d); its output is in %s\n", rc, log);
    return rc == 0 ? 0 : -1;
}

int sb_dev_cluster_is_running(const struct sb_dev_cluster *c)
{
    char pg_ctl[1200];
    snprintf(pg_ctl, sizeof pg_ctl, "%s/pg_ctl", c->bin_dir);
    char *const argv[] = { pg_ctl, "status", "-D", (char *)c->pg_dir, NULL };
    return run_as_cluster_owner(argv, NULL, 0) == 0;
}

int sb_dev_cluster_start(struct sb_dev_cluster *c)
{
    char version_file[4200];
    snprintf(version_file, sizeof version_file, "%s/PG_VERSION", c->pg_dir);
    if (mkdir(c->data_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "studybase: cannot create %s: %s\n", c->data_dir, strerror(errno));
        return -1;
    }
    if (place_cluster(c) != 0)
        return -1;
    if (access(version_file, F_OK) != 0 && create_cluster(c) != 0)
        return -1;
    if (sb_dev_cluster_is_running(c))
        return 0;
    char pg_ctl[1200], options[4600], log[4200];
    snprintf(pg_ctl, sizeof pg_ctl, "%s/pg_ctl", c->bin_dir);
    snprintf(log, sizeof log, "%s/postgres.log", c->pg_dir);
    /* vector loaded by every backend: its planner hook (the exact top-N scan) then applies
     * from a session's first query, not only after something has called into the library */
    snprintf(options, sizeof options, "-p %d -c listen_addresses=127.0.0.1 -k %s -c session_preload_libraries=vector",
             c->port, c->pg_dir);
    char *const argv[] = { pg_ctl, "start", "-w", "-t", "60", "-D", (char *)c->pg_dir, "-l", log,
                           "-o", options, NULL };
    int rc = run_as_cluster_owner(argv, NULL, 1);
    if (rc != 0)
        fprintf(stderr, "studybase: PostgreSQL did not start on port %d; see %s\n", c->port, log);
    return rc == 0 ? 0 : -1;
}

int sb_dev_cluster_stop(const struct sb_dev_cluster *c)
{
    if (!sb_dev_cluster_is_running(c))
        return 0;
    char pg_ctl[1200];
    snprintf(pg_ctl, sizeof pg_ctl, "%s/pg_ctl", c->bin_dir);
    char *const argv[] = { pg_ctl, "stop", "-w", "-m", "fast", "-D", (char *)c->pg_dir, NULL };
    return run_as_cluster_owner(argv, NULL, 0) == 0 ? 0 : -1;
}

/* The authenticator's password: read from the data folder, or made and kept there. */
static int authenticator_password(const struct sb_dev_cluster *c, char out[65])
{
    char path[4200];
    snprintf(path, sizeof path, "%s/authenticator_password", c->data_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        int ok = fscanf(f, "%64s", out) == 1 && strlen(out) == 64;
        fclose(f);
        if (ok)
            return 0;
    }
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    sb_hex_encode(raw, sizeof raw, out);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    int ok = write(fd, out, 64) == 64;
    close(fd);
    return ok ? 0 : -1;
}

int sb_dev_cluster_server_url(const struct sb_dev_cluster *c, char *buf, size_t cap)
{
    char password[65], superuser[256];
    if (authenticator_password(c, password) != 0) {
        fprintf(stderr, "studybase: cannot keep the authenticator password in %s\n", c->data_dir);
        return -1;
    }
    sb_dev_cluster_url(c, superuser, sizeof superuser);
    PGconn *conn = PQconnectdb(superuser);
    int rc = -1;
    if (PQstatus(conn) == CONNECTION_OK) {
        /* ALTER ROLE takes no parameters; the password is 64 hex digits, quoted all the same. */
        char *literal = PQescapeLiteral(conn, password, strlen(password));
        char sql[256];
        snprintf(sql, sizeof sql, "ALTER ROLE authenticator WITH LOGIN PASSWORD %s", literal);
        PQfreemem(literal);
        PGresult *res = PQexec(conn, sql);
        rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
        if (rc != 0)
            fprintf(stderr, "studybase: cannot set the authenticator password: %s", PQerrorMessage(conn));
        PQclear(res);
    } else {
        fprintf(stderr, "studybase: cannot connect to the local cluster: %s", PQerrorMessage(conn));
    }
    PQfinish(conn);
    snprintf(buf, cap, "postgresql://authenticator:%s@127.0.0.1:%d/postgres", password, c->port);
    return rc;
}
