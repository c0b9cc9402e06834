/*
 * print.c — what `get` and `describe` print: kubectl-style tables and
 * describe text, built from each kind's row and describe functions.
 *
 * Role in the data flow: the last step of the CLI's read path (objects from
 * the API server -> text). Alignment is a port of Go's text/tabwriter, the
 * component kubectl prints through (get: minwidth 6, padding 3; describe:
 * minwidth 0, padding 2), so columns line up exactly as users know them.
 * Owns: the strings it returns (caller frees). Never: I/O, the clock (AGE is
 * computed from the `now` it is given).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_internal.h"

/* ---- tabwriter ---------------------------------------------------------------- */

void api_tw_init(api_tw *tw, int minwidth, int padding) {
  sw_buf_init(&tw->text);
  tw->minwidth = minwidth;
  tw->padding = padding;
}

void api_tw_free(api_tw *tw) { sw_buf_free(&tw->text); }

void api_tw_printf(api_tw *tw, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sw_buf_vprintf(&tw->text, fmt, ap);
  va_end(ap);
}

typedef struct tw_cell {
  const char *s;
  size_t len;
  int width; /* in runes */
} tw_cell;

typedef struct tw_line {
  tw_cell *cells;
  size_t n;
} tw_line;

typedef struct tw_state {
  tw_line *lines;
  size_t nlines;
  SW_VEC(int) widths;
  sw_buf *out;
  const api_tw *tw;
} tw_state;

static int rune_count(const char *s, size_t n) {
  int r = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) r++;
  return r;
}

static void tw_write_lines(tw_state *st, size_t line0, size_t line1) {
  for (size_t i = line0; i < line1; i++) {
    tw_line *l = &st->lines[i];
    for (size_t j = 0; j < l->n; j++) {
      tw_cell *c = &l->cells[j];
      sw_buf_append(st->out, c->s, c->len);
      if (j < st->widths.len && j + 1 < l->n)
        for (int k = c->width; k < st->widths.items[j]; k++) sw_buf_append(st->out, " ", 1);
    }
    sw_buf_append(st->out, "\n", 1);
  }
}

/* Go's (*tabwriter.Writer).format: a column block is a run of consecutive
 * lines that all have a tab-terminated cell in that column. */
static void tw_format(tw_state *st, size_t line0, size_t line1) {
  size_t column = st->widths.len;
  for (size_t this = line0; this < line1; this ++) {
    tw_line *l = &st->lines[this];
    if (column + 1 >= l->n) continue;
    tw_write_lines(st, line0, this);
    line0 = this;
    int width = st->tw->minwidth;
    for (; this < line1; this ++) {
      l = &st->lines[this];
      if (column + 1 >= l->n) break;
      int w = l->cells[column].width + st->tw->padding;
      if (w > width) width = w;
    }
    sw_vec_push(&st->widths, width);
    tw_format(st, line0, this);
    st->widths.len--;
    line0 = this; /* `this` broke the block, so it has no cell here: skipping it is right */
  }
  tw_write_lines(st, line0, line1);
}

void api_tw_flush(api_tw *tw, sw_buf *out) {
  if (!tw->text.len) return;
  char *text = tw->text.data;
  size_t len = tw->text.len;
  if (text[len - 1] == '\n') len--; /* the final newline ends the last line */
  tw_state st = {.out = out, .tw = tw};
  SW_VEC(tw_line) lines = {0};
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || text[i] == '\n') {
      tw_line l = {0};
      SW_VEC(tw_cell) cells = {0};
      size_t cs = start;
      for (size_t j = start; j <= i; j++) {
        if (j == i || text[j] == '\t') {
          tw_cell c = {.s = text + cs, .len = j - cs, .width = rune_count(text + cs, j - cs)};
          sw_vec_push(&cells, c);
          cs = j + 1;
        }
      }
      l.cells = cells.items;
      l.n = cells.len;
      sw_vec_push(&lines, l);
      start = i + 1;
    }
  }
  st.lines = lines.items;
  st.nlines = lines.len;
  tw_format(&st, 0, st.nlines);
  for (size_t i = 0; i < lines.len; i++) free(lines.items[i].cells);
  sw_vec_free(&lines);
  sw_vec_free(&st.widths);
  sw_buf_reset(&tw->text);
}

void api_tw_flush_lines(api_tw *tw, sw_buf *out) {
  char *text = sw_buf_steal(&tw->text);
  sw_buf_init(&tw->text);
  api_tw one;
  api_tw_init(&one, tw->minwidth, tw->padding);
  for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
    nl = strchr(line, '\n');
    sw_buf_append(&one.text, line, nl ? (size_t)(nl - line + 1) : strlen(line));
    api_tw_flush(&one, out);
  }
  api_tw_free(&one);
  free(text);
}

/* ---- rows and tables -------------------------------------------------------------- */

void api_row_add(api_row *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  /* a tab or newline inside a cell would break the columns */
  for (char *p = buf; *p; p++)
    if (*p == '\t' || *p == '\n') *p = ' ';
  json_array_append_new(r->cells, json_string(buf));
}

char *api_table(const api_kind *k, const json_t *objs, bool wide, double now) {
  const api_kind_def *kd = api_kind_def_of(k);
  sw_buf out;
  sw_buf_init(&out);
  if (!kd || !json_is_array(objs) || json_array_size(objs) == 0 || !kd->row) {
    sw_buf_puts(&out, "");
    return sw_buf_steal(&out);
  }
  api_tw tw;
  api_tw_init(&tw, 6, 3);
  bool first = true;
  for (const char *const *c = kd->columns; *c; c++) {
    api_tw_printf(&tw, "%s%s", first ? "" : "\t", *c);
    first = false;
  }
  if (wide && kd->wide_columns)
    for (const char *const *c = kd->wide_columns; *c; c++) api_tw_printf(&tw, "\t%s", *c);
  api_tw_printf(&tw, "\n");
  size_t i;
  json_t *o;
  json_array_foreach(objs, i, o) {
    api_row r = {.cells = json_array()};
    kd->row(&r, o, now, wide);
    size_t j;
    json_t *cell;
    json_array_foreach(r.cells, j, cell) api_tw_printf(&tw, "%s%s", j ? "\t" : "", json_string_value(cell));
    api_tw_printf(&tw, "\n");
    json_decref(r.cells);
  }
  api_tw_flush(&tw, &out);
  api_tw_free(&tw);
  return sw_buf_steal(&out);
}

/* ---- shared pieces ------------------------------------------------------------------ */

void api_age(const json_t *obj, double now, char *buf, size_t n) {
  const char *ts = api_strp(obj, "metadata.creationTimestamp");
  double t;
  if (!ts || sw_time_parse(ts, &t) != 0) {
    snprintf(buf, n, "<unknown>");
    return;
  }
  sw_age_format(now - t, buf, n);
}

void api_ref_string(const json_t *ref, char *buf, size_t n) {
  const char *kind = api_str(ref, "kind"), *name = api_str(ref, "name");
  snprintf(buf, n, "%s/%s", kind ? kind : "", name ? name : "");
}

void api_qty_string(const json_t *v, char *buf, size_t n) {
  double d;
  if (!v || api_quantity_from_json(v, &d) != 0) {
    snprintf(buf, n, "<none>");
    return;
  }
  if (json_is_string(v))
    snprintf(buf, n, "%s", json_string_value(v));
  else
    api_quantity_format(d, buf, n);
}

static void rfc1123z(const char *ts, char *buf, size_t n) {
  double t;
  if (!ts || sw_time_parse(ts, &t) != 0) {
    snprintf(buf, n, "%s", ts ? ts : "<unknown>");
    return;
  }
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(buf, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static void sorted_keys(const json_t *obj, const char **keys, size_t *n, size_t max) {
  *n = 0;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)obj, k, v) {
    if (*n < max) keys[(*n)++] = k;
  }
  for (size_t i = 1; i < *n; i++)
    for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
      const char *t = keys[j];
      keys[j] = keys[j - 1];
      keys[j - 1] = t;
    }
}

static void describe_map_lines(api_tw *tw, const char *label, const json_t *map, const char *sep) {
  const char *keys[256];
  size_t n = 0;
  if (json_is_object(map)) sorted_keys(map, keys, &n, 256);
  if (n == 0) {
    api_tw_printf(tw, "%s\t<none>\n", label);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const char *v = api_str(map, keys[i]);
    api_tw_printf(tw, "%s\t%s%s%s\n", i == 0 ? label : "", keys[i], sep, v ? v : "");
  }
}

void api_describe_meta(api_tw *tw, const json_t *obj, bool namespaced) {
  const json_t *meta = json_object_get(obj, "metadata");
  const char *name = api_str(meta, "name");
  api_tw_printf(tw, "Name:\t%s\n", name ? name : "");
  if (namespaced) {
    const char *ns = api_str(meta, "namespace");
    api_tw_printf(tw, "Namespace:\t%s\n", ns ? ns : "default");
  }
  describe_map_lines(tw, "Labels:", json_object_get(meta, "labels"), "=");
  describe_map_lines(tw, "Annotations:", json_object_get(meta, "annotations"), ": ");
  char ts[64];
  rfc1123z(api_str(meta, "creationTimestamp"), ts, sizeof ts);
  api_tw_printf(tw, "CreationTimestamp:\t%s\n", ts);
}

void api_smart_label(const char *key, char *buf, size_t n) {
  for (const char *p = key; *p; p++)
    if (!isalpha((unsigned char)*p) && *p != '-') {
      snprintf(buf, n, "%s", key);
      return;
    }
  /* camelcase.Split: a new word starts at a lower->upper change, and before
   * the last capital of a run of capitals followed by a lower-case letter. */
  static const char *const acronyms[] = {"API", "URL", "UID", "OSB", "GUID", NULL};
  size_t len = strlen(key), used = 0;
  buf[0] = 0;
  size_t start = 0;
  for (size_t i = 1; i <= len; i++) {
    bool split = i == len;
    if (!split) {
      bool lower_prev = islower((unsigned char)key[i - 1]), upper_cur = isupper((unsigned char)key[i]);
      bool acr_end = isupper((unsigned char)key[i - 1]) && upper_cur && i + 1 < len &&
                     islower((unsigned char)key[i + 1]);
      bool dash = key[i] == '-' || key[i - 1] == '-';
      split = (lower_prev && upper_cur) || acr_end || dash;
    }
    if (!split) continue;
    char word[128];
    size_t wl = i - start < sizeof word - 1 ? i - start : sizeof word - 1;
    memcpy(word, key + start, wl);
    word[wl] = 0;
    start = i;
    char upper[128];
    for (size_t k = 0; k <= wl; k++) upper[k] = (char)toupper((unsigned char)word[k]);
    bool acr = false;
    for (const char *const *a = acronyms; *a; a++)
      if (strcmp(*a, upper) == 0) acr = true;
    if (acr)
      memcpy(word, upper, wl + 1);
    else
      word[0] = (char)toupper((unsigned char)word[0]);
    if (used < n) used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? " " : "", word);
  }
}

static void value_text(const json_t *v, char *buf, size_t n) {
  switch (json_typeof(v)) {
  case JSON_STRING:
    snprintf(buf, n, "%s", json_string_value(v));
    break;
  case JSON_INTEGER:
    snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    break;
  case JSON_REAL:
    snprintf(buf, n, "%.17g", json_real_value(v));
    {
      for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, json_real_value(v));
        if (strtod(buf, NULL) == json_real_value(v)) break;
      }
    }
    break;
  case JSON_TRUE:
    snprintf(buf, n, "true");
    break;
  case JSON_FALSE:
    snprintf(buf, n, "false");
    break;
  default:
    snprintf(buf, n, "<nil>");
    break;
  }
}

static void indent(api_tw *tw, int level) {
  for (int i = 0; i < level; i++) api_tw_printf(tw, "  ");
}

/* kubectl's printUnstructuredContent: keys sorted, maps and lists nested two
 * spaces deeper, "Key:\tvalue" for scalars. */
void api_describe_generic(api_tw *tw, const json_t *v, int level) {
  if (!json_is_object(v)) return;
  const char *keys[512];
  size_t n;
  sorted_keys(v, keys, &n, 512);
  for (size_t i = 0; i < n; i++) {
    json_t *c = json_object_get(v, keys[i]);
    char label[160];
    api_smart_label(keys[i], label, sizeof label);
    indent(tw, level);
    if (json_is_object(c)) {
      api_tw_printf(tw, "%s:\n", label);
      api_describe_generic(tw, c, level + 1);
    } else if (json_is_array(c)) {
      api_tw_printf(tw, "%s:\n", label);
      size_t j;
      json_t *e;
      json_array_foreach(c, j, e) {
        if (json_is_object(e)) {
          api_describe_generic(tw, e, level + 1);
        } else {
          char buf[1024];
          value_text(e, buf, sizeof buf);
          indent(tw, level + 1);
          api_tw_printf(tw, "%s\n", buf);
        }
      }
    } else {
      char buf[4096];
      value_text(c, buf, sizeof buf);
      api_tw_printf(tw, "%s:\t%s\n", label, buf);
    }
  }
}

void api_describe_conditions(api_tw *tw, const json_t *conds, bool with_reason_message) {
  if (!json_is_array(conds) || json_array_size(conds) == 0) return;
  api_tw_printf(tw, "Conditions:\n");
  if (with_reason_message) {
    api_tw_printf(tw, "  Type\tStatus\tReason\tMessage\n  ----\t------\t------\t-------\n");
  } else {
    api_tw_printf(tw, "  Type\tStatus\tReason\n  ----\t------\t------\n");
  }
  size_t i;
  json_t *c;
  json_array_foreach(conds, i, c) {
    const char *t = api_str(c, "type"), *s = api_str(c, "status"), *r = api_str(c, "reason"),
               *m = api_str(c, "message");
    if (with_reason_message)
      api_tw_printf(tw, "  %s\t%s\t%s\t%s\n", t ? t : "", s ? s : "", r ? r : "", m ? m : "");
    else
      api_tw_printf(tw, "  %s\t%s\t%s\n", t ? t : "", s ? s : "", r ? r : "");
  }
}

static double event_time(const json_t *e) {
  const char *ts = api_str(e, "lastTimestamp");
  if (!ts) ts = api_str(e, "eventTime");
  if (!ts) ts = api_str(e, "firstTimestamp");
  if (!ts) ts = api_strp(e, "metadata.creationTimestamp");
  double t;
  return ts && sw_time_parse(ts, &t) == 0 ? t : 0;
}

void api_describe_events(sw_buf *out, const json_t *related, double now) {
  json_t *events = related ? json_object_get(related, "events") : NULL;
  api_tw tw;
  api_tw_init(&tw, 0, 2);
  if (!json_is_array(events) || json_array_size(events) == 0) {
    api_tw_printf(&tw, "Events:\t<none>\n");
  } else {
    size_t n = json_array_size(events);
    size_t *order = sw_xmalloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 1; i < n; i++)
      for (size_t j = i; j > 0 && event_time(json_array_get(events, order[j - 1])) >
                                      event_time(json_array_get(events, order[j]));
           j--) {
        size_t t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
    api_tw_printf(&tw, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n");
    for (size_t i = 0; i < n; i++) {
      const json_t *e = json_array_get(events, order[i]);
      char age[32], first_age[32], agecol[96];
      double last = event_time(e), first = last, tf;
      const char *fts = api_str(e, "firstTimestamp");
      if (fts && sw_time_parse(fts, &tf) == 0) first = tf;
      sw_age_format(now - last, age, sizeof age);
      long long count = 1;
      api_intp(e, "count", &count);
      if (count > 1) {
        sw_age_format(now - first, first_age, sizeof first_age);
        snprintf(agecol, sizeof agecol, "%s (x%lld over %s)", age, count, first_age);
      } else {
        snprintf(agecol, sizeof agecol, "%s", age);
      }
      const char *type = api_str(e, "type"), *reason = api_str(e, "reason"), *msg = api_str(e, "message");
      const char *from = api_strp(e, "source.component");
      if (!from) from = api_str(e, "reportingComponent");
      api_tw_printf(&tw, "  %s\t%s\t%s\t%s\t%s\n", type ? type : "", reason ? reason : "", agecol,
                    from ? from : "", msg ? msg : "");
    }
    free(order);
  }
  api_tw_flush(&tw, out);
  api_tw_free(&tw);
}

static void describe_generic_object(sw_buf *out, const api_kind *k, const json_t *obj, const json_t *related,
                                    double now) {
  api_tw tw;
  api_tw_init(&tw, 0, 2);
  api_describe_meta(&tw, obj, k->namespaced);
  const char *av = api_str(obj, "apiVersion"), *kind = api_str(obj, "kind");
  api_tw_printf(&tw, "API Version:\t%s\nKind:\t%s\n", av ? av : "", kind ? kind : "");
  json_t *rest = json_object();
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    if (strcmp(key, "apiVersion") && strcmp(key, "kind") && strcmp(key, "metadata"))
      json_object_set(rest, key, v);
  }
  api_describe_generic(&tw, rest, 0);
  json_decref(rest);
  api_tw_flush(&tw, out);
  api_tw_free(&tw);
  api_describe_events(out, related, now);
}

char *api_describe(const api_kind *k, const json_t *obj, const json_t *related, double now) {
  sw_buf out;
  sw_buf_init(&out);
  const api_kind_def *kd = api_kind_def_of(k);
  if (!kd || !json_is_object(obj)) {
    sw_buf_puts(&out, "");
    return sw_buf_steal(&out);
  }
  if (kd->describe)
    kd->describe(&out, obj, related, now);
  else
    describe_generic_object(&out, k, obj, related, now);
  if (!out.data) sw_buf_puts(&out, "");
  return sw_buf_steal(&out);
}
