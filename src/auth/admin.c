/*
 * admin: GoTrue's admin API for service_role: /admin/users (GET list with pagination, POST
 * create) and /admin/users/{id} (GET, PUT, DELETE). Deleting a user removes their rows in the
 * app tables through the ON DELETE CASCADE of their foreign keys.
 */
#include "auth/password.h"
#include "auth/service.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PER_PAGE 50
#define MAX_PER_PAGE 1000

static const char provider_email[] = "{\"provider\":\"email\",\"providers\":[\"email\"]}";

/* A positive whole number from the query, the fallback when absent; -1 when malformed. */
static long query_number(struct sb_request *req, const char *key, long fallback, long max)
{
    const char *v = sb_request_query(req, key);
    if (!v || !*v)
        return fallback;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < 1)
        return -1;
    return n > max ? max : n;
}

static void list_users(struct sb_request *req)
{
    long page = query_number(req, "page", 1, 1000000);
    long per_page = query_number(req, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE);
    if (page < 0 || per_page < 0) {
        sb_auth_fail(req, 400, "validation_failed", "page and per_page must be positive whole numbers");
        return;
    }
    char limit[24], offset[24];
    snprintf(limit, sizeof limit, "%ld", per_page);
    snprintf(offset, sizeof offset, "%ld", (page - 1) * per_page);
    const char *params[] = { limit, offset };
    struct sb_db_result db;
    if (sb_auth_sql(req,
                    "SELECT (SELECT coalesce(jsonb_agg(auth.sb_user_json(u) ORDER BY u.created_at DESC, u.id), '[]')"
                    "          FROM (SELECT * FROM auth.users ORDER BY created_at DESC, id LIMIT $1::bigint"
                    "                OFFSET $2::bigint) u),"
                    "       (SELECT count(*) FROM auth.users)",
                    2, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return;
    }
    long total = strtol(sb_auth_value(&db, 1), NULL, 10);
    long last = total == 0 ? 1 : (total + per_page - 1) / per_page;
    /* auth-js reads the page number right after the first '=': page goes first */
    char *link = page < last ? sb_arena_printf(req->arena, "</admin/users?page=%ld&per_page=%ld>; rel=\"next\", ",
                                               page + 1, per_page)
                             : "";
    link = sb_arena_printf(req->arena, "%s</admin/users?page=%ld&per_page=%ld>; rel=\"last\"", link, last, per_page);
    sb_response_header(req, "X-Total-Count", sb_auth_value(&db, 1));
    sb_response_header(req, "Link", link);
    sb_auth_reply(req, 200, sb_arena_printf(req->arena, "{\"users\":%s,\"aud\":\"%s\"}", sb_auth_value(&db, 0),
                                            req->config->jwt_aud));
}

/* The fields create and update share, checked; false after answering. */
struct user_fields {
    const char *email, *password_hash, *user_metadata, *app_metadata, *email_confirm, *ban_seconds;
};

/* A Go duration such as "24h", "1h30m", "90s" in seconds, "none" as itself; NULL if malformed. */
static const char *ban_seconds_of(struct sb_request *req, const char *duration)
{
    if (strcmp(duration, "none") == 0)
        return "none";
    double total = 0;
    const char *p = duration;
    if (!*p)
        return NULL;
    while (*p) {
        char *end;
        double n = strtod(p, &end);
        if (end == p || n < 0)
            return NULL;
        if (strncmp(end, "ms", 2) == 0) {
            total += n / 1000;
            p = end + 2;
            continue;
        }
        switch (*end) {
        case 'h': total += n * 3600; break;
        case 'm': total += n * 60; break;
        case 's': total += n; break;
        default: return NULL;
        }
        p = end + 1;
    }
    return sb_arena_printf(req->arena, "%.3f", total);
}

static bool read_user_fields(struct sb_request *req, json_t *body, struct user_fields *f)
{
    memset(f, 0, sizeof *f);
    const char *email = sb_auth_string(body, "email");
    if (email && *email && !(f->email = sb_auth_normalize_email(req->arena, email))) {
        sb_auth_fail(req, 400, "email_address_invalid", "Unable to validate email address: invalid format");
        return false;
    }
    const char *password = sb_auth_string(body, "password");
    if (password) {
        if (!sb_auth_password_acceptable(req, password))
            return false;
        if (!(f->password_hash = sb_password_hash(req->arena, password))) {
            sb_auth_fail(req, 500, "unexpected_failure", "Could not hash the password");
            return false;
        }
    }
    bool bad_user, bad_app;
    f->user_metadata = sb_auth_object_text(req, body, "user_metadata", &bad_user);
    f->app_metadata = sb_auth_object_text(req, body, "app_metadata", &bad_app);
    if (bad_user || bad_app) {
        sb_auth_fail(req, 400, "validation_failed", "user_metadata and app_metadata must be JSON objects");
        return false;
    }
    json_t *confirm = json_object_get(body, "email_confirm");
    if (json_is_boolean(confirm))
        f->email_confirm = json_is_true(confirm) ? "t" : "f";
    const char *ban = sb_auth_string(body, "ban_duration");
    if (ban && !(f->ban_seconds = ban_seconds_of(req, ban))) {
        sb_auth_fail(req, 400, "validation_failed", "invalid format for ban duration: use e.g. 24h, 30m or none");
        return false;
    }
    return true;
}

static void fail_write(struct sb_request *req, const struct sb_db_result *db)
{
    if (db->sqlstate && strcmp(db->sqlstate, "23505") == 0)
        sb_auth_fail(req, 422, "email_exists", "A user with this email address has already been registered");
    else
        sb_auth_fail_db(req, db);
}

static bool is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

static void create_user(struct sb_request *req)
{
    json_t *body = sb_auth_body(req);
    struct user_fields f;
    if (!body || !read_user_fields(req, body, &f))
        return;
    if (!f.email) {
        sb_auth_fail(req, 400, "validation_failed", "Unable to validate email address: an email is required");
        return;
    }
    const char *imported_hash = sb_auth_string(body, "password_hash");
    if (imported_hash) {
        if (f.password_hash || !sb_password_is_hash(imported_hash)) {
            sb_auth_fail(req, 400, "validation_failed",
                         "password_hash must be a bcrypt hash ($2a$/$2b$), and not given with password");
            return;
        }
        f.password_hash = imported_hash;
    }
    const char *id = sb_auth_string(body, "id");
    if (id && !is_uuid(id)) {
        sb_auth_fail(req, 400, "validation_failed", "id must be an UUID");
        return;
    }
    const char *params[] = { req->config->jwt_aud, f.email, f.password_hash, f.email_confirm, provider_email,
                             f.app_metadata, f.user_metadata, id };
    struct sb_db_result db;
    if (sb_auth_sql(req,
                    "INSERT INTO auth.users (id, aud, role, email, encrypted_password, email_confirmed_at,"
                    "                        raw_app_meta_data, raw_user_meta_data)"
                    " VALUES (coalesce($8::uuid, gen_random_uuid()), $1, 'authenticated', $2, coalesce($3, ''),"
                    "         CASE WHEN $4::boolean THEN now() END,"
                    "         auth.sb_merge_metadata($5::jsonb, $6::jsonb), auth.sb_merge_metadata('{}', $7::jsonb))"
                    " RETURNING auth.sb_user_json(users)",
                    8, params, &db) != SB_DB_OK) {
        fail_write(req, &db);
        return;
    }
    sb_auth_reply(req, 200, sb_auth_value(&db, 0));
}

void sb_auth_handle_admin_users(struct sb_request *req)
{
    if (!sb_auth_require_admin(req))
        return;
    if (strcmp(req->method, "POST") == 0)
        create_user(req);
    else
        list_users(req);
}

static void answer_user_row(struct sb_request *req, const struct sb_db_result *db, const char *found_json)
{
    if (!sb_auth_value(db, 0))
        sb_auth_fail(req, 404, "user_not_found", "User not found");
    else
        sb_auth_reply(req, 200, found_json ? found_json : sb_auth_value(db, 0));
}

static void update_user(struct sb_request *req, const char *id)
{
    json_t *body = sb_auth_body(req);
    struct user_fields f;
    if (!body || !read_user_fields(req, body, &f))
        return;
    const char *params[] = { id, f.email, f.password_hash, f.email_confirm, f.app_metadata, f.user_metadata,
                             f.ban_seconds };
    struct sb_db_result db;
    if (sb_auth_sql(req,
                    "UPDATE auth.users SET email = coalesce($2, email),"
                    "  encrypted_password = coalesce($3, encrypted_password),"
                    "  email_confirmed_at = CASE WHEN $4::boolean THEN coalesce(email_confirmed_at, now())"
                    "                            ELSE email_confirmed_at END,"
                    "  raw_app_meta_data = auth.sb_merge_metadata(raw_app_meta_data, $5::jsonb),"
                    "  raw_user_meta_data = auth.sb_merge_metadata(raw_user_meta_data, $6::jsonb),"
                    "  banned_until = CASE WHEN $7::text IS NULL THEN banned_until WHEN $7 = 'none' THEN NULL"
                    "                      ELSE now() + make_interval(secs => $7::double precision) END,"
                    "  updated_at = now()"
                    " WHERE id = $1::uuid RETURNING auth.sb_user_json(users)",
                    7, params, &db) != SB_DB_OK) {
        fail_write(req, &db);
        return;
    }
    answer_user_row(req, &db, NULL);
}

static void delete_user(struct sb_request *req, const char *id)
{
    json_t *body = sb_auth_body(req);
    if (!body)
        return;
    if (json_is_true(json_object_get(body, "should_soft_delete"))) {
        sb_auth_fail(req, 400, "validation_failed", "Soft deletion is not supported: users are deleted for good");
        return;
    }
    const char *params[] = { id };
    struct sb_db_result db;
    if (sb_auth_sql(req, "DELETE FROM auth.users WHERE id = $1::uuid RETURNING id", 1, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return;
    }
    answer_user_row(req, &db, "{}");
}

void sb_auth_handle_admin_user(struct sb_request *req)
{
    if (!sb_auth_require_admin(req))
        return;
    const char *id = strrchr(req->path, '/') + 1;
    if (!is_uuid(id)) {
        sb_auth_fail(req, 404, "validation_failed", "user_id must be an UUID");
        return;
    }
    if (strcmp(req->method, "PUT") == 0) {
        update_user(req, id);
        return;
    }
    if (strcmp(req->method, "DELETE") == 0) {
        delete_user(req, id);
        return;
    }
    const char *params[] = { id };
    struct sb_db_result db;
    if (sb_auth_sql(req, "SELECT auth.sb_user_json(u) FROM auth.users u WHERE id = $1::uuid", 1, params, &db) !=
        SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return;
    }
    answer_user_row(req, &db, NULL);
}
