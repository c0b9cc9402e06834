/*
 * promtext.c — the Prometheus text-format parser (see promtext.h).
 *
 * One pass over the body, line by line, with a hand-written lexer (the
 * grammar is line-oriented and tiny; a generated lexer would buy nothing).
 * Strings are copied once into one growable byte buffer and referred to by
 * offset until the end of the parse, when offsets become pointers; samples
 * are then grouped by family with a stable counting sort. Every array lives
 * in the document and is reused by the next parse, so the scraper's steady
 * state allocates nothing.
 *
 * Leniency follows what Prometheus' own scrape parser (model/textparse,
 * promparse) accepts rather than the stricter expfmt decoder, so a target
 * Prometheus scrapes is never rejected here: unknown escapes in label values
 * and HELP text are kept verbatim, a missing final newline is fine, `# EOF`
 * ends the exposition, and exemplars after a sample are skipped.
 */
#include "metrics/promtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
  size_t name, value; /* offsets into strs */
} lab_raw;

typedef struct {
  size_t name, key, key_len, lab_first, n_labels, family;
  double value, ts;
  bool has_ts;
} samp_raw;

typedef struct {
  size_t name;
  size_t name_len;
  size_t help; /* SIZE_MAX when none */
  promtext_type type;
  bool typed;
  size_t n;
} fam_raw;

typedef struct {
  sw_buf strs;
  SW_VEC(lab_raw) labs;
  SW_VEC(samp_raw) samps;
  SW_VEC(fam_raw) fams;
  uint32_t *table; /* family index + 1, 0 = empty; open addressing */
  size_t table_cap;
  /* public arrays, sized to fit */
  promtext_label *out_labels;
  size_t out_labels_cap;
  promtext_sample *out_samples;
  size_t out_samples_cap;
  promtext_family *out_families;
  size_t out_families_cap;
  size_t *fill; /* counting-sort cursor per family */
  size_t fill_cap;
} priv_t;

static const char *const type_names[] = {"untyped", "counter",        "gauge", "histogram",
                                         "summary", "gaugehistogram", "info",  "stateset"};

const char *promtext_type_name(promtext_type t) {
  return (unsigned)t < sizeof type_names / sizeof type_names[0] ? type_names[t] : "untyped";
}

promtext_doc *promtext_doc_new(void) {
  promtext_doc *d = sw_xcalloc(1, sizeof *d);
  d->priv = sw_xcalloc(1, sizeof(priv_t));
  return d;
}

void promtext_doc_free(promtext_doc *d) {
  if (!d) return;
  priv_t *pv = d->priv;
  sw_buf_free(&pv->strs);
  sw_vec_free(&pv->labs);
  sw_vec_free(&pv->samps);
  sw_vec_free(&pv->fams);
  free(pv->table);
  free(pv->out_labels);
  free(pv->out_samples);
  free(pv->out_families);
  free(pv->fill);
  free(pv);
  free(d);
}

/* ---- string buffer ------------------------------------------------------ */

static size_t str_add(priv_t *pv, const char *s, size_t n) {
  size_t off = pv->strs.len;
  sw_buf_reserve(&pv->strs, n + 1);
  memcpy(pv->strs.data + off, s, n);
  pv->strs.data[off + n] = 0;
  pv->strs.len = off + n + 1;
  return off;
}

static const char *str_at(const priv_t *pv, size_t off) { return pv->strs.data + off; }

/* ---- family table ------------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

static bool fam_name_eq(const priv_t *pv, size_t fam, const char *s, size_t n) {
  return pv->fams.items[fam].name_len == n && memcmp(str_at(pv, pv->fams.items[fam].name), s, n) == 0;
}

/* Index of the family named s[0..n), or SIZE_MAX. */
static size_t fam_find(const priv_t *pv, const char *s, size_t n) {
  if (!pv->table_cap) return SIZE_MAX;
  size_t mask = pv->table_cap - 1;
  for (size_t i = hash_bytes(s, n) & mask;; i = (i + 1) & mask) {
    uint32_t v = pv->table[i];
    if (!v) return SIZE_MAX;
    if (fam_name_eq(pv, v - 1, s, n)) return v - 1;
  }
}

static void table_insert(priv_t *pv, size_t fam) {
  const char *name = str_at(pv, pv->fams.items[fam].name);
  size_t mask = pv->table_cap - 1;
  size_t i = hash_bytes(name, pv->fams.items[fam].name_len) & mask;
  while (pv->table[i]) i = (i + 1) & mask;
  pv->table[i] = (uint32_t)(fam + 1);
}

static size_t fam_add(priv_t *pv, const char *s, size_t n) {
  fam_raw f = {.name = str_add(pv, s, n), .name_len = n, .help = SIZE_MAX, .type = PROMTEXT_UNTYPED};
  sw_vec_push(&pv->fams, f);
  size_t idx = pv->fams.len - 1;
  if ((pv->fams.len) * 2 > pv->table_cap) {
    size_t cap = pv->table_cap ? pv->table_cap * 2 : 64;
    while (pv->fams.len * 2 > cap) cap *= 2;
    free(pv->table);
    pv->table = sw_xcalloc(cap, sizeof *pv->table);
    pv->table_cap = cap;
    for (size_t i = 0; i < pv->fams.len; i++) table_insert(pv, i);
  } else {
    table_insert(pv, idx);
  }
  return idx;
}

/* ---- lexer -------------------------------------------------------------- */

typedef struct {
  const char *p, *end;
  size_t line;
  sw_err *err;
  priv_t *pv;
} cur_t;

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
static bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
static bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
static bool is_label_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_label_char(char c) { return is_label_start(c) || (c >= '0' && c <= '9'); }

static void skip_blanks(cur_t *c) {
  while (c->p < c->end && is_blank(*c->p)) c->p++;
}
static bool at_eol(const cur_t *c) { return c->p >= c->end || *c->p == '\n'; }
static void skip_line(cur_t *c) {
  const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
  c->p = nl ? nl : c->end;
}

/* A short printable rendering of what is at the cursor, for messages. */
static const char *found(const cur_t *c, char *buf, size_t n) {
  if (c->p >= c->end) return "end of input";
  if (*c->p == '\n') return "end of line";
  size_t k = 0;
  buf[k++] = '\'';
  for (const char *q = c->p; q < c->end && *q != '\n' && k + 5 < n && q < c->p + 16; q++) {
    unsigned char ch = (unsigned char)*q;
    if (ch < 0x20 || ch == 0x7f)
      k += (size_t)snprintf(buf + k, n - k, "\\x%02x", ch);
    else
      buf[k++] = (char)ch;
  }
  buf[k++] = '\'';
  buf[k] = 0;
  return buf;
}

#define FAIL(c, ...) (sw_err_set((c)->err, SW_EINVAL, __VA_ARGS__), -1)

static size_t read_while(cur_t *c, bool (*pred)(char)) {
  const char *s = c->p;
  while (c->p < c->end && pred(*c->p)) c->p++;
  return (size_t)(c->p - s);
}

static size_t read_token(cur_t *c) {
  const char *s = c->p;
  while (c->p < c->end && !is_blank(*c->p) && *c->p != '\n') c->p++;
  return (size_t)(c->p - s);
}

static bool utf8_valid(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char ch = s[i];
    if (ch < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((ch & 0xe0) == 0xc0)
      len = 2, cp = ch & 0x1f;
    else if ((ch & 0xf0) == 0xe0)
      len = 3, cp = ch & 0x0f;
    else if ((ch & 0xf8) == 0xf0)
      len = 4, cp = ch & 0x07;
    else
      return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

bool promtext_parse_float(const char *tok, size_t len, double *out) {
  /* Fast path for plain decimals ("58", "-2.5", "1234.0"): at most 15
   * significant digits and 22 decimals, so mantissa and 10^k are exact and
   * one IEEE division rounds correctly (Clinger's fast path); anything else
   * goes to strtod. */
  {
    size_t i = 0;
    bool neg = false;
    if (len && (tok[0] == '-' || tok[0] == '+')) neg = tok[0] == '-', i = 1;
    uint64_t m = 0;
    size_t digits = 0, frac = 0, seen = 0;
    bool dot = false, ok = true;
    for (; i < len; i++) {
      char c = tok[i];
      if (c >= '0' && c <= '9') {
        seen++;
        if (dot) frac++;
        if (m == 0 && c == '0') continue; /* leading zeros carry no significance */
        m = m * 10 + (uint64_t)(c - '0');
        digits++;
      } else if (c == '.' && !dot) {
        dot = true;
      } else {
        ok = false;
        break;
      }
    }
    if (ok && seen && digits <= 15 && frac <= 22) {
      double v = (double)m / pow10_exact[frac];
      *out = neg ? -v : v;
      return true;
    }
  }
  char buf[64];
  if (len == 0 || len >= sizeof buf) return false;
  memcpy(buf, tok, len);
  buf[len] = 0;
  const char *s = buf[0] == '+' || buf[0] == '-' ? buf + 1 : buf;
  /* Go's ParseFloat: "NaN", "Inf", "Infinity" in any case, with an optional
   * sign; strtod would also take "nan(...)", which Go refuses. */
  if (strcasecmp(s, "nan") == 0) {
    *out = NAN;
    return true;
  }
  if (strcasecmp(s, "inf") == 0 || strcasecmp(s, "infinity") == 0) {
    *out = buf[0] == '-' ? -INFINITY : INFINITY;
    return true;
  }
  if (!((*s >= '0' && *s <= '9') || *s == '.')) return false;
  char *e;
  double v = strtod(buf, &e);
  if (*e || e == buf) return false;
  *out = v;
  return true;
}

/* Unescapes a quoted label value starting after the opening quote; leaves the
 * cursor after the closing quote. Returns the string offset or SIZE_MAX. */
static size_t read_label_value(cur_t *c, const char *label, size_t label_len) {
  priv_t *pv = c->pv;
  size_t off = pv->strs.len;
  const char *s = c->p;
  for (;;) {
    /* copy the plain run in one go */
    const char *q = s;
    while (q < c->end && *q != '"' && *q != '\\' && *q != '\n') q++;
    sw_buf_append(&pv->strs, s, (size_t)(q - s));
    if (q >= c->end || *q == '\n') {
      c->p = q;
      pv->strs.len = off;
      (void)FAIL(c,
                 "line %zu: unterminated value of label \"%.*s\" (expected a closing '\"' before the end of "
                 "the line)",
                 c->line, (int)label_len, label);
      return SIZE_MAX;
    }
    if (*q == '"') {
      c->p = q + 1;
      break;
    }
    /* backslash */
    if (q + 1 >= c->end) {
      c->p = q + 1;
      pv->strs.len = off;
      (void)FAIL(c, "line %zu: unterminated value of label \"%.*s\"", c->line, (int)label_len, label);
      return SIZE_MAX;
    }
    char e = q[1];
    if (e == '\\')
      sw_buf_append(&pv->strs, "\\", 1);
    else if (e == '"')
      sw_buf_append(&pv->strs, "\"", 1);
    else if (e == 'n')
      sw_buf_append(&pv->strs, "\n", 1);
    else if (e == '\n') {
      c->p = q + 1;
      pv->strs.len = off;
      (void)FAIL(c, "line %zu: unterminated value of label \"%.*s\" (a backslash ends the line)", c->line,
                 (int)label_len, label);
      return SIZE_MAX;
    } else
      sw_buf_append(&pv->strs, q, 2); /* kept verbatim, as promparse does */
    s = q + 2;
  }
  sw_buf_append(&pv->strs, "", 1); /* NUL, counted in len */
  if (!utf8_valid((const unsigned char *)pv->strs.data + off, pv->strs.len - off - 1)) {
    pv->strs.len = off;
    (void)FAIL(c, "line %zu: value of label \"%.*s\" is not valid UTF-8", c->line, (int)label_len, label);
    return SIZE_MAX;
  }
  return off;
}

/* HELP text: rest of the line, \\ and \n unescaped, other escapes verbatim. */
static size_t read_help(cur_t *c) {
  priv_t *pv = c->pv;
  size_t off = pv->strs.len;
  const char *s = c->p;
  const char *nl = memchr(s, '\n', (size_t)(c->end - s));
  const char *e = nl ? nl : c->end;
  while (e > s && e[-1] == '\r') e--;
  for (const char *q = s; q < e; q++) {
    if (*q == '\\' && q + 1 < e && (q[1] == '\\' || q[1] == 'n')) {
      sw_buf_append(&pv->strs, q[1] == 'n' ? "\n" : "\\", 1);
      q++;
    } else {
      sw_buf_append(&pv->strs, q, 1);
    }
  }
  sw_buf_append(&pv->strs, "", 1);
  c->p = nl ? nl : c->end;
  return off;
}

static int parse_type_word(const char *s, size_t n, promtext_type *t) {
  static const struct {
    const char *w;
    promtext_type t;
  } words[] = {{"counter", PROMTEXT_COUNTER},
               {"gauge", PROMTEXT_GAUGE},
               {"histogram", PROMTEXT_HISTOGRAM},
               {"summary", PROMTEXT_SUMMARY},
               {"untyped", PROMTEXT_UNTYPED},
               {"unknown", PROMTEXT_UNTYPED},
               {"gaugehistogram", PROMTEXT_GAUGEHISTOGRAM},
               {"info", PROMTEXT_INFO},
               {"stateset", PROMTEXT_STATESET}};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strlen(words[i].w) == n && memcmp(words[i].w, s, n) == 0) {
      *t = words[i].t;
      return 0;
    }
  return -1;
}

/* `# ...` lines. Returns 1 at `# EOF`, 0 otherwise, -1 on error. */
static int parse_comment(cur_t *c) {
  priv_t *pv = c->pv;
  c->p++; /* '#' */
  skip_blanks(c);
  const char *kw = c->p;
  size_t kwn = read_token(c);
  bool help = kwn == 4 && memcmp(kw, "HELP", 4) == 0;
  bool type = kwn == 4 && memcmp(kw, "TYPE", 4) == 0;
  if (kwn == 3 && memcmp(kw, "EOF", 3) == 0) {
    skip_blanks(c);
    if (at_eol(c)) return 1;
  }
  if (!help && !type) { /* a comment (also OpenMetrics' # UNIT) */
    skip_line(c);
    return 0;
  }
  skip_blanks(c);
  if (at_eol(c)) { /* "# HELP" alone: a comment, as expfmt treats it */
    skip_line(c);
    return 0;
  }
  const char *name = c->p;
  size_t nn = is_name_start(*c->p) ? read_while(c, is_name_char) : 0;
  char fb[48];
  if (nn == 0 || (!at_eol(c) && !is_blank(*c->p)))
    return FAIL(c, "line %zu: expected a metric name after # %s, got %s", c->line, help ? "HELP" : "TYPE",
                found(c, fb, sizeof fb));
  size_t fam = fam_find(pv, name, nn);
  if (fam == SIZE_MAX) fam = fam_add(pv, name, nn);
  skip_blanks(c);
  if (help) {
    if (pv->fams.items[fam].help != SIZE_MAX)
      return FAIL(c, "line %zu: second HELP line for metric name \"%.*s\"", c->line, (int)nn, name);
    pv->fams.items[fam].help = read_help(c);
    return 0;
  }
  const char *tw = c->p;
  size_t twn = read_token(c);
  promtext_type t;
  if (twn == 0)
    return FAIL(c, "line %zu: expected a metric type after # TYPE %.*s, got end of line", c->line, (int)nn,
                name);
  if (parse_type_word(tw, twn, &t) != 0)
    return FAIL(c,
                "line %zu: unknown metric type \"%.*s\" for \"%.*s\" (expected counter, gauge, histogram, "
                "summary or untyped)",
                c->line, (int)twn, tw, (int)nn, name);
  skip_blanks(c);
  if (!at_eol(c))
    return FAIL(c, "line %zu: unexpected %s after # TYPE %.*s %.*s", c->line, found(c, fb, sizeof fb),
                (int)nn, name, (int)twn, tw);
  fam_raw *f = &pv->fams.items[fam];
  if (f->typed) return FAIL(c, "line %zu: second TYPE line for metric name \"%.*s\"", c->line, (int)nn, name);
  if (f->n)
    return FAIL(c, "line %zu: TYPE line for \"%.*s\" must come before its samples", c->line, (int)nn, name);
  f->typed = true;
  f->type = t;
  return 0;
}

/* Suffixes a typed family's samples carry, per type. */
enum {
  SUF_BUCKET = 1,
  SUF_COUNT = 2,
  SUF_SUM = 4,
  SUF_TOTAL = 8,
  SUF_CREATED = 16,
  SUF_GCOUNT = 32,
  SUF_GSUM = 64,
  SUF_INFO = 128
};
static const struct {
  const char *s;
  size_t n;
  unsigned bit;
} suffixes[] = {{"_bucket", 7, SUF_BUCKET}, {"_count", 6, SUF_COUNT},     {"_sum", 4, SUF_SUM},
                {"_total", 6, SUF_TOTAL},   {"_created", 8, SUF_CREATED}, {"_gcount", 7, SUF_GCOUNT},
                {"_gsum", 5, SUF_GSUM},     {"_info", 5, SUF_INFO}};

static unsigned suffixes_of(promtext_type t) {
  switch (t) {
  case PROMTEXT_HISTOGRAM:
    return SUF_BUCKET | SUF_COUNT | SUF_SUM | SUF_CREATED;
  case PROMTEXT_GAUGEHISTOGRAM:
    return SUF_BUCKET | SUF_GCOUNT | SUF_GSUM;
  case PROMTEXT_SUMMARY:
    return SUF_COUNT | SUF_SUM | SUF_CREATED;
  case PROMTEXT_COUNTER:
    return SUF_TOTAL | SUF_CREATED;
  case PROMTEXT_INFO:
    return SUF_INFO;
  default:
    return 0;
  }
}

/* The suffix bit of s[off..n) when it is exactly one of the known suffixes, else 0. */
static unsigned suffix_bit(const char *s, size_t off, size_t n) {
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
    if (n - off == suffixes[i].n && memcmp(s + off, suffixes[i].s, suffixes[i].n) == 0)
      return suffixes[i].bit;
  return 0;
}

/* Which family a sample named s[0..n) belongs to (created untyped if none). */
static size_t family_of(priv_t *pv, const char *s, size_t n, size_t prev) {
  /* the previous sample's family, the common case */
  if (prev != SIZE_MAX) {
    const fam_raw *f = &pv->fams.items[prev];
    const char *fn = str_at(pv, f->name);
    size_t fl = f->name_len;
    if (fl == n && memcmp(fn, s, n) == 0) return prev;
    if (n > fl && f->typed && memcmp(fn, s, fl) == 0 && (suffix_bit(s, fl, n) & suffixes_of(f->type)))
      return prev;
  }
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
    size_t sl = suffixes[i].n;
    if (n > sl && memcmp(s + n - sl, suffixes[i].s, sl) == 0) {
      size_t base = fam_find(pv, s, n - sl);
      if (base != SIZE_MAX && pv->fams.items[base].typed &&
          (suffixes_of(pv->fams.items[base].type) & suffixes[i].bit))
        return base;
    }
  }
  size_t f = fam_find(pv, s, n);
  return f != SIZE_MAX ? f : fam_add(pv, s, n);
}

static int check_float_label(cur_t *c, const samp_raw *sr, const char *lname, const char *sname) {
  priv_t *pv = c->pv;
  for (size_t i = 0; i < sr->n_labels; i++) {
    const lab_raw *l = &pv->labs.items[sr->lab_first + i];
    if (strcmp(str_at(pv, l->name), lname) == 0) {
      const char *v = str_at(pv, l->value);
      double d;
      if (!promtext_parse_float(v, strlen(v), &d))
        return FAIL(c, "line %zu: expected a number as the value of label \"%s\" of \"%s\", got \"%s\"",
                    c->line, lname, sname, v);
      return 0;
    }
  }
  return FAIL(c, "line %zu: %s sample \"%s\" has no \"%s\" label", c->line,
              strcmp(lname, "le") == 0 ? "histogram bucket" : "summary quantile", sname, lname);
}

static int parse_sample(cur_t *c, size_t *prev_fam) {
  priv_t *pv = c->pv;
  char fb[48];
  const char *start = c->p;
  if (!is_name_start(*c->p))
    return FAIL(c, "line %zu: expected a metric name, got %s", c->line, found(c, fb, sizeof fb));
  size_t nn = read_while(c, is_name_char);
  samp_raw sr = {.lab_first = pv->labs.len};
  sr.name = str_add(pv, start, nn);
  const char *key_end = c->p;
  skip_blanks(c);
  if (c->p < c->end && *c->p == '{') {
    c->p++;
    for (;;) {
      skip_blanks(c);
      if (c->p < c->end && *c->p == '}') {
        c->p++;
        break;
      }
      const char *ln = c->p;
      size_t lnn = (c->p < c->end && is_label_start(*c->p)) ? read_while(c, is_label_char) : 0;
      if (lnn == 0)
        return FAIL(c, "line %zu: expected a label name or '}' in the labels of \"%.*s\", got %s", c->line,
                    (int)nn, start, found(c, fb, sizeof fb));
      if (lnn == 8 && memcmp(ln, "__name__", 8) == 0)
        return FAIL(c, "line %zu: label name \"__name__\" is reserved", c->line);
      for (size_t i = sr.lab_first; i < pv->labs.len; i++) {
        const char *other = str_at(pv, pv->labs.items[i].name);
        if (strncmp(other, ln, lnn) == 0 && other[lnn] == 0)
          return FAIL(c, "line %zu: duplicate label \"%.*s\" in \"%.*s\"", c->line, (int)lnn, ln, (int)nn,
                      start);
      }
      skip_blanks(c);
      if (c->p >= c->end || *c->p != '=')
        return FAIL(c, "line %zu: expected '=' after label name \"%.*s\", got %s", c->line, (int)lnn, ln,
                    found(c, fb, sizeof fb));
      c->p++;
      skip_blanks(c);
      if (c->p >= c->end || *c->p != '"')
        return FAIL(c, "line %zu: expected '\"' to open the value of label \"%.*s\", got %s", c->line,
                    (int)lnn, ln, found(c, fb, sizeof fb));
      c->p++;
      lab_raw lr;
      lr.name = str_add(pv, ln, lnn);
      lr.value = read_label_value(c, ln, lnn);
      if (lr.value == SIZE_MAX) return -1;
      sw_vec_push(&pv->labs, lr);
      skip_blanks(c);
      if (c->p < c->end && *c->p == ',') {
        c->p++;
        continue;
      }
      if (c->p < c->end && *c->p == '}') {
        c->p++;
        break;
      }
      return FAIL(c, "line %zu: expected ',' or '}' after the value of label \"%.*s\", got %s", c->line,
                  (int)lnn, ln, found(c, fb, sizeof fb));
    }
    key_end = c->p;
  }
  sr.n_labels = pv->labs.len - sr.lab_first;
  sr.key_len = (size_t)(key_end - start);
  sr.key = str_add(pv, start, sr.key_len);
  skip_blanks(c);
  const char *vt = c->p;
  size_t vn = read_token(c);
  if (vn == 0)
    return FAIL(c, "line %zu: expected a value after \"%.*s\", got %s", c->line, (int)sr.key_len, start,
                found(c, fb, sizeof fb));
  if (!promtext_parse_float(vt, vn, &sr.value))
    return FAIL(c, "line %zu: expected a number as the value of \"%.*s\", got \"%.*s\"", c->line,
                (int)sr.key_len, start, (int)(vn > 40 ? 40 : vn), vt);
  skip_blanks(c);
  if (!at_eol(c) && *c->p != '#') {
    const char *tt = c->p;
    size_t tn = read_token(c);
    bool integer = tn > 0;
    for (size_t i = (tn && (tt[0] == '-' || tt[0] == '+')) ? 1 : 0; i < tn; i++)
      if (tt[i] < '0' || tt[i] > '9') integer = false;
    double ts;
    if (integer && tn <= 19) {
      /* 0.0.4: integer milliseconds (the token is not NUL-terminated: copy it) */
      char digits[24];
      memcpy(digits, tt, tn);
      digits[tn] = 0;
      sr.ts = (double)strtoll(digits, NULL, 10) / 1000.0;
    } else if (promtext_parse_float(tt, tn, &ts) && isfinite(ts)) {
      sr.ts = ts; /* OpenMetrics: seconds with a fraction */
    } else {
      return FAIL(
          c,
          "line %zu: expected a timestamp (integer milliseconds) after the value of \"%.*s\", got \"%.*s\"",
          c->line, (int)sr.key_len, start, (int)(tn > 40 ? 40 : tn), tt);
    }
    sr.has_ts = true;
    skip_blanks(c);
  }
  if (!at_eol(c)) {
    if (*c->p == '#')
      skip_line(c); /* OpenMetrics exemplar */
    else
      return FAIL(c, "line %zu: unexpected %s after the sample \"%.*s\"", c->line, found(c, fb, sizeof fb),
                  (int)sr.key_len, start);
  }
  sr.family = family_of(pv, start, nn, *prev_fam);
  *prev_fam = sr.family;
  fam_raw *f = &pv->fams.items[sr.family];
  const char *sname = str_at(pv, sr.name);
  const char *fname = str_at(pv, f->name);
  if ((f->type == PROMTEXT_HISTOGRAM || f->type == PROMTEXT_GAUGEHISTOGRAM) &&
      sw_has_suffix(sname, "_bucket") && strlen(sname) == strlen(fname) + 7) {
    if (check_float_label(c, &sr, "le", sname) != 0) return -1;
  } else if (f->type == PROMTEXT_SUMMARY && strcmp(sname, fname) == 0) {
    if (check_float_label(c, &sr, "quantile", sname) != 0) return -1;
  }
  f->n++;
  sw_vec_push(&pv->samps, sr);
  return 0;
}

static void doc_clear(promtext_doc *d) {
  priv_t *pv = d->priv;
  sw_buf_reset(&pv->strs);
  pv->labs.len = pv->samps.len = pv->fams.len = 0;
  if (pv->table) memset(pv->table, 0, pv->table_cap * sizeof *pv->table);
  d->families = NULL;
  d->samples = NULL;
  d->n_families = d->n_samples = d->lines = 0;
}

#define GROW(ptr, cap, n)                                                                                    \
  do {                                                                                                       \
    if ((n) > (cap)) {                                                                                       \
      (cap) = (n) + (n) / 2 + 8;                                                                             \
      free(ptr);                                                                                             \
      (ptr) = sw_xmalloc((cap) * sizeof *(ptr));                                                             \
    }                                                                                                        \
  } while (0)

/* Offsets become pointers; samples are grouped by family. */
static void doc_publish(promtext_doc *d) {
  priv_t *pv = d->priv;
  size_t nf = pv->fams.len, ns = pv->samps.len, nl = pv->labs.len;
  GROW(pv->out_families, pv->out_families_cap, nf);
  GROW(pv->out_samples, pv->out_samples_cap, ns);
  GROW(pv->out_labels, pv->out_labels_cap, nl);
  GROW(pv->fill, pv->fill_cap, nf);
  for (size_t i = 0; i < nl; i++) {
    pv->out_labels[i].name = str_at(pv, pv->labs.items[i].name);
    pv->out_labels[i].value = str_at(pv, pv->labs.items[i].value);
  }
  size_t pos = 0;
  for (size_t i = 0; i < nf; i++) {
    fam_raw *f = &pv->fams.items[i];
    promtext_family *o = &pv->out_families[i];
    o->name = str_at(pv, f->name);
    o->help = f->help == SIZE_MAX ? NULL : str_at(pv, f->help);
    o->type = f->type;
    o->first = pos;
    o->n_samples = f->n;
    pv->fill[i] = pos;
    pos += f->n;
  }
  for (size_t i = 0; i < ns; i++) {
    samp_raw *r = &pv->samps.items[i];
    promtext_sample *o = &pv->out_samples[pv->fill[r->family]++];
    o->name = str_at(pv, r->name);
    o->key = str_at(pv, r->key);
    o->key_len = r->key_len;
    /* No labels anywhere leaves out_labels NULL, and NULL + 0 is undefined. */
    o->labels = r->n_labels ? pv->out_labels + r->lab_first : NULL;
    o->n_labels = r->n_labels;
    o->family = r->family;
    o->value = r->value;
    o->timestamp = r->ts;
    o->has_timestamp = r->has_ts;
  }
  d->families = pv->out_families;
  d->n_families = nf;
  d->samples = pv->out_samples;
  d->n_samples = ns;
}

int promtext_parse(promtext_doc *d, const char *text, size_t len, sw_err *err) {
  priv_t *pv = d->priv;
  doc_clear(d);
  cur_t c = {.p = text, .end = text + len, .line = 0, .err = err, .pv = pv};
  size_t prev_fam = SIZE_MAX;
  int rc = 0;
  while (c.p < c.end) {
    c.line++;
    skip_blanks(&c);
    if (c.p >= c.end) break;
    if (*c.p == '\n') {
      c.p++;
      continue;
    }
    if (*c.p == '#') {
      rc = parse_comment(&c);
      if (rc == 1) {
        rc = 0;
        break;
      }
    } else {
      rc = parse_sample(&c, &prev_fam);
    }
    if (rc != 0) break;
    if (c.p < c.end) c.p++; /* the '\n' */
  }
  if (rc != 0) {
    doc_clear(d);
    return SW_EINVAL;
  }
  d->lines = c.line;
  doc_publish(d);
  return 0;
}

const char *promtext_label_get(const promtext_sample *s, const char *name) {
  for (size_t i = 0; i < s->n_labels; i++)
    if (strcmp(s->labels[i].name, name) == 0) return s->labels[i].value;
  return NULL;
}
