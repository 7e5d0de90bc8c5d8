/*
 * main: the studybase command line. One binary, one subcommand per job:
 *   serve    run the HTTP API against DATABASE_URL
 *   migrate  apply or roll back the schema (up | down | status)
 *   dev      local development: private PostgreSQL cluster + migrate + serve
 *   stop     stop the private cluster
 *   status   show whether the local stack runs and where
 * and one internal subcommand, not listed: `extract-pdf`, the child process the server reads
 * an uploaded PDF in (src/ai/pdf_child.h).
 */
#include "cli/dev.h"
#include "db/migrate.h"
#include "auth/keys.h"
#include "ai/embed_worker.h"
#include "ai/extractor.h"
#include "ai/pdf_child.h"
#include "auth/outbox.h"
#include "db/conn.h"
#include "http/router.h"
#include "http/server.h"
#include "util/arena.h"
#include "util/config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif
#include <unistd.h>

struct command {
    const char *name;
    const char *summary;
    const char *usage;
    int (*run)(int argc, char **argv);
};

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* Blocks SIGINT and SIGTERM in this thread and every thread started after, so that only
 * sigwait sees them. */
static void block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

static void print_keys(const struct sb_config *config, const char *api_url, const char *db_url, int as_env)
{
    struct sb_arena *arena = sb_arena_new();
    const char *anon = sb_keys_anon(arena, config->jwt_secret);
    const char *service = sb_keys_service_role(arena, config->jwt_secret);
    if (as_env)
        printf("API_URL=%s\nANON_KEY=%s\nSERVICE_ROLE_KEY=%s\nDB_URL=%s\n", api_url, anon, service, db_url ? db_url : "");
    else
        printf("API URL: %s\nDB URL: %s\nanon key: %s\nservice_role key: %s\n", api_url, db_url ? db_url : "(none)",
               anon, service);
    sb_arena_free(arena);
}

/* Serves until SIGINT or SIGTERM, then lets in-flight requests finish. shown_db_url is what
 * to print as the database (the superuser URL in dev, never the server's password). */
static int serve_until_stopped(struct sb_config *config, const char *shown_db_url)
{
    sigset_t stop_signals;
    int sig;
    block_stop_signals(&stop_signals);
    sb_db_configure(config->database_url, config->statement_timeout_ms);
    sb_services_register();
    struct sb_server *server = sb_server_start(config);
    if (!server)
        return 1;
    sb_auth_outbox_start(config); /* sends queued mail, when an SMTP server is configured */
    sb_ai_embed_worker_start(config); /* writes the embeddings ai.embedding_jobs asks for */
    sb_ai_extractor_start(config); /* reads the text of uploaded materials (#13) */
    char api_url[300];
    snprintf(api_url, sizeof api_url, "http://%s:%d", config->host, sb_server_port(server));
    print_keys(config, api_url, shown_db_url, 0);
    fflush(stdout);
    sigwait(&stop_signals, &sig);
    fprintf(stderr, "studybase: stopping (%s)\n", sig == SIGINT ? "interrupt" : "terminate");
    sb_db_closing();
    sb_ai_embed_worker_stop();
    sb_ai_extractor_stop();
    sb_server_stop(server);
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    struct sb_config config;
    if (sb_config_load(&config) != 0)
        return 2;
    if (!config.database_url) {
        fprintf(stderr, "studybase serve: set DATABASE_URL (or use `studybase dev` for a local database)\n");
        return 2;
    }
    return serve_until_stopped(&config, NULL);
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
    struct sb_config config;
    if (sb_config_load(&config) != 0)
        return 2;
    if (config.database_url) {
        printf("using DATABASE_URL; no local cluster is started\n");
        if (sb_migrate(config.database_url, SB_MIGRATE_UP, stdout) != 0)
            return 1;
        return serve_until_stopped(&config, NULL);
    }
    struct sb_dev_cluster cluster;
    char superuser_url[256], server_url[512];
    sb_dev_cluster_init(&cluster);
    if (sb_dev_cluster_start(&cluster) != 0)
        return 1;
    sb_dev_cluster_url(&cluster, superuser_url, sizeof superuser_url);
    printf("database: %s (data in %s)\n", superuser_url, cluster.pg_dir);
    int rc = sb_migrate(superuser_url, SB_MIGRATE_UP, stdout);
    if (rc == 0)
        rc = sb_dev_cluster_server_url(&cluster, server_url, sizeof server_url) == 0 ? 0 : 1;
    if (rc == 0) {
        config.database_url = server_url;
        rc = serve_until_stopped(&config, superuser_url);
    }
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
    int as_env = argc == 3 && strcmp(argv[1], "-o") == 0 && strcmp(argv[2], "env") == 0;
    if (argc != 1 && !as_env) {
        fprintf(stderr, "studybase status: expected no options or `-o env`\n");
        return 2;
    }
    struct sb_config config;
    if (sb_config_load(&config) != 0)
        return 2;
    struct sb_dev_cluster cluster;
    char url[256], api_url[300];
    sb_dev_cluster_init(&cluster);
    sb_dev_cluster_url(&cluster, url, sizeof url);
    snprintf(api_url, sizeof api_url, "http://%s:%d", config.host, config.port);
    int running = config.database_url ? 1 : sb_dev_cluster_is_running(&cluster);
    print_keys(&config, api_url, config.database_url ? config.database_url : url, as_env);
    if (!as_env)
        printf("local database: %s\n", config.database_url ? "not used (DATABASE_URL is set)" : running ? "running" : "stopped");
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
    { "status", "show the API URL, database URL and API keys",
      "usage: studybase status [-o env]\n\n"
      "Prints the API URL, the database URL, the anon and service_role keys, and whether the\n"
      "local database runs. With -o env: API_URL=, ANON_KEY=, SERVICE_ROLE_KEY=, DB_URL= lines.\n",
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

/* Ends the process without exit()'s clean-up. serve and dev leave background threads running
 * (the storage drain, the mail sender, the schema cache listener, the job pool), and exit()
 * tears down libraries those threads may be using at that moment (OpenSSL inside a libpq
 * connect): seen as a crash at exit under AddressSanitizer. Everything the process owes
 * the world is done by now (responses sent, log flushed, cluster stopped); only the leak
 * check of a sanitizer build still runs, with the other threads stopped by it. */
static int end_process(int status)
{
    fflush(stdout);
    fflush(stderr);
#if defined(__SANITIZE_ADDRESS__)
    __lsan_do_leak_check();
#endif
    _exit(status);
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
    if (strcmp(argv[1], "extract-pdf") == 0) /* internal: the server's PDF reader (pdf_child.h) */
        return end_process(sb_pdf_child_main(argc - 1, argv + 1));
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        if (wants_help(argc - 1, argv + 1)) {
            fputs(commands[i].usage, stdout);
            return 0;
        }
        return end_process(commands[i].run(argc - 1, argv + 1));
    }
    fprintf(stderr, "studybase: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
