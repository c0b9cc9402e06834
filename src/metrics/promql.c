/*
 * promql.c — a PromQL subset: recursive-descent parser with Prometheus'
 * operator precedence, static type checks (scalar / instant vector / range
 * vector / string) at parse time, and an evaluator over one msamples store.
 *
 * Evaluation follows promql/engine.go where it matters for per-pod numbers:
 * instant selectors take the newest point within the lookback unless it is a
 * staleness marker; functions and arithmetic drop __name__; aggregations keep
 * only the grouping labels; histogram_quantile groups by every label but le.
 * All evaluation memory comes from one arena that the result owns.
 */
#include "metrics/promql.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics/mregex.h"
#include "metrics/promfn.h"

/* ---- AST ---------------------------------------------------------------- */

typedef enum { TY_SCALAR, TY_VECTOR, TY_MATRIX, TY_STRING } vtype;
typedef enum { M_EQ, M_NE, M_RE, M_NRE } mop;

typedef struct matcher {
  char *name;
  mop op;
  char *value;
  mregex re;
} matcher;

typedef struct fninfo {
  const char *name;
  const char *args; /* one letter per argument: s scalar, v vector, m matrix */
  vtype ret;
} fninfo;

static const fninfo functions[] = {
    {"rate", "m", TY_VECTOR},
    {"irate", "m", TY_VECTOR},
    {"increase", "m", TY_VECTOR},
    {"delta", "m", TY_VECTOR},
    {"idelta", "m", TY_VECTOR},
    {"avg_over_time", "m", TY_VECTOR},
    {"min_over_time", "m", TY_VECTOR},
    {"max_over_time", "m", TY_VECTOR},
    {"sum_over_time", "m", TY_VECTOR},
    {"count_over_time", "m", TY_VECTOR},
    {"last_over_time", "m", TY_VECTOR},
    {"histogram_quantile", "sv", TY_VECTOR},
    {"abs", "v", TY_VECTOR},
    {"ceil", "v", TY_VECTOR},
    {"floor", "v", TY_VECTOR},
    {"clamp_min", "vs", TY_VECTOR},
    {"clamp_max", "vs", TY_VECTOR},
    {"vector", "s", TY_VECTOR},
    {"scalar", "v", TY_SCALAR},
};

static const char *const unsupported_aggs[] = {"stddev",       "stdvar", "topk",   "bottomk",    "quantile",
                                               "count_values", "group",  "limitk", "limit_ratio"};

typedef enum { N_NUM, N_STR, N_SEL, N_CALL, N_AGG, N_BIN, N_NEG } nkind;

typedef struct node {
  nkind kind;
  vtype type;
  double num;
  char *str;
  matcher *m;
  size_t nm;
  double range; /* > 0: a range selector */
  const fninfo *fn;
  struct node **args;
  size_t nargs;
  char agg[8];
  char **grp;
  size_t ngrp;
  bool without;
  char op;
  struct node *l, *r;
} node;

struct promql_expr {
  node *root;
};

static void node_free(node *n) {
  if (!n) return;
  free(n->str);
  for (size_t i = 0; i < n->nm; i++) {
    free(n->m[i].name);
    free(n->m[i].value);
    mregex_free(&n->m[i].re);
  }
  free(n->m);
  for (size_t i = 0; i < n->nargs; i++) node_free(n->args[i]);
  free(n->args);
  for (size_t i = 0; i < n->ngrp; i++) free(n->grp[i]);
  free(n->grp);
  node_free(n->l);
  node_free(n->r);
  free(n);
}

void promql_free(promql_expr *e) {
  if (!e) return;
  node_free(e->root);
  free(e);
}

/* ---- lexer -------------------------------------------------------------- */

typedef enum {
  T_EOF,
  T_IDENT,
  T_NUM,
  T_STR,
  T_LPAREN,
  T_RPAREN,
  T_LBRACE,
  T_RBRACE,
  T_LBRACK,
  T_RBRACK,
  T_COMMA,
  T_ASSIGN,
  T_NE,
  T_RE,
  T_NRE,
  T_EQL,
  T_ADD,
  T_SUB,
  T_MUL,
  T_DIV,
  T_MOD,
  T_POW,
  T_LT,
  T_GT,
  T_LE,
  T_GE,
  T_COLON,
  T_AT,
  T_BAD
} ttype;

typedef struct {
  ttype t;
  const char *s; /* token text in the input */
  size_t n;
  size_t col; /* 1-based */
  double num;
  char *str; /* unescaped string literal (owned by the lexer until taken) */
} token;

typedef struct {
  const char *text;
  size_t pos;
  token tok;
  sw_err *err;
  bool failed;
  int depth; /* recursion guard: a rules file is outside input */
} parser;

static int perr(parser *P, size_t col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(parser *P, size_t col, const char *fmt, ...) {
  if (P->failed) return -1;
  char msg[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sw_err_set(P->err, SW_EINVAL, "at column %zu: %s", col, msg);
  P->failed = true;
  return -1;
}

static const char *tok_desc(const token *t, char *buf, size_t n) {
  if (t->t == T_EOF) return "end of input";
  snprintf(buf, n, "\"%.*s\"", (int)(t->n > 40 ? 40 : t->n), t->s);
  return buf;
}

static bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
static bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

static void utf8_put(sw_buf *b, unsigned long cp) {
  char o[4];
  size_t n;
  if (cp < 0x80)
    o[0] = (char)cp, n = 1;
  else if (cp < 0x800)
    o[0] = (char)(0xc0 | (cp >> 6)), o[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
  else if (cp < 0x10000)
    o[0] = (char)(0xe0 | (cp >> 12)), o[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
    o[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
  else
    o[0] = (char)(0xf0 | (cp >> 18)), o[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), o[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
  sw_buf_append(b, o, n);
}

/* A string literal starting at s (quote char included); Go's unquoting. */
static int lex_string(parser *P, const char *s, size_t col) {
  char q = *s;
  sw_buf b;
  sw_buf_init(&b);
  const char *p = s + 1;
  for (;;) {
    if (!*p || (*p == '\n' && q != '`')) {
      sw_buf_free(&b);
      return perr(P, col, "unterminated string literal");
    }
    if (*p == q) {
      p++;
      break;
    }
    if (*p == '\\' && q != '`') {
      char e = p[1];
      const char *simple = NULL;
      switch (e) {
      case '\\':
        simple = "\\";
        break;
      case '"':
        simple = "\"";
        break;
      case '\'':
        simple = "'";
        break;
      case 'n':
        simple = "\n";
        break;
      case 't':
        simple = "\t";
        break;
      case 'r':
        simple = "\r";
        break;
      case 'a':
        simple = "\a";
        break;
      case 'b':
        simple = "\b";
        break;
      case 'f':
        simple = "\f";
        break;
      case 'v':
        simple = "\v";
        break;
      default:
        break;
      }
      if (simple) {
        sw_buf_append(&b, simple, 1);
        p += 2;
        continue;
      }
      if (e == 'x' || e == 'u' || e == 'U') {
        size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        unsigned long v = 0;
        for (size_t i = 0; i < digits; i++) {
          char h = p[2 + i];
          int d = (h >= '0' && h <= '9')   ? h - '0'
                  : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                  : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                           : -1;
          if (d < 0) {
            sw_buf_free(&b);
            return perr(P, col, "invalid escape \\%c in string literal", e);
          }
          v = v * 16 + (unsigned long)d;
        }
        if (e == 'x') {
          char c = (char)v;
          sw_buf_append(&b, &c, 1);
        } else {
          utf8_put(&b, v);
        }
        p += 2 + digits;
        continue;
      }
      sw_buf_free(&b);
      return perr(P, col, "invalid escape \\%c in string literal", e ? e : ' ');
    }
    sw_buf_append(&b, p, 1);
    p++;
  }
  if (!b.data) sw_buf_puts(&b, "");
  P->tok.str = sw_buf_steal(&b);
  P->tok.n = (size_t)(p - s);
  P->pos = (size_t)(p - P->text);
  return 0;
}

static void lex(parser *P) {
  free(P->tok.str);
  memset(&P->tok, 0, sizeof P->tok);
  const char *t = P->text;
  while (t[P->pos] == ' ' || t[P->pos] == '\t' || t[P->pos] == '\n' || t[P->pos] == '\r') P->pos++;
  const char *s = t + P->pos;
  token *k = &P->tok;
  k->s = s;
  k->col = P->pos + 1;
  k->n = 1;
  if (!*s) {
    k->t = T_EOF;
    k->n = 0;
    return;
  }
  char c = *s, d = s[1];
  if (ident_start(c)) {
    size_t n = 1;
    while (ident_char(s[n])) n++;
    k->n = n;
    if ((n == 3 && (strncasecmp(s, "inf", 3) == 0 || strncasecmp(s, "nan", 3) == 0))) {
      k->t = T_NUM;
      k->num = strncasecmp(s, "inf", 3) == 0 ? INFINITY : NAN;
    } else {
      k->t = T_IDENT;
    }
    P->pos += n;
    return;
  }
  if ((c >= '0' && c <= '9') || (c == '.' && d >= '0' && d <= '9')) {
    char *e;
    k->num = strtod(s, &e);
    k->t = T_NUM;
    k->n = (size_t)(e - s);
    P->pos += k->n;
    return;
  }
  if (c == '"' || c == '\'' || c == '`') {
    k->t = T_STR;
    if (lex_string(P, s, k->col) != 0) k->t = T_BAD;
    return;
  }
  k->n = 1;
  switch (c) {
  case '(':
    k->t = T_LPAREN;
    break;
  case ')':
    k->t = T_RPAREN;
    break;
  case '{':
    k->t = T_LBRACE;
    break;
  case '}':
    k->t = T_RBRACE;
    break;
  case '[':
    k->t = T_LBRACK;
    break;
  case ']':
    k->t = T_RBRACK;
    break;
  case ',':
    k->t = T_COMMA;
    break;
  case '+':
    k->t = T_ADD;
    break;
  case '-':
    k->t = T_SUB;
    break;
  case '*':
    k->t = T_MUL;
    break;
  case '/':
    k->t = T_DIV;
    break;
  case '%':
    k->t = T_MOD;
    break;
  case '^':
    k->t = T_POW;
    break;
  case ':':
    k->t = T_COLON;
    break;
  case '@':
    k->t = T_AT;
    break;
  case '=':
    if (d == '=')
      k->t = T_EQL, k->n = 2;
    else if (d == '~')
      k->t = T_RE, k->n = 2;
    else
      k->t = T_ASSIGN;
    break;
  case '!':
    if (d == '=')
      k->t = T_NE, k->n = 2;
    else if (d == '~')
      k->t = T_NRE, k->n = 2;
    else
      k->t = T_BAD;
    break;
  case '<':
    if (d == '=')
      k->t = T_LE, k->n = 2;
    else
      k->t = T_LT;
    break;
  case '>':
    if (d == '=')
      k->t = T_GE, k->n = 2;
    else
      k->t = T_GT;
    break;
  default:
    k->t = T_BAD;
    break;
  }
  P->pos += k->n;
}

static bool tok_is(const parser *P, const char *word) {
  return P->tok.t == T_IDENT && P->tok.n == strlen(word) && strncmp(P->tok.s, word, P->tok.n) == 0;
}

static int expect(parser *P, ttype t, const char *what) {
  char b[64];
  if (P->tok.t != t) return perr(P, P->tok.col, "expected %s, got %s", what, tok_desc(&P->tok, b, sizeof b));
  lex(P);
  return 0;
}

/* ---- parser --------------------------------------------------------------- */

static node *new_node(nkind k, vtype t) {
  node *n = sw_xcalloc(1, sizeof *n);
  n->kind = k;
  n->type = t;
  return n;
}

static node *parse_expr(parser *P, int minprec);

/* Prometheus model.ParseDuration: [0-9]+(y|w|d|h|m|s|ms) repeated, units in
 * decreasing order. */
static int parse_duration(const char *s, size_t n, double *out) {
  static const struct {
    const char *u;
    double sec;
  } units[] = {{"y", 365 * 86400.0}, {"w", 7 * 86400.0}, {"d", 86400.0}, {"h", 3600.0},
               {"m", 60.0},          {"s", 1.0},         {"ms", 0.001}};
  double total = 0;
  size_t i = 0, last_unit = 0;
  bool any = false;
  while (i < n) {
    size_t st = i;
    double v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    if (i == st) return -1;
    size_t u;
    bool found = false;
    for (u = 0; u < sizeof units / sizeof units[0]; u++) {
      size_t ul = strlen(units[u].u);
      bool longer_ms = (u == 4 && i + 1 < n && s[i] == 'm' && s[i + 1] == 's');
      if (i + ul <= n && strncmp(s + i, units[u].u, ul) == 0 && !longer_ms) {
        found = true;
        break;
      }
    }
    if (!found || (any && u <= last_unit)) return -1;
    last_unit = u;
    any = true;
    i += strlen(units[u].u);
    total += v * units[u].sec;
  }
  if (!any || total <= 0) return -1;
  *out = total;
  return 0;
}

static int add_matcher(parser *P, node *sel, const char *name, size_t nn, mop op, const char *value,
                       size_t col) {
  sel->m = sw_xrealloc(sel->m, (sel->nm + 1) * sizeof *sel->m);
  matcher *m = &sel->m[sel->nm];
  memset(m, 0, sizeof *m);
  sel->nm++;
  m->name = sw_xstrndup(name, nn);
  m->op = op;
  m->value = sw_xstrdup(value);
  if (op == M_RE || op == M_NRE) {
    sw_err e;
    if (mregex_compile(&m->re, value, true, &e) != 0) return perr(P, col, "%s", e.msg);
  }
  return 0;
}

static node *parse_selector(parser *P, const char *name, size_t nn, size_t col) {
  node *sel = new_node(N_SEL, TY_VECTOR);
  if (name && add_matcher(P, sel, "__name__", 8, M_EQ, "", col) == 0) {
    free(sel->m[0].value);
    sel->m[0].value = sw_xstrndup(name, nn);
  }
  if (P->tok.t == T_LBRACE) {
    lex(P);
    while (!P->failed && P->tok.t != T_RBRACE) {
      char b[64];
      if (P->tok.t != T_IDENT) {
        perr(P, P->tok.col, "expected a label name in the selector, got %s", tok_desc(&P->tok, b, sizeof b));
        break;
      }
      const char *ln = P->tok.s;
      size_t lnn = P->tok.n;
      for (size_t i = 0; i < lnn; i++)
        if (ln[i] == ':') {
          perr(P, P->tok.col, "label name \"%.*s\" may not contain ':'", (int)lnn, ln);
          break;
        }
      if (P->failed) break;
      lex(P);
      mop op;
      switch (P->tok.t) {
      case T_ASSIGN:
        op = M_EQ;
        break;
      case T_NE:
        op = M_NE;
        break;
      case T_RE:
        op = M_RE;
        break;
      case T_NRE:
        op = M_NRE;
        break;
      default:
        perr(P, P->tok.col, "expected =, !=, =~ or !~ after label name \"%.*s\", got %s", (int)lnn, ln,
             tok_desc(&P->tok, b, sizeof b));
        continue;
      }
      lex(P);
      if (P->tok.t != T_STR) {
        perr(P, P->tok.col, "expected a quoted string as the value of label \"%.*s\", got %s", (int)lnn, ln,
             tok_desc(&P->tok, b, sizeof b));
        break;
      }
      if (add_matcher(P, sel, ln, lnn, op, P->tok.str, P->tok.col) != 0) break;
      lex(P);
      if (P->tok.t == T_COMMA)
        lex(P);
      else if (P->tok.t != T_RBRACE)
        perr(P, P->tok.col, "expected ',' or '}' in the selector, got %s", tok_desc(&P->tok, b, sizeof b));
    }
    if (!P->failed) lex(P); /* '}' */
  }
  if (!P->failed) {
    bool nonempty = false;
    for (size_t i = 0; i < sel->nm; i++) {
      const matcher *m = &sel->m[i];
      bool matches_empty = m->op == M_EQ   ? m->value[0] == 0
                           : m->op == M_NE ? m->value[0] != 0
                           : m->op == M_RE ? mregex_match(&m->re, "")
                                           : !mregex_match(&m->re, "");
      if (!matches_empty) nonempty = true;
    }
    if (!nonempty)
      perr(P, col, "a selector needs a metric name or a matcher that does not match the empty string");
  }
  return sel;
}

static int parse_grouping(parser *P, node *agg) {
  agg->without = tok_is(P, "without");
  lex(P);
  if (expect(P, T_LPAREN, "'(' after by/without") != 0) return -1;
  while (P->tok.t != T_RPAREN) {
    char b[64];
    if (P->tok.t != T_IDENT)
      return perr(P, P->tok.col, "expected a label name in the grouping, got %s",
                  tok_desc(&P->tok, b, sizeof b));
    agg->grp = sw_xrealloc(agg->grp, (agg->ngrp + 1) * sizeof *agg->grp);
    agg->grp[agg->ngrp++] = sw_xstrndup(P->tok.s, P->tok.n);
    lex(P);
    if (P->tok.t == T_COMMA)
      lex(P);
    else if (P->tok.t != T_RPAREN)
      return perr(P, P->tok.col, "expected ',' or ')' in the grouping, got %s",
                  tok_desc(&P->tok, b, sizeof b));
  }
  lex(P);
  return 0;
}

static const char *type_name(vtype t) {
  switch (t) {
  case TY_SCALAR:
    return "a scalar";
  case TY_VECTOR:
    return "an instant vector";
  case TY_MATRIX:
    return "a range vector";
  default:
    return "a string";
  }
}

static node *parse_agg(parser *P, const char *name, size_t nn, size_t col) {
  node *a = new_node(N_AGG, TY_VECTOR);
  snprintf(a->agg, sizeof a->agg, "%.*s", (int)nn, name);
  bool grouped = false;
  if (tok_is(P, "by") || tok_is(P, "without")) {
    if (parse_grouping(P, a) != 0) return a;
    grouped = true;
  }
  if (expect(P, T_LPAREN, "'(' after the aggregation") != 0) return a;
  a->l = parse_expr(P, 0);
  if (P->failed) return a;
  if (a->l->type != TY_VECTOR)
    return perr(P, col, "%s expects an instant vector, got %s", a->agg, type_name(a->l->type)), a;
  if (expect(P, T_RPAREN, "')' closing the aggregation") != 0) return a;
  if (tok_is(P, "by") || tok_is(P, "without")) {
    if (grouped) return perr(P, P->tok.col, "a second by/without clause"), a;
    parse_grouping(P, a);
  }
  return a;
}

static node *parse_call(parser *P, const fninfo *fn, size_t col) {
  node *c = new_node(N_CALL, fn->ret);
  c->fn = fn;
  lex(P); /* '(' */
  size_t want = strlen(fn->args);
  while (!P->failed && P->tok.t != T_RPAREN) {
    node *a = parse_expr(P, 0);
    c->args = sw_xrealloc(c->args, (c->nargs + 1) * sizeof *c->args);
    c->args[c->nargs++] = a;
    if (P->failed) return c;
    if (P->tok.t == T_COMMA)
      lex(P);
    else if (P->tok.t != T_RPAREN) {
      char b[64];
      perr(P, P->tok.col, "expected ',' or ')' in the arguments of %s, got %s", fn->name,
           tok_desc(&P->tok, b, sizeof b));
      return c;
    }
  }
  if (P->failed) return c;
  lex(P);
  if (c->nargs != want) {
    perr(P, col, "%s takes %zu argument%s, got %zu", fn->name, want, want == 1 ? "" : "s", c->nargs);
    return c;
  }
  for (size_t i = 0; i < want; i++) {
    vtype t = fn->args[i] == 's' ? TY_SCALAR : fn->args[i] == 'v' ? TY_VECTOR : TY_MATRIX;
    if (c->args[i]->type != t) {
      perr(P, col, "argument %zu of %s must be %s, got %s", i + 1, fn->name, type_name(t),
           type_name(c->args[i]->type));
      return c;
    }
  }
  return c;
}

static node *parse_primary(parser *P) {
  char b[64];
  token t = P->tok;
  if (t.t == T_NUM) {
    node *n = new_node(N_NUM, TY_SCALAR);
    n->num = t.num;
    lex(P);
    return n;
  }
  if (t.t == T_STR) {
    node *n = new_node(N_STR, TY_STRING);
    n->str = P->tok.str;
    P->tok.str = NULL;
    lex(P);
    return n;
  }
  if (t.t == T_LPAREN) {
    lex(P);
    node *n = parse_expr(P, 0);
    if (!P->failed) expect(P, T_RPAREN, "')'");
    return n;
  }
  if (t.t == T_LBRACE) return parse_selector(P, NULL, 0, t.col);
  if (t.t == T_IDENT) {
    lex(P);
    bool call = P->tok.t == T_LPAREN;
    static const char *const aggs[] = {"sum", "avg", "min", "max", "count"};
    for (size_t i = 0; i < sizeof aggs / sizeof aggs[0]; i++)
      if (t.n == strlen(aggs[i]) && strncmp(t.s, aggs[i], t.n) == 0 &&
          (call || tok_is(P, "by") || tok_is(P, "without")))
        return parse_agg(P, t.s, t.n, t.col);
    for (size_t i = 0; i < sizeof unsupported_aggs / sizeof unsupported_aggs[0]; i++)
      if (t.n == strlen(unsupported_aggs[i]) && strncmp(t.s, unsupported_aggs[i], t.n) == 0 && call) {
        perr(P, t.col, "the aggregation %.*s is not supported without a Prometheus server", (int)t.n, t.s);
        return new_node(N_NUM, TY_SCALAR);
      }
    if (call) {
      for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (t.n == strlen(functions[i].name) && strncmp(t.s, functions[i].name, t.n) == 0)
          return parse_call(P, &functions[i], t.col);
      perr(P, t.col, "the function %.*s is not supported without a Prometheus server", (int)t.n, t.s);
      return new_node(N_NUM, TY_SCALAR);
    }
    static const char *const kw[] = {"by",   "without", "and",      "or",         "unless",     "offset",
                                     "bool", "on",      "ignoring", "group_left", "group_right"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
      if (t.n == strlen(kw[i]) && strncmp(t.s, kw[i], t.n) == 0) {
        perr(P, t.col, "unexpected keyword \"%s\"", kw[i]);
        return new_node(N_NUM, TY_SCALAR);
      }
    return parse_selector(P, t.s, t.n, t.col);
  }
  perr(P, t.col, "expected an expression, got %s", tok_desc(&t, b, sizeof b));
  return new_node(N_NUM, TY_SCALAR);
}

static node *parse_postfix(parser *P) {
  node *n = parse_primary(P);
  if (P->failed) return n;
  if (P->tok.t == T_LBRACK) {
    size_t col = P->tok.col;
    if (n->kind != N_SEL || n->range > 0) return perr(P, col, "a range [...] must follow a selector"), n;
    const char *s = P->text + P->pos;
    const char *e = strchr(s, ']');
    const char *colon = memchr(s, ':', e ? (size_t)(e - s) : strlen(s));
    if (!e) return perr(P, col, "unterminated range [..."), n;
    if (colon) return perr(P, col, "subqueries are not supported without a Prometheus server"), n;
    while (s < e && *s == ' ') s++;
    const char *ee = e;
    while (ee > s && ee[-1] == ' ') ee--;
    if (parse_duration(s, (size_t)(ee - s), &n->range) != 0)
      return perr(P, col + 1, "expected a duration such as 1m or 30s in [...], got \"%.*s\"", (int)(ee - s),
                  s),
             n;
    P->pos = (size_t)(e + 1 - P->text);
    n->type = TY_MATRIX;
    lex(P);
  }
  if (tok_is(P, "offset") || P->tok.t == T_AT)
    perr(P, P->tok.col, "offset and @ modifiers are not supported without a Prometheus server");
  return n;
}

static int binop_prec(const token *t, char *op) {
  switch (t->t) {
  case T_ADD:
    *op = '+';
    return 4;
  case T_SUB:
    *op = '-';
    return 4;
  case T_MUL:
    *op = '*';
    return 5;
  case T_DIV:
    *op = '/';
    return 5;
  case T_MOD:
    *op = '%';
    return 5;
  case T_POW:
    *op = '^';
    return 6;
  case T_EQL:
  case T_NE:
  case T_LT:
  case T_GT:
  case T_LE:
  case T_GE:
    *op = '?';
    return 3;
  default:
    break;
  }
  if (t->t == T_IDENT &&
      ((t->n == 3 && (!strncmp(t->s, "and", 3))) || (t->n == 2 && !strncmp(t->s, "or", 2)) ||
       (t->n == 6 && !strncmp(t->s, "unless", 6)))) {
    *op = '&';
    return 1;
  }
  return -1;
}

static node *parse_unary(parser *P) {
  if (P->tok.t == T_SUB || P->tok.t == T_ADD) {
    bool neg = P->tok.t == T_SUB;
    size_t col = P->tok.col;
    lex(P);
    node *x = parse_expr(P, 6);
    if (P->failed || !neg) return x;
    if (x->type != TY_SCALAR && x->type != TY_VECTOR)
      return perr(P, col, "unary minus needs a number or vector"), x;
    node *n = new_node(N_NEG, x->type);
    n->l = x;
    return n;
  }
  return parse_postfix(P);
}

static node *parse_expr(parser *P, int minprec) {
  if (++P->depth > 200) {
    perr(P, P->tok.col, "the expression is nested too deeply");
    P->depth--;
    return new_node(N_NUM, TY_SCALAR);
  }
  node *lhs = parse_unary(P);
  while (!P->failed) {
    char op;
    int prec = binop_prec(&P->tok, &op);
    if (prec < 0 || prec < minprec) break;
    size_t col = P->tok.col;
    if (op == '?' || op == '&') {
      perr(P, col, "the operator \"%.*s\" is not supported without a Prometheus server", (int)P->tok.n,
           P->tok.s);
      break;
    }
    lex(P);
    if (tok_is(P, "bool") || tok_is(P, "on") || tok_is(P, "ignoring")) {
      perr(P, P->tok.col, "vector matching modifiers are not supported without a Prometheus server");
      break;
    }
    node *rhs = parse_expr(P, op == '^' ? prec : prec + 1);
    node *b = new_node(N_BIN, TY_SCALAR);
    b->op = op;
    b->l = lhs;
    b->r = rhs;
    lhs = b;
    if (P->failed) break;
    for (int side = 0; side < 2; side++) {
      vtype t = side ? rhs->type : b->l->type;
      if (t != TY_SCALAR && t != TY_VECTOR) {
        perr(P, col, "binary %c needs numbers or instant vectors, got %s", op, type_name(t));
        break;
      }
    }
    b->type = (b->l->type == TY_VECTOR || rhs->type == TY_VECTOR) ? TY_VECTOR : TY_SCALAR;
  }
  P->depth--;
  return lhs;
}

static int parse_top(const char *text, promql_expr **out, sw_err *err, bool selector_only) {
  parser P = {.text = text, .err = err};
  *out = NULL;
  lex(&P);
  node *root = selector_only ? parse_postfix(&P) : parse_expr(&P, 0);
  char b[64];
  if (!P.failed && P.tok.t != T_EOF)
    perr(&P, P.tok.col, "unexpected %s after the expression", tok_desc(&P.tok, b, sizeof b));
  if (!P.failed && selector_only && (root->kind != N_SEL || root->range > 0))
    perr(&P, 1, "expected a series selector such as name{label=\"value\"}");
  if (!P.failed && (root->type == TY_MATRIX || root->type == TY_STRING))
    perr(&P, 1, "the expression must be a number or an instant vector, not %s", type_name(root->type));
  free(P.tok.str);
  if (P.failed) {
    node_free(root);
    return SW_EINVAL;
  }
  *out = sw_xcalloc(1, sizeof **out);
  (*out)->root = root;
  return 0;
}

int promql_parse(const char *text, promql_expr **out, sw_err *err) {
  return parse_top(text, out, err, false);
}
int promql_parse_selector(const char *text, promql_expr **out, sw_err *err) {
  return parse_top(text, out, err, true);
}

static double max_range(const node *n) {
  if (!n) return 0;
  double r = n->range;
  for (size_t i = 0; i < n->nargs; i++) r = fmax(r, max_range(n->args[i]));
  return fmax(r, fmax(max_range(n->l), max_range(n->r)));
}
double promql_max_range(const promql_expr *e) { return e ? max_range(e->root) : 0; }

/* ---- matching --------------------------------------------------------------- */

static const char *label_lookup(const char *lname, const char *name, const promtext_label *labels, size_t n,
                                const promtext_label *target, size_t nt) {
  if (strcmp(lname, "__name__") == 0) return name;
  for (size_t i = 0; i < nt; i++)
    if (strcmp(target[i].name, lname) == 0) return target[i].value;
  for (size_t i = 0; i < n; i++)
    if (strcmp(labels[i].name, lname) == 0) return labels[i].value;
  return "";
}

static bool matchers_ok(const node *sel, const char *name, const promtext_label *labels, size_t n,
                        const promtext_label *target, size_t nt) {
  for (size_t i = 0; i < sel->nm; i++) {
    const matcher *m = &sel->m[i];
    const char *v = label_lookup(m->name, name, labels, n, target, nt);
    bool ok;
    switch (m->op) {
    case M_EQ:
      ok = strcmp(v, m->value) == 0;
      break;
    case M_NE:
      ok = strcmp(v, m->value) != 0;
      break;
    case M_RE:
      ok = mregex_match(&m->re, v);
      break;
    default:
      ok = !mregex_match(&m->re, v);
      break;
    }
    if (!ok) return false;
  }
  return true;
}

bool promql_selector_matches(const promql_expr *sel, const char *name, const promtext_label *labels, size_t n,
                             const promtext_label *target, size_t nt) {
  return sel && sel->root->kind == N_SEL && matchers_ok(sel->root, name, labels, n, target, nt);
}

/* ---- evaluation ------------------------------------------------------------- */

typedef struct {
  promtext_label *l;
  size_t n;
  double v;
} elem;

typedef struct {
  vtype type;
  double scalar;
  elem *e;
  size_t n;
  /* matrix: the selected series */
  size_t *series;
  promtext_label **series_labels;
  size_t *series_nlabels;
  double range;
} val;

typedef struct {
  const msamples *s;
  const promtext_label *target;
  size_t nt;
  double now, lookback;
  sw_arena *a;
  char *why;
  size_t why_len;
  double *pt, *pv; /* scratch for points */
  size_t pcap;
} ectx;

static void set_why(ectx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_why(ectx *c, const char *fmt, ...) {
  if (c->why[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->why, c->why_len, fmt, ap);
  va_end(ap);
}

/* The series' full label set: target labels, then exposed labels they do not
 * override, then __name__. */
static promtext_label *series_labels(ectx *c, const msamples_series *ms, size_t *n) {
  promtext_label *l = sw_arena_alloc(c->a, (c->nt + ms->n_labels + 1) * sizeof *l);
  size_t k = 0;
  for (size_t i = 0; i < c->nt; i++) l[k++] = c->target[i];
  for (size_t i = 0; i < ms->n_labels; i++) {
    bool shadowed = false;
    for (size_t j = 0; j < c->nt; j++)
      if (strcmp(c->target[j].name, ms->labels[i].name) == 0) shadowed = true;
    if (!shadowed) l[k++] = ms->labels[i];
  }
  l[k].name = "__name__";
  l[k].value = ms->name;
  *n = k + 1;
  return l;
}

static void describe_selector(const node *sel, char *buf, size_t n) {
  size_t k = 0;
  const char *name = NULL;
  for (size_t i = 0; i < sel->nm; i++)
    if (sel->m[i].op == M_EQ && strcmp(sel->m[i].name, "__name__") == 0) name = sel->m[i].value;
  k += (size_t)snprintf(buf + k, n - k, "%s{", name ? name : "");
  bool first = true;
  static const char *const ops[] = {"=", "!=", "=~", "!~"};
  for (size_t i = 0; i < sel->nm && k < n; i++) {
    if (name && sel->m[i].op == M_EQ && strcmp(sel->m[i].name, "__name__") == 0) continue;
    k += (size_t)snprintf(buf + k, n - k, "%s%s%s\"%s\"", first ? "" : ",", sel->m[i].name, ops[sel->m[i].op],
                          sel->m[i].value);
    first = false;
  }
  if (k < n) snprintf(buf + k, n - k, "}");
}

typedef SW_VEC(size_t) idvec;

static void select_series(ectx *c, const node *sel, idvec *out) {
  const char *name = NULL;
  for (size_t i = 0; i < sel->nm; i++)
    if (sel->m[i].op == M_EQ && strcmp(sel->m[i].name, "__name__") == 0) name = sel->m[i].value;
  if (name) {
    for (size_t i = msamples_first_named(c->s, name); i != SIZE_MAX; i = msamples_next_same_name(c->s, i)) {
      const msamples_series *ms = msamples_series_at(c->s, i);
      if (matchers_ok(sel, ms->name, ms->labels, ms->n_labels, c->target, c->nt)) sw_vec_push(out, i);
    }
    return;
  }
  for (size_t i = 0; i < msamples_n_series(c->s); i++) {
    const msamples_series *ms = msamples_series_at(c->s, i);
    if (matchers_ok(sel, ms->name, ms->labels, ms->n_labels, c->target, c->nt)) sw_vec_push(out, i);
  }
}

static void push_elem(ectx *c, val *v, promtext_label *l, size_t n, double x, size_t *cap) {
  if (v->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    elem *e = sw_arena_alloc(c->a, nc * sizeof *e);
    if (v->n) memcpy(e, v->e, v->n * sizeof *e);
    v->e = e;
    *cap = nc;
  }
  v->e[v->n].l = l;
  v->e[v->n].n = n;
  v->e[v->n].v = x;
  v->n++;
}

static promtext_label *drop_name(ectx *c, const promtext_label *l, size_t n, size_t *out_n) {
  promtext_label *r = sw_arena_alloc(c->a, (n ? n : 1) * sizeof *r);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(l[i].name, "__name__") != 0) r[k++] = l[i];
  *out_n = k;
  return r;
}

static int cmp_label(const void *a, const void *b) {
  return strcmp(((const promtext_label *)a)->name, ((const promtext_label *)b)->name);
}

/* A label set's identity: sorted name=value pairs, skipping `skip` (may be NULL). */
static char *signature(ectx *c, const promtext_label *l, size_t n, const char *skip) {
  promtext_label tmp[64];
  promtext_label *t = n <= 64 ? tmp : sw_arena_alloc(c->a, n * sizeof *t);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(l[i].name, "__name__") != 0 && (!skip || strcmp(l[i].name, skip) != 0)) t[k++] = l[i];
  qsort(t, k, sizeof *t, cmp_label);
  size_t len = 1;
  for (size_t i = 0; i < k; i++) len += strlen(t[i].name) + strlen(t[i].value) + 2;
  char *s = sw_arena_alloc(c->a, len);
  char *w = s;
  for (size_t i = 0; i < k; i++) {
    size_t a = strlen(t[i].name), b = strlen(t[i].value);
    memcpy(w, t[i].name, a);
    w += a;
    *w++ = '\x01';
    memcpy(w, t[i].value, b);
    w += b;
    *w++ = '\x02';
  }
  *w = 0;
  return s;
}

static int eval(ectx *c, const node *n, val *out, sw_err *err);

static void ensure_points(ectx *c, size_t need) {
  if (need <= c->pcap) return;
  c->pt = sw_arena_alloc(c->a, need * sizeof *c->pt);
  c->pv = sw_arena_alloc(c->a, need * sizeof *c->pv);
  c->pcap = need;
}

static int eval_selector(ectx *c, const node *n, val *out) {
  idvec ids = {0};
  select_series(c, n, &ids);
  char desc[256];
  if (ids.len == 0) {
    describe_selector(n, desc, sizeof desc);
    set_why(c, "no series matches %s", desc);
  }
  if (n->range > 0) {
    out->type = TY_MATRIX;
    out->range = n->range;
    out->n = ids.len;
    out->series = sw_arena_alloc(c->a, (ids.len ? ids.len : 1) * sizeof *out->series);
    out->series_labels = sw_arena_alloc(c->a, (ids.len ? ids.len : 1) * sizeof *out->series_labels);
    out->series_nlabels = sw_arena_alloc(c->a, (ids.len ? ids.len : 1) * sizeof *out->series_nlabels);
    for (size_t i = 0; i < ids.len; i++) {
      out->series[i] = ids.items[i];
      out->series_labels[i] =
          series_labels(c, msamples_series_at(c->s, ids.items[i]), &out->series_nlabels[i]);
    }
    sw_vec_free(&ids);
    return 0;
  }
  out->type = TY_VECTOR;
  size_t cap = 0;
  for (size_t i = 0; i < ids.len; i++) {
    double v, t;
    const msamples_series *ms = msamples_series_at(c->s, ids.items[i]);
    if (!msamples_latest(c->s, ids.items[i], &v, &t)) {
      describe_selector(n, desc, sizeof desc);
      set_why(c, "%s is stale (%s)", desc,
              msamples_last_ok(c->s) ? "absent from the last scrape" : "the last scrape failed");
      continue;
    }
    if (c->now - t > c->lookback) {
      describe_selector(n, desc, sizeof desc);
      set_why(c, "the newest point of %s is %.0f s old, older than the lookback of %.0f s", desc, c->now - t,
              c->lookback);
      continue;
    }
    size_t nl;
    promtext_label *l = series_labels(c, ms, &nl);
    push_elem(c, out, l, nl, v, &cap);
  }
  sw_vec_free(&ids);
  return 0;
}

static int eval_range_fn(ectx *c, const node *n, const val *m, val *out) {
  const char *fn = n->fn->name;
  out->type = TY_VECTOR;
  size_t cap = 0;
  ensure_points(c, msamples_depth(c->s));
  for (size_t i = 0; i < m->n; i++) {
    size_t np = msamples_range(c->s, m->series[i], c->now - m->range, c->now, c->pt, c->pv, c->pcap);
    double r;
    bool ok;
    if (!strcmp(fn, "rate") || !strcmp(fn, "increase") || !strcmp(fn, "delta"))
      ok = promfn_extrapolated_rate(c->pt, c->pv, np, c->now - m->range, c->now, strcmp(fn, "delta") != 0,
                                    !strcmp(fn, "rate"), &r);
    else if (!strcmp(fn, "irate") || !strcmp(fn, "idelta"))
      ok = promfn_instant_rate(c->pt, c->pv, np, !strcmp(fn, "irate"), &r);
    else {
      char op[8];
      snprintf(op, sizeof op, "%.*s", (int)(strchr(fn, '_') - fn), fn);
      ok = promfn_over_time(op, c->pv, np, &r);
    }
    if (!ok) {
      const msamples_series *ms = msamples_series_at(c->s, m->series[i]);
      set_why(c, "%s(%s[%gs]) needs %s points in the window, found %zu", fn, ms->name, m->range,
              strstr(fn, "_over_time") ? "1 or more" : "2 or more", np);
      continue;
    }
    size_t nl;
    promtext_label *l = drop_name(c, m->series_labels[i], m->series_nlabels[i], &nl);
    if (!strcmp(fn, "last_over_time")) l = m->series_labels[i], nl = m->series_nlabels[i];
    push_elem(c, out, l, nl, r, &cap);
  }
  return 0;
}

static int eval_quantile(ectx *c, double q, const val *v, val *out) {
  out->type = TY_VECTOR;
  size_t cap = 0;
  size_t ng = 0;
  char **sigs = sw_arena_alloc(c->a, (v->n ? v->n : 1) * sizeof *sigs);
  size_t *gfirst = sw_arena_alloc(c->a, (v->n ? v->n : 1) * sizeof *gfirst);
  size_t *group_of = sw_arena_alloc(c->a, (v->n ? v->n : 1) * sizeof *group_of);
  for (size_t i = 0; i < v->n; i++) {
    char *sig = signature(c, v->e[i].l, v->e[i].n, "le");
    size_t g;
    for (g = 0; g < ng; g++)
      if (strcmp(sigs[g], sig) == 0) break;
    if (g == ng) {
      sigs[ng] = sig;
      gfirst[ng] = i;
      ng++;
    }
    group_of[i] = g;
  }
  promfn_bucket *b = sw_arena_alloc(c->a, (v->n ? v->n : 1) * sizeof *b);
  for (size_t g = 0; g < ng; g++) {
    size_t nb = 0;
    for (size_t i = 0; i < v->n; i++) {
      if (group_of[i] != g) continue;
      const char *le = NULL;
      for (size_t k = 0; k < v->e[i].n; k++)
        if (!strcmp(v->e[i].l[k].name, "le")) le = v->e[i].l[k].value;
      double ub;
      if (!le || !promtext_parse_float(le, strlen(le), &ub)) continue;
      b[nb].upper = ub;
      b[nb].count = v->e[i].v;
      nb++;
    }
    if (!nb) continue;
    double r = promfn_bucket_quantile(q, b, nb);
    const elem *e0 = &v->e[gfirst[g]];
    promtext_label *l = sw_arena_alloc(c->a, (e0->n ? e0->n : 1) * sizeof *l);
    size_t nl = 0;
    for (size_t k = 0; k < e0->n; k++)
      if (strcmp(e0->l[k].name, "le") && strcmp(e0->l[k].name, "__name__")) l[nl++] = e0->l[k];
    push_elem(c, out, l, nl, r, &cap);
  }
  if (v->n && !out->n) set_why(c, "histogram_quantile found no series with an \"le\" label");
  return 0;
}

static double arith(char op, double a, double b) {
  switch (op) {
  case '+':
    return a + b;
  case '-':
    return a - b;
  case '*':
    return a * b;
  case '/':
    return a / b;
  case '%':
    return fmod(a, b);
  default:
    return pow(a, b);
  }
}

static int eval_agg(ectx *c, const node *n, const val *v, val *out) {
  out->type = TY_VECTOR;
  size_t cap = 0;
  size_t ng = 0;
  char **sigs = sw_arena_alloc(c->a, (v->n ? v->n : 1) * sizeof *sigs);
  double *cnt = sw_arena_alloc(c->a, (v->n ? v->n : 1) * sizeof *cnt);
  for (size_t i = 0; i < v->n; i++) {
    /* the group's label set */
    promtext_label *l = sw_arena_alloc(c->a, (v->e[i].n ? v->e[i].n : 1) * sizeof *l);
    size_t nl = 0;
    for (size_t k = 0; k < v->e[i].n; k++) {
      const char *name = v->e[i].l[k].name;
      bool listed = false;
      for (size_t g = 0; g < n->ngrp; g++)
        if (!strcmp(n->grp[g], name)) listed = true;
      bool keep = n->without ? (!listed && strcmp(name, "__name__") != 0) : listed;
      if (keep) l[nl++] = v->e[i].l[k];
    }
    char *sig = signature(c, l, nl, NULL);
    size_t g;
    for (g = 0; g < ng; g++)
      if (!strcmp(sigs[g], sig)) break;
    double x = v->e[i].v;
    if (g == ng) {
      sigs[ng++] = sig;
      cnt[g] = 1;
      push_elem(c, out, l, nl, !strcmp(n->agg, "count") ? 1 : x, &cap);
      continue;
    }
    double *acc = &out->e[g].v;
    cnt[g] += 1;
    if (!strcmp(n->agg, "sum"))
      *acc += x;
    else if (!strcmp(n->agg, "count"))
      *acc += 1;
    else if (!strcmp(n->agg, "avg"))
      *acc += (x - *acc) / cnt[g]; /* running mean */
    else if (!strcmp(n->agg, "max")) {
      if (x > *acc || isnan(*acc)) *acc = x;
    } else if (!strcmp(n->agg, "min")) {
      if (x < *acc || isnan(*acc)) *acc = x;
    }
  }
  return 0;
}

static int eval(ectx *c, const node *n, val *out, sw_err *err) {
  memset(out, 0, sizeof *out);
  switch (n->kind) {
  case N_NUM:
    out->type = TY_SCALAR;
    out->scalar = n->num;
    return 0;
  case N_STR:
    out->type = TY_STRING;
    return 0;
  case N_SEL:
    return eval_selector(c, n, out);
  case N_NEG: {
    val x;
    if (eval(c, n->l, &x, err) != 0) return -1;
    *out = x;
    if (x.type == TY_SCALAR) out->scalar = -x.scalar;
    for (size_t i = 0; i < x.n; i++) {
      out->e[i].v = -x.e[i].v;
      out->e[i].l = drop_name(c, x.e[i].l, x.e[i].n, &out->e[i].n);
    }
    return 0;
  }
  case N_AGG: {
    val x;
    if (eval(c, n->l, &x, err) != 0) return -1;
    return eval_agg(c, n, &x, out);
  }
  case N_CALL: {
    val a[2];
    for (size_t i = 0; i < n->nargs; i++)
      if (eval(c, n->args[i], &a[i], err) != 0) return -1;
    const char *fn = n->fn->name;
    if (n->fn->args[0] == 'm') return eval_range_fn(c, n, &a[0], out);
    if (!strcmp(fn, "histogram_quantile")) return eval_quantile(c, a[0].scalar, &a[1], out);
    if (!strcmp(fn, "vector")) {
      out->type = TY_VECTOR;
      size_t cap = 0;
      push_elem(c, out, NULL, 0, a[0].scalar, &cap);
      return 0;
    }
    if (!strcmp(fn, "scalar")) {
      out->type = TY_SCALAR;
      out->scalar = a[0].n == 1 ? a[0].e[0].v : NAN;
      return 0;
    }
    *out = a[0];
    for (size_t i = 0; i < out->n; i++) {
      double x = out->e[i].v;
      if (!strcmp(fn, "abs"))
        x = fabs(x);
      else if (!strcmp(fn, "ceil"))
        x = ceil(x);
      else if (!strcmp(fn, "floor"))
        x = floor(x);
      else if (!strcmp(fn, "clamp_min"))
        x = fmax(x, a[1].scalar);
      else if (!strcmp(fn, "clamp_max"))
        x = fmin(x, a[1].scalar);
      out->e[i].v = x;
      out->e[i].l = drop_name(c, out->e[i].l, out->e[i].n, &out->e[i].n);
    }
    return 0;
  }
  case N_BIN: {
    val l, r;
    if (eval(c, n->l, &l, err) != 0 || eval(c, n->r, &r, err) != 0) return -1;
    if (l.type == TY_SCALAR && r.type == TY_SCALAR) {
      out->type = TY_SCALAR;
      out->scalar = arith(n->op, l.scalar, r.scalar);
      return 0;
    }
    out->type = TY_VECTOR;
    size_t cap = 0;
    if (l.type == TY_SCALAR || r.type == TY_SCALAR) {
      const val *v = l.type == TY_VECTOR ? &l : &r;
      for (size_t i = 0; i < v->n; i++) {
        double x =
            l.type == TY_VECTOR ? arith(n->op, v->e[i].v, r.scalar) : arith(n->op, l.scalar, v->e[i].v);
        size_t nl;
        promtext_label *lb = drop_name(c, v->e[i].l, v->e[i].n, &nl);
        push_elem(c, out, lb, nl, x, &cap);
      }
      return 0;
    }
    /* one-to-one matching on all labels but __name__ */
    for (size_t i = 0; i < l.n; i++) {
      char *sl = signature(c, l.e[i].l, l.e[i].n, NULL);
      for (size_t j = 0; j < r.n; j++) {
        if (strcmp(sl, signature(c, r.e[j].l, r.e[j].n, NULL)) != 0) continue;
        size_t nl;
        promtext_label *lb = drop_name(c, l.e[i].l, l.e[i].n, &nl);
        push_elem(c, out, lb, nl, arith(n->op, l.e[i].v, r.e[j].v), &cap);
        break;
      }
    }
    if (l.n && r.n && !out->n) set_why(c, "no series on the two sides of %c have the same labels", n->op);
    return 0;
  }
  }
  return sw_err_set(err, SW_EINTERNAL, "promql: unknown node");
}

int promql_eval(const promql_expr *e, const msamples *s, const promtext_label *target, size_t nt, double now,
                double lookback, promql_result *out, sw_err *err) {
  memset(out, 0, sizeof *out);
  sw_arena *a = sw_arena_new(4096);
  out->priv = a;
  ectx c = {.s = s,
            .target = target,
            .nt = nt,
            .now = now,
            .lookback = lookback,
            .a = a,
            .why = out->why,
            .why_len = sizeof out->why};
  val v;
  if (eval(&c, e->root, &v, err) != 0) return SW_EINVAL;
  if (v.type == TY_SCALAR) {
    out->is_scalar = true;
    out->scalar = v.scalar;
    return 0;
  }
  /* copy label strings into the arena so the result outlives the store's next ingest */
  out->n = v.n;
  out->elems = sw_arena_alloc(a, (v.n ? v.n : 1) * sizeof *out->elems);
  for (size_t i = 0; i < v.n; i++) {
    promtext_label *l = sw_arena_alloc(a, (v.e[i].n ? v.e[i].n : 1) * sizeof *l);
    for (size_t k = 0; k < v.e[i].n; k++) {
      l[k].name = sw_arena_strdup(a, v.e[i].l[k].name);
      l[k].value = sw_arena_strdup(a, v.e[i].l[k].value);
    }
    out->elems[i].labels = l;
    out->elems[i].n_labels = v.e[i].n;
    out->elems[i].value = v.e[i].v;
  }
  if (v.n) out->why[0] = 0;
  return 0;
}

void promql_result_free(promql_result *r) {
  if (r && r->priv) sw_arena_free(r->priv);
  if (r) r->priv = NULL;
}

void promql_quote(sw_buf *out, const char *s) {
  sw_buf_append(out, "\"", 1);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') sw_buf_append(out, "\\", 1);
    if (*s == '\n')
      sw_buf_puts(out, "\\n");
    else
      sw_buf_append(out, s, 1);
  }
  sw_buf_append(out, "\"", 1);
}
