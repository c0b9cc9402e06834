/*
 * http1.h — the gateway's HTTP/1.x message handling over llhttp: the
 * client request parser (with its size limits), the OpenAI body fields the
 * router needs, the upstream response head parser, and the builders of the
 * heads the gateway sends on (hop-by-hop headers dropped, as RFC 9110 §7.6.1
 * asks of a proxy).
 *
 * Role in the data flow: between the sockets and the router. Pure: no I/O,
 * no clock, no globals; everything it returns points into the parser's own
 * buffers (borrowed until the next feed/reset). It must never abort on input.
 */
#ifndef GW_HTTP1_H
#define GW_HTTP1_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sw.h"
#include "gateway/status.h"

#define GW_MAX_HEADERS 100

typedef struct gw_hdr {
  uint32_t name_off, name_len, value_off, value_len; /* into head storage; NUL-terminated */
} gw_hdr;

/* ---- client requests --------------------------------------------------- */
typedef enum { GW_REQP_MORE, GW_REQP_DONE, GW_REQP_ERROR } gw_reqp_state;

typedef struct gw_reqp {
  llhttp_t parser;
  size_t max_head, max_body;
  sw_buf head; /* URL, header names and values, each NUL-terminated */
  uint32_t url_off, url_len;
  gw_hdr hdrs[GW_MAX_HEADERS];
  size_t n_hdrs;
  int last;          /* last callback: 0 none, 1 url, 2 field, 3 value */
  size_t head_bytes; /* bytes of request line + headers seen */
  sw_buf body;
  bool headers_done, done;
  bool expect_continue; /* "Expect: 100-continue" was sent */
  int error_status;     /* 400, 413 or 431 when the state is GW_REQP_ERROR */
  const char *error_msg;
} gw_reqp;

void gw_reqp_init(gw_reqp *r, size_t max_head, size_t max_body);
/* Prepares for the next request on the same connection (keeps memory). */
void gw_reqp_next(gw_reqp *r);
void gw_reqp_free(gw_reqp *r);
/* Parses up to len bytes, stopping right after a complete message; *used
 * says how many bytes were consumed (the rest belong to the next request). */
gw_reqp_state gw_reqp_feed(gw_reqp *r, const char *data, size_t len, size_t *used);
/* The connection reached EOF: an unfinished message is an error. */
gw_reqp_state gw_reqp_eof(gw_reqp *r);
const char *gw_reqp_url(const gw_reqp *r); /* as received */
const char *gw_reqp_method(const gw_reqp *r);
/* Case-insensitive; NULL when absent. */
const char *gw_reqp_header(const gw_reqp *r, const char *name);
bool gw_reqp_keep_alive(const gw_reqp *r);
/* Copies the URL's path (no query, absolute-form reduced) into out; false if
 * the URL does not parse. */
bool gw_reqp_path(const gw_reqp *r, char *out, size_t n);

/* The fields of an OpenAI request body that routing needs. */
typedef struct gw_body_info {
  char model[256];
  bool has_model;
  bool stream;
} gw_body_info;

/* Returns 0, or 400 with an OpenAI-style message in msg (and param, the
 * offending field or "" ) when the body is not a JSON object or a field has
 * the wrong type. */
int gw_body_parse(const char *body, size_t len, gw_body_info *out, char *msg, size_t msg_n,
                  const char **param);

/* The request head sent to a replica: method, URL, "Host: hostport", the
 * client's end-to-end headers, Content-Length of the (de-chunked) body. */
void gw_build_upstream_head(const gw_reqp *r, const char *hostport, sw_buf *out);

/* ---- upstream responses ------------------------------------------------ */
typedef enum { GW_RESPP_MORE, GW_RESPP_HEAD, GW_RESPP_DONE, GW_RESPP_ERROR } gw_respp_state;

typedef struct gw_respp {
  llhttp_t parser;
  size_t max_head;
  sw_buf head;
  uint32_t reason_off, reason_len;
  gw_hdr hdrs[GW_MAX_HEADERS];
  size_t n_hdrs;
  int last;
  size_t head_bytes;
  int status;
  bool headers_done, done, chunked;
  /* Optional: called with de-chunked body bytes (for HTTP/1.0 clients). */
  void (*on_body)(void *ud, const char *at, size_t n);
  void *ud;
} gw_respp;

void gw_respp_init(gw_respp *r, size_t max_head);
void gw_respp_reset(gw_respp *r); /* for the next response on a kept-alive connection */
void gw_respp_free(gw_respp *r);
/* Parses up to len bytes. Stops after the head (GW_RESPP_HEAD: *used is the
 * offset of the first raw body byte; r->done is already true when the
 * response has no body) and after the end of the message (GW_RESPP_DONE). */
gw_respp_state gw_respp_feed(gw_respp *r, const char *data, size_t len, size_t *used);
/* The replica closed the connection: completes a close-delimited body. */
gw_respp_state gw_respp_eof(gw_respp *r);
bool gw_respp_keep_alive(const gw_respp *r); /* after DONE: may the connection be reused */
const char *gw_respp_header(const gw_respp *r, const char *name);
/* The head sent to the client: the replica's status and end-to-end headers,
 * then our Connection header. dechunk drops Transfer-Encoding (the body is
 * sent de-chunked and the connection closed, for HTTP/1.0 clients). */
void gw_respp_build_head(const gw_respp *r, sw_buf *out, int http_minor, bool keep_alive, bool dechunk);

/* True for headers a proxy must not forward (RFC 9110 §7.6.1), plus the ones
 * the gateway rewrites itself (Host, Content-Length, Expect). */
bool gw_hop_by_hop(const char *name, bool request);

#endif
