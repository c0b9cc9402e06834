/*
 * command.c — shell word splitting (no evaluation), vLLM command detection,
 * port rewriting and Kubernetes $(VAR) expansion. Pure and total over any
 * input: no I/O, no clock, no globals.
 */
#include "cluster/command.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCRIPT (256 * 1024)
#define MAX_WORDS 8192

/* ---- shell splitting ------------------------------------------------------ */

typedef struct lexer {
  const char *s;
  size_t i;
  json_t *vars; /* shell variables visible to $NAME: env, then assignments and exports */
  sw_err *err;
  size_t nwords;
  bool quoted; /* the word being read had quotes: kept even when empty */
} lexer;

static bool is_name_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool is_name_char(char c) { return isalnum((unsigned char)c) || c == '_'; }
static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
static bool is_op(char c) { return c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')'; }

static const char *var_value(lexer *lx, const char *name) {
  const char *v = json_string_value(json_object_get(lx->vars, name));
  return v ? v : "";
}

/* Expands the $... at lx->i (which points at '$') into b. */
static int expand_dollar(lexer *lx, sw_buf *b) {
  const char *s = lx->s;
  size_t i = lx->i + 1;
  if (s[i] == '(')
    return sw_err_set(lx->err, SW_EINVAL, "offset %zu: command substitution $(...) is not supported", lx->i);
  if (s[i] == '{') {
    size_t start = i + 1, j = start;
    while (s[j] && is_name_char(s[j])) j++;
    if (j == start)
      return sw_err_set(lx->err, SW_EINVAL, "offset %zu: expected a variable name after ${", lx->i);
    char *name = sw_xstrndup(s + start, j - start);
    const char *val = var_value(lx, name);
    char *def = NULL;
    if (s[j] == ':' && s[j + 1] == '-') {
      size_t k = j + 2;
      while (s[k] && s[k] != '}') k++;
      def = sw_xstrndup(s + j + 2, k - j - 2);
      j = k;
    } else if (s[j] == '-') {
      size_t k = j + 1;
      while (s[k] && s[k] != '}') k++;
      if (!json_object_get(lx->vars, name)) def = sw_xstrndup(s + j + 1, k - j - 1);
      j = k;
    }
    if (s[j] != '}') {
      free(name);
      free(def);
      return sw_err_set(lx->err, SW_EINVAL, "offset %zu: expected } to close ${", lx->i);
    }
    sw_buf_puts(b, (def && !*val) ? def : val);
    free(name);
    free(def);
    lx->i = j + 1;
    return 0;
  }
  if (is_name_start(s[i])) {
    size_t j = i;
    while (s[j] && is_name_char(s[j])) j++;
    char *name = sw_xstrndup(s + i, j - i);
    sw_buf_puts(b, var_value(lx, name));
    free(name);
    lx->i = j;
    return 0;
  }
  if (s[i] && (isdigit((unsigned char)s[i]) || strchr("?#@*$!-", s[i]))) {
    lx->i = i + 1; /* positional and special parameters are empty here */
    return 0;
  }
  sw_buf_puts(b, "$");
  lx->i = i;
  return 0;
}

/* Reads one word at lx->i (not a blank or operator). */
static int read_word(lexer *lx, sw_buf *b) {
  const char *s = lx->s;
  while (s[lx->i] && !is_blank(s[lx->i]) && !is_op(s[lx->i])) {
    char c = s[lx->i];
    if (c == '\\') {
      if (s[lx->i + 1] == '\n')
        lx->i += 2;
      else if (s[lx->i + 1]) {
        sw_buf_append(b, &s[lx->i + 1], 1);
        lx->i += 2;
      } else
        lx->i++;
    } else if (c == '\'') {
      lx->quoted = true;
      const char *end = strchr(s + lx->i + 1, '\'');
      if (!end) return sw_err_set(lx->err, SW_EINVAL, "offset %zu: unterminated single quote", lx->i);
      sw_buf_append(b, s + lx->i + 1, (size_t)(end - (s + lx->i + 1)));
      lx->i = (size_t)(end - s) + 1;
    } else if (c == '"') {
      lx->quoted = true;
      size_t open = lx->i++;
      for (;;) {
        char d = s[lx->i];
        if (!d) return sw_err_set(lx->err, SW_EINVAL, "offset %zu: unterminated double quote", open);
        if (d == '"') {
          lx->i++;
          break;
        }
        if (d == '\\' && s[lx->i + 1] && strchr("$`\"\\\n", s[lx->i + 1])) {
          if (s[lx->i + 1] != '\n') sw_buf_append(b, &s[lx->i + 1], 1);
          lx->i += 2;
        } else if (d == '$') {
          int r = expand_dollar(lx, b);
          if (r) return r;
        } else if (d == '`') {
          return sw_err_set(lx->err, SW_EINVAL, "offset %zu: command substitution `...` is not supported",
                            lx->i);
        } else {
          sw_buf_append(b, &d, 1);
          lx->i++;
        }
      }
    } else if (c == '$') {
      int r = expand_dollar(lx, b);
      if (r) return r;
    } else if (c == '`') {
      return sw_err_set(lx->err, SW_EINVAL, "offset %zu: command substitution `...` is not supported", lx->i);
    } else {
      sw_buf_append(b, &c, 1);
      lx->i++;
    }
  }
  return 0;
}

/* NAME=value ? (name part must be a valid name) */
static bool is_assignment(const char *w, size_t *eq) {
  if (!is_name_start(w[0])) return false;
  size_t i = 1;
  while (is_name_char(w[i])) i++;
  if (w[i] != '=') return false;
  *eq = i;
  return true;
}

/* Ends the current command: leading NAME=value words become assignments;
 * `export NAME=value` updates the variables for what follows. */
static void finish_command(lexer *lx, json_t *cmds, json_t *words) {
  if (json_array_size(words) == 0) {
    json_decref(words);
    return;
  }
  json_t *assign = json_object();
  json_t *rest = json_array();
  size_t i = 0, eq;
  for (; i < json_array_size(words); i++) {
    const char *w = json_string_value(json_array_get(words, i));
    if (!is_assignment(w, &eq)) break;
    char *name = sw_xstrndup(w, eq);
    json_object_set_new(assign, name, json_string(w + eq + 1));
    free(name);
  }
  for (; i < json_array_size(words); i++) json_array_append(rest, json_array_get(words, i));
  if (json_array_size(rest) == 0) {
    /* plain assignments: shell variables for the rest of the script */
    json_object_update(lx->vars, assign);
  } else if (sw_streq(json_string_value(json_array_get(rest, 0)), "export")) {
    for (size_t j = 1; j < json_array_size(rest); j++) {
      const char *w = json_string_value(json_array_get(rest, j));
      if (!is_assignment(w, &eq)) continue;
      char *name = sw_xstrndup(w, eq);
      json_object_set_new(lx->vars, name, json_string(w + eq + 1));
      free(name);
    }
  }
  json_array_append_new(cmds, json_pack("{s:o,s:o}", "words", rest, "assign", assign));
  json_decref(words);
}

int cluster_shell_split(const char *script, const json_t *env, json_t **out, sw_err *err) {
  *out = NULL;
  if (!script) return sw_err_set(err, SW_EINVAL, "script: expected a string");
  if (strlen(script) > MAX_SCRIPT)
    return sw_err_set(err, SW_EINVAL, "script: longer than %d bytes", MAX_SCRIPT);
  lexer lx = {script, 0, json_is_object(env) ? json_deep_copy(env) : json_object(), err, 0, false};
  json_t *cmds = json_array();
  json_t *words = json_array();
  sw_buf b;
  sw_buf_init(&b);
  int rc = 0;
  for (;;) {
    while (is_blank(script[lx.i]) || (script[lx.i] == '\\' && script[lx.i + 1] == '\n'))
      lx.i += is_blank(script[lx.i]) ? 1 : 2;
    char c = script[lx.i];
    if (!c) break;
    if (c == '#') {
      while (script[lx.i] && script[lx.i] != '\n') lx.i++;
      continue;
    }
    if (is_op(c)) {
      finish_command(&lx, cmds, words);
      words = json_array();
      lx.i++;
      if ((c == '&' || c == '|') && script[lx.i] == c) lx.i++;
      continue;
    }
    sw_buf_reset(&b);
    lx.quoted = false;
    if ((rc = read_word(&lx, &b))) break;
    if (b.len == 0 && !lx.quoted) continue; /* an empty unquoted expansion makes no word */
    if (++lx.nwords > MAX_WORDS) {
      rc = sw_err_set(err, SW_EINVAL, "script: more than %d words", MAX_WORDS);
      break;
    }
    json_array_append_new(words, json_stringn(b.data ? b.data : "", b.len));
  }
  sw_buf_free(&b);
  if (rc) {
    json_decref(words);
    json_decref(cmds);
  } else {
    finish_command(&lx, cmds, words);
    *out = cmds;
  }
  json_decref(lx.vars);
  return rc;
}

/* ---- vLLM detection ------------------------------------------------------- */

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static bool is_shell(const char *p) {
  const char *b = base_name(p);
  return !strcmp(b, "sh") || !strcmp(b, "bash") || !strcmp(b, "dash") || !strcmp(b, "ash") ||
         !strcmp(b, "zsh");
}

/* A flag word like -c, -ec, -lc: does it carry 'c'? */
static bool is_c_flag(const char *w) {
  if (w[0] != '-' || w[1] == '-' || !w[1]) return false;
  return strchr(w + 1, 'c') != NULL;
}

/* If words (a JSON array) run the vLLM server, sets *start to the index of
 * its first argument and returns true. */
static bool find_vllm(const json_t *words, json_t *assign, size_t *start) {
  size_t n = json_array_size(words), i = 0;
  /* exec / nohup / env [NAME=value...] prefixes */
  for (;;) {
    if (i >= n) return false;
    const char *w = json_string_value(json_array_get(words, i));
    if (!strcmp(w, "exec") || !strcmp(w, "nohup")) {
      i++;
      continue;
    }
    if (!strcmp(base_name(w), "env")) {
      i++;
      size_t eq;
      while (i < n && is_assignment(json_string_value(json_array_get(words, i)), &eq)) {
        const char *a = json_string_value(json_array_get(words, i));
        char *name = sw_xstrndup(a, eq);
        json_object_set_new(assign, name, json_string(a + eq + 1));
        free(name);
        i++;
      }
      continue;
    }
    break;
  }
  const char *w0 = json_string_value(json_array_get(words, i));
  if (!strcmp(base_name(w0), "vllm")) {
    if (i + 1 < n && !strcmp(json_string_value(json_array_get(words, i + 1)), "serve")) {
      *start = i + 2;
      return true;
    }
    return false;
  }
  if (!strncmp(base_name(w0), "python", 6)) {
    for (size_t j = i + 1; j + 1 < n; j++) {
      const char *w = json_string_value(json_array_get(words, j));
      if (strcmp(w, "-m") != 0) continue;
      const char *mod = json_string_value(json_array_get(words, j + 1));
      if (!strcmp(mod, "vllm.entrypoints.openai.api_server") || !strcmp(mod, "vllm.entrypoints.api_server")) {
        *start = j + 2;
        return true;
      }
      return false;
    }
  }
  return false;
}

static int parse_port_value(const char *s) {
  if (!s || !*s) return -1;
  long v = 0;
  for (const char *c = s; *c; c++) {
    if (!isdigit((unsigned char)*c)) return -1;
    v = v * 10 + (*c - '0');
    if (v > 65535) return -1;
  }
  return v >= 1 ? (int)v : -1;
}

/* Copies the server's arguments, dropping --port/--host (and their values):
 * the driver decides where the replica listens. */
static void take_args(const json_t *words, size_t start, cluster_vllm_cmd *out) {
  size_t n = json_array_size(words);
  for (size_t i = start; i < n; i++) {
    const char *w = json_string_value(json_array_get(words, i));
    if (!strcmp(w, "--port") || !strcmp(w, "--host")) {
      if (i + 1 < n) {
        if (!strcmp(w, "--port"))
          out->port = parse_port_value(json_string_value(json_array_get(words, i + 1)));
        i++;
      }
      continue;
    }
    if (!strncmp(w, "--port=", 7)) {
      out->port = parse_port_value(w + 7);
      continue;
    }
    if (!strncmp(w, "--host=", 7)) continue;
    json_array_append_new(out->args, json_string(w));
  }
}

int cluster_vllm_parse(const json_t *command, const json_t *args, const json_t *env, cluster_vllm_cmd *out,
                       sw_err *err) {
  memset(out, 0, sizeof *out);
  out->args = json_array();
  out->env = json_object();
  out->port = -1;
  json_t *argv = json_array();
  size_t i;
  json_t *x;
  json_array_foreach(command, i, x) {
    char *e = cluster_k8s_expand(json_string_value(x), env);
    json_array_append_new(argv, json_string(e));
    free(e);
  }
  json_array_foreach(args, i, x) {
    char *e = cluster_k8s_expand(json_string_value(x), env);
    json_array_append_new(argv, json_string(e));
    free(e);
  }
  int rc = 0;
  size_t n = json_array_size(argv);
  if (n == 0) {
    rc = sw_err_set(err, SW_EINVAL, "container: no command or args to find the vLLM server in");
    goto done;
  }
  const char *a0 = json_string_value(json_array_get(argv, 0));
  if (is_shell(a0)) {
    const char *script = NULL;
    for (size_t j = 1; j < n; j++) {
      const char *w = json_string_value(json_array_get(argv, j));
      if (is_c_flag(w)) {
        script = j + 1 < n ? json_string_value(json_array_get(argv, j + 1)) : NULL;
        break;
      }
      if (w[0] != '-') break;
    }
    if (!script) {
      rc = sw_err_set(err, SW_EINVAL, "container command %s: expected -c SCRIPT", a0);
      goto done;
    }
    json_t *cmds = NULL;
    if ((rc = cluster_shell_split(script, env, &cmds, err))) {
      sw_err_prefix(err, "container command %s -c", a0);
      goto done;
    }
    bool found = false;
    json_array_foreach(cmds, i, x) {
      const json_t *words = json_object_get(x, "words");
      const char *w0 = json_string_value(json_array_get(words, 0));
      if (sw_streq(w0, "export")) {
        for (size_t j = 1; j < json_array_size(words); j++) {
          const char *w = json_string_value(json_array_get(words, j));
          size_t eq;
          if (!is_assignment(w, &eq)) continue;
          char *name = sw_xstrndup(w, eq);
          json_object_set_new(out->env, name, json_string(w + eq + 1));
          free(name);
        }
        continue;
      }
      json_t *assign = json_deep_copy(json_object_get(x, "assign"));
      size_t start;
      if (find_vllm(words, assign, &start)) {
        json_object_update(out->env, assign);
        take_args(words, start, out);
        found = true;
      }
      json_decref(assign);
      if (found) break;
    }
    json_decref(cmds);
    if (!found)
      rc = sw_err_set(err, SW_EINVAL,
                      "container command: no `vllm serve` or `python3 -m vllm.entrypoints.openai.api_server` "
                      "in the %s -c script",
                      a0);
    goto done;
  }
  size_t start;
  if (find_vllm(argv, out->env, &start))
    take_args(argv, start, out);
  else
    rc = sw_err_set(err, SW_EINVAL,
                    "container command: expected `vllm serve MODEL ...` or `python3 -m "
                    "vllm.entrypoints.openai.api_server ...`, got \"%s\"",
                    a0);
done:
  json_decref(argv);
  if (rc) cluster_vllm_free(out);
  return rc;
}

void cluster_vllm_free(cluster_vllm_cmd *c) {
  if (!c) return;
  json_decref(c->args);
  json_decref(c->env);
  c->args = c->env = NULL;
}

/* ---- port rewriting and $(VAR) expansion ---------------------------------- */

char *cluster_port_rewrite(const char *s, int from, int to) {
  char pat[16], rep[16];
  snprintf(pat, sizeof pat, "%d", from);
  snprintf(rep, sizeof rep, "%d", to);
  size_t plen = strlen(pat);
  sw_buf b;
  sw_buf_init(&b);
  sw_buf_puts(&b, "");
  size_t i = 0;
  while (s[i]) {
    if (isdigit((unsigned char)s[i])) {
      size_t j = i;
      while (isdigit((unsigned char)s[j])) j++;
      bool pre_ok = i == 0 || strchr(" \t\n=:'\"", s[i - 1]);
      bool post_ok = !s[j] || strchr(" \t\n'\"/;&|)", s[j]);
      /* "8000.5" / "v8000": the '.'/letter guards are the pre/post checks */
      if (j - i == plen && memcmp(s + i, pat, plen) == 0 && pre_ok && post_ok)
        sw_buf_puts(&b, rep);
      else
        sw_buf_append(&b, s + i, j - i);
      i = j;
      continue;
    }
    sw_buf_append(&b, &s[i], 1);
    i++;
  }
  return sw_buf_steal(&b);
}

char *cluster_k8s_expand(const char *s, const json_t *env) {
  sw_buf b;
  sw_buf_init(&b);
  sw_buf_puts(&b, "");
  if (!s) return sw_buf_steal(&b);
  size_t i = 0;
  while (s[i]) {
    if (s[i] == '$' && s[i + 1] == '$') {
      sw_buf_puts(&b, "$");
      i += 2;
      continue;
    }
    if (s[i] == '$' && s[i + 1] == '(') {
      const char *close = strchr(s + i + 2, ')');
      if (close) {
        char *name = sw_xstrndup(s + i + 2, (size_t)(close - (s + i + 2)));
        const char *v = json_string_value(json_object_get(env, name));
        if (v)
          sw_buf_puts(&b, v);
        else
          sw_buf_append(&b, s + i, (size_t)(close - (s + i)) + 1);
        free(name);
        i = (size_t)(close - s) + 1;
        continue;
      }
    }
    sw_buf_append(&b, &s[i], 1);
    i++;
  }
  return sw_buf_steal(&b);
}
