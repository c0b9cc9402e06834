/*
 * client.h — the CLI's HTTP client of the API server (libcurl easy, blocking:
 * a command does one thing and exits), plus the flag and path helpers the
 * client commands (apply, get, describe, delete, scale, logs) share.
 *
 * Finding the server: --server/--token flags, else SPILLWAY_SERVER /
 * SPILLWAY_TOKEN, else the files `server` and `token` that `spillway up`
 * writes in the state directory (--state-dir, SPILLWAY_STATE_DIR,
 * $XDG_STATE_HOME/spillway, ~/.local/state/spillway), else
 * http://127.0.0.1:6443.
 */
#ifndef CLI_CLIENT_H
#define CLI_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "api/api.h"
#include "base/sw.h"

#define CLIENT_DEFAULT_SERVER "http://127.0.0.1:6443"

typedef struct client_opts {
  const char *server;    /* borrowed; NULL = find it */
  const char *token;     /* borrowed; NULL = find it */
  const char *state_dir; /* borrowed; NULL = the default */
} client_opts;

typedef struct client client;

/* The state directory: flag, else $SPILLWAY_STATE_DIR, else
 * $XDG_STATE_HOME/spillway, else ~/.local/state/spillway. Caller frees. */
char *client_state_dir(const char *flag);

/* Resolves server and token (see above); never contacts the server. */
int client_open(client **out, const client_opts *o, sw_err *err);
void client_close(client *c);
const char *client_server(const client *c);
/* The server's clock (X-Spillway-Time of the last reply; it may be
 * time-scaled), else the wall clock. For AGE columns. */
double client_now(const client *c);

/* One request. Returns 0 when the server answered (any HTTP status, in
 * *status; the body in out), SW_EUNAVAIL with the "not answering" message
 * when it did not. body may be NULL. */
int client_do(client *c, const char *method, const char *path, const char *content_type, const char *body,
              size_t len, long *status, sw_buf *out, sw_err *err);

/* A JSON request (body may be NULL). 2xx: returns the parsed reply. Other
 * statuses: NULL, *status set, and err holds the server's Status message,
 * prefixed as kubectl does ("Error from server (NotFound): ..."). */
json_t *client_json(client *c, const char *method, const char *path, const json_t *body,
                    const char *content_type, long *status, sw_err *err);

/* Streams a watch (path with ?watch=true): fn gets each event object
 * ({"type","object"}, borrowed) until it returns non-zero or the server ends
 * the stream. */
int client_watch(client *c, const char *path, int (*fn)(void *ud, const json_t *ev), void *ud, sw_err *err);
/* Streams a plain reply (pods/log?follow=true): fn gets the bytes as they
 * arrive until it returns non-zero or the server ends the stream. A non-200
 * reply is an error, as client_json reports it. */
int client_stream(client *c, const char *path, int (*fn)(void *ud, const char *data, size_t len), void *ud,
                  sw_err *err);

/* "/api/v1/namespaces/<ns>/pods/<name>/<sub>" or "/apis/<group>/<version>/...".
 * ns NULL = all namespaces (or a cluster-scoped kind); name/sub may be NULL.
 * Segments are percent-encoded. Caller frees. */
char *client_path(const api_kind *k, const char *ns, const char *name, const char *sub);

/* "deployment.apps" (kind lowercased, dot, group) as kubectl names a resource
 * type in its output; group "" gives just the kind. */
void client_type_name(const char *kind, const char *group, char *buf, size_t n);

/* Appends "?name=value" (or "&name=value"), the value percent-encoded. */
void client_append_query(sw_buf *b, const char *name, const char *value);

/* ---- flags ---- */

/* Matches argv[*i] against a flag with a value: "-n X", "-nX", "--namespace X",
 * "--namespace=X" (short_name or long_name may be NULL). On a match sets *val,
 * advances *i past the value and returns 1; 0 when argv[*i] is another flag;
 * -1 (after printing a usage error) when the value is missing. */
int client_flag_value(int argc, char **argv, int *i, const char *short_name, const char *long_name,
                      const char **val);
/* --server, --token, --state-dir: returns like client_flag_value. */
int client_common_flag(int argc, char **argv, int *i, client_opts *o);

/* Prints "spillway: <msg>" on stderr. */
void client_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Resolves "KIND" and "KIND/NAME" arguments (short names, plurals, any case).
 * *name_out is set (borrowed from arg) when the arg has a "/NAME" part, else
 * NULL. Returns NULL after printing an error when the kind is unknown. */
const api_kind *client_kind_arg(const char *arg, const char **name_out, char *kindbuf, size_t kindbuf_len);

/* Positional arguments of a command (borrowed from argv). */
typedef SW_VEC(const char *) client_args;

/* client_open, printing the error (NULL then). */
client *client_connect(const client_opts *o);

/* "deployment NAME" or "deployment/NAME" at pos->items[first...], the whole
 * rest of the arguments: the Deployment's name, or NULL after printing
 * "CMD: KINDS: what_else" when the kind is another. */
const char *client_deployment_arg(const client_args *pos, size_t first, const char *cmd, const char *what_else);

/* The argument loop every resource command shares: client_common_flag, -n
 * NAMESPACE, one command-specific `--flag VALUE` (extra_flag may be NULL),
 * -h/--help, and positional arguments into pos. An unknown flag is reported
 * as `CMD: unknown flag "X"` with the usage. Returns 0 to go on, 1 when help
 * was printed (exit 0), -1 on a usage error already reported (exit 2). */
int client_parse_command(int argc, char **argv, const char *cmd, void (*usage)(void), client_opts *co,
                         const char **ns, const char *extra_flag, const char **extra, client_args *pos);

/* Reads and decodes manifests from files, directories (their *.yaml, *.yml,
 * *.json files in name order) or "-" (stdin) into one new JSON array; all or
 * nothing, err naming file:line on failure. */
int client_decode_paths(const char *const *paths, size_t n, const api_vars *vars, json_t **out,
                        json_t *warnings, sw_err *err);

#endif
