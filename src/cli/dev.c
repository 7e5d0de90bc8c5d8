/*
 * dev: creates, starts and stops the private cluster with initdb and pg_ctl, run as the
 * `postgres` user when we are root (initdb and postgres refuse to run as root). The cluster
 * runs in its own session so that Ctrl-C on studybase reaches studybase first, which then
 * stops the cluster cleanly.
 *
 * Permissions: the data folder is made 0700. As root, the postgres user must pass through it
 * to reach pg/ inside, so it is 0701 then: passing through, no listing; what it holds is 0600
 * files and closed folders. Nothing above it is changed: if a folder above is closed to
 * postgres (e.g. /root, 0700 on Debian), dev stops and says what to do.
 */
#include "cli/dev.h"

#include "util/hex.h"

#include <errno.h>
#include <limits.h>
#include <libpq-fe.h>
#include <openssl/rand.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
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

static int give_to_cluster_owner(const char *path)
{
    if (geteuid() != 0)
        return 0;
    struct passwd *pw = getpwnam("postgres");
    if (!pw) {
        fprintf(stderr, "studybase: there is no postgres user; install PostgreSQL 15 first\n");
        return -1;
    }
    return chown(path, pw->pw_uid, pw->pw_gid);
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

/* As root: whether the postgres user can pass through every folder down to data_dir (checked
 * as that user, in a child). Says what to do when it cannot; changes no permission. */
static int cluster_owner_can_reach(const char *data_dir)
{
    if (geteuid() != 0)
        return 1;
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        become_cluster_owner();
        char closed[PATH_MAX];
        if (first_closed_folder(data_dir, closed) == 0)
            _exit(0);
        fprintf(stderr,
                "studybase: the postgres user cannot reach the data folder %s: it may not enter %s.\n"
                "  Run as root, studybase runs the local PostgreSQL as the postgres user (initdb refuses root),\n"
                "  and it changes no permission outside its data folder. Either set SB_DATA_DIR to a folder\n"
                "  the postgres user can reach (for example SB_DATA_DIR=/var/lib/studybase), run studybase as\n"
                "  an ordinary user, or set DATABASE_URL to a PostgreSQL of your own.\n",
                data_dir, closed);
        _exit(1);
    }
    return wait_for(pid) == 0;
}

/* The data folder is ours alone (0700), except that as root the postgres user passes
 * through it (o+x: no listing) to reach pg/. */
static int close_data_folder(const char *data_dir)
{
    struct stat st;
    if (stat(data_dir, &st) != 0)
        return -1;
    mode_t wanted = geteuid() == 0 ? 0701 : 0700;
    return (st.st_mode & 07777) == wanted ? 0 : chmod(data_dir, wanted);
}

static int create_cluster(const struct sb_dev_cluster *c)
{
    char initdb[1200], pwfile[4200], log[4200];
    snprintf(initdb, sizeof initdb, "%s/initdb", c->bin_dir);
    snprintf(log, sizeof log, "%s/initdb.log", c->data_dir);
    snprintf(pwfile, sizeof pwfile, "%s/pwfile", c->data_dir);
    if (mkdir(c->pg_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "studybase: cannot create %s: %s\n", c->pg_dir, strerror(errno));
        return -1;
    }
    FILE *f = fopen(pwfile, "w");
    if (!f) {
        fprintf(stderr, "studybase: cannot write %s: %s\n", pwfile, strerror(errno));
        return -1;
    }
    fputs("postgres\n", f);
    fclose(f);
    if (give_to_cluster_owner(c->pg_dir) != 0 || give_to_cluster_owner(pwfile) != 0)
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

int sb_dev_cluster_start(const struct sb_dev_cluster *c)
{
    char version_file[4200];
    snprintf(version_file, sizeof version_file, "%s/PG_VERSION", c->pg_dir);
    if (mkdir(c->data_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "studybase: cannot create %s: %s\n", c->data_dir, strerror(errno));
        return -1;
    }
    if (close_data_folder(c->data_dir) != 0) {
        fprintf(stderr, "studybase: cannot set the permissions of %s: %s\n", c->data_dir, strerror(errno));
        return -1;
    }
    if (!cluster_owner_can_reach(c->data_dir))
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
