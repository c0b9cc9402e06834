/*
 * base.c — implementation of sw.h: errors, memory wrappers, buffers, arena,
 * logging, the clock and time formatting. No global state but the log level.
 */
#include "base/sw.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- errors ---- */
int sw_err_set(sw_err *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

void sw_err_prefix(sw_err *err, const char *fmt, ...) {
  if (!err) return;
  char old[sizeof err->msg];
  memcpy(old, err->msg, sizeof old);
  sw_buf b;
  sw_buf_init(&b);
  va_list ap;
  va_start(ap, fmt);
  sw_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  sw_buf_printf(&b, ": %s", old);
  size_t n = b.len < sizeof err->msg - 1 ? b.len : sizeof err->msg - 1;
  memcpy(err->msg, b.data, n);
  err->msg[n] = 0;
  sw_buf_free(&b);
}

void sw_err_clear(sw_err *err) {
  if (err) { err->code = 0; err->msg[0] = 0; }
}

const char *sw_strerror(int code) {
  switch (code) {
  case SW_OK: return "ok";
  case SW_EINVAL: return "invalid";
  case SW_ENOENT: return "not found";
  case SW_EEXIST: return "already exists";
  case SW_EIO: return "i/o error";
  case SW_ENOMEM: return "out of memory";
  case SW_EUNAVAIL: return "unavailable";
  case SW_ECONFLICT: return "conflict";
  default: return "internal error";
  }
}

/* ---- memory ---- */
static void oom(size_t n) {
  fprintf(stderr, "spillway: out of memory allocating %zu bytes\n", n);
  abort();
}
void *sw_xmalloc(size_t n) { void *p = malloc(n ? n : 1); if (!p) oom(n); return p; }
void *sw_xcalloc(size_t n, size_t size) { void *p = calloc(n ? n : 1, size ? size : 1); if (!p) oom(n * size); return p; }
void *sw_xrealloc(void *p, size_t n) { void *q = realloc(p, n ? n : 1); if (!q) oom(n); return q; }
char *sw_xstrdup(const char *s) { return sw_xstrndup(s, strlen(s)); }

size_t sw_strlcpy(char *dst, const char *src, size_t n) {
  size_t len = strlen(src);
  size_t k = len < n ? len : n - 1;
  memcpy(dst, src, k);
  dst[k] = 0;
  return len;
}
char *sw_xstrndup(const char *s, size_t n) {
  char *p = sw_xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}
char *sw_xasprintf(const char *fmt, ...) {
  sw_buf b;
  sw_buf_init(&b);
  va_list ap;
  va_start(ap, fmt);
  sw_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  return sw_buf_steal(&b);
}

/* ---- buffers ---- */
void sw_buf_init(sw_buf *b) { b->data = NULL; b->len = b->cap = 0; }
void sw_buf_free(sw_buf *b) { free(b->data); sw_buf_init(b); }
void sw_buf_reset(sw_buf *b) { b->len = 0; if (b->data) b->data[0] = 0; }
void sw_buf_reserve(sw_buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  b->data = sw_xrealloc(b->data, cap);
  b->cap = cap;
}
void sw_buf_append(sw_buf *b, const void *data, size_t n) {
  sw_buf_reserve(b, n);
  if (n) memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = 0;
}
void sw_buf_puts(sw_buf *b, const char *s) { sw_buf_append(b, s, strlen(s)); }
void sw_buf_vprintf(sw_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return;
  sw_buf_reserve(b, (size_t)n);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}
void sw_buf_printf(sw_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sw_buf_vprintf(b, fmt, ap);
  va_end(ap);
}
char *sw_buf_steal(sw_buf *b) {
  if (!b->data) sw_buf_reserve(b, 0), b->data[0] = 0;
  char *p = b->data;
  sw_buf_init(b);
  return p;
}

/* ---- arena ---- */
typedef struct arena_block {
  struct arena_block *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
} arena_block;

struct sw_arena {
  arena_block *head;
  size_t block_size;
};

sw_arena *sw_arena_new(size_t block_size) {
  sw_arena *a = sw_xcalloc(1, sizeof *a);
  a->block_size = block_size ? block_size : 8192;
  return a;
}
void *sw_arena_alloc(sw_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  arena_block *b = a->head;
  if (!b || b->size - b->used < n) {
    size_t size = n > a->block_size ? n : a->block_size;
    b = sw_xmalloc(sizeof *b + size);
    b->size = size;
    b->used = 0;
    b->next = a->head;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}
char *sw_arena_strdup(sw_arena *a, const char *s) {
  size_t n = strlen(s);
  char *p = sw_arena_alloc(a, n + 1);
  memcpy(p, s, n);
  return p;
}
void sw_arena_reset(sw_arena *a) {
  arena_block *b = a->head;
  while (b && b->next) { arena_block *n = b->next; free(b); b = n; a->head = b; }
  if (b) { b->next = NULL; b->used = 0; }
}
void sw_arena_free(sw_arena *a) {
  if (!a) return;
  for (arena_block *b = a->head; b;) { arena_block *n = b->next; free(b); b = n; }
  free(a);
}

/* ---- logging ---- */
static sw_log_level g_level = SW_LOG_INFO;
void sw_log_set_level(sw_log_level lvl) { g_level = lvl; }
sw_log_level sw_log_get_level(void) { return g_level; }
int sw_log_parse_level(const char *s) {
  static const char *names[] = {"debug", "info", "warn", "error"};
  for (int i = 0; i < 4; i++) if (sw_streq(s, names[i])) return i;
  return -1;
}
void sw_log(sw_log_level lvl, const char *component, const char *fmt, ...) {
  if (lvl < g_level) return;
  static const char *tags[] = {"debug", "info", "warn", "error"};
  char ts[32], line[4096];
  sw_time_format(sw_wall_now(), ts, sizeof ts);
  int n = snprintf(line, sizeof line, "%s %-5s %s: ", ts, tags[lvl], component);
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  /* one write per line so concurrent threads do not interleave fragments */
  fprintf(stderr, "%s\n", line);
}

/* ---- clock ---- */
double sw_wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
double sw_mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
void sw_clock_init_real(sw_clock *c, double scale) {
  memset(c, 0, sizeof *c);
  c->scale = scale > 0 ? scale : 1.0;
  c->origin_wall = sw_wall_now();
  c->origin_mono = sw_mono_now();
}
void sw_clock_init_virtual(sw_clock *c, double start) {
  memset(c, 0, sizeof *c);
  c->scale = 1.0;
  c->is_virtual = true;
  c->virtual_now = start;
}
double sw_clock_now(const sw_clock *c) {
  if (c->is_virtual) return c->virtual_now;
  return c->origin_wall + (sw_mono_now() - c->origin_mono) * c->scale;
}
void sw_clock_advance(sw_clock *c, double seconds) {
  if (c->is_virtual && seconds > 0) c->virtual_now += seconds;
}
uint64_t sw_clock_real_ms(const sw_clock *c, double clock_seconds) {
  if (clock_seconds <= 0) return 0;
  double ms = clock_seconds * 1000.0 / (c->is_virtual ? 1.0 : c->scale);
  return ms < 1 ? 1 : (uint64_t)ms;
}

/* ---- time formatting ---- */
void sw_time_format(double t, char *buf, size_t n) {
  time_t s = (time_t)t;
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sw_time_format_micro(double t, char *buf, size_t n) {
  double whole = floor(t);
  long us = lround((t - whole) * 1e6);
  if (us >= 1000000) { /* rounding carried into the next second */
    whole += 1;
    us -= 1000000;
  }
  if (us < 0) us = 0;
  time_t s = (time_t)whole;
  struct tm tm;
  gmtime_r(&s, &tm);
  char head[32];
  strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, n, "%s.%06ldZ", head, us);
}

int sw_time_parse(const char *s, double *out) {
  if (!s) return -1;
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p) return -1;
  double frac = 0;
  if (*p == '.') {
    double scale = 0.1;
    p++;
    if (*p < '0' || *p > '9') return -1;
    while (*p >= '0' && *p <= '9') { frac += (*p - '0') * scale; scale /= 10; p++; }
  }
  long offset = 0;
  if (*p == 'Z' || *p == 'z') p++;
  else if (*p == '+' || *p == '-') {
    int sign = *p == '-' ? -1 : 1, hh, mm;
    if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2) return -1;
    offset = sign * (hh * 3600L + mm * 60L);
    p += 6;
  } else return -1;
  if (*p) return -1;
  *out = (double)timegm(&tm) - (double)offset + frac;
  return 0;
}

void sw_age_format(double seconds, char *buf, size_t n) {
  if (seconds < 0) seconds = 0;
  long s = (long)seconds;
  if (s < 120) snprintf(buf, n, "%lds", s);
  else if (s < 3600 * 3) {
    if (s < 600 && s % 60) snprintf(buf, n, "%ldm%lds", s / 60, s % 60);
    else snprintf(buf, n, "%ldm", s / 60);
  } else if (s < 86400 * 2) snprintf(buf, n, "%ldh", s / 3600);
  else snprintf(buf, n, "%ldd", s / 86400);
}

/* ---- strings ---- */
bool sw_streq(const char *a, const char *b) { return a && b ? strcmp(a, b) == 0 : a == b; }
bool sw_has_prefix(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }
bool sw_has_suffix(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && memcmp(s + a - b, suffix, b) == 0;
}
char *sw_read_file(const char *path, size_t *len, sw_err *err) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) { sw_err_set(err, SW_ENOENT, "%s: %s", path, strerror(errno)); return NULL; }
  sw_buf b;
  sw_buf_init(&b);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) sw_buf_append(&b, chunk, n);
  bool bad = ferror(f);
  if (f != stdin) fclose(f);
  if (bad) { sw_buf_free(&b); sw_err_set(err, SW_EIO, "%s: read error", path); return NULL; }
  if (len) *len = b.len;
  return sw_buf_steal(&b);
}
