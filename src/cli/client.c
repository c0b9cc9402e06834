/*
 * client.c — the CLI's HTTP client of the API server (see client.h).
 *
 * Role in the data flow: the client commands' only way to the control plane.
 * Owns: one libcurl easy handle per command run. Never: decodes manifests or
 * formats tables (src/api does), or retries writes behind the user's back.
 *
 * libcurl's easy interface is used because a CLI command is one blocking
 * conversation; the connection is reused between the requests of one command
 * (describe makes several).
 */
#include "cli/client.h"

#include <curl/curl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct client {
  CURL *curl;
  char *server; /* without a trailing slash */
  char *token;  /* may be NULL */
  char *token_source;
  double server_now; /* 0 = unknown */
};

void client_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("spillway: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

char *client_state_dir(const char *flag) {
  if (flag && *flag) return sw_xstrdup(flag);
  const char *e = getenv("SPILLWAY_STATE_DIR");
  if (e && *e) return sw_xstrdup(e);
  e = getenv("XDG_STATE_HOME");
  if (e && *e) return sw_xasprintf("%s/spillway", e);
  const char *home = getenv("HOME");
  return sw_xasprintf("%s/.local/state/spillway", home && *home ? home : ".");
}

/* The first line of a small file, trimmed; NULL when absent or empty. */
static char *read_line_file(const char *dir, const char *name) {
  char *path = sw_xasprintf("%s/%s", dir, name);
  char *text = sw_read_file(path, NULL, NULL);
  free(path);
  if (!text) return NULL;
  text[strcspn(text, "\r\n")] = 0;
  if (!*text) {
    free(text);
    return NULL;
  }
  return text;
}

int client_open(client **out, const client_opts *o, sw_err *err) {
  static bool inited;
  if (!inited) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    inited = true;
  }
  client *c = sw_xcalloc(1, sizeof *c);
  char *dir = client_state_dir(o ? o->state_dir : NULL);
  const char *s = o && o->server ? o->server : getenv("SPILLWAY_SERVER");
  c->server = s && *s ? sw_xstrdup(s) : read_line_file(dir, "server");
  if (!c->server) c->server = sw_xstrdup(CLIENT_DEFAULT_SERVER);
  size_t n = strlen(c->server);
  while (n > 0 && c->server[n - 1] == '/') c->server[--n] = 0;
  if (!sw_has_prefix(c->server, "http://") && !sw_has_prefix(c->server, "https://")) {
    char *x = sw_xasprintf("http://%s", c->server);
    free(c->server);
    c->server = x;
  }
  const char *t = o && o->token ? o->token : getenv("SPILLWAY_TOKEN");
  if (t && *t) {
    c->token = sw_xstrdup(t);
    c->token_source = sw_xstrdup(o && o->token ? "--token" : "SPILLWAY_TOKEN");
  } else {
    c->token = read_line_file(dir, "token");
    c->token_source = sw_xasprintf("%s/token", dir);
  }
  free(dir);
  c->curl = curl_easy_init();
  if (!c->curl) {
    client_close(c);
    return sw_err_set(err, SW_EINTERNAL, "cannot initialise libcurl");
  }
  *out = c;
  return 0;
}

void client_close(client *c) {
  if (!c) return;
  if (c->curl) curl_easy_cleanup(c->curl);
  free(c->server);
  free(c->token);
  free(c->token_source);
  free(c);
}

const char *client_server(const client *c) { return c->server; }

double client_now(const client *c) { return c->server_now > 0 ? c->server_now : sw_wall_now(); }

/* ---- transfers ---- */

typedef struct xfer {
  client *c;
  sw_buf *out;
  /* watch mode: lines are handed to fn as they complete */
  int (*fn)(void *ud, const json_t *ev);
  int (*raw)(void *ud, const char *data, size_t len); /* a plain stream (logs -f) */
  void *ud;
  sw_buf line;
  bool stopped;
  long status;
} xfer;

static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t len = size * n;
  static const char name[] = "X-Spillway-Time:";
  if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
    char buf[64];
    size_t m = len - (sizeof name - 1) < sizeof buf - 1 ? len - (sizeof name - 1) : sizeof buf - 1;
    memcpy(buf, data + sizeof name - 1, m);
    buf[m] = 0;
    double t = strtod(buf, NULL);
    if (t > 0) x->c->server_now = t;
  }
  return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  xfer *x = ud;
  size_t len = size * n;
  if (!x->fn && !x->raw) {
    sw_buf_append(x->out, data, len);
    return len;
  }
  long code = 0;
  curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) { /* an error reply: keep it whole for the message */
    sw_buf_append(x->out, data, len);
    return len;
  }
  if (x->raw) {
    if (x->raw(x->ud, data, len) == 0) return len;
    x->stopped = true;
    return 0;
  }
  for (size_t i = 0; i < len; i++) {
    if (data[i] != '\n') {
      sw_buf_append(&x->line, data + i, 1);
      continue;
    }
    json_t *ev = json_loadb(x->line.data ? x->line.data : "", x->line.len, 0, NULL);
    sw_buf_reset(&x->line);
    if (!ev) continue;
    int stop = x->fn(x->ud, ev);
    json_decref(ev);
    if (stop) {
      x->stopped = true;
      return 0; /* makes curl abort the transfer */
    }
  }
  return len;
}

static int perform(client *c, const char *method, const char *path, const char *ctype, const char *body,
                   size_t len, xfer *x, bool stream, sw_err *err) {
  CURL *h = c->curl;
  curl_easy_reset(h);
  char *url = sw_xasprintf("%s%s", c->server, path);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  /* a watch runs until stopped; other requests get a generous bound (a
   * 2,000-object apply on a sanitizer build takes seconds) */
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, stream ? 0L : 300000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
  struct curl_slist *hs = NULL;
  char *auth = c->token ? sw_xasprintf("Authorization: Bearer %s", c->token) : NULL;
  if (auth) hs = curl_slist_append(hs, auth);
  char *cth = ctype ? sw_xasprintf("Content-Type: %s", ctype) : NULL;
  if (cth) hs = curl_slist_append(hs, cth);
  hs = curl_slist_append(hs, "Accept: application/json");
  hs = curl_slist_append(hs, "Expect:"); /* no 100-continue round trip */
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
  if (body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  }
  CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->status);
  long oserr = 0;
  curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
  curl_slist_free_all(hs);
  free(auth);
  free(cth);
  free(url);
  if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && x->stopped)) return 0;
  if (stream && x->status == 200 && (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR))
    return 0; /* server went */
  const char *why = oserr ? strerror((int)oserr) : curl_easy_strerror(rc);
  char lower[128];
  snprintf(lower, sizeof lower, "%s", why);
  if (lower[0] >= 'A' && lower[0] <= 'Z') lower[0] = (char)(lower[0] - 'A' + 'a');
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_OPERATION_TIMEDOUT ||
      rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR)
    return sw_err_set(err, SW_EUNAVAIL,
                      "the control plane at %s is not answering (%s); start it with `spillway up`", c->server,
                      lower);
  return sw_err_set(err, SW_EUNAVAIL, "request to %s%s failed: %s", c->server, path, curl_easy_strerror(rc));
}

int client_do(client *c, const char *method, const char *path, const char *content_type, const char *body,
              size_t len, long *status, sw_buf *out, sw_err *err) {
  xfer x = {.c = c, .out = out};
  int rc = perform(c, method, path, content_type, body, len, &x, false, err);
  *status = x.status;
  return rc;
}

/* Turns an error reply into one line as kubectl prints it. */
static void reply_error(client *c, long status, const char *body, sw_err *err) {
  json_t *st = json_loads(body ? body : "", 0, NULL);
  const char *msg = json_string_value(json_object_get(st, "message"));
  const char *reason = json_string_value(json_object_get(st, "reason"));
  if (status == 401)
    sw_err_set(err, SW_EINVAL,
               "the control plane at %s refused the token%s%s (401 Unauthorized); pass --token or set "
               "SPILLWAY_TOKEN, or check the state directory",
               c->server, c->token ? " from " : ": no token found in ", c->token_source);
  else if (msg)
    sw_err_set(err,
               status == 404   ? SW_ENOENT
               : status == 409 ? SW_ECONFLICT
                               : SW_EINVAL,
               "Error from server (%s): %s", reason && *reason ? reason : "Unknown", msg);
  else
    sw_err_set(err, SW_EINVAL, "Error from server: HTTP %ld: %.200s", status, body ? body : "");
  json_decref(st);
}

json_t *client_json(client *c, const char *method, const char *path, const json_t *body,
                    const char *content_type, long *status, sw_err *err) {
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  sw_buf out;
  sw_buf_init(&out);
  long st = 0;
  int rc = client_do(c, method, path, body ? (content_type ? content_type : "application/json") : NULL, text,
                     text ? strlen(text) : 0, &st, &out, err);
  free(text);
  if (status) *status = st;
  json_t *res = NULL;
  if (rc == 0) {
    if (st >= 200 && st < 300) {
      json_error_t je;
      res = json_loadb(out.data ? out.data : "", out.len, 0, &je);
      if (!res) sw_err_set(err, SW_EINVAL, "the server's reply is not JSON: %s", je.text);
    } else
      reply_error(c, st, out.data, err);
  }
  sw_buf_free(&out);
  return res;
}

/* A GET whose 200 reply is handed to x's fn or raw as it arrives. */
static int stream_get(client *c, const char *path, xfer *x, sw_err *err) {
  sw_buf out;
  sw_buf_init(&out);
  x->c = c;
  x->out = &out;
  sw_buf_init(&x->line);
  int rc = perform(c, "GET", path, NULL, NULL, 0, x, true, err);
  if (rc == 0 && x->status != 200) {
    reply_error(c, x->status, out.data, err);
    rc = SW_EINVAL;
  }
  sw_buf_free(&x->line);
  sw_buf_free(&out);
  return rc;
}

int client_watch(client *c, const char *path, int (*fn)(void *ud, const json_t *ev), void *ud, sw_err *err) {
  xfer x = {.fn = fn, .ud = ud};
  return stream_get(c, path, &x, err);
}

int client_stream(client *c, const char *path, int (*fn)(void *ud, const char *data, size_t len), void *ud,
                  sw_err *err) {
  xfer x = {.raw = fn, .ud = ud};
  return stream_get(c, path, &x, err);
}

/* ---- paths and names ---- */

static void put_seg(sw_buf *b, const char *s) {
  sw_buf_puts(b, "/");
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
        ch == '.' || ch == '_' || ch == '~')
      sw_buf_append(b, s, 1);
    else
      sw_buf_printf(b, "%%%02X", ch);
  }
}

char *client_path(const api_kind *k, const char *ns, const char *name, const char *sub) {
  sw_buf b;
  sw_buf_init(&b);
  if (k->group && *k->group)
    sw_buf_printf(&b, "/apis/%s/%s", k->group, k->version);
  else
    sw_buf_printf(&b, "/api/%s", k->version);
  if (k->namespaced && ns) {
    sw_buf_puts(&b, "/namespaces");
    put_seg(&b, ns);
  }
  sw_buf_printf(&b, "/%s", k->plural);
  if (name) put_seg(&b, name);
  if (name && sub) sw_buf_printf(&b, "/%s", sub);
  return sw_buf_steal(&b);
}

void client_type_name(const char *kind, const char *group, char *buf, size_t n) {
  snprintf(buf, n, "%s%s%s", kind, group && *group ? "." : "", group && *group ? group : "");
  for (char *p = buf; *p && *p != '.'; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
}

/* ---- flags ---- */

void client_append_query(sw_buf *b, const char *name, const char *value) {
  sw_buf_printf(b, "%c%s=", b->data && strchr(b->data, '?') ? '&' : '?', name);
  for (const char *p = value; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
        ch == '.' || ch == '_')
      sw_buf_append(b, p, 1);
    else
      sw_buf_printf(b, "%%%02X", ch);
  }
}

int client_flag_value(int argc, char **argv, int *i, const char *short_name, const char *long_name,
                      const char **val) {
  const char *a = argv[*i];
  const char *flag = NULL;
  if (short_name && strcmp(a, short_name) == 0)
    flag = short_name;
  else if (long_name && strcmp(a, long_name) == 0)
    flag = long_name;
  if (flag) {
    if (*i + 1 >= argc) {
      fprintf(stderr, "spillway: flag %s needs a value\n", flag);
      return -1;
    }
    *val = argv[++*i];
    (*i)++;
    return 1;
  }
  size_t ln = long_name ? strlen(long_name) : 0;
  if (long_name && strncmp(a, long_name, ln) == 0 && a[ln] == '=') {
    *val = a + ln + 1;
    (*i)++;
    return 1;
  }
  /* "-nfoo" and "-n=foo" for single-letter short flags */
  if (short_name && strlen(short_name) == 2 && strncmp(a, short_name, 2) == 0 && a[2] && a[1] != '-') {
    *val = a[2] == '=' ? a + 3 : a + 2;
    (*i)++;
    return 1;
  }
  return 0;
}

int client_common_flag(int argc, char **argv, int *i, client_opts *o) {
  int r;
  if ((r = client_flag_value(argc, argv, i, NULL, "--server", &o->server))) return r;
  if ((r = client_flag_value(argc, argv, i, NULL, "--token", &o->token))) return r;
  if ((r = client_flag_value(argc, argv, i, NULL, "--state-dir", &o->state_dir))) return r;
  return 0;
}

const api_kind *client_kind_arg(const char *arg, const char **name_out, char *kindbuf, size_t kindbuf_len) {
  *name_out = NULL;
  const char *slash = strchr(arg, '/');
  size_t n = slash ? (size_t)(slash - arg) : strlen(arg);
  if (n >= kindbuf_len) n = kindbuf_len - 1;
  memcpy(kindbuf, arg, n);
  kindbuf[n] = 0;
  /* "deployments.apps" names a kind with its group, as kubectl accepts */
  char *dot = strchr(kindbuf, '.');
  const api_kind *k = api_kind_lookup(kindbuf);
  if (!k && dot) {
    *dot = 0;
    k = api_kind_lookup(kindbuf);
    *dot = '.';
  }
  if (!k) {
    client_error("the server doesn't have a resource type \"%s\"", kindbuf);
    return NULL;
  }
  if (slash) {
    if (!slash[1]) {
      client_error("\"%s\": expected KIND/NAME", arg);
      return NULL;
    }
    *name_out = slash + 1;
  }
  return k;
}

/* ---- manifests from files ---- */

typedef SW_VEC(char *) path_vec;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Expands -f arguments into file names (directories: manifest files in name order). */
static int expand_paths(const char *const *args, size_t n, path_vec *files, sw_err *err) {
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (strcmp(args[i], "-") != 0 && stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      DIR *d = opendir(args[i]);
      if (!d) {
        return sw_err_set(err, SW_EIO, "%s: cannot read the directory", args[i]);
      }
      size_t first = files->len;
      struct dirent *e;
      while ((e = readdir(d)))
        if (e->d_name[0] != '.' && (sw_has_suffix(e->d_name, ".yaml") || sw_has_suffix(e->d_name, ".yml") ||
                                    sw_has_suffix(e->d_name, ".json"))) {
          char *p = sw_xasprintf("%s/%s", args[i], e->d_name);
          sw_vec_push(files, p);
        }
      closedir(d);
      qsort(files->items + first, files->len - first, sizeof(char *), cmp_str);
      if (files->len == first) {
        return sw_err_set(err, SW_EINVAL, "%s: no manifest files (*.yaml, *.yml, *.json) in the directory",
                          args[i]);
      }
    } else {
      char *p = sw_xstrdup(args[i]);
      sw_vec_push(files, p);
    }
  }
  return 0;
}

int client_decode_paths(const char *const *paths, size_t n, const api_vars *vars, json_t **out,
                        json_t *warnings, sw_err *err) {
  path_vec files = {0};
  json_t *batch = json_array();
  int rc = expand_paths(paths, n, &files, err);
  for (size_t i = 0; !rc && i < files.len; i++) {
    size_t len;
    const char *fname = strcmp(files.items[i], "-") == 0 ? "<stdin>" : files.items[i];
    char *text = sw_read_file(files.items[i], &len, err);
    if (!text) {
      rc = err ? err->code : SW_EIO;
      break;
    }
    json_t *objs = NULL;
    rc = api_decode_manifests(fname, text, len, vars, &objs, warnings, err);
    free(text);
    if (!rc) json_array_extend(batch, objs);
    json_decref(objs);
  }
  for (size_t i = 0; i < files.len; i++) free(files.items[i]);
  sw_vec_free(&files);
  if (rc) {
    json_decref(batch);
    batch = NULL;
  }
  *out = batch;
  return rc;
}

/* ---- the shared argument loop ---- */

client *client_connect(const client_opts *o) {
  client *c = NULL;
  sw_err err;
  if (client_open(&c, o, &err)) {
    client_error("%s", err.msg);
    return NULL;
  }
  return c;
}

const char *client_deployment_arg(const client_args *pos, size_t first, const char *cmd, const char *what_else) {
  if (pos->len <= first) {
    client_error("%s: expected deployment NAME or deployment/NAME", cmd);
    return NULL;
  }
  char kindbuf[128];
  const char *name = NULL;
  const api_kind *k = client_kind_arg(pos->items[first], &name, kindbuf, sizeof kindbuf);
  if (!k) return NULL;
  if ((name && pos->len != first + 1) || (!name && pos->len != first + 2)) {
    client_error("%s: expected deployment NAME or deployment/NAME", cmd);
    return NULL;
  }
  if (strcmp(k->kind, "Deployment") != 0) {
    client_error("%s: %s: %s", cmd, k->plural, what_else);
    return NULL;
  }
  return name ? name : pos->items[first + 1];
}

int client_parse_command(int argc, char **argv, const char *cmd, void (*usage)(void), client_opts *co,
                         const char **ns, const char *extra_flag, const char **extra, client_args *pos) {
  for (int i = 1; i < argc;) {
    int r;
    if ((r = client_common_flag(argc, argv, &i, co)) ||
        (r = client_flag_value(argc, argv, &i, "-n", "--namespace", ns)) ||
        (extra_flag && (r = client_flag_value(argc, argv, &i, NULL, extra_flag, extra)))) {
      if (r < 0) return -1;
      continue;
    }
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage();
      return 1;
    }
    if (argv[i][0] == '-' && argv[i][1]) {
      client_error("%s: unknown flag \"%s\"", cmd, argv[i]);
      usage();
      return -1;
    }
    sw_vec_push(pos, argv[i]);
    i++;
  }
  return 0;
}
