/*
 * encode.c — objects back to text: YAML like `kubectl get -o yaml` and JSON
 * with two-space indentation.
 *
 * Role in the data flow: the last step of `get -o yaml|json` and of anything
 * that writes a manifest. YAML is emitted with libyaml's emitter in block
 * style, keys in the object's order; a string that would read back as
 * something else (a number, a bool, null, a timestamp) is double-quoted, a
 * multi-line string uses a literal block, and a float always carries a '.' or
 * an exponent, so decode(encode(x)) == x for every object.
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

static void real_text(double d, char *buf, size_t n) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, n, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
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

char *api_encode_yaml(const json_t *obj) {
  sw_buf out;
  sw_buf_init(&out);
  yaml_emitter_t em;
  if (!obj || !yaml_emitter_initialize(&em)) return sw_xstrdup("");
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
  if (!ok) {
    sw_buf_free(&out);
    return sw_xstrdup("");
  }
  if (!out.data) sw_buf_puts(&out, "");
  return sw_buf_steal(&out);
}

char *api_encode_json(const json_t *obj) {
  if (!obj) return sw_xstrdup("null\n");
  char *s = json_dumps(obj, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
  if (!s) return sw_xstrdup("null\n");
  char *r = sw_xasprintf("%s\n", s);
  free(s);
  return r;
}
