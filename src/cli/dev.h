/*
 * dev: the project's private PostgreSQL cluster for local use (`studybase dev`, `stop`).
 *
 * The cluster lives under SB_DATA_DIR (default ./.studybase) in pg/, or, as root when the
 * postgres user cannot reach that folder, in ~postgres/studybase/<id>, which pg then links
 * to. It listens on 127.0.0.1 at SB_DB_PORT (default 54322) and is run by the `postgres` user
 * when studybase runs as root, because initdb refuses root. Its superuser is postgres/postgres, as in Supabase's local stack.
 */
#ifndef SB_CLI_DEV_H
#define SB_CLI_DEV_H

#include <stddef.h>

struct sb_dev_cluster {
    char data_dir[2048]; /* the project's folder for local state */
    char pg_dir[4096];   /* the cluster's data directory */
    char bin_dir[1024];  /* PostgreSQL's binaries */
    int port;
};

/* Fills paths from the environment and defaults (pg_dir: where the data folder's pg links to,
 * if it is a link). */
void sb_dev_cluster_init(struct sb_dev_cluster *cluster);

/* Decides where the cluster lives (updating pg_dir), creates it if needed and starts it if it
 * is not running. Returns 0 on success. */
int sb_dev_cluster_start(struct sb_dev_cluster *cluster);

/* Stops the cluster if it runs (fast shutdown: clean, no recovery at the next start). */
int sb_dev_cluster_stop(const struct sb_dev_cluster *cluster);

/* 1 if the cluster answers, 0 otherwise. */
int sb_dev_cluster_is_running(const struct sb_dev_cluster *cluster);

/* The superuser URL of the cluster's `postgres` database. */
void sb_dev_cluster_url(const struct sb_dev_cluster *cluster, char *buf, size_t cap);

/* Gives the `authenticator` role a password (generated once, kept in the data folder, mode
 * 0600) through the superuser URL, and writes the URL the server logs in with. Returns 0. */
int sb_dev_cluster_server_url(const struct sb_dev_cluster *cluster, char *buf, size_t cap);

#endif
