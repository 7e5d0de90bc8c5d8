/*
 * request: header and query look-ups, and the responses handlers build.
 */
#include "http/request.h"

#include <microhttpd.h>
#include <string.h>
#include <strings.h>

const char *sb_request_header(const struct sb_request *req, const char *name)
{
    for (int i = 0; i < req->header_count; i++)
        if (strcasecmp(req->headers[i].key, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *sb_request_query(const struct sb_request *req, const char *key)
{
    for (int i = 0; i < req->query_count; i++)
        if (strcmp(req->query[i].key, key) == 0)
            return req->query[i].value;
    return NULL;
}

void sb_response_header(struct sb_request *req, const char *name, const char *value)
{
    struct sb_header *h = sb_arena_alloc(req->arena, sizeof *h);
    h->name = sb_arena_strdup(req->arena, name);
    h->value = sb_arena_strdup(req->arena, value);
    h->next = req->response.headers;
    req->response.headers = h;
}

void sb_respond(struct sb_request *req, int status, const char *content_type, const char *body, size_t len)
{
    req->response.status = status;
    req->response.content_type = content_type;
    req->response.body = body;
    req->response.body_len = len;
    req->response.fd = -1;
}

void sb_respond_json(struct sb_request *req, int status, const char *json)
{
    sb_respond(req, status, "application/json; charset=utf-8", json, strlen(json));
}

void sb_respond_file(struct sb_request *req, int status, const char *content_type, int fd, uint64_t size)
{
    sb_respond(req, status, content_type, NULL, 0);
    req->response.fd = fd;
    req->response.fd_offset = 0;
    req->response.fd_size = size;
}

void sb_respond_file_part(struct sb_request *req, int status, const char *content_type, int fd, uint64_t offset,
                          uint64_t size)
{
    sb_respond_file(req, status, content_type, fd, size);
    req->response.fd_offset = offset;
}
