/*
 * http1.c — see http1.h. Client request parsing with limits, OpenAI body
 * fields, upstream response head parsing, and the heads forwarded each way.
 *
 * llhttp delivers URL and header bytes in pieces that may be split across
 * reads; they are appended to one storage buffer, each piece NUL-terminated
 * when the next begins, and referenced by offset (the buffer may move while
 * it grows). The parser is paused at the end of each message so that
 * pipelined bytes stay with the caller, and (responses) at the end of the
 * head, so the raw body can be passed through untouched. A pause leaves the
 * parser just after the byte that ended the message or head
 * (llhttp_get_error_pos), and nothing of the message is reset until the next
 * execute, so keep-alive can be asked after the pause.
 */
#include "gateway/http1.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>

enum { P_NONE, P_URL, P_FIELD, P_VALUE, P_REASON };

/* Terminates the current piece and starts a new one at the end of storage. */
static uint32_t piece_start(sw_buf *head) {
  if (head->len) sw_buf_append(head, "", 1);
  return (uint32_t)head->len;
}

/* ---- header storage shared by requests and responses -------------------- */

/* Appends a piece of a header name (a new header when the previous callback
 * was not a name); false when the table is full. */
static bool hdr_name_piece(sw_buf *head, gw_hdr *hdrs, size_t *n_hdrs, int *last, const char *at, size_t n) {
  if (*last != P_FIELD) {
    if (*n_hdrs == GW_MAX_HEADERS) return false;
    gw_hdr *h = &hdrs[(*n_hdrs)++];
    h->name_off = piece_start(head);
    h->name_len = 0;
    h->value_off = h->name_off; /* until a value arrives: "" at the name's NUL */
    h->value_len = 0;
    *last = P_FIELD;
  }
  sw_buf_append(head, at, n);
  hdrs[*n_hdrs - 1].name_len += (uint32_t)n;
  return true;
}

/* Appends a piece of the current header's value; false without a header. */
static bool hdr_value_piece(sw_buf *head, gw_hdr *hdrs, size_t n_hdrs, int *last, const char *at, size_t n) {
  if (n_hdrs == 0) return false;
  gw_hdr *h = &hdrs[n_hdrs - 1];
  if (*last != P_VALUE) {
    h->value_off = piece_start(head);
    h->value_len = 0;
    *last = P_VALUE;
  }
  sw_buf_append(head, at, n);
  h->value_len += (uint32_t)n;
  return true;
}

/* At the end of the head: terminates the last piece, and headers whose
 * value never arrived (still pointing at their name's NUL) get "". */
static void hdrs_finish(sw_buf *head, gw_hdr *hdrs, size_t n_hdrs) {
  piece_start(head);
  for (size_t i = 0; i < n_hdrs; i++)
    if (hdrs[i].value_off == hdrs[i].name_off) hdrs[i].value_off = hdrs[i].name_off + hdrs[i].name_len;
}

static const char *hdr_find(const sw_buf *head, const gw_hdr *hdrs, size_t n_hdrs, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < n_hdrs; i++)
    if (hdrs[i].name_len == n && strcasecmp(head->data + hdrs[i].name_off, name) == 0)
      return head->data + hdrs[i].value_off;
  return NULL;
}

static void hdr_emit(sw_buf *out, const sw_buf *head, const gw_hdr *h) {
  sw_buf_append(out, head->data + h->name_off, h->name_len);
  sw_buf_append(out, ": ", 2);
  sw_buf_append(out, head->data + h->value_off, h->value_len);
  sw_buf_append(out, "\r\n", 2);
}

bool gw_hop_by_hop(const char *name, bool request) {
  /* Dispatch on the length first: every header of every request and
   * response passes here, and most match no candidate at all. */
  switch (strlen(name)) {
  case 2:
    return strcasecmp(name, "te") == 0;
  case 4:
    return request && strcasecmp(name, "host") == 0;
  case 6:
    return request && strcasecmp(name, "expect") == 0;
  case 7:
    return strcasecmp(name, "trailer") == 0 || strcasecmp(name, "upgrade") == 0;
  case 10:
    return strcasecmp(name, "connection") == 0 || strcasecmp(name, "keep-alive") == 0;
  case 14:
    return request && strcasecmp(name, "content-length") == 0;
  case 16:
    return strcasecmp(name, "proxy-connection") == 0;
  case 17:
    return request && strcasecmp(name, "transfer-encoding") == 0;
  default:
    return false;
  }
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

static int req_on_url(llhttp_t *p, const char *at, size_t n) {
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

static int req_on_field(llhttp_t *p, const char *at, size_t n) {
  gw_reqp *r = p->data;
  if (!req_account(r, n + 4)) return -1;
  if (!hdr_name_piece(&r->head, r->hdrs, &r->n_hdrs, &r->last, at, n))
    return req_fail(r, 431, "too many request header fields");
  return 0;
}

static int req_on_value(llhttp_t *p, const char *at, size_t n) {
  gw_reqp *r = p->data;
  if (!req_account(r, n)) return -1;
  if (!hdr_value_piece(&r->head, r->hdrs, r->n_hdrs, &r->last, at, n)) return req_fail(r, 400, "malformed header");
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

static int req_on_headers_complete(llhttp_t *p) {
  gw_reqp *r = p->data;
  hdrs_finish(&r->head, r->hdrs, r->n_hdrs);
  for (size_t i = 0; i < r->n_hdrs; i++)
    if (!is_token(r->head.data + r->hdrs[i].name_off, r->hdrs[i].name_len))
      return req_fail(r, 400, "invalid header field name");
  r->headers_done = true;
  if (r->last == P_NONE || r->url_len == 0) return req_fail(r, 400, "missing request target");
  if (p->http_major != 1) return req_fail(r, 400, "unsupported HTTP version (expected HTTP/1.0 or 1.1)");
  const char *expect = gw_reqp_header(r, "expect");
  if (expect) {
    if (strcasecmp(expect, "100-continue") != 0) return req_fail(r, 417, "unsupported Expect header");
    r->expect_continue = true;
  }
  if ((p->flags & F_CONTENT_LENGTH) && p->content_length > r->max_body)
    return req_fail(r, 413, "request body too large");
  if ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0)
    sw_buf_reserve(&r->body, (size_t)p->content_length);
  return 0;
}

static int req_on_body(llhttp_t *p, const char *at, size_t n) {
  gw_reqp *r = p->data;
  if (r->body.len + n > r->max_body) return req_fail(r, 413, "request body too large");
  sw_buf_append(&r->body, at, n);
  return 0;
}

static int req_on_message_complete(llhttp_t *p) {
  gw_reqp *r = p->data;
  r->done = true;
  return HPE_PAUSED;
}

static const llhttp_settings_t req_settings = {
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
  llhttp_init(&r->parser, HTTP_REQUEST, &req_settings);
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
  llhttp_init(&r->parser, HTTP_REQUEST, &req_settings);
  r->parser.data = r;
}

void gw_reqp_free(gw_reqp *r) {
  sw_buf_free(&r->head);
  sw_buf_free(&r->body);
}

/* How far llhttp got: all of it, or up to where it paused or failed. */
static size_t consumed(const llhttp_t *p, llhttp_errno_t e, const char *data, size_t len) {
  if (e == HPE_OK) return len;
  const char *pos = llhttp_get_error_pos(p);
  return pos && pos >= data && pos <= data + len ? (size_t)(pos - data) : 0;
}

gw_reqp_state gw_reqp_feed(gw_reqp *r, const char *data, size_t len, size_t *used) {
  *used = 0;
  if (r->error_status) return GW_REQP_ERROR;
  if (r->done) return GW_REQP_DONE;
  llhttp_errno_t e = llhttp_execute(&r->parser, data, len);
  *used = consumed(&r->parser, e, data, len);
  if (e == HPE_PAUSED_UPGRADE || (e == HPE_PAUSED && r->parser.upgrade))
    return req_fail(r, 400, "protocol upgrade is not supported"), GW_REQP_ERROR;
  if (e == HPE_PAUSED) {
    llhttp_resume(&r->parser);
    return GW_REQP_DONE;
  }
  if (r->error_status) return GW_REQP_ERROR;
  if (e != HPE_OK) {
    const char *why = llhttp_get_error_reason(&r->parser);
    return req_fail(r, 400, why && *why ? why : llhttp_errno_name(e)), GW_REQP_ERROR;
  }
  return r->done ? GW_REQP_DONE : GW_REQP_MORE;
}

gw_reqp_state gw_reqp_eof(gw_reqp *r) {
  if (r->done) return GW_REQP_DONE;
  if (r->last == P_NONE && !r->headers_done) return GW_REQP_MORE; /* idle connection closed */
  return req_fail(r, 400, "connection closed in the middle of a request"), GW_REQP_ERROR;
}

const char *gw_reqp_url(const gw_reqp *r) { return r->url_len ? r->head.data + r->url_off : "/"; }

const char *gw_reqp_method(const gw_reqp *r) { return llhttp_method_name((llhttp_method_t)r->parser.method); }

const char *gw_reqp_header(const gw_reqp *r, const char *name) {
  return hdr_find(&r->head, r->hdrs, r->n_hdrs, name);
}

bool gw_reqp_keep_alive(const gw_reqp *r) { return llhttp_should_keep_alive(&r->parser) != 0; }

bool gw_reqp_path(const gw_reqp *r, char *out, size_t n) {
  /* llhttp has checked the target's characters; what is left is picking the
   * path out of its form (RFC 9112 §3.2): origin-form "/p?q", absolute-form
   * "scheme://authority/p?q", or asterisk-form "*" (which names no path). */
  const char *url = gw_reqp_url(r);
  const char *p = url;
  if (*p != '/' && strcmp(p, "*") != 0) {
    const char *sep = strstr(p, "://");
    if (!sep || sep == p) return false;
    for (const char *s = p; s < sep; s++)
      if (!(((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z') || (s > p && strchr("0123456789+-.", *s))))
        return false;
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    if (alen == 0) return false;
    p = auth + alen;
    if (*p != '/') {
      if (n < 2) return false;
      snprintf(out, n, "/");
      return true;
    }
  }
  size_t len = strcspn(p, "?#");
  if (len >= n) return false;
  memcpy(out, p, len);
  out[len] = 0;
  return true;
}

/* The body is scanned with yajl's event parser, not loaded into a jansson
 * tree: it validates the whole document (syntax, UTF-8, no trailing bytes)
 * without building or freeing a value per token, which on the request path
 * is 4-5x cheaper (docs/gateway.md). Only two top-level fields matter; as in
 * jansson and in vLLM's own (Python) decoding, the last of duplicated keys
 * wins, and syntax errors are reported before field errors. */
enum { FLD_NONE, FLD_MODEL, FLD_STREAM };
enum { V_ABSENT, V_OK, V_NULL, V_BAD_TYPE, V_BAD_VALUE };
enum { T_NULL, T_BOOL, T_NUMBER, T_STRING, T_OBJECT, T_ARRAY };

typedef struct body_scan {
  gw_body_info *out;
  int depth; /* containers open around the next value: 1 = members of the top level */
  int field; /* the top-level key just read */
  bool top_is_object;
  int model, stream; /* V_* of the last occurrence of each field */
} body_scan;

static void body_value(body_scan *s, int type, const unsigned char *str, size_t len, bool b) {
  if (s->depth == 0) {
    s->top_is_object = type == T_OBJECT;
    return;
  }
  if (s->depth != 1 || !s->top_is_object || s->field == FLD_NONE) return;
  int field = s->field;
  s->field = FLD_NONE;
  if (field == FLD_MODEL) {
    if (type == T_NULL) {
      s->model = V_NULL;
    } else if (type != T_STRING) {
      s->model = V_BAD_TYPE;
    } else if (len == 0 || len >= sizeof s->out->model || memchr(str, 0, len)) {
      s->model = V_BAD_VALUE;
    } else {
      memcpy(s->out->model, str, len);
      s->out->model[len] = 0;
      s->model = V_OK;
    }
  } else {
    s->stream = type == T_NULL ? V_NULL : type == T_BOOL ? V_OK : V_BAD_TYPE;
    s->out->stream = type == T_BOOL && b;
  }
}

static int bs_null(void *ctx) { return body_value(ctx, T_NULL, NULL, 0, false), 1; }
static int bs_bool(void *ctx, int b) { return body_value(ctx, T_BOOL, NULL, 0, b != 0), 1; }
static int bs_number(void *ctx, const char *n, size_t len) { return body_value(ctx, T_NUMBER, NULL, 0, false), 1; }
static int bs_string(void *ctx, const unsigned char *str, size_t len) {
  return body_value(ctx, T_STRING, str, len, false), 1;
}
static int bs_start_map(void *ctx) {
  body_scan *s = ctx;
  body_value(s, T_OBJECT, NULL, 0, false);
  s->depth++;
  return 1;
}
static int bs_start_array(void *ctx) {
  body_scan *s = ctx;
  body_value(s, T_ARRAY, NULL, 0, false);
  s->depth++;
  return 1;
}
static int bs_end(void *ctx) {
  ((body_scan *)ctx)->depth--;
  return 1;
}
static int bs_key(void *ctx, const unsigned char *k, size_t len) {
  body_scan *s = ctx;
  if (s->depth == 1)
    s->field = len == 5 && memcmp(k, "model", 5) == 0    ? FLD_MODEL
               : len == 6 && memcmp(k, "stream", 6) == 0 ? FLD_STREAM
                                                          : FLD_NONE;
  return 1;
}

static const yajl_callbacks body_callbacks = {
    .yajl_null = bs_null,
    .yajl_boolean = bs_bool,
    .yajl_number = bs_number,
    .yajl_string = bs_string,
    .yajl_start_map = bs_start_map,
    .yajl_map_key = bs_key,
    .yajl_end_map = bs_end,
    .yajl_start_array = bs_start_array,
    .yajl_end_array = bs_end,
};

int gw_body_parse(const char *body, size_t len, gw_body_info *out, char *msg, size_t msg_n,
                  const char **param) {
  memset(out, 0, sizeof *out);
  *param = "";
  body_scan s = {.out = out};
  yajl_handle h = yajl_alloc(&body_callbacks, NULL, &s);
  yajl_status st = yajl_parse(h, (const unsigned char *)body, len);
  if (st == yajl_status_ok) st = yajl_complete_parse(h);
  if (st != yajl_status_ok) {
    size_t at = yajl_get_bytes_consumed(h);
    unsigned char *e = yajl_get_error(h, 0, (const unsigned char *)body, len);
    const char *text = (const char *)e;
    if (strncmp(text, "parse error: ", 13) == 0) text += 13;
    int tl = (int)strcspn(text, "\n");
    snprintf(msg, msg_n, "We could not parse the JSON body of your request: %.*s (at byte %zu).", tl, text, at);
    yajl_free_error(h, e);
    yajl_free(h);
    return 400;
  }
  yajl_free(h);
  if (!s.top_is_object) {
    snprintf(msg, msg_n, "The request body must be a JSON object.");
    return 400;
  }
  if (s.model == V_BAD_TYPE || s.model == V_BAD_VALUE) {
    if (s.model == V_BAD_TYPE)
      snprintf(msg, msg_n, "Invalid type for 'model': expected a string.");
    else
      snprintf(msg, msg_n, "Invalid value for 'model': expected a non-empty name shorter than %zu bytes.",
               sizeof out->model);
    *param = "model";
    return 400;
  }
  out->has_model = s.model == V_OK;
  if (!out->has_model) out->model[0] = 0;
  if (s.stream == V_BAD_TYPE) {
    snprintf(msg, msg_n, "Invalid type for 'stream': expected a boolean.");
    *param = "stream";
    return 400;
  }
  return 0;
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
    if (!gw_hop_by_hop(name, true)) hdr_emit(out, &r->head, &r->hdrs[i]);
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

static int resp_on_status(llhttp_t *p, const char *at, size_t n) {
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

static int resp_on_field(llhttp_t *p, const char *at, size_t n) {
  gw_respp *r = p->data;
  if (!resp_account(r, n + 4) || !hdr_name_piece(&r->head, r->hdrs, &r->n_hdrs, &r->last, at, n))
    return resp_fail(r);
  return 0;
}

static int resp_on_value(llhttp_t *p, const char *at, size_t n) {
  gw_respp *r = p->data;
  if (!resp_account(r, n) || !hdr_value_piece(&r->head, r->hdrs, r->n_hdrs, &r->last, at, n)) return resp_fail(r);
  return 0;
}

static int resp_on_headers_complete(llhttp_t *p) {
  gw_respp *r = p->data;
  hdrs_finish(&r->head, r->hdrs, r->n_hdrs);
  r->status = p->status_code;
  r->chunked = (p->flags & F_CHUNKED) != 0;
  r->headers_done = true;
  return HPE_PAUSED;
}

static int resp_on_body(llhttp_t *p, const char *at, size_t n) {
  gw_respp *r = p->data;
  if (r->on_body) r->on_body(r->ud, at, n);
  return 0;
}

static int resp_on_message_complete(llhttp_t *p) {
  gw_respp *r = p->data;
  r->done = true;
  return HPE_PAUSED;
}

static const llhttp_settings_t resp_settings = {
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
  llhttp_init(&r->parser, HTTP_RESPONSE, &resp_settings);
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
  llhttp_init(&r->parser, HTTP_RESPONSE, &resp_settings);
  r->parser.data = r;
}

void gw_respp_free(gw_respp *r) { sw_buf_free(&r->head); }

gw_respp_state gw_respp_feed(gw_respp *r, const char *data, size_t len, size_t *used) {
  *used = 0;
  if (r->done) return GW_RESPP_DONE;
  bool had_head = r->headers_done;
  llhttp_errno_t e = llhttp_execute(&r->parser, data, len);
  *used = consumed(&r->parser, e, data, len);
  if (e == HPE_PAUSED) {
    llhttp_resume(&r->parser);
    if (!had_head && r->headers_done) {
      /* A response without a body (204, 304, 1xx, Content-Length: 0) ends
       * with its head: an empty execute lets llhttp say so now, so the
       * caller knows before it waits for bytes that will never come. */
      e = llhttp_execute(&r->parser, data + *used, 0);
      if (e == HPE_PAUSED)
        llhttp_resume(&r->parser);
      else if (e != HPE_OK)
        return GW_RESPP_ERROR;
      return GW_RESPP_HEAD;
    }
    return GW_RESPP_DONE;
  }
  if (e != HPE_OK) return GW_RESPP_ERROR;
  return GW_RESPP_MORE;
}

gw_respp_state gw_respp_eof(gw_respp *r) {
  if (r->done) return GW_RESPP_DONE;
  if (!r->headers_done) return GW_RESPP_ERROR;
  llhttp_errno_t e = llhttp_finish(&r->parser);
  if (e == HPE_PAUSED) llhttp_resume(&r->parser);
  return r->done ? GW_RESPP_DONE : GW_RESPP_ERROR;
}

bool gw_respp_keep_alive(const gw_respp *r) { return llhttp_should_keep_alive(&r->parser) != 0; }

const char *gw_respp_header(const gw_respp *r, const char *name) {
  return hdr_find(&r->head, r->hdrs, r->n_hdrs, name);
}

void gw_respp_build_head(const gw_respp *r, sw_buf *out, int http_minor, bool keep_alive, bool dechunk) {
  (void)http_minor;
  const char *reason =
      r->reason_len ? r->head.data + r->reason_off : gw_status_text(r->status);
  sw_buf_reserve(out, r->head.len + 64);
  sw_buf_append(out, "HTTP/1.1 ", 9);
  append_u64(out, (uint64_t)(r->status > 0 ? r->status : 0));
  sw_buf_append(out, " ", 1);
  sw_buf_puts(out, reason);
  sw_buf_append(out, "\r\n", 2);
  for (size_t i = 0; i < r->n_hdrs; i++) {
    const char *name = r->head.data + r->hdrs[i].name_off;
    if (gw_hop_by_hop(name, false)) continue;
    if (dechunk && r->hdrs[i].name_len == 17 && strcasecmp(name, "transfer-encoding") == 0) continue;
    hdr_emit(out, &r->head, &r->hdrs[i]);
  }
  sw_buf_puts(out, keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}
