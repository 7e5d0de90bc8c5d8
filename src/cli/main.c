/*
 * main: the studybase command line. One binary, one subcommand per job:
 *   serve    run the HTTP API against DATABASE_URL
 *   migrate  apply or roll back the schema (up | down | status)
 *   dev      local development: private PostgreSQL cluster + migrate + serve
 *   stop     stop the private cluster
 *   status   show whether the local stack runs and where
 */
#include "cli/dev.h"
#include "db/migrate.h"
#include "http/server.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
    const char *name;
    const char *summary;
    const char *usage;
    int (*run)(int argc, char **argv);
};

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

static struct sb_server_config server_config_from_env(void)
{
    struct sb_server_config config = {
        .host = env_or("SB_HOST", "127.0.0.1"),
        .port = atoi(env_or("SB_PORT", "54321")),
        .threads = atoi(env_or("SB_THREADS", "4")),
    };
    return config;
}

/* Blocks until SIGINT or SIGTERM; the signals are blocked in every thread started after this. */
static void block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

static int serve_until_stopped(const char *database_url)
{
    sigset_t stop_signals;
    int sig;
    block_stop_signals(&stop_signals);
    struct sb_server_config config = server_config_from_env();
    struct sb_server *server = sb_server_start(&config);
    if (!server)
        return 1;
    (void)database_url; /* the API services use it; /health does not */
    printf("API URL: http://%s:%d\n", config.host, config.port);
    fflush(stdout);
    sigwait(&stop_signals, &sig);
    fprintf(stderr, "studybase: stopping (%s)\n", sig == SIGINT ? "interrupt" : "terminate");
    sb_server_stop(server);
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    const char *url = getenv("DATABASE_URL");
    if (!url || !*url) {
        fprintf(stderr, "studybase serve: set DATABASE_URL (or use `studybase dev` for a local database)\n");
        return 2;
    }
    return serve_until_stopped(url);
}

static int cmd_migrate(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "studybase migrate: expected one of up, down, status\n");
        return 2;
    }
    enum sb_migrate_action action;
    if (strcmp(argv[1], "up") == 0)
        action = SB_MIGRATE_UP;
    else if (strcmp(argv[1], "down") == 0)
        action = SB_MIGRATE_DOWN;
    else if (strcmp(argv[1], "status") == 0)
        action = SB_MIGRATE_STATUS;
    else {
        fprintf(stderr, "studybase migrate: unknown action '%s'; expected up, down or status\n", argv[1]);
        return 2;
    }
    char local[256];
    const char *url = getenv("DATABASE_URL");
    if (!url || !*url) {
        struct sb_dev_cluster cluster;
        sb_dev_cluster_init(&cluster);
        sb_dev_cluster_url(&cluster, local, sizeof local);
        url = local;
    }
    return sb_migrate(url, action, stdout);
}

static int cmd_dev(int argc, char **argv)
{
    const char *external = getenv("DATABASE_URL");
    if (external && *external) {
        printf("using DATABASE_URL; no local cluster is started\n");
        if (sb_migrate(external, SB_MIGRATE_UP, stdout) != 0)
            return 1;
        return serve_until_stopped(external);
    }
    struct sb_dev_cluster cluster;
    char url[256];
    sb_dev_cluster_init(&cluster);
    if (sb_dev_cluster_start(&cluster) != 0)
        return 1;
    sb_dev_cluster_url(&cluster, url, sizeof url);
    printf("database: %s (data in %s)\n", url, cluster.pg_dir);
    int rc = sb_migrate(url, SB_MIGRATE_UP, stdout);
    if (rc == 0)
        rc = serve_until_stopped(url);
    printf("stopping the local PostgreSQL cluster\n");
    if (sb_dev_cluster_stop(&cluster) != 0)
        rc = 1;
    return rc;
}

static int cmd_stop(int argc, char **argv)
{
    struct sb_dev_cluster cluster;
    sb_dev_cluster_init(&cluster);
    if (!sb_dev_cluster_is_running(&cluster)) {
        printf("the local PostgreSQL cluster is not running\n");
        return 0;
    }
    int rc = sb_dev_cluster_stop(&cluster);
    printf(rc == 0 ? "stopped the local PostgreSQL cluster\n" : "could not stop the local PostgreSQL cluster\n");
    return rc == 0 ? 0 : 1;
}

static int cmd_status(int argc, char **argv)
{
    struct sb_dev_cluster cluster;
    char url[256];
    sb_dev_cluster_init(&cluster);
    sb_dev_cluster_url(&cluster, url, sizeof url);
    struct sb_server_config config = server_config_from_env();
    int running = sb_dev_cluster_is_running(&cluster);
    printf("API URL: http://%s:%d\nDB URL: %s\nlocal database: %s\n", config.host, config.port, url,
           running ? "running" : "stopped");
    return running ? 0 : 1;
}

static const struct command commands[] = {
    { "serve", "run the HTTP API against DATABASE_URL",
      "usage: studybase serve\n\n"
      "Serves the API on SB_HOST:SB_PORT (default 127.0.0.1:54321) against the database in\n"
      "DATABASE_URL, until SIGINT or SIGTERM. The schema must be migrated (studybase migrate up).\n",
      cmd_serve },
    { "migrate", "apply or roll back the schema: up | down | status",
      "usage: studybase migrate up | down | status\n\n"
      "  up      apply the platform schema, then the app migrations 001-003, each in a transaction;\n"
      "          refuses to run if an applied file has changed; a no-op when up to date\n"
      "  down    run 004_rollback (drops the app tables and policies); `up` works again afterwards\n"
      "  status  list every migration as applied, pending or CHANGED\n\n"
      "Uses DATABASE_URL, or the local cluster of `studybase dev` when it is unset.\n",
      cmd_migrate },
    { "dev", "local stack: private PostgreSQL on port 54322, migrate, serve",
      "usage: studybase dev\n\n"
      "Creates (first time) and starts a private PostgreSQL 15 cluster under SB_DATA_DIR\n"
      "(default ./.studybase) on 127.0.0.1:SB_DB_PORT (default 54322), applies the migrations\n"
      "and serves the API until Ctrl-C, then stops the cluster. A second run reuses the data.\n"
      "With DATABASE_URL set, it migrates and serves that database and starts nothing.\n",
      cmd_dev },
    { "stop", "stop the private PostgreSQL cluster",
      "usage: studybase stop\n\nStops the cluster that `studybase dev` started (fast, clean shutdown).\n",
      cmd_stop },
    { "status", "show the API and database URLs of the local stack",
      "usage: studybase status\n\nPrints the API URL and the local database URL and whether it runs.\n",
      cmd_status },
};

static void print_usage(FILE *out)
{
    fprintf(out, "studybase: a Supabase-compatible backend for the personalized learning platform\n\n"
                 "usage: studybase <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun `studybase <command> --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        if (wants_help(argc - 1, argv + 1)) {
            fputs(commands[i].usage, stdout);
            return 0;
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "studybase: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
