/*
 * server: libmicrohttpd glue. For now it answers GET /health; the API services hang off
 * the same dispatch as they arrive.
 */
#include "http/server.h"

#include "util/log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb_server {
    struct MHD_Daemon *daemon;
};

static enum MHD_Result respond_json(struct MHD_Connection *conn, unsigned int status, const char *body)
{
    struct MHD_Response *res = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                               MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(res, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, status, res);
    MHD_destroy_response(res);
    return ret;
}

static enum MHD_Result dispatch(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **req_cls)
{
    if (*req_cls == NULL) { /* first call: headers only */
        *req_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_data_size) { /* no route takes a body yet: drain it */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/health") == 0 && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
        return respond_json(conn, MHD_HTTP_OK, "{\"status\":\"ok\"}");
    return respond_json(conn, MHD_HTTP_NOT_FOUND,
                        "{\"code\":404,\"error_code\":\"not_found\",\"msg\":\"no route for this path\"}");
}

struct sb_server *sb_server_start(const struct sb_server_config *config)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)config->port) };
    if (inet_pton(AF_INET, config->host, &addr.sin_addr) != 1) {
        fprintf(stderr, "studybase: cannot bind to '%s': expected an IPv4 address such as 127.0.0.1\n",
                config->host);
        return NULL;
    }
    struct sb_server *server = calloc(1, sizeof *server);
    server->daemon = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, (uint16_t)config->port, NULL, NULL,
        dispatch, server,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(config->threads > 0 ? config->threads : 2),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
        MHD_OPTION_END);
    if (!server->daemon) {
        fprintf(stderr, "studybase: cannot listen on %s:%d (is the port in use?)\n", config->host, config->port);
        free(server);
        return NULL;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", config->port);
    sb_log(SB_LOG_INFO, "listening", "host", config->host, "port", port, NULL);
    return server;
}

void sb_server_stop(struct sb_server *server)
{
    if (!server)
        return;
    MHD_stop_daemon(server->daemon);
    free(server);
}
