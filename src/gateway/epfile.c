/*
 * epfile.c — see epfile.h. The YAML is loaded with libyaml's document API and
 * turned into jansson values (with a side table of line numbers), JSON is
 * loaded with jansson; one validator then checks either.
 *
 * Bounded on hostile input: at most MAX_NODES values after alias expansion
 * (a "billion laughs" file fails instead of exhausting memory) and MAX_DEPTH
 * nesting.
 */
#include "gateway/epfile.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <yaml.h>

#include "metrics/promtext.h"

#define MAX_NODES 100000
#define MAX_DEPTH 64

typedef struct lines {
  SW_VEC(struct line_of {
    const json_t *v;
    int line;
  })
  v;
} lines;

static int line_of(const lines *L, const json_t *v) {
  for (size_t i = 0; i < L->v.len; i++)
    if (L->v.items[i].v == v) return L->v.items[i].line;
  return 0;
}

/* ---- YAML -> json_t ---------------------------------------------------------- */

typedef struct conv {
  yaml_document_t *doc;
  lines *L;
  size_t nodes;
  sw_err *err;
  const char *name;
} conv;

static bool plain_is(const char *s, const char *const *words) {
  for (; *words; words++)
    if (strcmp(s, *words) == 0) return true;
  return false;
}

/* YAML 1.1 core resolution of a plain scalar, as go-yaml (and therefore
 * kubectl) does it for the types this file uses. */
static json_t *resolve_plain(const char *s, size_t len) {
  static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
  static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL};
  static const char *const falses[] = {"false", "False", "FALSE", "no",  "No",
                                       "NO",    "off",   "Off",   "OFF", NULL};
  if (plain_is(s, nulls)) return json_null();
  if (plain_is(s, trues)) return json_true();
  if (plain_is(s, falses)) return json_false();
  if (len > 0 && len < 40) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (*end == 0 && errno == 0 && (isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+'))
      return json_integer(v);
    errno = 0;
    double d = strtod(s, &end);
    if (*end == 0 && errno == 0 && isfinite(d) &&
        (isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '.'))
      return json_real(d);
  }
  return json_stringn(s, len);
}

static json_t *conv_node(conv *c, yaml_node_t *n, int depth) {
  if (!n) {
    sw_err_set(c->err, SW_EINVAL, "%s: broken YAML document", c->name);
    return NULL;
  }
  int line = (int)n->start_mark.line + 1;
  if (depth > MAX_DEPTH) {
    sw_err_set(c->err, SW_EINVAL, "%s:%d: nested deeper than %d levels", c->name, line, MAX_DEPTH);
    return NULL;
  }
  if (++c->nodes > MAX_NODES) {
    sw_err_set(c->err, SW_EINVAL, "%s:%d: more than %d values (alias expansion?)", c->name, line, MAX_NODES);
    return NULL;
  }
  json_t *v = NULL;
  switch (n->type) {
  case YAML_SCALAR_NODE: {
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && strlen(s) == len)
      v = resolve_plain(s, len);
    else
      v = json_stringn(s, len);
    if (!v) { /* not UTF-8 */
      sw_err_set(c->err, SW_EINVAL, "%s:%d: value is not valid UTF-8 text", c->name, line);
      return NULL;
    }
    break;
  }
  case YAML_SEQUENCE_NODE:
    v = json_array();
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
      json_t *x = conv_node(c, yaml_document_get_node(c->doc, *it), depth + 1);
      if (!x) {
        json_decref(v);
        return NULL;
      }
      json_array_append_new(v, x);
    }
    break;
  case YAML_MAPPING_NODE:
    v = json_object();
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
      yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
      if (!k || k->type != YAML_SCALAR_NODE) {
        sw_err_set(c->err, SW_EINVAL, "%s:%d: mapping keys must be plain text", c->name,
                   k ? (int)k->start_mark.line + 1 : line);
        json_decref(v);
        return NULL;
      }
      char *key = sw_xstrndup((const char *)k->data.scalar.value, k->data.scalar.length);
      json_t *x = conv_node(c, yaml_document_get_node(c->doc, p->value), depth + 1);
      if (!x) {
        free(key);
        json_decref(v);
        return NULL;
      }
      if (json_object_set_new(v, key, x) != 0) {
        sw_err_set(c->err, SW_EINVAL, "%s:%d: key is not valid UTF-8 text", c->name,
                   (int)k->start_mark.line + 1);
        free(key);
        json_decref(v);
        return NULL;
      }
      free(key);
    }
    break;
  default:
    v = json_null();
    break;
  }
  struct line_of lo = {v, line};
  sw_vec_push(&c->L->v, lo);
  return v;
}

static json_t *load_yaml(const char *text, size_t len, const char *name, lines *L, sw_err *err) {
  yaml_parser_t p;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&p)) {
    sw_err_set(err, SW_ENOMEM, "%s: cannot initialise the YAML parser", name);
    return NULL;
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  if (!yaml_parser_load(&p, &doc)) {
    if (p.context)
      sw_err_set(err, SW_EINVAL, "%s:%zu:%zu: YAML: %s %s (begun at line %zu)", name, p.problem_mark.line + 1,
                 p.problem_mark.column + 1, p.problem ? p.problem : "syntax error", p.context,
                 p.context_mark.line + 1);
    else
      sw_err_set(err, SW_EINVAL, "%s:%zu:%zu: YAML: %s", name, p.problem_mark.line + 1,
                 p.problem_mark.column + 1, p.problem ? p.problem : "syntax error");
    yaml_parser_delete(&p);
    return NULL;
  }
  json_t *v = NULL;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root) {
    sw_err_set(err, SW_EINVAL, "%s: the file is empty (expected an endpoints list)", name);
  } else {
    conv c = {.doc = &doc, .L = L, .err = err, .name = name};
    v = conv_node(&c, root, 0);
  }
  yaml_document_delete(&doc);
  /* One document only: a second one is almost certainly a mistake. */
  if (v && yaml_parser_load(&p, &doc)) {
    if (yaml_document_get_root_node(&doc)) {
      sw_err_set(err, SW_EINVAL, "%s:%zu: more than one YAML document (expected one endpoints list)", name,
                 (size_t)doc.start_mark.line + 1);
      json_decref(v);
      v = NULL;
    }
    yaml_document_delete(&doc);
  }
  yaml_parser_delete(&p);
  return v;
}

/* ---- addresses ----------------------------------------------------------------- */

bool gw_parse_address(const char *s, char *host, size_t hostn, int *port) {
  if (!s) return false;
  if (strncasecmp(s, "http://", 7) == 0) s += 7;
  const char *hs, *he, *ps;
  if (*s == '[') {
    hs = s + 1;
    he = strchr(hs, ']');
    if (!he || he[1] != ':') return false;
    ps = he + 2;
  } else {
    he = strchr(s, ':');
    if (!he || strchr(he + 1, ':')) return false;
    hs = s;
    ps = he + 1;
  }
  size_t hl = (size_t)(he - hs);
  if (hl == 0 || hl >= hostn) return false;
  for (const char *p = hs; p < he; p++)
    if (*p == '/' || *p == '@' || *p == ' ' || (unsigned char)*p < 0x21) return false;
  long v = 0;
  const char *p = ps;
  if (!isdigit((unsigned char)*p)) return false;
  while (isdigit((unsigned char)*p)) {
    v = v * 10 + (*p - '0');
    if (v > 65535) return false;
    p++;
  }
  if (*p == '/' && p[1] == 0) p++;
  if (*p != 0 || v < 1) return false;
  memcpy(host, hs, hl);
  host[hl] = 0;
  *port = (int)v;
  return true;
}

/* ---- validation ------------------------------------------------------------------ */

typedef struct vctx {
  const char *name;
  lines *L;
  gw_epfile *out;
  sw_err *err;
} vctx;

static int at_line(vctx *v, const json_t *x) { return line_of(v->L, x); }

static int fail(vctx *v, const json_t *x, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(vctx *v, const json_t *x, const char *path, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  int line = at_line(v, x);
  if (line) return sw_err_set(v->err, SW_EINVAL, "%s:%d: %s: %s", v->name, line, path, msg);
  return sw_err_set(v->err, SW_EINVAL, "%s: %s: %s", v->name, path, msg);
}

static const char *type_name(const json_t *x) {
  switch (json_typeof(x)) {
  case JSON_OBJECT:
    return "a mapping";
  case JSON_ARRAY:
    return "a list";
  case JSON_STRING:
    return "text";
  case JSON_INTEGER:
    return "an integer";
  case JSON_REAL:
    return "a number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  default:
    return "null";
  }
}

static int get_string(vctx *v, const json_t *obj, const char *key, const char *path, char **out,
                      bool required) {
  json_t *x = json_object_get(obj, key);
  if (!x || json_is_null(x)) {
    if (required) return fail(v, obj, path, "missing required field \"%s\" (expected text)", key);
    return 0;
  }
  if (!json_is_string(x) || json_string_length(x) == 0 || json_string_length(x) > 253 ||
      strlen(json_string_value(x)) != json_string_length(x))
    return fail(v, x, path, "field \"%s\": expected non-empty text of at most 253 bytes, got %s", key,
                type_name(x));
  *out = sw_xstrdup(json_string_value(x));
  return 0;
}

static int get_bool(vctx *v, const json_t *obj, const char *key, const char *path, bool *out) {
  json_t *x = json_object_get(obj, key);
  if (!x || json_is_null(x)) return 0;
  if (!json_is_boolean(x))
    return fail(v, x, path, "field \"%s\": expected true or false, got %s", key, type_name(x));
  *out = json_is_true(x);
  return 0;
}

static void warn(vctx *v, const json_t *x, const char *path, const char *key) {
  int line = at_line(v, x);
  char *w = line ? sw_xasprintf("%s:%d: %s: unknown field \"%s\" ignored", v->name, line, path, key)
                 : sw_xasprintf("%s: %s: unknown field \"%s\" ignored", v->name, path, key);
  v->out->warnings = sw_xrealloc(v->out->warnings, (v->out->n_warnings + 1) * sizeof *v->out->warnings);
  v->out->warnings[v->out->n_warnings++] = w;
}

static int validate_entry(vctx *v, const json_t *e, size_t idx, gw_file_ep *fe) {
  char path[64];
  snprintf(path, sizeof path, "endpoints[%zu]", idx);
  memset(fe, 0, sizeof *fe);
  fe->ready = true;
  fe->line = at_line(v, e);
  if (!json_is_object(e))
    return fail(v, e, path, "expected a mapping with model and address, got %s", type_name(e));
  static const char *const known[] = {"model", "address",     "cluster",     "priority", "pod",
                                      "ready", "terminating", "metricsPath", NULL};
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)e, key, val) {
    bool ok = false;
    for (const char *const *k = known; *k; k++) ok |= strcmp(*k, key) == 0;
    if (!ok) warn(v, val, path, key);
  }
  char *addr = NULL;
  int rc = get_string(v, e, "model", path, &fe->model, true);
  if (!rc) rc = get_string(v, e, "address", path, &addr, false);
  if (!rc) rc = get_string(v, e, "cluster", path, &fe->cluster, false);
  if (!rc) rc = get_string(v, e, "pod", path, &fe->pod, false);
  if (!rc) rc = get_string(v, e, "metricsPath", path, &fe->metrics_path, false);
  if (!rc) rc = get_bool(v, e, "ready", path, &fe->ready);
  if (!rc) rc = get_bool(v, e, "terminating", path, &fe->terminating);
  if (!rc) {
    json_t *p = json_object_get(e, "priority");
    if (p && !json_is_null(p)) {
      if (!json_is_integer(p) || json_integer_value(p) < -1000000 || json_integer_value(p) > 1000000)
        rc = fail(v, p, path, "field \"priority\": expected an integer (lower = preferred), got %s",
                  type_name(p));
      else
        fe->priority = (int)json_integer_value(p);
    }
  }
  if (!rc && addr) {
    char host[256];
    if (!gw_parse_address(addr, host, sizeof host, &fe->port))
      rc =
          fail(v, json_object_get(e, "address"), path,
               "field \"address\": expected host:port (e.g. 127.0.0.1:8001 or [::1]:8001), got \"%s\"", addr);
    else
      fe->host = sw_xstrdup(host);
  }
  if (!rc && fe->metrics_path && fe->metrics_path[0] != '/')
    rc = fail(v, json_object_get(e, "metricsPath"), path,
              "field \"metricsPath\": expected a path starting with /");
  free(addr);
  if (!rc && !fe->cluster) fe->cluster = sw_xstrdup("default");
  if (!rc && !fe->metrics_path) fe->metrics_path = sw_xstrdup("/metrics");
  return rc;
}

static void fe_free(gw_file_ep *fe) {
  free(fe->model);
  free(fe->pod);
  free(fe->cluster);
  free(fe->host);
  free(fe->metrics_path);
}

void gw_epfile_free(gw_epfile *f) {
  for (size_t i = 0; i < f->n; i++) fe_free(&f->items[i]);
  free(f->items);
  for (size_t i = 0; i < f->n_warnings; i++) free(f->warnings[i]);
  free(f->warnings);
  memset(f, 0, sizeof *f);
}

int gw_epfile_parse(const char *text, size_t len, const char *name, gw_epfile *out, sw_err *err) {
  memset(out, 0, sizeof *out);
  lines L = {0};
  json_t *root = NULL;
  size_t i = 0;
  while (i < len && isspace((unsigned char)text[i])) i++;
  if (i < len && (text[i] == '{' || text[i] == '[')) {
    json_error_t je;
    root = json_loadb(text, len, 0, &je);
    if (!root) {
      sw_err_set(err, SW_EINVAL, "%s:%d:%d: JSON: %s", name, je.line, je.column, je.text);
      return SW_EINVAL;
    }
  } else {
    root = load_yaml(text, len, name, &L, err);
    if (!root) {
      sw_vec_free(&L.v);
      return SW_EINVAL;
    }
  }
  vctx v = {.name = name, .L = &L, .out = out, .err = err};
  int rc = 0;
  const json_t *list = root;
  if (json_is_object(root)) {
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) if (strcmp(key, "endpoints") != 0) warn(&v, val, "(top level)", key);
    list = json_object_get(root, "endpoints");
    if (!list) rc = fail(&v, root, "(top level)", "missing \"endpoints\" (expected a list of endpoints)");
  }
  if (!rc && !json_is_array(list))
    rc = fail(&v, list, json_is_object(root) ? "endpoints" : "(top level)",
              "expected a list of endpoints, got %s", type_name(list));
  if (!rc) {
    size_t n = json_array_size(list);
    out->items = sw_xcalloc(n ? n : 1, sizeof *out->items);
    for (size_t k = 0; k < n && !rc; k++) {
      rc = validate_entry(&v, json_array_get(list, k), k, &out->items[k]);
      if (rc)
        fe_free(&out->items[k]);
      else
        out->n++;
    }
  }
  json_decref(root);
  sw_vec_free(&L.v);
  if (rc) gw_epfile_free(out);
  return rc;
}

int gw_epfile_load(const char *path, gw_epfile *out, sw_err *err) {
  memset(out, 0, sizeof *out);
  size_t len;
  char *text = sw_read_file(path, &len, err);
  if (!text) return err && err->code ? err->code : SW_EIO;
  int rc = gw_epfile_parse(text, len, path, out, err);
  free(text);
  if (rc) return rc;
  for (size_t i = 0; i < out->n; i++) {
    gw_file_ep *fe = &out->items[i];
    if (!fe->host) continue;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(fe->host, NULL, &hints, &ai) == 0) { /* already numeric */
      freeaddrinfo(ai);
      continue;
    }
    hints.ai_flags = 0;
    int g = getaddrinfo(fe->host, NULL, &hints, &ai);
    if (g != 0 || !ai) {
      sw_err_set(err, SW_EINVAL, "%s:%d: endpoints[%zu].address: cannot resolve host \"%s\": %s", path,
                 fe->line, i, fe->host, gai_strerror(g));
      gw_epfile_free(out);
      return SW_EINVAL;
    }
    char buf[64];
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof buf, NULL, 0, NI_NUMERICHOST) == 0) {
      free(fe->host);
      fe->host = sw_xstrdup(buf);
    }
    freeaddrinfo(ai);
  }
  return 0;
}

/* ---- Prometheus gauges ----------------------------------------------------------- */

int gw_prom_load(const char *text, size_t len, gw_load *out, sw_err *err) {
  out->waiting = out->running = out->kv = NAN;
  promtext_doc *d = promtext_doc_new();
  if (promtext_parse(d, text, len, err) != 0) {
    promtext_doc_free(d);
    return -1;
  }
  double kv_old = NAN;
  for (size_t i = 0; i < d->n_samples; i++) {
    const char *name = d->samples[i].name;
    double v = d->samples[i].value;
    if (isnan(v)) continue;
    if (strcmp(name, "vllm:num_requests_waiting") == 0 || strcmp(name, "sglang:num_queue_reqs") == 0)
      out->waiting = isnan(out->waiting) ? v : out->waiting + v;
    else if (strcmp(name, "vllm:num_requests_running") == 0 || strcmp(name, "sglang:num_running_reqs") == 0)
      out->running = isnan(out->running) ? v : out->running + v;
    else if (strcmp(name, "vllm:kv_cache_usage_perc") == 0 || strcmp(name, "sglang:token_usage") == 0)
      out->kv = isnan(out->kv) || v > out->kv ? v : out->kv;
    else if (strcmp(name, "vllm:gpu_cache_usage_perc") == 0)
      kv_old = isnan(kv_old) || v > kv_old ? v : kv_old;
  }
  if (isnan(out->kv)) out->kv = kv_old;
  promtext_doc_free(d);
  return 0;
}
