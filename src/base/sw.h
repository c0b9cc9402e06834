/*
 * sw.h — the base every part of spillway builds on: error values, logging,
 * growable buffers and vectors, the clock, time formatting.
 *
 * Role in the data flow: none of its own; it is the vocabulary. It owns no
 * global state except the log level and log sink. It must never do I/O other
 * than writing log lines, and never read the clock except through sw_clock.
 */
#ifndef SW_H
#define SW_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- errors ------------------------------------------------------------
 * One error convention (as curl's CURLcode): functions return 0 on success or
 * a negative SW_E* code, and fill an sw_err with a message for people that
 * says what was wrong, where, and what was expected. */
enum {
  SW_OK = 0,
  SW_EINVAL = -1,    /* bad input from outside */
  SW_ENOENT = -2,    /* no such object */
  SW_EEXIST = -3,    /* already exists / conflict */
  SW_EIO = -4,       /* I/O or storage failure */
  SW_ENOMEM = -5,
  SW_EUNAVAIL = -6,  /* a peer did not answer */
  SW_ECONFLICT = -7, /* resourceVersion mismatch */
  SW_EINTERNAL = -8,
};

typedef struct sw_err {
  int code;
  char msg[1024];
} sw_err;

/* Sets code and a printf-formatted message; returns code so callers can
 * `return sw_err_set(err, SW_EINVAL, "...")`. err may be NULL. */
int sw_err_set(sw_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with "prefix: ". */
void sw_err_prefix(sw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sw_err_clear(sw_err *err);
const char *sw_strerror(int code);

/* ---- memory ------------------------------------------------------------
 * Allocation failure is an invariant breach for a daemon of this size: the
 * x* wrappers abort with a message instead of threading ENOMEM everywhere. */
void *sw_xmalloc(size_t n);
void *sw_xcalloc(size_t n, size_t size);
void *sw_xrealloc(void *p, size_t n);
char *sw_xstrdup(const char *s);
char *sw_xstrndup(const char *s, size_t n);
char *sw_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Copies src into dst[n] (n > 0), cut short if it does not fit; always
 * NUL-terminated. Returns strlen(src), so a result >= n means it was cut. */
size_t sw_strlcpy(char *dst, const char *src, size_t n);

/* ---- growable byte buffer ---------------------------------------------- */
typedef struct sw_buf {
  char *data; /* always NUL-terminated when non-NULL */
  size_t len;
  size_t cap;
} sw_buf;

void sw_buf_init(sw_buf *b);
void sw_buf_free(sw_buf *b);
void sw_buf_reset(sw_buf *b); /* len = 0, keeps memory */
void sw_buf_reserve(sw_buf *b, size_t extra);
void sw_buf_append(sw_buf *b, const void *data, size_t n);
void sw_buf_puts(sw_buf *b, const char *s);
void sw_buf_printf(sw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sw_buf_vprintf(sw_buf *b, const char *fmt, va_list ap);
/* Transfers ownership of the data to the caller (never NULL). */
char *sw_buf_steal(sw_buf *b);

/* ---- typed vectors ------------------------------------------------------
 * SW_VEC(int) v = {0}; sw_vec_push(&v, 3); v.items[0]; sw_vec_free(&v); */
#define SW_VEC(T) struct { T *items; size_t len, cap; }
#define sw_vec_push(v, x)                                                              \
  do {                                                                                 \
    if ((v)->len == (v)->cap) {                                                        \
      (v)->cap = (v)->cap ? (v)->cap * 2 : 8;                                          \
      (v)->items = sw_xrealloc((v)->items, (v)->cap * sizeof(*(v)->items));            \
    }                                                                                  \
    (v)->items[(v)->len++] = (x);                                                      \
  } while (0)
#define sw_vec_free(v) do { free((v)->items); (v)->items = NULL; (v)->len = (v)->cap = 0; } while (0)

/* ---- arena --------------------------------------------------------------
 * Per-request and per-reconcile allocations: freed all at once. */
typedef struct sw_arena sw_arena;
sw_arena *sw_arena_new(size_t block_size);
void *sw_arena_alloc(sw_arena *a, size_t n); /* 16-byte aligned, zeroed */
char *sw_arena_strdup(sw_arena *a, const char *s);
void sw_arena_reset(sw_arena *a);
void sw_arena_free(sw_arena *a);

/* ---- logging ------------------------------------------------------------ */
typedef enum { SW_LOG_DEBUG, SW_LOG_INFO, SW_LOG_WARN, SW_LOG_ERROR } sw_log_level;
void sw_log_set_level(sw_log_level lvl);
sw_log_level sw_log_get_level(void);
/* Parses "debug|info|warn|error"; returns -1 when unknown. */
int sw_log_parse_level(const char *s);
void sw_log(sw_log_level lvl, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define SW_DEBUG(comp, ...) do { if (sw_log_get_level() <= SW_LOG_DEBUG) sw_log(SW_LOG_DEBUG, comp, __VA_ARGS__); } while (0)
#define SW_INFO(comp, ...) sw_log(SW_LOG_INFO, comp, __VA_ARGS__)
#define SW_WARN(comp, ...) sw_log(SW_LOG_WARN, comp, __VA_ARGS__)
#define SW_ERROR(comp, ...) sw_log(SW_LOG_ERROR, comp, __VA_ARGS__)

/* ---- the clock ----------------------------------------------------------
 * Controllers never read time themselves: they are handed `now` (seconds since
 * the Unix epoch, as a double, in the clock's time) by whoever drives them.
 * A real clock may run faster than wall time (scale > 1) so that end-to-end
 * tests compress minutes of Kubernetes timing into seconds; a virtual clock
 * (the simulator) is advanced explicitly. */
typedef struct sw_clock {
  double scale;       /* virtual seconds per real second; 1 = wall time */
  double origin_wall; /* wall time (epoch s) when the clock was created */
  double origin_mono; /* monotonic reading at creation */
  bool is_virtual;
  double virtual_now; /* used when is_virtual */
} sw_clock;

void sw_clock_init_real(sw_clock *c, double scale);
void sw_clock_init_virtual(sw_clock *c, double start);
double sw_clock_now(const sw_clock *c);
void sw_clock_advance(sw_clock *c, double seconds); /* virtual clocks only */
/* Converts a duration in clock seconds to real milliseconds for a timer. */
uint64_t sw_clock_real_ms(const sw_clock *c, double clock_seconds);

double sw_wall_now(void); /* wall clock, for drivers and logs only */
double sw_mono_now(void); /* monotonic seconds, for drivers only */

/* RFC 3339 UTC ("2026-11-23T08:44:33Z"); buf must hold 32 bytes. */
void sw_time_format(double t, char *buf, size_t n);
/* RFC 3339 UTC with microseconds ("2026-11-23T08:44:33.250000Z",
 * metav1.MicroTime); buf must hold 40 bytes. */
void sw_time_format_micro(double t, char *buf, size_t n);
/* Parses RFC 3339 (Z or ±hh:mm offset, optional fraction); -1 on error. */
int sw_time_parse(const char *s, double *out);
/* Kubernetes-style age: "45s", "10m", "3h", "2d". */
void sw_age_format(double seconds, char *buf, size_t n);

/* ---- small string helpers --------------------------------------------- */
bool sw_streq(const char *a, const char *b); /* NULL-safe */
bool sw_has_prefix(const char *s, const char *prefix);
bool sw_has_suffix(const char *s, const char *suffix);
/* Reads a whole file; returns NULL and sets err on failure. *len may be NULL. */
char *sw_read_file(const char *path, size_t *len, sw_err *err);

#endif
