/*
 * cmd_logs.c — `spillway logs POD [-n NS] [--tail N]`: prints a replica's log
 * through GET .../pods/<name>/log (the file the cluster layer names in the
 * pod's spillway.io/log-path annotation).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"

static void usage(void) { fprintf(stderr, "usage: spillway logs POD [-n NAMESPACE] [--tail N]\n"); }

int cmd_logs(int argc, char **argv) {
  client_opts co = {0};
  const char *ns = NULL, *tail = NULL;
  client_args pos = {0};
  int rc = 2;
  int pr = client_parse_command(argc, argv, "logs", usage, &co, &ns, "--tail", &tail, &pos);
  if (pr) {
    if (pr > 0) rc = 0;
    goto done;
  }
  if (pos.len != 1) {
    usage();
    goto done;
  }
  const char *name = pos.items[0];
  if (sw_has_prefix(name, "pod/") || sw_has_prefix(name, "pods/")) name = strchr(name, '/') + 1;
  if (tail) {
    char *end;
    long t = strtol(tail, &end, 10);
    if (!*tail || *end || t < -1) {
      client_error("logs: --tail: expected an integer, got \"%s\"", tail);
      goto done;
    }
    if (t < 0) tail = NULL; /* kubectl: -1 = everything */
  }
  rc = 1;
  const api_kind *k = api_kind_lookup("Pod");
  if (!k) {
    client_error("logs: this build has no Pod kind");
    goto done;
  }
  client *c = NULL;
  sw_err err;
  if (client_open(&c, &co, &err)) {
    client_error("%s", err.msg);
    goto done;
  }
  char *p = client_path(k, ns ? ns : "default", name, "log");
  char *path = tail ? sw_xasprintf("%s?tailLines=%s", p, tail) : sw_xstrdup(p);
  free(p);
  sw_buf out;
  sw_buf_init(&out);
  long status = 0;
  if (client_do(c, "GET", path, NULL, NULL, 0, &status, &out, &err))
    client_error("%s", err.msg);
  else if (status != 200) {
    json_t *st = json_loads(out.data ? out.data : "", 0, NULL);
    const char *msg = json_string_value(json_object_get(st, "message"));
    const char *reason = json_string_value(json_object_get(st, "reason"));
    if (status == 401)
      client_error("the control plane refused the token (401 Unauthorized); pass --token");
    else
      client_error("Error from server (%s): %s", reason ? reason : "Unknown", msg ? msg : "");
    json_decref(st);
  } else {
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    rc = 0;
  }
  sw_buf_free(&out);
  free(path);
  client_close(c);
done:
  sw_vec_free(&pos);
  return rc;
}
