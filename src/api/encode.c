/*
 * encode.c — objects back to text: YAML like `kubectl get -o yaml` and JSON
 * with two-space indentation.
 *
 * Role in the data flow: the last step of `get -o yaml|json` and of anything
 * that writes a manifest. YAML is emitted with libyaml's emitter in block
 * style, keys in the object's order; a string that would read back as
 * something else (a number, a bool, null, a timestamp) is double-quoted, a
 * multi-line string uses a literal block, and a float always carries a '.' or
 * an exponent, and a literal "${" in a string value is written "$${" (the
 * manifest reader's escape for its placeholders), so decode(encode(x)) == x
 * for every object.
 * Owns: the strings it returns (caller frees). Never: I/O.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "api/api_internal.h"

static int write_handler(void *data, unsigned char *buffer, size_t size) {
  sw_buf_append((sw_buf *)data, buffer, size);
  return 1;
}

/* Would this string, written plain, read back as a non-string (or a YAML
 * timestamp, which other readers turn into a time)? */
static bool needs_quotes(const char *s, size_t len) {
  const char *why;
  json_t *r = api_yaml_resolve_plain(s, len, &why);
  bool q = !r || !json_is_string(r);
  json_decref(r);
  if (q) return true;
  if (len >= 8 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
      isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) && s[4] == '-')
    return true;
  if (len == 2 && memcmp(s, "<<", 2) == 0) return true;
  return false;
}

/* The fewest significant digits that read back as exactly d (Go's and
 * Python's shortest representation: 0.8, not 0.80000000000000004). */
static int shortest_precision(double d, char *buf, size_t n) {
  for (int prec = 1; prec < 17; prec++) {
    snprintf(buf, n, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) return prec;
  }
  snprintf(buf, n, "%.17g", d);
  return 17;
}

int api_json_real_precision(const json_t *v) {
  char buf[64];
  int p = 1;
  size_t i;
  const char *k;
  json_t *c;
  switch (json_typeof(v)) {
  case JSON_REAL:
    return shortest_precision(json_real_value(v), buf, sizeof buf);
  case JSON_OBJECT:
    json_object_foreach((json_t *)v, k, c) {
      int q = api_json_real_precision(c);
      if (q > p) p = q;
    }
    return p;
  case JSON_ARRAY:
    json_array_foreach(v, i, c) {
      int q = api_json_real_precision(c);
      if (q > p) p = q;
    }
    return p;
  default:
    return p;
  }
}

static void real_text(double d, char *buf, size_t n) {
  shortest_precision(d, buf, n);
  if (!strpbrk(buf, ".eEn")) { /* keep it a float when read back */
    size_t l = strlen(buf);
    if (l + 2 < n) memcpy(buf + l, ".0", 3);
  }
}

static int emit_scalar(yaml_emitter_t *em, const char *text, size_t len, yaml_scalar_style_t style) {
  yaml_event_t ev;
  yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len, 1, 1, style);
  return yaml_emitter_emit(em, &ev);
}

static int emit_string(yaml_emitter_t *em, const char *s, size_t len, bool is_key) {
  yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
  if (needs_quotes(s, len))
    style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
  else if (!is_key && memchr(s, '\n', len))
    style = YAML_LITERAL_SCALAR_STYLE;
  return emit_scalar(em, s, len, style);
}

static int emit_value(yaml_emitter_t *em, const json_t *v) {
  yaml_event_t ev;
  char buf[64];
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    if (!yaml_emitter_emit(em, &ev)) return 0;
    const char *k;
    json_t *c;
    json_object_foreach((json_t *)v, k, c) {
      if (!emit_string(em, k, strlen(k), true) || !emit_value(em, c)) return 0;
    }
    yaml_mapping_end_event_initialize(&ev);
    return yaml_emitter_emit(em, &ev);
  }
  case JSON_ARRAY: {
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    if (!yaml_emitter_emit(em, &ev)) return 0;
    size_t i;
    json_t *c;
    json_array_foreach(v, i, c) if (!emit_value(em, c)) return 0;
    yaml_sequence_end_event_initialize(&ev);
    return yaml_emitter_emit(em, &ev);
  }
  case JSON_STRING:
    return emit_string(em, json_string_value(v), json_string_length(v), false);
  case JSON_INTEGER:
    snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    return emit_scalar(em, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
  case JSON_REAL:
    real_text(json_real_value(v), buf, sizeof buf);
    return emit_scalar(em, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
  case JSON_TRUE:
    return emit_scalar(em, "true", 4, YAML_PLAIN_SCALAR_STYLE);
  case JSON_FALSE:
    return emit_scalar(em, "false", 5, YAML_PLAIN_SCALAR_STYLE);
  case JSON_NULL:
  default:
    return emit_scalar(em, "null", 4, YAML_PLAIN_SCALAR_STYLE);
  }
}

/* obj with every "${" in a string value written "$${" (a new reference; obj
 * itself, with a new reference, when no string holds one). Keys are not
 * substituted by the reader, so they stay as they are. */
static json_t *escape_placeholders(const json_t *obj) {
  if (json_is_string(obj)) {
    const char *s = json_string_value(obj);
    if (!strstr(s, "${")) return json_incref((json_t *)obj);
    sw_buf b;
    sw_buf_init(&b);
    for (const char *p = s; *p; p++) {
      if (p[0] == '$' && p[1] == '{') sw_buf_puts(&b, "$");
      sw_buf_append(&b, p, 1);
    }
    json_t *r = json_stringn(b.data, b.len);
    sw_buf_free(&b);
    return r;
  }
  if (!json_is_object(obj) && !json_is_array(obj)) return json_incref((json_t *)obj);
  json_t *copy = json_is_object(obj) ? json_object() : json_array();
  const char *k;
  json_t *c;
  size_t i;
  if (json_is_object(obj))
    json_object_foreach((json_t *)obj, k, c) json_object_set_new(copy, k, escape_placeholders(c));
  else
    json_array_foreach(obj, i, c) json_array_append_new(copy, escape_placeholders(c));
  return copy;
}

char *api_encode_yaml(const json_t *in) {
  json_t *obj = in ? escape_placeholders(in) : NULL;
  sw_buf out;
  sw_buf_init(&out);
  yaml_emitter_t em;
  if (!obj || !yaml_emitter_initialize(&em)) {
    json_decref(obj);
    return sw_xstrdup("");
  }
  yaml_emitter_set_output(&em, write_handler, &out);
  yaml_emitter_set_unicode(&em, 1);
  yaml_emitter_set_indent(&em, 2);
  yaml_event_t ev;
  int ok = 1;
  yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
  ok = ok && yaml_emitter_emit(&em, &ev);
  yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
  ok = ok && yaml_emitter_emit(&em, &ev);
  ok = ok && emit_value(&em, obj);
  yaml_document_end_event_initialize(&ev, 1);
  ok = ok && yaml_emitter_emit(&em, &ev);
  yaml_stream_end_event_initialize(&ev);
  ok = ok && yaml_emitter_emit(&em, &ev);
  yaml_emitter_flush(&em);
  yaml_emitter_delete(&em);
  json_decref(obj);
  if (!ok) {
    sw_buf_free(&out);
    return sw_xstrdup("");
  }
  if (!out.data) sw_buf_puts(&out, "");
  return sw_buf_steal(&out);
}

char *api_encode_json(const json_t *in) {
  if (!in) return sw_xstrdup("null\n");
  json_t *obj = escape_placeholders(in);
  char *s = json_dumps(obj, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(api_json_real_precision(obj)));
  json_decref(obj);
  if (!s) return sw_xstrdup("null\n");
  char *r = sw_xasprintf("%s\n", s);
  free(s);
  return r;
}
