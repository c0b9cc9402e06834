/*
 * mregex.c — RE2-to-POSIX-ERE translation and Go-style expansion (see
 * mregex.h). The translation is one left-to-right pass that tracks bracket
 * expressions and maps RE2 capture-group numbers to ERE ones.
 */
#include "metrics/mregex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unsupported(sw_err *err, const char *re, const char *what) {
  return sw_err_set(err, SW_EINVAL,
                    "regular expression \"%s\": %s is not supported (spillway runs regexes on POSIX ERE; "
                    "see docs/metrics.md)",
                    re, what);
}

int mregex_compile(mregex *r, const char *re2, bool anchored, sw_err *err) {
  memset(r, 0, sizeof *r);
  sw_buf out;
  sw_buf_init(&out);
  int flags = REG_EXTENDED;
  const char *p = re2;
  size_t ere_groups = 0;
  if (strncmp(p, "(?i)", 4) == 0) {
    flags |= REG_ICASE;
    p += 4;
  }
  if (anchored) {
    sw_buf_puts(&out, "^(");
    ere_groups++;
  }
  bool in_bracket = false;
  size_t bracket_start = 0;
  bool prev_quant = false; /* the last element emitted was a repetition operator */
  long repeat_product = 1;
  while (*p) {
    char c = *p;
    if (!in_bracket && !(c == '*' || c == '+' || c == '?' || c == '{')) prev_quant = false;
    if (in_bracket) {
      if (c == ']' && out.len > bracket_start) {
        in_bracket = false;
        sw_buf_append(&out, "]", 1);
        p++;
        continue;
      }
      if (c == '[' && p[1] == ':') { /* [:class:] */
        const char *e = strstr(p + 2, ":]");
        if (!e) {
          sw_buf_free(&out);
          return unsupported(err, re2, "an unterminated [:class:]");
        }
        sw_buf_append(&out, p, (size_t)(e + 2 - p));
        p = e + 2;
        continue;
      }
      if (c == '\\') {
        char e = p[1];
        if (!e) {
          sw_buf_free(&out);
          return unsupported(err, re2, "a trailing backslash");
        }
        if (e == 'd')
          sw_buf_puts(&out, "0-9");
        else if (e == 'w')
          sw_buf_puts(&out, "A-Za-z0-9_");
        else if (e == 's')
          sw_buf_puts(&out, "[:space:]");
        else if (e == ']' || e == '^' || e == '-' || e == '[') {
          sw_buf_free(&out);
          return unsupported(err, re2, "an escaped ']', '^', '-' or '[' inside [...]");
        } else if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
          char what[48];
          snprintf(what, sizeof what, "the escape \\%c inside [...]", e);
          sw_buf_free(&out);
          return unsupported(err, re2, what);
        } else
          sw_buf_append(&out, &p[1], 1); /* \. \\ etc.: the character itself */
        p += 2;
        continue;
      }
      sw_buf_append(&out, p, 1);
      p++;
      continue;
    }
    if (c == '[') {
      in_bracket = true;
      sw_buf_append(&out, "[", 1);
      p++;
      if (*p == '^') sw_buf_append(&out, "^", 1), p++;
      bracket_start = out.len;
      if (*p == ']') sw_buf_append(&out, "]", 1), p++; /* a leading ']' is literal */
      continue;
    }
    if (c == '\\') {
      char e = p[1];
      const char *rep = NULL;
      switch (e) {
      case 'd':
        rep = "[0-9]";
        break;
      case 'D':
        rep = "[^0-9]";
        break;
      case 'w':
        rep = "[A-Za-z0-9_]";
        break;
      case 'W':
        rep = "[^A-Za-z0-9_]";
        break;
      case 's':
        rep = "[[:space:]]";
        break;
      case 'S':
        rep = "[^[:space:]]";
        break;
      default:
        break;
      }
      if (!e) {
        sw_buf_free(&out);
        return unsupported(err, re2, "a trailing backslash");
      }
      if (rep)
        sw_buf_puts(&out, rep);
      else if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
        char what[32];
        snprintf(what, sizeof what, "the escape \\%c", e);
        sw_buf_free(&out);
        return unsupported(err, re2, what);
      } else
        sw_buf_append(&out, p, 2);
      p += 2;
      continue;
    }
    if (c == '(') {
      if (p[1] == '?') {
        if (p[2] == ':') {
          sw_buf_append(&out, "(", 1);
          ere_groups++;
          p += 3;
          continue;
        }
        if (p[2] == 'P' && p[3] == '<') { /* named group: capturing */
          const char *e = strchr(p, '>');
          if (!e) {
            sw_buf_free(&out);
            return unsupported(err, re2, "an unterminated (?P<name>");
          }
          p = e + 1;
        } else {
          sw_buf_free(&out);
          return unsupported(err, re2, "a (?...) flag group or look-around");
        }
      } else {
        p++;
      }
      sw_buf_append(&out, "(", 1);
      ere_groups++;
      if (r->ngroups >= MREGEX_MAX_GROUPS) {
        sw_buf_free(&out);
        return unsupported(err, re2, "more than 16 groups");
      }
      r->group_map[++r->ngroups] = ere_groups;
      continue;
    }
    if (c == '*' || c == '+' || c == '?' || c == '{') {
      size_t qlen = 1;
      if (c == '{') {
        /* {n}, {n,}, {n,m}: RE2 caps counts at 1000, nested products too
         * (glibc's regcomp would otherwise expand them without bound) */
        const char *q = p + 1;
        long lo = 0, hi = -1;
        bool digits = false;
        while (*q >= '0' && *q <= '9' && lo <= 100000) lo = lo * 10 + (*q++ - '0'), digits = true;
        if (digits && *q == ',') {
          q++;
          if (*q >= '0' && *q <= '9') {
            hi = 0;
            while (*q >= '0' && *q <= '9' && hi <= 100000) hi = hi * 10 + (*q++ - '0');
          }
        } else if (digits) {
          hi = lo;
        }
        if (!digits || *q != '}') { /* not a repetition: a literal brace, as RE2 reads it */
          sw_buf_puts(&out, "\\{");
          prev_quant = false;
          p++;
          continue;
        }
        long count = hi > lo ? hi : lo;
        if (lo > 1000 || hi > 1000 || (hi >= 0 && hi < lo)) {
          sw_buf_free(&out);
          return unsupported(err, re2, "a repeat count above 1000 or out of order");
        }
        repeat_product *= count > 0 ? count : 1;
        if (repeat_product > 1000) {
          sw_buf_free(&out);
          return unsupported(err, re2, "repeat counts multiplying beyond 1000");
        }
        qlen = (size_t)(q + 1 - p);
      }
      if (prev_quant) {
        sw_buf_free(&out);
        return unsupported(err, re2, "a repetition operator applied to a repetition (invalid in RE2 too)");
      }
      sw_buf_append(&out, p, qlen);
      p += qlen;
      if (*p == '?') p++; /* lazy: the same language */
      prev_quant = true;
      continue;
    }
    prev_quant = false;
    sw_buf_append(&out, p, 1);
    p++;
  }
  if (in_bracket) {
    sw_buf_free(&out);
    return unsupported(err, re2, "an unterminated [...]");
  }
  if (anchored) sw_buf_puts(&out, ")$");
  if (!out.data) sw_buf_puts(&out, "");
  int rc = regcomp(&r->re, out.data, flags);
  if (rc != 0) {
    char msg[256];
    regerror(rc, &r->re, msg, sizeof msg);
    sw_buf_free(&out);
    return sw_err_set(err, SW_EINVAL, "regular expression \"%s\": %s", re2, msg);
  }
  sw_buf_free(&out);
  r->compiled = true;
  r->group_map[0] = 0;
  r->source = sw_xstrdup(re2);
  return 0;
}

void mregex_free(mregex *r) {
  if (r->compiled) regfree(&r->re);
  free(r->source);
  memset(r, 0, sizeof *r);
}

bool mregex_match(const mregex *r, const char *s) {
  return r->compiled && regexec(&r->re, s, 0, NULL, 0) == 0;
}

bool mregex_search(const mregex *r, const char *s, regmatch_t m[MREGEX_MAX_GROUPS + 1]) {
  regmatch_t ere[2 * MREGEX_MAX_GROUPS + 2];
  if (!r->compiled || regexec(&r->re, s, sizeof ere / sizeof ere[0], ere, 0) != 0) return false;
  for (size_t i = 0; i <= MREGEX_MAX_GROUPS; i++) {
    if (i <= r->ngroups)
      m[i] = ere[r->group_map[i]];
    else
      m[i].rm_so = m[i].rm_eo = -1;
  }
  return true;
}

void mregex_expand(const mregex *r, sw_buf *out, const char *tmpl, const char *s,
                   const regmatch_t m[MREGEX_MAX_GROUPS + 1]) {
  for (const char *p = tmpl; *p;) {
    if (*p != '$') {
      sw_buf_append(out, p, 1);
      p++;
      continue;
    }
    p++;
    if (*p == '$') {
      sw_buf_append(out, "$", 1);
      p++;
      continue;
    }
    const char *name;
    size_t n = 0;
    if (*p == '{') {
      const char *e = strchr(p, '}');
      if (!e) { /* Go: a malformed reference is copied as "$" */
        sw_buf_append(out, "$", 1);
        continue;
      }
      name = p + 1;
      n = (size_t)(e - name);
      p = e + 1;
    } else {
      name = p;
      while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')
        p++;
      n = (size_t)(p - name);
      if (n == 0) {
        sw_buf_append(out, "$", 1);
        continue;
      }
    }
    bool digits = n > 0 && n < 4;
    for (size_t i = 0; i < n; i++)
      if (name[i] < '0' || name[i] > '9') digits = false;
    if (!digits) continue; /* named groups are not supported; Go would expand an unknown name to "" too */
    size_t g = (size_t)strtoul(name, NULL, 10);
    if (g > r->ngroups || m[g].rm_so < 0) continue;
    sw_buf_append(out, s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
  }
  if (!out->data) sw_buf_puts(out, "");
}

void mregex_quote(sw_buf *out, const char *s) {
  for (; *s; s++) {
    if (strchr("\\.+*?()|[]{}^$", *s)) sw_buf_append(out, "\\", 1);
    sw_buf_append(out, s, 1);
  }
  if (!out->data) sw_buf_puts(out, "");
}
