/*
 * http1.c — see http1.h. Client request parsing with limits, OpenAI body
 * fields, upstream response head parsing, and the heads forwarded each way.
 *
 * http-parser delivers URL and header bytes in pieces that may be split
 * across reads; they are appended to one storage buffer, each piece
 * NUL-terminated when the next begins, and referenced by offset (the buffer
 * may move while it grows). The parser is paused at the end of each message
 * so that pipelined bytes stay with the caller, and (responses) at the end of
 * the head, so the raw body can be passed through untouched.
 */
#include "gateway/http1.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { P_NONE, P_URL, P_FIELD, P_VALUE, P_REASON };

/* Terminates the current piece and starts a new one at the end of storage. */
static uint32_t piece_start(sw_buf *head) {
  if (head->len) sw_buf_append(head, "", 1);
  return (uint32_t)head->len;
}

bool gw_hop_by_hop(const char *name, bool request) {
  static const char *const common[] = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
                                       "upgrade",    NULL};
  for (const char *const *p = common; *p; p++)
    if (strcasecmp(name, *p) == 0) return true;
  if (request)
    return strcasecmp(name, "host") == 0 || strcasecmp(name, "content-length") == 0 ||
           strcasecmp(name, "transfer-encoding") == 0 || strcasecmp(name, "expect") == 0;
  return false;
}

/* ---- requests ----------------------------------------------------------- */

static int req_fail(gw_reqp *r, int status, const char *msg) {
  if (!r->error_status) {
    r->error_status = status;
    r->error_msg = msg;
  }
  return -1;
}

static bool req_account(gw_reqp *r, size_t n) {
  r->head_bytes += n;
  if (r->head_bytes > r->max_head) {
    req_fail(r, 431, "request header fields too large");
    return false;
  }
  return true;
}

static int req_on_url(http_parser *p, const char *at, size_t n) {
  gw_reqp *r = p->data;
  if (!req_account(r, n)) return -1;
  if (r->last != P_URL) {
    r->url_off = piece_start(&r->head);
    r->url_len = 0;
    r->last = P_URL;
  }
  sw_buf_append(&r->head, at, n);
  r->url_len += (uint32_t)n;
  return 0;
}

static int req_on_field(http_parser *p, const char *at, size_t n) {
  gw_reqp *r = p->data;
  if (!req_account(r, n + 4)) return -1;
  if (r->last != P_FIELD) {
    if (r->n_hdrs == GW_MAX_HEADERS) return req_fail(r, 431, "too many request header fields");
    gw_hdr *h = &r->hdrs[r->n_hdrs++];
    h->name_off = piece_start(&r->head);
    h->name_len = 0;
    h->value_off = h->name_off; /* until a value arrives: "" at the name's NUL */
    h->value_len = 0;
    r->last = P_FIELD;
  }
  sw_buf_append(&r->head, at, n);
  r->hdrs[r->n_hdrs - 1].name_len += (uint32_t)n;
  return 0;
}

static int req_on_value(http_parser *p, const char *at, size_t n) {
  gw_reqp *r = p->data;
  if (!req_account(r, n)) return -1;
  if (r->n_hdrs == 0) return req_fail(r, 400, "malformed header");
  gw_hdr *h = &r->hdrs[r->n_hdrs - 1];
  if (r->last != P_VALUE) {
    h->value_off = piece_start(&r->head);
    h->value_len = 0;
    r->last = P_VALUE;
  }
  sw_buf_append(&r->head, at, n);
  h->value_len += (uint32_t)n;
  return 0;
}

/* RFC 9110 §5.6.2 token characters: anything else in a field name (a space
 * before the colon, say) is a request-smuggling vector and must be refused. */
static bool is_token(const char *s, size_t n) {
  static const char extra[] = "!#$%&'*+-.^_`|~";
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          (ch && strchr(extra, ch))))
      return false;
  }
  return true;
}

static int req_on_headers_complete(http_parser *p) {
  gw_reqp *r = p->data;
  piece_start(&r->head);
  for (size_t i = 0; i < r->n_hdrs; i++)
    if (!is_token(r->head.data + r->hdrs[i].name_off, r->hdrs[i].name_len))
      return req_fail(r, 400, "invalid header field name");
  /* Headers whose value never arrived point at their name's NUL: fix them to "". */
  for (size_t i = 0; i < r->n_hdrs; i++)
    if (r->hdrs[i].value_off == r->hdrs[i].name_off)
      r->hdrs[i].value_off = r->hdrs[i].name_off + r->hdrs[i].name_len;
  r->headers_done = true;
  if (r->last == P_NONE || r->url_len == 0) return req_fail(r, 400, "missing request target");
  if (p->http_major != 1) return req_fail(r, 400, "unsupported HTTP version (expected HTTP/1.0 or 1.1)");
  const char *expect = gw_reqp_header(r, "expect");
  if (expect) {
    if (strcasecmp(expect, "100-continue") != 0) return req_fail(r, 417, "unsupported Expect header");
    r->expect_continue = true;
  }
  if ((p->flags & F_CONTENTLENGTH) && p->content_length > r->max_body)
    return req_fail(r, 413, "request body too large");
  if ((p->flags & F_CONTENTLENGTH) && p->content_length > 0)
    sw_buf_reserve(&r->body, (size_t)p->content_length);
  return 0;
}

static int req_on_body(http_parser *p, const char *at, size_t n) {
  gw_reqp *r = p->data;
  if (r->body.len + n > r->max_body) return req_fail(r, 413, "request body too large");
  sw_buf_append(&r->body, at, n);
  return 0;
}

static int req_on_message_complete(http_parser *p) {
  gw_reqp *r = p->data;
  r->done = true;
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings req_settings = {
    .on_url = req_on_url,
    .on_header_field = req_on_field,
    .on_header_value = req_on_value,
    .on_headers_complete = req_on_headers_complete,
    .on_body = req_on_body,
    .on_message_complete = req_on_message_complete,
};

void gw_reqp_init(gw_reqp *r, size_t max_head, size_t max_body) {
  memset(r, 0, sizeof *r);
  r->max_head = max_head;
  r->max_body = max_body;
  sw_buf_init(&r->head);
  sw_buf_init(&r->body);
  http_parser_init(&r->parser, HTTP_REQUEST);
  r->parser.data = r;
}

void gw_reqp_next(gw_reqp *r) {
  sw_buf_reset(&r->head);
  sw_buf_reset(&r->body);
  /* Do not keep a huge body buffer around for the rest of a keep-alive connection. */
  if (r->body.cap > 1 << 20) sw_buf_free(&r->body);
  r->url_off = r->url_len = 0;
  r->n_hdrs = 0;
  r->last = P_NONE;
  r->head_bytes = 0;
  r->headers_done = r->done = r->expect_continue = false;
  r->error_status = 0;
  r->error_msg = NULL;
  http_parser_init(&r->parser, HTTP_REQUEST);
  r->parser.data = r;
}

void gw_reqp_free(gw_reqp *r) {
  sw_buf_free(&r->head);
  sw_buf_free(&r->body);
}

gw_reqp_state gw_reqp_feed(gw_reqp *r, const char *data, size_t len, size_t *used) {
  *used = 0;
  if (r->error_status) return GW_REQP_ERROR;
  if (r->done) return GW_REQP_DONE;
  size_t n = http_parser_execute(&r->parser, &req_settings, data, len);
  enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
  *used = n;
  if (e == HPE_PAUSED) {
    http_parser_pause(&r->parser, 0);
    if (r->parser.upgrade) return req_fail(r, 400, "protocol upgrade is not supported"), GW_REQP_ERROR;
    return GW_REQP_DONE;
  }
  if (r->error_status) return GW_REQP_ERROR;
  if (e != HPE_OK) {
    if (e == HPE_HEADER_OVERFLOW) return req_fail(r, 431, "request header fields too large"), GW_REQP_ERROR;
    return req_fail(r, 400, http_errno_description(e)), GW_REQP_ERROR;
  }
  if (r->parser.upgrade) return req_fail(r, 400, "protocol upgrade is not supported"), GW_REQP_ERROR;
  return r->done ? GW_REQP_DONE : GW_REQP_MORE;
}

gw_reqp_state gw_reqp_eof(gw_reqp *r) {
  if (r->done) return GW_REQP_DONE;
  if (r->last == P_NONE && !r->headers_done) return GW_REQP_MORE; /* idle connection closed */
  return req_fail(r, 400, "connection closed in the middle of a request"), GW_REQP_ERROR;
}

const char *gw_reqp_url(const gw_reqp *r) { return r->url_len ? r->head.data + r->url_off : "/"; }

const char *gw_reqp_method(const gw_reqp *r) { return http_method_str((enum http_method)r->parser.method); }

const char *gw_reqp_header(const gw_reqp *r, const char *name) {
  for (size_t i = 0; i < r->n_hdrs; i++)
    if (strcasecmp(r->head.data + r->hdrs[i].name_off, name) == 0) return r->head.data + r->hdrs[i].value_off;
  return NULL;
}

bool gw_reqp_keep_alive(const gw_reqp *r) { return http_should_keep_alive(&r->parser) != 0; }

bool gw_reqp_path(const gw_reqp *r, char *out, size_t n) {
  const char *url = gw_reqp_url(r);
  struct http_parser_url u;
  http_parser_url_init(&u);
  if (http_parser_parse_url(url, strlen(url), 0, &u) != 0) return false;
  if (!(u.field_set & (1 << UF_PATH))) {
    snprintf(out, n, "/");
    return true;
  }
  size_t len = u.field_data[UF_PATH].len;
  if (len >= n) return false;
  memcpy(out, url + u.field_data[UF_PATH].off, len);
  out[len] = 0;
  return true;
}

int gw_body_parse(const char *body, size_t len, gw_body_info *out, char *msg, size_t msg_n,
                  const char **param) {
  memset(out, 0, sizeof *out);
  *param = "";
  json_error_t je;
  json_t *root = json_loadb(body, len, 0, &je);
  if (!root) {
    snprintf(msg, msg_n, "We could not parse the JSON body of your request: %s (line %d, column %d).",
             je.text, je.line, je.column);
    return 400;
  }
  int rc = 0;
  if (!json_is_object(root)) {
    snprintf(msg, msg_n, "The request body must be a JSON object.");
    rc = 400;
    goto out;
  }
  json_t *model = json_object_get(root, "model");
  if (model && !json_is_null(model)) {
    if (!json_is_string(model)) {
      snprintf(msg, msg_n, "Invalid type for 'model': expected a string.");
      *param = "model";
      rc = 400;
      goto out;
    }
    size_t ml = json_string_length(model);
    if (ml == 0 || ml >= sizeof out->model || memchr(json_string_value(model), 0, ml)) {
      snprintf(msg, msg_n, "Invalid value for 'model': expected a non-empty name shorter than %zu bytes.",
               sizeof out->model);
      *param = "model";
      rc = 400;
      goto out;
    }
    memcpy(out->model, json_string_value(model), ml + 1);
    out->has_model = true;
  }
  json_t *stream = json_object_get(root, "stream");
  if (stream && !json_is_null(stream)) {
    if (!json_is_boolean(stream)) {
      snprintf(msg, msg_n, "Invalid type for 'stream': expected a boolean.");
      *param = "stream";
      rc = 400;
      goto out;
    }
    out->stream = json_is_true(stream);
  }
out:
  json_decref(root);
  return rc;
}

/* Appends a decimal number (the request path avoids printf: it is measurable there). */
static void append_u64(sw_buf *out, uint64_t v) {
  char tmp[24];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  sw_buf_append(out, tmp + i, sizeof tmp - i);
}

void gw_build_upstream_head(const gw_reqp *r, const char *hostport, sw_buf *out) {
  sw_buf_reserve(out, r->head.len + 128);
  sw_buf_puts(out, gw_reqp_method(r));
  sw_buf_append(out, " ", 1);
  sw_buf_append(out, gw_reqp_url(r), r->url_len ? r->url_len : 1);
  sw_buf_append(out, " HTTP/1.1\r\nHost: ", 17);
  sw_buf_puts(out, hostport);
  sw_buf_append(out, "\r\n", 2);
  for (size_t i = 0; i < r->n_hdrs; i++) {
    const char *name = r->head.data + r->hdrs[i].name_off;
    if (gw_hop_by_hop(name, true)) continue;
    sw_buf_append(out, name, r->hdrs[i].name_len);
    sw_buf_append(out, ": ", 2);
    sw_buf_append(out, r->head.data + r->hdrs[i].value_off, r->hdrs[i].value_len);
    sw_buf_append(out, "\r\n", 2);
  }
  sw_buf_append(out, "Content-Length: ", 16);
  append_u64(out, r->body.len);
  sw_buf_append(out, "\r\n\r\n", 4);
}

/* ---- responses ---------------------------------------------------------- */

static int resp_fail(gw_respp *r) {
  (void)r;
  return -1;
}

static bool resp_account(gw_respp *r, size_t n) {
  r->head_bytes += n;
  return r->head_bytes <= r->max_head;
}

static int resp_on_status(http_parser *p, const char *at, size_t n) {
  gw_respp *r = p->data;
  if (!resp_account(r, n)) return resp_fail(r);
  if (r->last != P_REASON) {
    r->reason_off = piece_start(&r->head);
    r->reason_len = 0;
    r->last = P_REASON;
  }
  sw_buf_append(&r->head, at, n);
  r->reason_len += (uint32_t)n;
  return 0;
}

static int resp_on_field(http_parser *p, const char *at, size_t n) {
  gw_respp *r = p->data;
  if (!resp_account(r, n + 4)) return resp_fail(r);
  if (r->last != P_FIELD) {
    if (r->n_hdrs == GW_MAX_HEADERS) return resp_fail(r);
    gw_hdr *h = &r->hdrs[r->n_hdrs++];
    h->name_off = piece_start(&r->head);
    h->name_len = 0;
    h->value_off = h->name_off;
    h->value_len = 0;
    r->last = P_FIELD;
  }
  sw_buf_append(&r->head, at, n);
  r->hdrs[r->n_hdrs - 1].name_len += (uint32_t)n;
  return 0;
}

static int resp_on_value(http_parser *p, const char *at, size_t n) {
  gw_respp *r = p->data;
  if (!resp_account(r, n)) return resp_fail(r);
  if (r->n_hdrs == 0) return resp_fail(r);
  gw_hdr *h = &r->hdrs[r->n_hdrs - 1];
  if (r->last != P_VALUE) {
    h->value_off = piece_start(&r->head);
    h->value_len = 0;
    r->last = P_VALUE;
  }
  sw_buf_append(&r->head, at, n);
  h->value_len += (uint32_t)n;
  return 0;
}

static int resp_on_headers_complete(http_parser *p) {
  gw_respp *r = p->data;
  piece_start(&r->head);
  for (size_t i = 0; i < r->n_hdrs; i++)
    if (r->hdrs[i].value_off == r->hdrs[i].name_off)
      r->hdrs[i].value_off = r->hdrs[i].name_off + r->hdrs[i].name_len;
  r->status = p->status_code;
  r->chunked = (p->flags & F_CHUNKED) != 0;
  r->headers_done = true;
  http_parser_pause(p, 1);
  return 0;
}

static int resp_on_body(http_parser *p, const char *at, size_t n) {
  gw_respp *r = p->data;
  if (r->on_body) r->on_body(r->ud, at, n);
  return 0;
}

static int resp_on_message_complete(http_parser *p) {
  gw_respp *r = p->data;
  r->done = true;
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings resp_settings = {
    .on_status = resp_on_status,
    .on_header_field = resp_on_field,
    .on_header_value = resp_on_value,
    .on_headers_complete = resp_on_headers_complete,
    .on_body = resp_on_body,
    .on_message_complete = resp_on_message_complete,
};

void gw_respp_init(gw_respp *r, size_t max_head) {
  memset(r, 0, sizeof *r);
  r->max_head = max_head;
  sw_buf_init(&r->head);
  http_parser_init(&r->parser, HTTP_RESPONSE);
  r->parser.data = r;
}

void gw_respp_reset(gw_respp *r) {
  sw_buf_reset(&r->head);
  r->reason_off = r->reason_len = 0;
  r->n_hdrs = 0;
  r->last = P_NONE;
  r->head_bytes = 0;
  r->status = 0;
  r->headers_done = r->done = r->chunked = false;
  r->on_body = NULL;
  r->ud = NULL;
  http_parser_init(&r->parser, HTTP_RESPONSE);
  r->parser.data = r;
}

void gw_respp_free(gw_respp *r) { sw_buf_free(&r->head); }

gw_respp_state gw_respp_feed(gw_respp *r, const char *data, size_t len, size_t *used) {
  *used = 0;
  if (r->done) return GW_RESPP_DONE;
  bool had_head = r->headers_done;
  size_t n = http_parser_execute(&r->parser, &resp_settings, data, len);
  enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
  if (e == HPE_PAUSED) {
    http_parser_pause(&r->parser, 0);
    if (!had_head && r->headers_done) {
      /* Paused inside on_headers_complete, http-parser stops on the head's
       * final LF (it re-reads that byte when resumed). Feed it now, so the
       * caller's raw body starts right after the head. */
      if (n < len) {
        size_t m = http_parser_execute(&r->parser, &resp_settings, data + n, 1);
        e = HTTP_PARSER_ERRNO(&r->parser);
        if (e == HPE_PAUSED)
          http_parser_pause(&r->parser, 0); /* no body: message complete */
        else if (e != HPE_OK)
          return GW_RESPP_ERROR;
        n += m;
      }
      *used = n;
      return GW_RESPP_HEAD;
    }
    *used = n;
    return GW_RESPP_DONE;
  }
  *used = n;
  if (e != HPE_OK) return GW_RESPP_ERROR;
  return GW_RESPP_MORE;
}

gw_respp_state gw_respp_eof(gw_respp *r) {
  if (r->done) return GW_RESPP_DONE;
  if (!r->headers_done) return GW_RESPP_ERROR;
  http_parser_execute(&r->parser, &resp_settings, NULL, 0);
  enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
  if (e == HPE_PAUSED) http_parser_pause(&r->parser, 0);
  return r->done ? GW_RESPP_DONE : GW_RESPP_ERROR;
}

bool gw_respp_keep_alive(const gw_respp *r) { return http_should_keep_alive(&r->parser) != 0; }

const char *gw_respp_header(const gw_respp *r, const char *name) {
  for (size_t i = 0; i < r->n_hdrs; i++)
    if (strcasecmp(r->head.data + r->hdrs[i].name_off, name) == 0) return r->head.data + r->hdrs[i].value_off;
  return NULL;
}

void gw_respp_build_head(const gw_respp *r, sw_buf *out, int http_minor, bool keep_alive, bool dechunk) {
  (void)http_minor;
  const char *reason =
      r->reason_len ? r->head.data + r->reason_off : http_status_str((enum http_status)r->status);
  sw_buf_reserve(out, r->head.len + 64);
  sw_buf_append(out, "HTTP/1.1 ", 9);
  append_u64(out, (uint64_t)(r->status > 0 ? r->status : 0));
  sw_buf_append(out, " ", 1);
  sw_buf_puts(out, reason);
  sw_buf_append(out, "\r\n", 2);
  for (size_t i = 0; i < r->n_hdrs; i++) {
    const char *name = r->head.data + r->hdrs[i].name_off;
    if (gw_hop_by_hop(name, false)) continue;
    if (dechunk && strcasecmp(name, "transfer-encoding") == 0) continue;
    sw_buf_append(out, name, r->hdrs[i].name_len);
    sw_buf_append(out, ": ", 2);
    sw_buf_append(out, r->head.data + r->hdrs[i].value_off, r->hdrs[i].value_len);
    sw_buf_append(out, "\r\n", 2);
  }
  sw_buf_puts(out, keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}
