/*
 * request.c — the pure pieces of request handling: resource paths, query
 * parameters, label and field selectors, token comparison, Status bodies.
 *
 * Role in the data flow: turns the untrusted parts of a request into plain
 * data for apiserver.c. Owns nothing; no I/O, no clock, no globals. Every
 * function here is a parser of outside input and is fuzzed
 * (tests/fuzz/fuzz_apiserver_request.c).
 */
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiserver/apiserver.h"

/* ---- paths ------------------------------------------------------------- */

/* Copies segment [s, s+n) into dst (size cap); false when it does not fit or
 * is empty. */
static bool seg_copy(char *dst, size_t cap, const char *s, size_t n) {
  if (n == 0 || n >= cap) return false;
  /* Kubernetes names, namespaces, groups and plurals are printable ASCII
   * (DNS-style); anything else in a path cannot name an object. */
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) return false;
  memcpy(dst, s, n);
  dst[n] = 0;
  return true;
}

int apiserver_parse_path(const char *path, apiserver_path *out) {
  memset(out, 0, sizeof *out);
  if (!path || path[0] != '/') return -1;
  enum { MAXSEG = 10 };
  const char *seg[MAXSEG];
  size_t len[MAXSEG];
  size_t n = 0;
  const char *p = path + 1;
  while (*p) {
    const char *slash = strchr(p, '/');
    size_t l = slash ? (size_t)(slash - p) : strlen(p);
    if (l == 0) return -1; /* "//" or a trailing slash */
    if (n == MAXSEG) return -1;
    seg[n] = p;
    len[n++] = l;
    p += l;
    if (*p == '/') {
      p++;
      if (!*p) return -1;
    }
  }
#define SEG_IS(i, lit) (len[i] == sizeof(lit) - 1 && memcmp(seg[i], lit, len[i]) == 0)
  size_t i;
  if (n >= 2 && SEG_IS(0, "api")) {
    if (!seg_copy(out->version, sizeof out->version, seg[1], len[1])) return -1;
    i = 2;
  } else if (n >= 3 && SEG_IS(0, "apis")) {
    if (!seg_copy(out->group, sizeof out->group, seg[1], len[1])) return -1;
    if (!seg_copy(out->version, sizeof out->version, seg[2], len[2])) return -1;
    i = 3;
  } else
    return -1;
  if (i == n) return 0; /* discovery */
  if (SEG_IS(i, "namespaces") && n - i >= 3) {
    if (!seg_copy(out->ns, sizeof out->ns, seg[i + 1], len[i + 1])) return -1;
    out->has_ns = true;
    i += 2;
  }
  if (!seg_copy(out->plural, sizeof out->plural, seg[i], len[i])) return -1;
  i++;
  if (i < n) {
    if (!seg_copy(out->name, sizeof out->name, seg[i], len[i])) return -1;
    i++;
  }
  if (i < n) {
    if (!seg_copy(out->sub, sizeof out->sub, seg[i], len[i])) return -1;
    i++;
  }
  if (i != n) return -1;
  /* "." and ".." are never object names (as Kubernetes' path validation) */
  if (strcmp(out->name, ".") == 0 || strcmp(out->name, "..") == 0) return -1;
  if (strcmp(out->ns, ".") == 0 || strcmp(out->ns, "..") == 0) return -1;
  return 0;
#undef SEG_IS
}

/* ---- query ---------------------------------------------------------------- */

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Percent-decodes [s, s+n) into out (cap bytes incl. NUL); truncates. */
static void pct_decode(const char *s, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n && o + 1 < cap; i++) {
    char c = s[i];
    if (c == '+')
      c = ' ';
    else if (c == '%' && i + 2 < n) {
      int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
      if (h >= 0 && l >= 0) {
        c = (char)(h * 16 + l);
        i += 2;
      }
    }
    out[o++] = c;
  }
  if (cap) out[o] = 0;
}

bool apiserver_query_param(const char *query, const char *name, char *out, size_t outlen) {
  if (outlen) out[0] = 0;
  const char *p = query ? query : "";
  size_t nlen = strlen(name);
  char key[128];
  while (*p) {
    const char *amp = strchr(p, '&');
    size_t seg = amp ? (size_t)(amp - p) : strlen(p);
    const char *eq = memchr(p, '=', seg);
    size_t klen = eq ? (size_t)(eq - p) : seg;
    pct_decode(p, klen, key, sizeof key);
    if (strlen(key) == nlen && memcmp(key, name, nlen) == 0) {
      if (eq) pct_decode(eq + 1, seg - klen - 1, out, outlen);
      return true;
    }
    p += seg;
    if (*p == '&') p++;
  }
  return false;
}

/* ---- label selectors ------------------------------------------------------ */

static bool key_char(int c) { return isalnum(c) || c == '.' || c == '_' || c == '-' || c == '/'; }
static bool value_char(int c) { return isalnum(c) || c == '.' || c == '_' || c == '-'; }

static void skip_ws(const char **p) {
  while (**p == ' ' || **p == '\t') (*p)++;
}

static json_t *word(const char **p, bool (*ok)(int)) {
  const char *s = *p;
  while (**p && ok((unsigned char)**p)) (*p)++;
  return json_stringn(s, (size_t)(*p - s));
}

json_t *apiserver_selector_parse(const char *s, sw_err *err) {
  json_t *reqs = json_array();
  const char *p = s ? s : "";
  skip_ws(&p);
  if (!*p) return reqs; /* the empty selector matches everything */
  for (;;) {
    skip_ws(&p);
    const char *start = p;
    bool negate = false;
    if (*p == '!') {
      negate = true;
      p++;
      skip_ws(&p);
    }
    json_t *key = word(&p, key_char);
    if (json_string_length(key) == 0) {
      json_decref(key);
      json_decref(reqs);
      sw_err_set(err, SW_EINVAL, "label selector \"%s\": expected a label key at position %zu", s,
                 (size_t)(start - s) + 1);
      return NULL;
    }
    json_t *req = json_pack("{s:o}", "key", key);
    skip_ws(&p);
    const char *op = NULL;
    if (negate)
      op = "!";
    else if (!*p || *p == ',')
      op = "exists";
    else if (p[0] == '=' && p[1] == '=')
      op = "=", p += 2;
    else if (p[0] == '=')
      op = "=", p += 1;
    else if (p[0] == '!' && p[1] == '=')
      op = "!=", p += 2;
    else if (p[0] == '>')
      op = "gt", p += 1;
    else if (p[0] == '<')
      op = "lt", p += 1;
    else if (strncmp(p, "notin", 5) == 0 && (p[5] == ' ' || p[5] == '('))
      op = "notin", p += 5;
    else if (strncmp(p, "in", 2) == 0 && (p[2] == ' ' || p[2] == '('))
      op = "in", p += 2;
    if (!op) {
      json_decref(req);
      json_decref(reqs);
      sw_err_set(err, SW_EINVAL,
                 "label selector \"%s\": at position %zu: expected one of =, ==, !=, in, notin, <, > or ','",
                 s, (size_t)(p - s) + 1);
      return NULL;
    }
    json_object_set_new(req, "op", json_string(op));
    json_t *values = json_array();
    json_object_set_new(req, "values", values);
    bool bad = false;
    if (!strcmp(op, "=") || !strcmp(op, "!=") || !strcmp(op, "gt") || !strcmp(op, "lt")) {
      skip_ws(&p);
      json_t *v = word(&p, value_char);
      if ((!strcmp(op, "gt") || !strcmp(op, "lt"))) {
        char *end;
        const char *vs = json_string_value(v);
        strtoll(vs, &end, 10);
        if (!*vs || *end) bad = true;
      }
      json_array_append_new(values, v);
    } else if (!strcmp(op, "in") || !strcmp(op, "notin")) {
      skip_ws(&p);
      if (*p != '(')
        bad = true;
      else {
        p++;
        for (;;) {
          skip_ws(&p);
          json_array_append_new(values, word(&p, value_char));
          skip_ws(&p);
          if (*p == ',') {
            p++;
            continue;
          }
          if (*p == ')') {
            p++;
            break;
          }
          bad = true;
          break;
        }
      }
    }
    skip_ws(&p);
    if (!bad && *p && *p != ',') bad = true;
    if (bad) {
      json_decref(req);
      json_decref(reqs);
      sw_err_set(err, SW_EINVAL, "label selector \"%s\": unexpected \"%.20s\" at position %zu", s, p,
                 (size_t)(p - s) + 1);
      return NULL;
    }
    json_array_append_new(reqs, req);
    if (!*p) break;
    p++; /* ',' */
    skip_ws(&p);
    if (!*p) {
      json_decref(reqs);
      sw_err_set(err, SW_EINVAL, "label selector \"%s\": expected a requirement after the last ','", s);
      return NULL;
    }
  }
  return reqs;
}

/* Semantics of k8s.io/apimachinery labels.Requirement.Matches. */
bool apiserver_selector_match(const json_t *selector, const json_t *labels) {
  size_t i;
  const json_t *req;
  json_array_foreach(selector, i, req) {
    const char *key = json_string_value(json_object_get(req, "key"));
    const char *op = json_string_value(json_object_get(req, "op"));
    const json_t *values = json_object_get(req, "values");
    const char *have = json_string_value(json_object_get(labels, key));
    bool has = json_object_get(labels, key) != NULL;
    bool in = false;
    size_t j;
    const json_t *v;
    json_array_foreach(values, j, v) if (have && sw_streq(have, json_string_value(v))) in = true;
    bool ok;
    if (!strcmp(op, "exists"))
      ok = has;
    else if (!strcmp(op, "!"))
      ok = !has;
    else if (!strcmp(op, "=") || !strcmp(op, "in"))
      ok = in;
    else if (!strcmp(op, "!=") || !strcmp(op, "notin"))
      ok = !in;
    else {
      if (!have) return false;
      char *end;
      long long hv = strtoll(have, &end, 10);
      if (!*have || *end) return false;
      long long want = strtoll(json_string_value(json_array_get(values, 0)), NULL, 10);
      ok = !strcmp(op, "gt") ? hv > want : hv < want;
    }
    if (!ok) return false;
  }
  return true;
}

/* ---- field selectors -------------------------------------------------------- */

json_t *apiserver_field_selector_parse(const char *s, sw_err *err) {
  json_t *reqs = json_array();
  const char *p = s ? s : "";
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t seg = comma ? (size_t)(comma - p) : strlen(p);
    const char *op = NULL;
    size_t klen = 0, oplen = 0;
    for (size_t i = 0; i < seg; i++) {
      if (p[i] == '!' && i + 1 < seg && p[i + 1] == '=') {
        op = "!=";
        klen = i;
        oplen = 2;
        break;
      }
      if (p[i] == '=') {
        op = "=";
        klen = i;
        oplen = i + 1 < seg && p[i + 1] == '=' ? 2 : 1;
        break;
      }
    }
    if (!op || klen == 0) {
      json_decref(reqs);
      sw_err_set(err, SW_EINVAL, "field selector \"%s\": expected FIELD=VALUE or FIELD!=VALUE, got \"%.*s\"",
                 s, (int)seg, p);
      return NULL;
    }
    json_t *req = json_pack("{s:s%,s:s,s:s%}", "field", p, klen, "op", op, "value", p + klen + oplen,
                            seg - klen - oplen);
    if (!req) { /* not UTF-8 */
      json_decref(reqs);
      sw_err_set(err, SW_EINVAL, "field selector: expected UTF-8 text");
      return NULL;
    }
    json_array_append_new(reqs, req);
    p += seg;
    if (*p == ',') {
      p++;
      if (!*p) {
        json_decref(reqs);
        sw_err_set(err, SW_EINVAL, "field selector \"%s\": expected a requirement after the last ','", s);
        return NULL;
      }
    }
  }
  return reqs;
}

bool apiserver_field_selector_match(const json_t *selector, const json_t *obj) {
  size_t i;
  const json_t *req;
  json_array_foreach(selector, i, req) {
    const char *field = json_string_value(json_object_get(req, "field"));
    const json_t *v = obj;
    char part[128];
    const char *p = field;
    while (v && *p) {
      const char *dot = strchr(p, '.');
      size_t n = dot ? (size_t)(dot - p) : strlen(p);
      if (n >= sizeof part) {
        v = NULL;
        break;
      }
      memcpy(part, p, n);
      part[n] = 0;
      v = json_object_get(v, part);
      p += n;
      if (*p == '.') p++;
    }
    char buf[64];
    const char *have = "";
    if (json_is_string(v))
      have = json_string_value(v);
    else if (json_is_integer(v))
      snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v)), have = buf;
    else if (json_is_boolean(v))
      have = json_is_true(v) ? "true" : "false";
    bool eq = strcmp(have, json_string_value(json_object_get(req, "value"))) == 0;
    if (strcmp(json_string_value(json_object_get(req, "op")), "=") == 0 ? !eq : eq) return false;
  }
  return true;
}

/* ---- auth ----------------------------------------------------------------- */

bool apiserver_auth_ok(const char *h, const char *token) {
  if (!h || !token || !*token) return false;
  if (strncasecmp(h, "Bearer ", 7) != 0) return false;
  h += 7;
  while (*h == ' ') h++;
  /* Compare digests so neither the content nor the length of the token
   * shows in the timing. */
  unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)h, strlen(h), a);
  SHA256((const unsigned char *)token, strlen(token), b);
  return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

/* ---- Status ---------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p) {
  if (p[0] < 0x80) return 1;
  size_t n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
  if (n == 0 || (n == 2 && p[0] < 0xc2) || (n == 4 && p[0] > 0xf4)) return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80) return 0;
  if (n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))) return 0;
  if (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))) return 0;
  return n;
}

json_t *apiserver_status(int code, const char *reason, const char *message) {
  /* messages quote what the client sent, which need not be UTF-8: invalid
   * bytes become '?' so the Status is always valid JSON */
  sw_buf m;
  sw_buf_init(&m);
  for (const unsigned char *p = (const unsigned char *)(message ? message : ""); *p;) {
    size_t n = utf8_len(p);
    if (n)
      sw_buf_append(&m, p, n), p += n;
    else
      sw_buf_append(&m, "?", 1), p++;
  }
  json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
                         "status", code < 400 ? "Success" : "Failure", "message", m.data ? m.data : "",
                         "reason", reason ? reason : "", "code", code);
  sw_buf_free(&m);
  return st;
}
