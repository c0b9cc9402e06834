/*
 * cmd_get.c — `spillway get KIND [NAME...] [-n NS] [-A] [-o yaml|json|wide|name]
 * [-l SELECTOR] [-w]` and `spillway get --raw PATH`, with kubectl's habits:
 * tables by default (api_table), "No resources found in NS namespace." on
 * stderr for an empty list, -w printing the table and then one row per change.
 *
 * Role in the data flow: a read-only client of the API server. Never writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"

static void usage(void) {
  fprintf(stderr, "usage: spillway get KIND[/NAME] [NAME...] [-n NAMESPACE | -A] [-o yaml|json|wide|name] "
                  "[-l SELECTOR] [-w]\n"
                  "       spillway get --raw PATH\n");
}

typedef enum { OUT_TABLE, OUT_WIDE, OUT_YAML, OUT_JSON, OUT_NAME } out_fmt;

typedef struct get_ctx {
  client *c;
  const api_kind *k;
  out_fmt fmt;
  bool header_printed;
} get_ctx;

static void print_name(const api_kind *k, const json_t *o) {
  char tn[192];
  client_type_name(k->kind, k->group, tn, sizeof tn);
  printf("%s/%s\n", tn, json_string_value(json_object_get(json_object_get(o, "metadata"), "name")));
}

static void print_encoded(out_fmt fmt, const json_t *o, bool doc_separator) {
  char *s = fmt == OUT_YAML ? api_encode_yaml(o) : api_encode_json(o);
  if (doc_separator && fmt == OUT_YAML) fputs("---\n", stdout);
  fputs(s ? s : "", stdout);
  if (s && *s && s[strlen(s) - 1] != '\n') fputc('\n', stdout);
  free(s);
}

/* Prints objects as a table; the header only the first time. */
static void print_rows(get_ctx *g, const json_t *items) {
  char *t = api_table(g->k, items, g->fmt == OUT_WIDE, client_now(g->c));
  if (!t) return;
  const char *body = t;
  if (g->header_printed) {
    const char *nl = strchr(t, '\n');
    body = nl ? nl + 1 : "";
  }
  fputs(body, stdout);
  g->header_printed = true;
  free(t);
}

static void print_items(get_ctx *g, const json_t *items, bool single) {
  size_t i;
  json_t *o;
  switch (g->fmt) {
  case OUT_TABLE:
  case OUT_WIDE:
    print_rows(g, items);
    break;
  case OUT_NAME:
    json_array_foreach(items, i, o) print_name(g->k, o);
    break;
  case OUT_YAML:
  case OUT_JSON:
    if (single)
      print_encoded(g->fmt, json_array_get(items, 0), false);
    else {
      json_t *list = json_pack("{s:s,s:s,s:O,s:{s:s}}", "apiVersion", "v1", "kind", "List", "items", items,
                               "metadata", "resourceVersion", "");
      print_encoded(g->fmt, list, false);
      json_decref(list);
    }
    break;
  }
  fflush(stdout);
}

static int on_watch_event(void *ud, const json_t *ev) {
  get_ctx *g = ud;
  const json_t *obj = json_object_get(ev, "object");
  if (!obj) return 0;
  json_t *one = json_pack("[O]", obj);
  if (g->fmt == OUT_YAML || g->fmt == OUT_JSON)
    print_encoded(g->fmt, obj, true);
  else
    print_items(g, one, true);
  fflush(stdout);
  json_decref(one);
  return 0;
}

static int get_raw(client_opts *co, const char *path) {
  client *c = NULL;
  sw_err err;
  if (client_open(&c, co, &err)) {
    client_error("%s", err.msg);
    return 1;
  }
  sw_buf out;
  sw_buf_init(&out);
  long status = 0;
  int rc = client_do(c, "GET", path, NULL, NULL, 0, &status, &out, &err);
  if (rc) {
    client_error("%s", err.msg);
    rc = 1;
  } else if (status < 200 || status >= 300) {
    json_t *st = json_loads(out.data ? out.data : "", 0, NULL);
    const char *msg = json_string_value(json_object_get(st, "message"));
    const char *reason = json_string_value(json_object_get(st, "reason"));
    if (msg)
      client_error("Error from server (%s): %s", reason ? reason : "Unknown", msg);
    else
      client_error("Error from server: HTTP %ld: %s", status, out.data ? out.data : "");
    json_decref(st);
    rc = 1;
  } else {
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    if (out.len && out.data[out.len - 1] != '\n') fputc('\n', stdout);
  }
  sw_buf_free(&out);
  client_close(c);
  return rc;
}

int cmd_get(int argc, char **argv) {
  client_opts co = {0};
  const char *ns = NULL, *out = NULL, *raw = NULL, *selector = NULL;
  bool all = false, watch = false;
  SW_VEC(const char *) pos = {0};
  int rc = 2;
  for (int i = 1; i < argc;) {
    const char *v;
    int r;
    if ((r = client_common_flag(argc, argv, &i, &co)) ||
        (r = client_flag_value(argc, argv, &i, "-n", "--namespace", &ns)) ||
        (r = client_flag_value(argc, argv, &i, "-o", "--output", &out)) ||
        (r = client_flag_value(argc, argv, &i, "-l", "--selector", &selector)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--raw", &raw))) {
      if (r < 0) goto done;
      continue;
    }
    (void)v;
    const char *a = argv[i];
    if (!strcmp(a, "-A") || !strcmp(a, "--all-namespaces"))
      all = true;
    else if (!strcmp(a, "-w") || !strcmp(a, "--watch"))
      watch = true;
    else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage();
      rc = 0;
      goto done;
    } else if (a[0] == '-' && a[1]) {
      client_error("get: unknown flag \"%s\"", a);
      usage();
      goto done;
    } else
      sw_vec_push(&pos, a);
    i++;
  }
  if (raw) {
    if (pos.len) {
      client_error("get --raw takes a path and no other arguments");
      goto done;
    }
    rc = get_raw(&co, raw);
    goto done;
  }
  if (pos.len == 0) {
    client_error("get: you must specify the type of resource to get (e.g. deployments, pods, fhpa)");
    usage();
    goto done;
  }
  if (strchr(pos.items[0], ',')) {
    /* kubectl's `get deploy,pp,fhpa`: one table per kind, a blank line between */
    if (pos.len > 1 || watch || strchr(pos.items[0], '/')) {
      client_error("get: a comma list of kinds takes no names and no -w");
      goto done;
    }
    char *list = sw_xstrdup(pos.items[0]), *save = NULL;
    char **args = sw_xcalloc((size_t)argc + 1, sizeof *args);
    rc = 0;
    bool first = true;
    for (char *kind = strtok_r(list, ",", &save); kind; kind = strtok_r(NULL, ",", &save)) {
      for (int j = 0; j < argc; j++) args[j] = argv[j] == pos.items[0] ? kind : argv[j];
      if (!first) printf("\n");
      fflush(stdout);
      int r = cmd_get(argc, args);
      if (r > rc) rc = r;
      first = false;
    }
    free(args);
    free(list);
    goto done;
  }
  out_fmt fmt = OUT_TABLE;
  if (out) {
    if (!strcmp(out, "wide"))
      fmt = OUT_WIDE;
    else if (!strcmp(out, "yaml"))
      fmt = OUT_YAML;
    else if (!strcmp(out, "json"))
      fmt = OUT_JSON;
    else if (!strcmp(out, "name"))
      fmt = OUT_NAME;
    else {
      client_error("get: unknown output format \"%s\" (yaml, json, wide, name)", out);
      goto done;
    }
  }
  char kindbuf[128];
  const char *name1 = NULL;
  const api_kind *k = client_kind_arg(pos.items[0], &name1, kindbuf, sizeof kindbuf);
  if (!k) goto done;
  SW_VEC(const char *) names = {0};
  if (name1) sw_vec_push(&names, name1);
  for (size_t i = 1; i < pos.len; i++) sw_vec_push(&names, pos.items[i]);
  if (all && names.len) {
    client_error("get: a resource cannot be retrieved by name across all namespaces");
    sw_vec_free(&names);
    goto done;
  }
  rc = 1;
  const char *qns = k->namespaced ? (all ? NULL : ns ? ns : "default") : NULL;
  client *c = NULL;
  sw_err err;
  if (client_open(&c, &co, &err)) {
    client_error("%s", err.msg);
    sw_vec_free(&names);
    goto done;
  }
  get_ctx g = {c, k, fmt, false};
  json_t *items = json_array();
  char list_rv[32] = "";
  bool failed = false;
  if (names.len) {
    for (size_t i = 0; i < names.len; i++) {
      char *path = client_path(k, qns, names.items[i], NULL);
      json_t *o = client_json(c, "GET", path, NULL, NULL, NULL, &err);
      free(path);
      if (!o) {
        client_error("%s", err.msg);
        failed = true;
        if (err.code == SW_EUNAVAIL) break;
        continue;
      }
      json_array_append_new(items, o);
    }
  } else {
    char *p = client_path(k, qns, NULL, NULL);
    sw_buf path;
    sw_buf_init(&path);
    sw_buf_puts(&path, p);
    free(p);
    if (selector) client_append_query(&path, "labelSelector", selector);
    json_t *list = client_json(c, "GET", path.data, NULL, NULL, NULL, &err);
    sw_buf_free(&path);
    if (!list) {
      client_error("%s", err.msg);
      failed = true;
    } else {
      json_array_extend(items, json_object_get(list, "items"));
      snprintf(list_rv, sizeof list_rv, "%s",
               json_string_value(json_object_get(json_object_get(list, "metadata"), "resourceVersion"))
                   ? json_string_value(json_object_get(json_object_get(list, "metadata"), "resourceVersion"))
                   : "");
      json_decref(list);
    }
  }
  if (!failed || json_array_size(items)) {
    if (json_array_size(items) == 0 && !names.len) {
      if (fmt == OUT_YAML || fmt == OUT_JSON)
        print_items(&g, items, false);
      else if (!watch) {
        if (qns)
          fprintf(stderr, "No resources found in %s namespace.\n", qns);
        else
          fprintf(stderr, "No resources found\n");
      }
    } else
      print_items(&g, items, names.len == 1);
  }
  if (!failed && watch) {
    char *p = client_path(k, qns, NULL, NULL);
    sw_buf path;
    sw_buf_init(&path);
    sw_buf_puts(&path, p);
    free(p);
    client_append_query(&path, "watch", "true");
    if (*list_rv)
      client_append_query(&path, "resourceVersion", list_rv);
    else {
      /* watching named objects: start after the newest one shown */
      unsigned long long maxrv = 0;
      size_t i;
      json_t *o;
      json_array_foreach(items, i, o) {
        const char *rvs =
            json_string_value(json_object_get(json_object_get(o, "metadata"), "resourceVersion"));
        unsigned long long v = rvs ? strtoull(rvs, NULL, 10) : 0;
        if (v > maxrv) maxrv = v;
      }
      char b[32];
      snprintf(b, sizeof b, "%llu", maxrv);
      client_append_query(&path, "resourceVersion", b);
    }
    if (selector) client_append_query(&path, "labelSelector", selector);
    if (names.len == 1) {
      char fs[300];
      snprintf(fs, sizeof fs, "metadata.name=%s", names.items[0]);
      client_append_query(&path, "fieldSelector", fs);
    }
    if (client_watch(c, path.data, on_watch_event, &g, &err)) {
      client_error("%s", err.msg);
      failed = true;
    }
    sw_buf_free(&path);
  }
  rc = failed ? 1 : 0;
  json_decref(items);
  client_close(c);
  sw_vec_free(&names);
done:
  sw_vec_free(&pos);
  return rc;
}
