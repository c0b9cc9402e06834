/*
 * http_server.h — a small HTTP/1.1 server on libuv + http-parser, shared by
 * the engine, the API server and every /metrics endpoint. (The gateway has its
 * own request path, tuned for proxying.)
 *
 * Guarantees: keep-alive, pipelining-safe (one request at a time per
 * connection), header and body size limits, an idle/slow-client timeout, and
 * replies that may be given later (asynchronously) or streamed in chunks.
 * Bad requests get 400/413/431 and the connection is closed; other clients
 * are unaffected.
 *
 * Threading: a server lives on one uv loop; call everything from that loop.
 */
#ifndef NET_HTTP_SERVER_H
#define NET_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "base/sw.h"

typedef struct http_server http_server;
typedef struct http_response http_response;

typedef struct http_header {
  const char *name;
  const char *value;
} http_header;

typedef struct http_request {
  const char *method; /* "GET", "POST", ... */
  const char *url;    /* as received: path and query */
  const char *path;   /* decoded path, no query */
  const char *query;  /* raw query after '?', "" if none */
  const http_header *headers;
  size_t n_headers;
  const char *body; /* NUL-terminated for convenience; body_len excludes it */
  size_t body_len;
  const char *remote_addr; /* "127.0.0.1:53422" */
} http_request;

/* Case-insensitive header lookup; NULL when absent. */
const char *http_request_header(const http_request *req, const char *name);
/* Query parameter value, decoded; NULL when absent. Borrowed until the reply. */
const char *http_request_query(const http_request *req, const char *name);

/* The request and `res` stay valid until a reply is finished or the client
 * goes away (then on_close fires and res must not be used afterwards). */
typedef void (*http_handler)(void *ud, const http_request *req, http_response *res);

typedef struct http_server_opts {
  size_t max_header_bytes; /* default 16 KiB */
  size_t max_body_bytes;   /* default 8 MiB */
  double idle_timeout;     /* seconds without progress before closing; default 60 */
  double header_timeout;   /* seconds to receive a full request head; default 10 */
} http_server_opts;

int http_server_listen(uv_loop_t *loop, const char *host, int port, const http_server_opts *opts,
                       http_handler handler, void *ud, http_server **out, sw_err *err);
int http_server_port(const http_server *s); /* the bound port (useful with port 0) */
void http_server_close(http_server *s);

/* Added by the net part (not used by the original contract's callers):
 * serve an already-connected stream socket (a socketpair end in tests and the
 * fuzz target; the server takes ownership of fd), and the number of open
 * connections (graceful-shutdown progress, tests). */
int http_server_adopt(http_server *s, int fd, sw_err *err);
size_t http_server_connections(const http_server *s);
/* Bodies of the replies the server makes by itself (400, 413, 431): by
 * default text/plain; a formatter writes its own body into `body` and
 * returns its content type (the engine answers OpenAI-style JSON). */
typedef const char *(*http_error_format)(void *ud, int status, const char *message, sw_buf *body);
void http_server_set_error_format(http_server *s, http_error_format fn, void *ud);

void http_response_header(http_response *res, const char *name, const char *value);
void http_respond(http_response *res, int status, const char *content_type, const char *body, size_t len);
/* Chunked streaming reply. */
void http_stream_begin(http_response *res, int status, const char *content_type);
void http_stream_write(http_response *res, const char *data, size_t len);
void http_stream_end(http_response *res);
/* Bytes written to a stream that the client has not taken yet (the socket's
 * write queue): a producer that can wait (a log follower) waits while this
 * is high instead of buffering without bound. */
size_t http_stream_queued(const http_response *res);
/* Called once if the client disconnects before the reply is finished. */
void http_response_on_close(http_response *res, void (*cb)(void *ud), void *ud);

#endif
