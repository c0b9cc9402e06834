/*
 * cmd_delete.c — `spillway delete KIND NAME... [-n NS]`, `delete KIND/NAME`
 * and `delete -f FILE|DIR|- [--set k=v]` (the objects the manifests name).
 * Prints `deployment.apps "qwen3" deleted` per object as kubectl does; keeps
 * going past an object that is not there and exits 1 at the end if any was
 * (unless --ignore-not-found).
 *
 * Role in the data flow: a client of the API server; each object is one
 * DELETE (controllers see the deletion through their watches).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"

static void usage(void) {
  fprintf(stderr, "usage: spillway delete KIND NAME... [-n NAMESPACE] [--ignore-not-found]\n"
                  "       spillway delete KIND/NAME...\n"
                  "       spillway delete -f FILE|- [--set NAME=VALUE]...\n");
}

typedef struct del_target {
  const api_kind *k;
  char *ns;
  char *name;
} del_target;

static int delete_one(client *c, const del_target *t, bool ignore_missing) {
  char *path = client_path(t->k, t->k->namespaced ? t->ns : NULL, t->name, NULL);
  sw_err err;
  long status = 0;
  json_t *res = client_json(c, "DELETE", path, NULL, NULL, &status, &err);
  free(path);
  char tn[192];
  client_type_name(t->k->kind, t->k->group, tn, sizeof tn);
  if (res) {
    printf("%s \"%s\" deleted\n", tn, t->name);
    json_decref(res);
    return 0;
  }
  if (status == 404 && ignore_missing) return 0;
  client_error("%s", err.msg);
  return err.code == SW_EUNAVAIL ? -1 : 1;
}

int cmd_delete(int argc, char **argv) {
  client_opts co = {0};
  const char *ns = NULL;
  bool ignore_missing = false;
  SW_VEC(const char *) pos = {0};
  SW_VEC(const char *) fargs = {0};
  SW_VEC(const char *) names = {0};
  SW_VEC(const char *) values = {0};
  SW_VEC(char *) owned = {0};
  SW_VEC(del_target) targets = {0};
  int rc = 2;
  for (int i = 1; i < argc;) {
    const char *v;
    int r;
    if ((r = client_common_flag(argc, argv, &i, &co)) ||
        (r = client_flag_value(argc, argv, &i, "-n", "--namespace", &ns))) {
      if (r < 0) goto done;
      continue;
    }
    if ((r = client_flag_value(argc, argv, &i, "-f", "--filename", &v))) {
      if (r < 0) goto done;
      sw_vec_push(&fargs, v);
      continue;
    }
    if ((r = client_flag_value(argc, argv, &i, NULL, "--set", &v))) {
      if (r < 0) goto done;
      const char *eq = strchr(v, '=');
      if (!eq || eq == v) {
        client_error("--set %s: expected NAME=VALUE", v);
        goto done;
      }
      char *n = sw_xstrndup(v, (size_t)(eq - v));
      sw_vec_push(&owned, n);
      sw_vec_push(&names, n);
      sw_vec_push(&values, eq + 1);
      continue;
    }
    const char *a = argv[i];
    if (!strcmp(a, "--ignore-not-found"))
      ignore_missing = true;
    else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage();
      rc = 0;
      goto done;
    } else if (a[0] == '-' && a[1]) {
      client_error("delete: unknown flag \"%s\"", a);
      usage();
      goto done;
    } else
      sw_vec_push(&pos, a);
    i++;
  }
  if (fargs.len && pos.len) {
    client_error("delete: give either -f FILE or KIND NAME, not both");
    goto done;
  }
  if (!fargs.len && !pos.len) {
    usage();
    goto done;
  }
  const char *defns = ns ? ns : "default";
  if (fargs.len) {
    api_vars vars = {names.items, values.items, names.len, true};
    for (size_t i = 0; i < fargs.len; i++) {
      sw_err err;
      size_t len;
      char *text = sw_read_file(fargs.items[i], &len, &err);
      if (!text) {
        client_error("%s", err.msg);
        rc = 1;
        goto done;
      }
      json_t *objs = NULL;
      sw_err_clear(&err);
      int drc = api_decode_manifests(strcmp(fargs.items[i], "-") ? fargs.items[i] : "<stdin>", text, len,
                                     &vars, &objs, NULL, &err);
      free(text);
      if (drc) {
        client_error("%s", err.msg);
        rc = 1;
        goto done;
      }
      size_t j;
      json_t *o;
      json_array_foreach(objs, j, o) {
        const api_kind *k = api_kind_for(json_string_value(json_object_get(o, "apiVersion")),
                                         json_string_value(json_object_get(o, "kind")));
        if (!k) continue;
        const json_t *meta = json_object_get(o, "metadata");
        const char *ons = json_string_value(json_object_get(meta, "namespace"));
        del_target t = {k, sw_xstrdup(ons && *ons ? ons : defns),
                        sw_xstrdup(json_string_value(json_object_get(meta, "name")))};
        sw_vec_push(&targets, t);
      }
      json_decref(objs);
    }
  } else {
    char kindbuf[128];
    const char *name = NULL;
    const api_kind *k0 = NULL;
    for (size_t i = 0; i < pos.len; i++) {
      if (strchr(pos.items[i], '/')) {
        const api_kind *k = client_kind_arg(pos.items[i], &name, kindbuf, sizeof kindbuf);
        if (!k) goto done;
        del_target t = {k, sw_xstrdup(defns), sw_xstrdup(name)};
        sw_vec_push(&targets, t);
      } else if (!k0 && i == 0) {
        k0 = client_kind_arg(pos.items[i], &name, kindbuf, sizeof kindbuf);
        if (!k0) goto done;
      } else if (k0) {
        del_target t = {k0, sw_xstrdup(defns), sw_xstrdup(pos.items[i])};
        sw_vec_push(&targets, t);
      } else {
        client_error("delete: \"%s\": expected KIND/NAME", pos.items[i]);
        goto done;
      }
    }
    if (k0 && targets.len == 0) {
      client_error("delete: resource(s) were provided, but no name was specified");
      goto done;
    }
  }
  rc = 1;
  client *c = NULL;
  sw_err err;
  if (client_open(&c, &co, &err)) {
    client_error("%s", err.msg);
    goto done;
  }
  int failures = 0;
  for (size_t i = 0; i < targets.len; i++) {
    int r = delete_one(c, &targets.items[i], ignore_missing);
    if (r < 0) {
      failures++;
      break;
    }
    failures += r;
  }
  client_close(c);
  rc = failures ? 1 : 0;
done:
  for (size_t i = 0; i < targets.len; i++) free(targets.items[i].ns), free(targets.items[i].name);
  for (size_t i = 0; i < owned.len; i++) free(owned.items[i]);
  sw_vec_free(&targets);
  sw_vec_free(&owned);
  sw_vec_free(&pos);
  sw_vec_free(&fargs);
  sw_vec_free(&names);
  sw_vec_free(&values);
  return rc;
}
