/*
 * cmd_apply.c — `spillway apply -f FILE|DIR|- [--set k=v]... [-n NS]`.
 *
 * Role in the data flow: manifests -> api_decode_manifests (locally, so an
 * error names file:line before anything is sent) -> one POST of the whole
 * batch to /apis/spillway.io/v1alpha1/apply, which stores it in one
 * transaction. Prints one line per object as kubectl apply does
 * ("deployment.apps/qwen3 created|configured|unchanged"). Never writes
 * anything when any file fails to decode.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/client.h"

static void usage(void) {
  fprintf(stderr, "usage: spillway apply -f FILE|DIR|- [-f ...] [--set NAME=VALUE]... [-n NAMESPACE]\n"
                  "  Directories apply every *.yaml, *.yml and *.json file in them, in name order.\n"
                  "  ${NAME} placeholders take --set values first, then the environment.\n");
}

int cmd_apply(int argc, char **argv) {
  client_opts co = {0};
  SW_VEC(const char *) fargs = {0};
  SW_VEC(const char *) names = {0};
  SW_VEC(const char *) values = {0};
  SW_VEC(char *) owned = {0};
  const char *ns = NULL;
  int rc = 2;
  for (int i = 1; i < argc;) {
    const char *v;
    int r;
    if ((r = client_common_flag(argc, argv, &i, &co))) {
      if (r < 0) goto out;
      continue;
    }
    if ((r = client_flag_value(argc, argv, &i, "-f", "--filename", &v))) {
      if (r < 0) goto out;
      sw_vec_push(&fargs, v);
      continue;
    }
    if ((r = client_flag_value(argc, argv, &i, "-n", "--namespace", &v))) {
      if (r < 0) goto out;
      ns = v;
      continue;
    }
    if ((r = client_flag_value(argc, argv, &i, NULL, "--set", &v))) {
      if (r < 0) goto out;
      const char *eq = strchr(v, '=');
      if (!eq || eq == v) {
        client_error("--set %s: expected NAME=VALUE", v);
        goto out;
      }
      char *name = sw_xstrndup(v, (size_t)(eq - v));
      sw_vec_push(&owned, name);
      sw_vec_push(&names, name);
      sw_vec_push(&values, eq + 1);
      continue;
    }
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage();
      rc = 0;
      goto out;
    }
    client_error("apply: unexpected argument \"%s\"", argv[i]);
    usage();
    goto out;
  }
  if (fargs.len == 0) {
    client_error("apply: -f FILE|DIR|- is required");
    usage();
    goto out;
  }
  rc = 1;
  /* decode everything first: nothing is sent unless every file is valid */
  api_vars vars = {names.items, values.items, names.len, true};
  json_t *batch = NULL;
  json_t *warnings = json_array();
  sw_err derr;
  if (client_decode_paths(fargs.items, fargs.len, &vars, &batch, warnings, &derr)) {
    client_error("%s", derr.msg);
    json_decref(warnings);
    goto out;
  }
  size_t wi;
  json_t *w;
  json_array_foreach(warnings, wi, w) fprintf(stderr, "Warning: %s\n", json_string_value(w));
  json_decref(warnings);
  if (json_array_size(batch) == 0) {
    client_error("apply: no objects passed to apply");
    json_decref(batch);
    goto out;
  }

  client *c = NULL;
  sw_err err;
  if (client_open(&c, &co, &err)) {
    client_error("%s", err.msg);
    json_decref(batch);
    goto out;
  }
  char *path = NULL;
  if (ns) {
    sw_buf b;
    sw_buf_init(&b);
    sw_buf_puts(&b, "/apis/spillway.io/v1alpha1/apply?namespace=");
    for (const char *p = ns; *p; p++) {
      unsigned char ch = (unsigned char)*p;
      if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.')
        sw_buf_append(&b, p, 1);
      else
        sw_buf_printf(&b, "%%%02X", ch);
    }
    path = sw_buf_steal(&b);
  } else
    path = sw_xstrdup("/apis/spillway.io/v1alpha1/apply");
  json_t *res = client_json(c, "POST", path, batch, "application/json", NULL, &err);
  free(path);
  if (!res) {
    client_error("%s", err.msg);
  } else {
    json_t *items = json_object_get(res, "items"), *acts = json_object_get(res, "actions");
    size_t i;
    json_t *o;
    json_array_foreach(items, i, o) {
      const char *av = json_string_value(json_object_get(o, "apiVersion"));
      const char *slash = av ? strchr(av, '/') : NULL;
      char group[128] = "";
      if (slash) snprintf(group, sizeof group, "%.*s", (int)(slash - av), av);
      char tn[192];
      client_type_name(json_string_value(json_object_get(o, "kind")), group, tn, sizeof tn);
      printf("%s/%s %s\n", tn, json_string_value(json_object_get(json_object_get(o, "metadata"), "name")),
             json_string_value(json_array_get(acts, i)));
    }
    json_decref(res);
    rc = 0;
  }
  client_close(c);
  json_decref(batch);
out:
  for (size_t i = 0; i < owned.len; i++) free(owned.items[i]);
  sw_vec_free(&owned);
  sw_vec_free(&fargs);
  sw_vec_free(&names);
  sw_vec_free(&values);
  return rc;
}
