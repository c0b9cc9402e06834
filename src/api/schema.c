/*
 * schema.c — the generic field checker every kind is described with, and the
 * pieces of schema all kinds share (ObjectMeta, LabelSelector, conditions).
 *
 * Role in the data flow: after yaml.c has built a tree and manifest.c has
 * found its kind, api_schema_object walks the kind's field tables: types,
 * ranges, enums, required fields, defaults (applied in schema order, as the
 * API server's defaulters fill absent fields), and a warning for every member
 * it does not know (kept in the object, never dropped). Every message names
 * source:line: field.path and what was expected.
 * Owns: nothing; mutates only the object it is given. Never: I/O, the clock.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

/* ---- JSON helpers -------------------------------------------------------- */

const char *api_str(const json_t *obj, const char *key) {
  json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
  return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *api_getp(const json_t *obj, const char *dotted) {
  const json_t *cur = obj;
  const char *p = dotted;
  while (cur && *p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    char key[128];
    if (n >= sizeof key) return NULL;
    memcpy(key, p, n);
    key[n] = 0;
    cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
    p += n + (dot ? 1 : 0);
  }
  return (json_t *)cur;
}

const char *api_strp(const json_t *obj, const char *dotted) {
  json_t *v = api_getp(obj, dotted);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

bool api_intp(const json_t *obj, const char *dotted, long long *out) {
  json_t *v = api_getp(obj, dotted);
  if (!json_is_integer(v)) return false;
  *out = json_integer_value(v);
  return true;
}

/* ---- paths ------------------------------------------------------------------ */

static bool is_ident(const char *k) {
  if (!*k) return false;
  for (; *k; k++)
    if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-') return false;
  return true;
}

void api_path_key(sw_buf *p, const char *key) {
  if (is_ident(key)) {
    if (p->len) sw_buf_puts(p, ".");
    sw_buf_puts(p, key);
  } else {
    sw_buf_printf(p, "[%s]", key);
  }
}

void api_path_index(sw_buf *p, size_t i) { sw_buf_printf(p, "[%zu]", i); }

void api_path_truncate(sw_buf *p, size_t len) {
  if (!p->data) return;
  p->len = len;
  p->data[len] = 0;
}

/* ---- context ------------------------------------------------------------------ */

int api_ctx_line(const api_ctx *c, const char *path) {
  if (!c->lines) return c->default_line;
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", path ? path : "");
  for (;;) {
    json_t *l = json_object_get(c->lines, buf);
    if (json_is_integer(l)) return (int)json_integer_value(l);
    size_t n = strlen(buf);
    if (n == 0) break;
    char *cut;
    if (buf[n - 1] == ']')
      cut = strrchr(buf, '[');
    else {
      char *dot = strrchr(buf, '.'), *br = strrchr(buf, '[');
      cut = dot > br ? dot : br;
    }
    if (!cut) cut = buf;
    *cut = 0;
  }
  return c->default_line;
}

static void format_msg(const api_ctx *c, const char *path, char *out, size_t n, const char *fmt, va_list ap) {
  char msg[900];
  vsnprintf(msg, sizeof msg, fmt, ap);
  int line = api_ctx_line(c, path);
  char where[256];
  if (line > 0)
    snprintf(where, sizeof where, "%s:%d", c->source, line);
  else
    snprintf(where, sizeof where, "%s", c->source);
  if (path && *path)
    snprintf(out, n, "%s: %s: %s", where, path, msg);
  else
    snprintf(out, n, "%s: %s", where, msg);
}

int api_fail(api_ctx *c, const char *path, const char *fmt, ...) {
  char out[1024];
  va_list ap;
  va_start(ap, fmt);
  format_msg(c, path, out, sizeof out, fmt, ap);
  va_end(ap);
  return sw_err_set(c->err, SW_EINVAL, "%s", out);
}

void api_warn(api_ctx *c, const char *path, const char *fmt, ...) {
  if (!c->warnings) return;
  char out[1024];
  va_list ap;
  va_start(ap, fmt);
  format_msg(c, path, out, sizeof out, fmt, ap);
  va_end(ap);
  json_array_append_new(c->warnings, json_string(out));
}

void api_describe_value(const json_t *v, char *buf, size_t n) {
  if (!v)
    snprintf(buf, n, "nothing");
  else if (json_is_object(v))
    snprintf(buf, n, "a mapping");
  else if (json_is_array(v))
    snprintf(buf, n, "a list");
  else if (json_is_null(v))
    snprintf(buf, n, "null");
  else {
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!s) {
      snprintf(buf, n, "a value");
      return;
    }
    if (strlen(s) > 60)
      snprintf(buf, n, "%.57s...", s);
    else
      snprintf(buf, n, "%s", s);
    free(s);
  }
}

/* ---- names -------------------------------------------------------------------- */

static bool alnum_lower(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); }

bool api_is_dns_label(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 63 || !alnum_lower(s[0]) || !alnum_lower(s[n - 1])) return false;
  for (size_t i = 0; i < n; i++)
    if (!alnum_lower(s[i]) && s[i] != '-') return false;
  return true;
}

bool api_is_dns1035_label(const char *s) { return api_is_dns_label(s) && s[0] >= 'a' && s[0] <= 'z'; }

bool api_is_dns_subdomain(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 253) return false;
  const char *p = s;
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    char part[254];
    memcpy(part, p, len);
    part[len] = 0;
    /* each dot-separated part is a label, but without the 63 limit */
    if (len == 0 || !alnum_lower(part[0]) || !alnum_lower(part[len - 1])) return false;
    for (size_t i = 0; i < len; i++)
      if (!alnum_lower(part[i]) && part[i] != '-') return false;
    if (!dot) break;
    p = dot + 1;
  }
  return true;
}

bool api_is_port_name(const char *s) {
  /* IANA_SVC_NAME: at most 15 of [a-z0-9-], at least one letter, no leading,
   * trailing or doubled '-'. */
  size_t n = strlen(s);
  bool letter = false;
  if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-') return false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] >= 'a' && s[i] <= 'z')
      letter = true;
    else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
      return false;
    if (s[i] == '-' && i + 1 < n && s[i + 1] == '-') return false;
  }
  return letter;
}

static bool label_name_ok(const char *s, size_t n) {
  if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1])) return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') return false;
  return true;
}

static bool qualified_name_ok(const char *k) {
  const char *slash = strchr(k, '/');
  if (slash) {
    char prefix[256];
    size_t pn = (size_t)(slash - k);
    if (pn == 0 || pn > 253) return false;
    memcpy(prefix, k, pn);
    prefix[pn] = 0;
    if (!api_is_dns_subdomain(prefix)) return false;
    k = slash + 1;
  }
  return label_name_ok(k, strlen(k));
}

int api_check_labels(api_ctx *c, json_t *map, const char *path, bool values_too) {
  const char *k;
  json_t *v;
  json_object_foreach(map, k, v) {
    sw_buf p;
    sw_buf_init(&p);
    sw_buf_puts(&p, path);
    api_path_key(&p, k);
    int rc = 0;
    if (!qualified_name_ok(k))
      rc = api_fail(
          c, p.data,
          "expected a qualified name as key ([prefix/]name: name at most 63 of letters, digits, '-', '_' "
          "and '.', starting and ending with a letter or digit; prefix a DNS-1123 subdomain), got \"%s\"",
          k);
    else if (values_too && json_is_string(v) && json_string_length(v) > 0 &&
             !label_name_ok(json_string_value(v), json_string_length(v)))
      rc = api_fail(
          c, p.data,
          "expected a label value (at most 63 of letters, digits, '-', '_' and '.', starting and ending "
          "with a letter or digit), got \"%s\"",
          json_string_value(v));
    sw_buf_free(&p);
    if (rc) return rc;
  }
  return 0;
}

/* ---- the walker ------------------------------------------------------------------ */

static void expectation(const api_field *f, api_type t, char *buf, size_t n) {
  char range[96] = "";
  if (f->flags & AF_RANGE)
    snprintf(range, sizeof range, " between %lld and %lld", f->min, f->max);
  else if (f->flags & AF_PORT)
    snprintf(range, sizeof range, " between 1 and 65535");
  else if (f->flags & AF_POSITIVE)
    snprintf(range, sizeof range, t == AT_INT ? " >= 1" : " > 0");
  else if (f->flags & AF_NONNEG)
    snprintf(range, sizeof range, " >= 0");
  switch (t) {
  case AT_STRING:
    snprintf(buf, n, "a string");
    break;
  case AT_INT:
    snprintf(buf, n, "an integer%s", range);
    break;
  case AT_NUMBER:
    snprintf(buf, n, "a number%s", range);
    break;
  case AT_BOOL:
    snprintf(buf, n, "true or false");
    break;
  case AT_OBJECT:
    snprintf(buf, n, "a mapping");
    break;
  case AT_ARRAY:
    snprintf(buf, n, "a list");
    break;
  case AT_STRMAP:
    snprintf(buf, n, "a mapping of strings to strings");
    break;
  case AT_QUANTITY:
    snprintf(buf, n, "a quantity%s (like 500m, 12Gi, 1.5 or \"1\")", range);
    break;
  case AT_QTYMAP:
    snprintf(buf, n, "a mapping of resource names to quantities");
    break;
  case AT_INTORSTR:
    if (f->flags & (AF_PORT | AF_PORT_NAME))
      snprintf(buf, n, "a port number between 1 and 65535 or a port name");
    else
      snprintf(buf, n, "an integer >= 0 or a percentage like \"25%%\"");
    break;
  case AT_TIME:
    snprintf(buf, n, "an RFC 3339 time like \"2026-01-02T15:04:05Z\"");
    break;
  case AT_ANY:
    snprintf(buf, n, "a value");
    break;
  }
}

static int type_error(api_ctx *c, const char *path, const api_field *f, api_type t, const json_t *v) {
  char want[160], got[96];
  expectation(f, t, want, sizeof want);
  api_describe_value(v, got, sizeof got);
  return api_fail(c, path, "expected %s, got %s", want, got);
}

static void replace(json_t *container, const char *key, size_t index, json_t *nv) {
  if (key)
    json_object_set_new(container, key, nv);
  else
    json_array_set_new(container, index, nv);
}

static bool from_placeholder(const api_ctx *c, const char *path) {
  return c->ph_int && json_object_get(c->ph_int, path);
}

static int check_number_range(api_ctx *c, const char *path, const api_field *f, api_type t, const json_t *v,
                              double d) {
  bool bad = false;
  if ((f->flags & AF_NONNEG) && d < 0) bad = true;
  if ((f->flags & AF_POSITIVE) && d <= 0) bad = true;
  if ((f->flags & AF_PORT) && (d < 1 || d > 65535)) bad = true;
  if ((f->flags & AF_RANGE) && (d < (double)f->min || d > (double)f->max)) bad = true;
  if (t == AT_INT && !(f->flags & AF_INT64) && (d < -2147483648.0 || d > 2147483647.0)) {
    char got[96];
    api_describe_value(v, got, sizeof got);
    return api_fail(c, path, "expected a 32-bit integer, got %s", got);
  }
  return bad ? type_error(c, path, f, t, v) : 0;
}

static int check_string(api_ctx *c, const char *path, const api_field *f, const char *s) {
  char got[96];
  json_t *tmp = json_string(s);
  api_describe_value(tmp, got, sizeof got);
  json_decref(tmp);
  if ((f->flags & AF_NONEMPTY) && !*s) return api_fail(c, path, "expected a non-empty string");
  if ((f->flags & AF_DNS_LABEL) && !api_is_dns_label(s))
    return api_fail(
        c, path,
        "expected a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending "
        "with a letter or digit), got %s",
        got);
  if ((f->flags & AF_DNS_SUBDOMAIN) && !api_is_dns_subdomain(s))
    return api_fail(
        c, path,
        "expected a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' and '.', starting "
        "and ending with a letter or digit), got %s",
        got);
  if ((f->flags & AF_DNS1035) && !api_is_dns1035_label(s))
    return api_fail(
        c, path,
        "expected a DNS-1035 label (at most 63 lowercase letters, digits and '-', starting with a "
        "letter and ending with a letter or digit), got %s",
        got);
  if ((f->flags & AF_PORT_NAME) && !api_is_port_name(s))
    return api_fail(
        c, path,
        "expected a port name (at most 15 lowercase letters, digits and '-', with at least one letter), "
        "got %s",
        got);
  if (f->enums) {
    for (const char *const *e = f->enums; *e; e++)
      if (strcmp(*e, s) == 0) return 0;
    sw_buf b;
    sw_buf_init(&b);
    for (const char *const *e = f->enums; *e; e++) sw_buf_printf(&b, "%s%s", e == f->enums ? "" : ", ", *e);
    int rc = api_fail(c, path, "expected one of %s, got %s", b.data, got);
    sw_buf_free(&b);
    return rc;
  }
  return 0;
}

static int walk_value(api_ctx *c, json_t *container, const char *key, size_t index, json_t *v,
                      const api_field *f, api_type t, sw_buf *path);

static int walk_quantity(api_ctx *c, json_t *container, const char *key, size_t index, json_t *v,
                         const api_field *f, const char *path) {
  double d;
  if (!json_is_string(v) && !json_is_number(v)) return type_error(c, path, f, AT_QUANTITY, v);
  if (api_quantity_from_json(v, &d) != 0) return type_error(c, path, f, AT_QUANTITY, v);
  if (((f->flags & AF_NONNEG) && d < 0) || ((f->flags & AF_POSITIVE) && d <= 0))
    return type_error(c, path, f, AT_QUANTITY, v);
  if (json_is_number(v)) {
    /* The API server stores quantities as canonical strings (cpu: 4 -> "4"). */
    char buf[64];
    api_quantity_format(d, buf, sizeof buf);
    replace(container, key, index, json_string(buf));
  }
  return 0;
}

static int walk_value_at(api_ctx *c, json_t *container, const char *key, size_t index, json_t *v,
                         const api_field *f, api_type t, sw_buf *path, const char *p);

/* p is a copy of the path: the path buffer grows (and moves) while members
 * are walked. */
static int walk_value(api_ctx *c, json_t *container, const char *key, size_t index, json_t *v,
                      const api_field *f, api_type t, sw_buf *path) {
  char *p = sw_xstrdup(path->data ? path->data : "");
  int rc = walk_value_at(c, container, key, index, v, f, t, path, p);
  free(p);
  return rc;
}

static int walk_value_at(api_ctx *c, json_t *container, const char *key, size_t index, json_t *v,
                         const api_field *f, api_type t, sw_buf *path, const char *p) {
  int rc = 0;
  switch (t) {
  case AT_ANY:
    break;
  case AT_STRING:
    if (json_is_integer(v) && from_placeholder(c, p)) {
      char buf[32];
      snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
      v = json_string(buf);
      replace(container, key, index, v);
    }
    if (!json_is_string(v)) return type_error(c, p, f, t, v);
    rc = check_string(c, p, f, json_string_value(v));
    break;
  case AT_INT:
    if (!json_is_integer(v)) return type_error(c, p, f, t, v);
    rc = check_number_range(c, p, f, t, v, (double)json_integer_value(v));
    break;
  case AT_NUMBER:
    if (!json_is_number(v)) return type_error(c, p, f, t, v);
    rc = check_number_range(c, p, f, t, v, json_number_value(v));
    break;
  case AT_BOOL:
    if (!json_is_boolean(v)) return type_error(c, p, f, t, v);
    break;
  case AT_TIME: {
    double tt;
    if (!json_is_string(v) || sw_time_parse(json_string_value(v), &tt) != 0) return type_error(c, p, f, t, v);
    break;
  }
  case AT_OBJECT:
    if (!json_is_object(v)) return type_error(c, p, f, t, v);
    if (f->fields) rc = api_schema_object(c, v, f->fields, path);
    break;
  case AT_ARRAY: {
    if (!json_is_array(v)) return type_error(c, p, f, t, v);
    if ((f->flags & AF_NONEMPTY) && json_array_size(v) == 0)
      return api_fail(c, p, "expected a non-empty list");
    api_field ef = *f;
    ef.flags &= ~(unsigned)(AF_NONEMPTY | AF_REQUIRED);
    for (size_t i = 0; i < json_array_size(v) && rc == 0; i++) {
      size_t old = path->len;
      api_path_index(path, i);
      json_t *e = json_array_get(v, i);
      if (json_is_null(e) && f->elem != AT_ANY) {
        char want[160];
        expectation(&ef, f->elem, want, sizeof want);
        rc = api_fail(c, path->data, "expected %s, got null", want);
      } else {
        rc = walk_value(c, v, NULL, i, e, &ef, f->elem, path);
      }
      api_path_truncate(path, old);
    }
    break;
  }
  case AT_STRMAP: {
    if (!json_is_object(v)) return type_error(c, p, f, t, v);
    const char *k;
    json_t *e, *tmp;
    json_object_foreach_safe(v, tmp, k, e) {
      size_t old = path->len;
      api_path_key(path, k);
      if (json_is_integer(e) && from_placeholder(c, path->data)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(e));
        json_object_set_new(v, k, json_string(buf));
      } else if (!json_is_string(e)) {
        char got[96];
        api_describe_value(e, got, sizeof got);
        rc = api_fail(c, path->data, "expected a string, got %s (quote it: \"...\")", got);
      }
      api_path_truncate(path, old);
      if (rc) return rc;
    }
    if (f->flags & AF_LABELS) rc = api_check_labels(c, v, p, true);
    break;
  }
  case AT_QUANTITY:
    rc = walk_quantity(c, container, key, index, v, f, p);
    break;
  case AT_QTYMAP: {
    if (!json_is_object(v)) return type_error(c, p, f, t, v);
    const char *k;
    json_t *e, *tmp;
    api_field qf = *f;
    qf.flags |= AF_NONNEG;
    json_object_foreach_safe(v, tmp, k, e) {
      size_t old = path->len;
      api_path_key(path, k);
      rc = walk_quantity(c, v, k, 0, e, &qf, path->data);
      api_path_truncate(path, old);
      if (rc) return rc;
    }
    break;
  }
  case AT_INTORSTR:
    if (json_is_integer(v)) {
      long long n = json_integer_value(v);
      if ((f->flags & AF_PORT) ? (n < 1 || n > 65535) : n < 0) return type_error(c, p, f, t, v);
    } else if (json_is_string(v)) {
      const char *s = json_string_value(v);
      if (f->flags & (AF_PORT | AF_PORT_NAME)) {
        if (!api_is_port_name(s)) return type_error(c, p, f, t, v);
      } else {
        size_t n = strlen(s);
        bool ok = n >= 2 && s[n - 1] == '%';
        for (size_t i = 0; ok && i + 1 < n; i++)
          if (!isdigit((unsigned char)s[i])) ok = false;
        if (!ok) return type_error(c, p, f, t, v);
      }
    } else {
      return type_error(c, p, f, t, v);
    }
    break;
  }
  if (rc == 0 && f->check) {
    json_t *cur = key ? json_object_get(container, key) : json_array_get(container, index);
    rc = f->check(c, container, cur, p);
  }
  return rc;
}

int api_schema_object(api_ctx *c, json_t *obj, const api_field *fields, sw_buf *path) {
  for (const api_field *f = fields; f->name; f++) {
    json_t *v = json_object_get(obj, f->name);
    if (v && json_is_null(v) && f->type != AT_ANY) {
      /* null means "not set" to a typed API (Go's zero value), so defaults apply. */
      json_object_del(obj, f->name);
      v = NULL;
    }
    if (!v && f->def) {
      v = json_loads(f->def, JSON_DECODE_ANY, NULL);
      if (v) json_object_set_new(obj, f->name, v);
    }
    size_t old = path->len;
    api_path_key(path, f->name);
    int rc = 0;
    if (!v) {
      if (f->flags & AF_REQUIRED) {
        char want[160];
        expectation(f, f->type, want, sizeof want);
        rc = api_fail(c, path->data, "required field is missing (expected %s)", want);
      }
    } else {
      rc = walk_value(c, obj, f->name, 0, v, f, f->type, path);
    }
    api_path_truncate(path, old);
    if (rc) return rc;
  }
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) {
    bool known = false;
    for (const api_field *f = fields; f->name && !known; f++) known = strcmp(f->name, k) == 0;
    if (!known) {
      size_t old = path->len;
      api_path_key(path, k);
      api_warn(c, path->data, "unknown field");
      api_path_truncate(path, old);
    }
  }
  return 0;
}

/* ---- shared schemas ------------------------------------------------------------------ */

static const char *const selector_ops[] = {"In", "NotIn", "Exists", "DoesNotExist", NULL};

static const api_field f_selector_requirement[] = {
    {.name = "key", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "operator", .type = AT_STRING, .flags = AF_REQUIRED, .enums = selector_ops},
    {.name = "values", .type = AT_ARRAY, .elem = AT_STRING},
    {0},
};

const api_field api_f_label_selector[] = {
    {.name = "matchLabels", .type = AT_STRMAP, .flags = AF_LABELS},
    {.name = "matchExpressions", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_selector_requirement},
    {0},
};

static int check_annotations(api_ctx *c, json_t *parent, json_t *v, const char *path) {
  return api_check_labels(c, v, path, false);
}

const api_field api_f_object_ref[] = {
    {.name = "apiVersion", .type = AT_STRING},
    {.name = "kind", .type = AT_STRING},
    {.name = "name", .type = AT_STRING},
    {.name = "namespace", .type = AT_STRING},
    {.name = "uid", .type = AT_STRING},
    {.name = "resourceVersion", .type = AT_STRING},
    {.name = "fieldPath", .type = AT_STRING},
    {.name = "controller", .type = AT_BOOL},
    {.name = "blockOwnerDeletion", .type = AT_BOOL},
    {0},
};

const api_field api_f_metadata[] = {
    {.name = "name", .type = AT_STRING},
    {.name = "generateName", .type = AT_STRING},
    {.name = "namespace", .type = AT_STRING, .flags = AF_DNS_LABEL},
    {.name = "uid", .type = AT_STRING},
    {.name = "resourceVersion", .type = AT_STRING},
    {.name = "generation", .type = AT_INT, .flags = AF_INT64},
    {.name = "creationTimestamp", .type = AT_TIME},
    {.name = "deletionTimestamp", .type = AT_TIME},
    {.name = "deletionGracePeriodSeconds", .type = AT_INT, .flags = AF_INT64 | AF_NONNEG},
    {.name = "labels", .type = AT_STRMAP, .flags = AF_LABELS},
    {.name = "annotations", .type = AT_STRMAP, .check = check_annotations},
    {.name = "ownerReferences", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = api_f_object_ref},
    {.name = "finalizers", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "managedFields", .type = AT_ANY},
    {.name = "selfLink", .type = AT_STRING},
    {0},
};

static const char *const cond_status[] = {"True", "False", "Unknown", NULL};

const api_field api_f_conditions_item[] = {
    {.name = "type", .type = AT_STRING, .flags = AF_REQUIRED},
    {.name = "status", .type = AT_STRING, .flags = AF_REQUIRED, .enums = cond_status},
    {.name = "reason", .type = AT_STRING},
    {.name = "message", .type = AT_STRING},
    {.name = "lastTransitionTime", .type = AT_TIME},
    {.name = "lastUpdateTime", .type = AT_TIME},
    {.name = "lastProbeTime", .type = AT_TIME},
    {.name = "lastHeartbeatTime", .type = AT_TIME},
    {.name = "observedGeneration", .type = AT_INT, .flags = AF_INT64},
    {0},
};
