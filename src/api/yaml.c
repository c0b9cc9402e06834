/*
 * yaml.c — YAML text -> jansson trees, with the source line of every node.
 *
 * Role in the data flow: the first step of `apply`: untrusted bytes become
 * plain JSON values plus a side table path -> line that every later error
 * message uses. Scalars resolve the way Kubernetes' sigs.k8s.io/yaml (goyaml
 * v2, YAML 1.1) resolves them, so a manifest means here what it means to
 * kubectl: `1` is an int, `"1"` a string, `yes`/`on`/`y` are true, `~` is null.
 * Anchors, aliases and `<<` merge keys are resolved; duplicate keys, nesting
 * deeper than API_MAX_DEPTH and alias bombs are errors.
 * ${placeholders} are substituted here, where the scalar's style (plain or
 * quoted), its line and its path are all known.
 *
 * Uses libyaml's event API (not the document API) so nesting depth is checked
 * before anything deep is built and no recursion follows the input.
 * Owns: the documents it returns (api_docs_free). Never: reads files.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "api/api_internal.h"

/* ---- placeholders ---------------------------------------------------------- */

static const char *var_lookup(const api_vars *vars, const char *name) {
  if (!vars) return NULL;
  for (size_t i = 0; i < vars->n; i++)
    if (vars->names[i] && strcmp(vars->names[i], name) == 0) return vars->values[i] ? vars->values[i] : "";
  if (vars->use_environment) return getenv(name);
  return NULL;
}

static bool ident_start(char ch) { return isalpha((unsigned char)ch) || ch == '_'; }
static bool ident_char(char ch) { return isalnum((unsigned char)ch) || ch == '_'; }

int api_subst(const char *s, const api_vars *vars, char **out, bool *alone, char *missing, size_t missing_n) {
  *out = NULL;
  if (alone) *alone = false;
  if (!strstr(s, "${")) return 0;
  sw_buf b;
  sw_buf_init(&b);
  int count = 0;
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    if (s[i] == '$' && s[i + 1] == '$' && s[i + 2] == '{') { /* "$${" escapes a literal "${" */
      sw_buf_puts(&b, "${");
      i += 3;
      count++;
      continue;
    }
    if (s[i] == '$' && s[i + 1] == '{' && ident_start(s[i + 2])) {
      size_t j = i + 2;
      while (j < n && ident_char(s[j])) j++;
      if (j < n && s[j] == '}') {
        char name[128];
        size_t ln = j - (i + 2);
        if (ln >= sizeof name) ln = sizeof name - 1;
        memcpy(name, s + i + 2, ln);
        name[ln] = 0;
        const char *val = var_lookup(vars, name);
        if (!val) {
          snprintf(missing, missing_n, "%s", name);
          sw_buf_free(&b);
          return -1;
        }
        if (alone && i == 0 && j + 1 == n) *alone = true;
        sw_buf_puts(&b, val);
        count++;
        i = j + 1;
        continue;
      }
    }
    sw_buf_append(&b, s + i, 1);
    i++;
  }
  if (!count) {
    sw_buf_free(&b);
    return 0;
  }
  if (!b.data) sw_buf_puts(&b, "");
  *out = sw_buf_steal(&b);
  return 1;
}

/* ---- scalar resolution (goyaml.v2 resolve.go) -------------------------------- */

static bool in_list(const char *s, size_t len, const char *const *list) {
  for (; *list; list++)
    if (strlen(*list) == len && memcmp(*list, s, len) == 0) return true;
  return false;
}

/* goyaml.v2's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s) {
  const char *p = s;
  if (*p == '+' || *p == '-') p++;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p)) return false;
    while (isdigit((unsigned char)*p)) p++;
  } else {
    if (!isdigit((unsigned char)*p)) return false;
    while (isdigit((unsigned char)*p)) p++;
    if (*p == '.') {
      p++;
      while (isdigit((unsigned char)*p)) p++;
    }
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return false;
    while (isdigit((unsigned char)*p)) p++;
  }
  return *p == 0;
}

/* Go's strconv.ParseInt(s, 0, 64) then ParseUint: 1 int (*i), 2 uint beyond
 * int64 (*u), 0 not an integer. */
static int parse_go_int(const char *s, long long *i, unsigned long long *u) {
  const char *p = s;
  bool neg = false;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  int base = 10;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
    base = 16, p += 2;
  else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
    base = 2, p += 2;
  else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
    base = 8, p += 2;
  else if (p[0] == '0' && p[1])
    base = 8, p += 1;
  if (!*p) return 0;
  unsigned long long v = 0;
  bool overflow = false;
  for (; *p; p++) {
    int d;
    if (isdigit((unsigned char)*p))
      d = *p - '0';
    else if (*p >= 'a' && *p <= 'f')
      d = *p - 'a' + 10;
    else if (*p >= 'A' && *p <= 'F')
      d = *p - 'A' + 10;
    else
      return 0;
    if (d >= base) return 0;
    if (v > (~0ULL - (unsigned)d) / (unsigned)base)
      overflow = true;
    else
      v = v * (unsigned)base + (unsigned)d;
  }
  if (overflow) return 0;
  if (neg) {
    if (v > (unsigned long long)LLONG_MAX + 1) return 0;
    *i = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    return 1;
  }
  if (v > (unsigned long long)LLONG_MAX) {
    *u = v;
    return 2;
  }
  *i = (long long)v;
  return 1;
}

json_t *api_yaml_resolve_plain(const char *s, size_t len, const char **why) {
  static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
  static const char *const trues[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                      "True", "TRUE", "on",  "On",  "ON",  NULL};
  static const char *const falses[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                       "False", "FALSE", "off", "Off", "OFF", NULL};
  static const char *const nonfinite[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",  ".INF", "+.inf",
                                          "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", NULL};
  *why = NULL;
  if (in_list(s, len, nulls)) return json_null();
  if (in_list(s, len, trues)) return json_true();
  if (in_list(s, len, falses)) return json_false();
  if (in_list(s, len, nonfinite)) {
    *why = "infinity and NaN cannot be represented in JSON";
    return NULL;
  }
  char c0 = len ? s[0] : 0;
  if ((isdigit((unsigned char)c0) || c0 == '+' || c0 == '-' || c0 == '.') && len < 128 &&
      !memchr(s, 0, len)) {
    char plain[128];
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
      if (s[i] != '_') plain[k++] = s[i];
    plain[k] = 0;
    long long iv;
    unsigned long long uv;
    int r = parse_go_int(plain, &iv, &uv);
    if (r == 1) return json_integer(iv);
    if (r == 2) return json_real((double)uv);
    if (yaml_style_float(plain)) {
      errno = 0;
      double d = strtod(plain, NULL);
      if (isfinite(d)) return json_real(d);
    }
  }
  return json_stringn(s, len);
}

/* ---- the event-driven builder ------------------------------------------------ */

typedef struct frame {
  json_t *node; /* owned until attached to its parent at its end event */
  bool is_map;
  char *key; /* pending key of a map (malloc'd), NULL when a key is expected */
  bool key_merge;
  int key_line;
  size_t index;
  size_t path_len; /* path length before this frame's own component */
  char *anchor;
  json_t *merges; /* maps to merge at the end (`<<`) */
} frame;

typedef struct builder {
  const char *file;
  const char *text;
  size_t len;
  const api_vars *vars;
  bool substitute;
  sw_err *err;
  SW_VEC(frame) stack;
  sw_buf path;
  json_t *root;
  int root_line;
  json_t *lines, *ph_int, *anchors;
  size_t alias_nodes;
} builder;

static int fail(builder *b, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(builder *b, int line, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *path = b->path.data && b->path.len ? b->path.data : NULL;
  if (path) return sw_err_set(b->err, SW_EINVAL, "%s:%d: %s: %s", b->file, line, path, msg);
  return sw_err_set(b->err, SW_EINVAL, "%s:%d: %s", b->file, line, msg);
}

static frame *top(builder *b) { return b->stack.len ? &b->stack.items[b->stack.len - 1] : NULL; }

static void frame_free(frame *f) {
  json_decref(f->node);
  free(f->key);
  free(f->anchor);
  json_decref(f->merges);
}

static void doc_reset(builder *b) {
  while (b->stack.len) frame_free(&b->stack.items[--b->stack.len]);
  json_decref(b->root);
  json_decref(b->lines);
  json_decref(b->ph_int);
  json_decref(b->anchors);
  b->root = b->lines = b->ph_int = b->anchors = NULL;
  api_path_truncate(&b->path, 0);
}

/* Adds the component of the value about to be delivered to the path; returns
 * the previous length. */
static size_t push_component(builder *b) {
  size_t old = b->path.len;
  frame *t = top(b);
  if (!t) return old;
  if (t->is_map)
    api_path_key(&b->path, t->key);
  else
    api_path_index(&b->path, t->index);
  return old;
}

static void record_line(builder *b, int line) {
  const char *p = b->path.data ? b->path.data : "";
  if (!json_object_get(b->lines, p)) json_object_set_new(b->lines, p, json_integer(line));
}

/* Attaches a finished value (reference transferred) to the container on top,
 * or makes it the root. */
static int attach(builder *b, json_t *v, int line) {
  frame *t = top(b);
  if (!t) {
    b->root = v;
    b->root_line = line;
    return 0;
  }
  if (t->is_map) {
    if (t->key_merge) {
      if (json_is_object(v)) {
        json_array_append_new(t->merges, v);
      } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) {
          if (!json_is_object(m)) {
            json_decref(v);
            return fail(b, line, "expected a mapping or a list of mappings after the << merge key");
          }
          json_array_append(t->merges, m);
        }
        json_decref(v);
      } else {
        json_decref(v);
        return fail(b, line, "expected a mapping or a list of mappings after the << merge key");
      }
    } else {
      json_object_set_new(t->node, t->key, v);
    }
    free(t->key);
    t->key = NULL;
    t->key_merge = false;
  } else {
    json_array_append_new(t->node, v);
    t->index++;
  }
  return 0;
}

static void register_anchor(builder *b, const char *anchor, json_t *v) {
  if (anchor) json_object_set(b->anchors, anchor, v);
}

/* Counts nodes and depth of a tree built by this parser (so depth <= 2 * max). */
static size_t count_nodes(const json_t *v, int depth, int *maxdepth) {
  if (depth > *maxdepth) *maxdepth = depth;
  size_t n = 1;
  if (json_is_object(v)) {
    const char *k;
    json_t *c;
    json_object_foreach((json_t *)v, k, c) n += count_nodes(c, depth + 1, maxdepth);
  } else if (json_is_array(v)) {
    size_t i;
    json_t *c;
    json_array_foreach(v, i, c) n += count_nodes(c, depth + 1, maxdepth);
  }
  return n;
}

static int key_event(builder *b, frame *t, const char *text, size_t len, bool plain, int line) {
  if (memchr(text, 0, len)) return fail(b, line, "mapping keys must not contain NUL characters");
  char *key;
  if (plain) {
    /* sigs.k8s.io/yaml turns non-string keys into their JSON text. */
    const char *why;
    json_t *r = api_yaml_resolve_plain(text, len, &why);
    if (r && json_is_boolean(r))
      key = sw_xstrdup(json_is_true(r) ? "true" : "false");
    else if (r && json_is_null(r) && len)
      key = sw_xstrdup("null");
    else
      key = sw_xstrndup(text, len);
    json_decref(r);
    if (len == 2 && memcmp(text, "<<", 2) == 0) {
      t->key = key;
      t->key_merge = true;
      t->key_line = line;
      return 0;
    }
  } else {
    key = sw_xstrndup(text, len);
  }
  if (json_object_get(t->node, key)) {
    size_t old = b->path.len;
    api_path_key(&b->path, key);
    json_t *first = json_object_get(b->lines, b->path.data);
    int r = fail(b, line, "duplicate key \"%s\" (first defined at line %d)", key,
                 first ? (int)json_integer_value(first) : line);
    api_path_truncate(&b->path, old);
    free(key);
    return r;
  }
  t->key = key;
  t->key_merge = false;
  t->key_line = line;
  return 0;
}

static const char *const TAG_STR = "tag:yaml.org,2002:str";
static const char *const TAG_INT = "tag:yaml.org,2002:int";
static const char *const TAG_FLOAT = "tag:yaml.org,2002:float";
static const char *const TAG_BOOL = "tag:yaml.org,2002:bool";
static const char *const TAG_NULL = "tag:yaml.org,2002:null";

static int scalar_value(builder *b, const yaml_event_t *ev, int line) {
  const char *text = (const char *)ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  const char *tag = (const char *)ev->data.scalar.tag;
  size_t old = push_component(b);
  int line_here = top(b) && top(b)->is_map ? top(b)->key_line : line;
  record_line(b, line_here);
  json_t *v = NULL;
  char *subst = NULL;
  bool alone = false;
  if (b->substitute && !memchr(text, 0, len)) {
    char missing[128];
    int r = api_subst(text, b->vars, &subst, &alone, missing, sizeof missing);
    if (r < 0) {
      r = fail(b, line, "unfilled placeholder ${%s} (set it with --set %s=VALUE)", missing, missing);
      api_path_truncate(&b->path, old);
      return r;
    }
  }
  if (subst) {
    /* A lone placeholder that now reads as an integer becomes one, so
     * `averageValue: ${waiting_size}` means what `averageValue: 5` means. */
    const char *p = subst;
    if (*p == '-') p++;
    bool digits = *p != 0;
    for (; *p; p++)
      if (!isdigit((unsigned char)*p)) digits = false;
    if (alone && plain && digits && strlen(subst) < 19) {
      v = json_integer(strtoll(subst, NULL, 10));
      json_object_set_new(b->ph_int, b->path.data ? b->path.data : "", json_true());
    } else {
      v = json_string(subst);
      if (!v) v = json_stringn(subst, strlen(subst));
    }
    free(subst);
  } else if (tag && (strcmp(tag, TAG_STR) == 0 || strcmp(tag, "!") == 0)) {
    v = json_stringn(text, len);
  } else if (tag && (strcmp(tag, TAG_INT) == 0 || strcmp(tag, TAG_FLOAT) == 0 || strcmp(tag, TAG_BOOL) == 0 ||
                     strcmp(tag, TAG_NULL) == 0)) {
    const char *why = NULL;
    v = api_yaml_resolve_plain(text, len, &why);
    if (v && strcmp(tag, TAG_FLOAT) == 0 && json_is_integer(v)) {
      json_t *r = json_real((double)json_integer_value(v));
      json_decref(v);
      v = r;
    }
    bool ok = v && ((strcmp(tag, TAG_INT) == 0 && json_is_integer(v)) ||
                    (strcmp(tag, TAG_FLOAT) == 0 && json_is_real(v)) ||
                    (strcmp(tag, TAG_BOOL) == 0 && json_is_boolean(v)) ||
                    (strcmp(tag, TAG_NULL) == 0 && json_is_null(v)));
    if (!ok) {
      json_decref(v);
      int r = fail(b, line, "cannot read \"%.*s\" as !!%s", (int)(len > 40 ? 40 : len), text, tag + 18);
      api_path_truncate(&b->path, old);
      return r;
    }
  } else if (plain) {
    const char *why = NULL;
    v = api_yaml_resolve_plain(text, len, &why);
    if (!v) {
      int r = fail(b, line, "%s", why ? why : "unrepresentable scalar");
      api_path_truncate(&b->path, old);
      return r;
    }
  } else {
    v = json_stringn(text, len);
  }
  if (!v) { /* invalid UTF-8 cannot reach here (libyaml checks), but be safe */
    int r = fail(b, line, "scalar is not valid UTF-8");
    api_path_truncate(&b->path, old);
    return r;
  }
  api_path_truncate(&b->path, old);
  register_anchor(b, (const char *)ev->data.scalar.anchor, v);
  return attach(b, v, line);
}

static int alias_event(builder *b, const yaml_event_t *ev, int line) {
  const char *name = (const char *)ev->data.alias.anchor;
  json_t *target = json_object_get(b->anchors, name);
  frame *t = top(b);
  if (t && t->is_map && !t->key) {
    if (!target) return fail(b, line, "unknown alias *%s (no anchor &%s defined before it)", name, name);
    if (json_is_string(target))
      return key_event(b, t, json_string_value(target), json_string_length(target), false, line);
    return fail(b, line, "an alias used as a mapping key must name a string");
  }
  size_t old = push_component(b);
  int rc = 0;
  if (!target) {
    rc = fail(b, line, "unknown alias *%s (no anchor &%s defined before it)", name, name);
  } else {
    int sub_depth = 0;
    b->alias_nodes += count_nodes(target, 0, &sub_depth);
    if (b->alias_nodes > API_MAX_ALIAS_NODES)
      rc = fail(b, line, "aliases expand to more than %d nodes: refusing (alias bomb?)", API_MAX_ALIAS_NODES);
    else if ((int)b->stack.len + sub_depth > API_MAX_DEPTH)
      rc = fail(b, line, "nested deeper than %d levels", API_MAX_DEPTH);
    else
      record_line(b, t && t->is_map ? t->key_line : line);
  }
  api_path_truncate(&b->path, old);
  return rc ? rc : attach(b, json_deep_copy(target), line);
}

static int collection_start(builder *b, bool is_map, const char *anchor, int line) {
  frame *t = top(b);
  if (t && t->is_map && !t->key)
    return fail(b, line, "complex mapping keys (a mapping or list as a key) are not supported");
  if (b->stack.len + 1 > API_MAX_DEPTH) {
    push_component(b);
    return fail(b, line, "nested deeper than %d levels", API_MAX_DEPTH);
  }
  frame f = {0};
  f.is_map = is_map;
  f.node = is_map ? json_object() : json_array();
  f.path_len = push_component(b);
  record_line(b, t && t->is_map ? t->key_line : line);
  f.anchor = anchor ? sw_xstrdup(anchor) : NULL;
  f.merges = is_map ? json_array() : NULL;
  sw_vec_push(&b->stack, f);
  return 0;
}

static int collection_end(builder *b, int line) {
  frame f = b->stack.items[--b->stack.len];
  api_path_truncate(&b->path, f.path_len);
  if (f.is_map && json_array_size(f.merges)) {
    /* `<<`: explicit keys win; among merged maps the earlier one wins. */
    size_t i;
    json_t *m;
    json_array_foreach(f.merges, i, m) {
      const char *k;
      json_t *v;
      json_object_foreach(m, k, v) if (!json_object_get(f.node, k)) json_object_set(f.node, k, v);
    }
  }
  json_t *node = f.node;
  f.node = NULL;
  register_anchor(b, f.anchor, node);
  frame_free(&f);
  return attach(b, node, line);
}

static int line_of_offset(const char *text, size_t len, size_t off) {
  int line = 1;
  for (size_t i = 0; i < off && i < len; i++)
    if (text[i] == '\n') line++;
  return line;
}

static int parser_error(builder *b, yaml_parser_t *p) {
  int line;
  if (p->error == YAML_READER_ERROR)
    line = line_of_offset(b->text, b->len, p->problem_offset);
  else
    line = (int)p->problem_mark.line + 1;
  api_path_truncate(&b->path, 0);
  const char *problem = p->problem ? p->problem : "malformed input";
  if (p->context && p->error != YAML_READER_ERROR)
    return fail(b, line, "invalid YAML: %s (%s that started at line %d)", problem, p->context,
                (int)p->context_mark.line + 1);
  return fail(b, line, "invalid YAML: %s", problem);
}

void api_docs_free(api_docs *d) {
  for (size_t i = 0; i < d->len; i++) {
    json_decref(d->items[i].root);
    json_decref(d->items[i].lines);
    json_decref(d->items[i].ph_int);
  }
  sw_vec_free(d);
}

int api_yaml_decode(const char *file, const char *text, size_t len, const api_vars *vars, bool substitute,
                    api_docs *out, sw_err *err) {
  builder b = {.file = file, .text = text, .len = len, .vars = vars, .substitute = substitute, .err = err};
  sw_buf_init(&b.path);
  out->items = NULL;
  out->len = out->cap = 0;
  if (len > API_MAX_BYTES) {
    sw_buf_free(&b.path);
    return sw_err_set(err, SW_EINVAL, "%s: %zu bytes is more than the %u MiB a manifest may have", file, len,
                      API_MAX_BYTES >> 20);
  }
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) {
    sw_buf_free(&b.path);
    return sw_err_set(err, SW_ENOMEM, "%s: cannot initialise the YAML parser", file);
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  int rc = 0;
  bool done = false;
  while (!done && rc == 0) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      rc = parser_error(&b, &p);
      break;
    }
    int line = (int)ev.start_mark.line + 1;
    switch (ev.type) {
    case YAML_STREAM_START_EVENT:
    case YAML_NO_EVENT:
      break;
    case YAML_STREAM_END_EVENT:
      done = true;
      break;
    case YAML_DOCUMENT_START_EVENT:
      doc_reset(&b);
      b.lines = json_object();
      b.ph_int = json_object();
      b.anchors = json_object();
      b.alias_nodes = 0;
      break;
    case YAML_DOCUMENT_END_EVENT:
      if (b.root && !json_is_null(b.root)) {
        api_doc d = {.root = b.root, .lines = b.lines, .ph_int = b.ph_int, .line = b.root_line};
        sw_vec_push(out, d);
        b.root = b.lines = b.ph_int = NULL;
      }
      doc_reset(&b);
      break;
    case YAML_ALIAS_EVENT:
      rc = alias_event(&b, &ev, line);
      break;
    case YAML_SCALAR_EVENT: {
      frame *t = top(&b);
      if (t && t->is_map && !t->key) {
        rc = key_event(&b, t, (const char *)ev.data.scalar.value, ev.data.scalar.length,
                       ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE, line);
      } else {
        rc = scalar_value(&b, &ev, line);
      }
      break;
    }
    case YAML_SEQUENCE_START_EVENT:
      rc = collection_start(&b, false, (const char *)ev.data.sequence_start.anchor, line);
      break;
    case YAML_MAPPING_START_EVENT:
      rc = collection_start(&b, true, (const char *)ev.data.mapping_start.anchor, line);
      break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      rc = collection_end(&b, line);
      break;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&p);
  doc_reset(&b);
  sw_vec_free(&b.stack);
  sw_buf_free(&b.path);
  if (rc != 0) api_docs_free(out);
  return rc;
}
