/*
 * cmd_logs.c — `spillway logs POD [-n NS] [--tail N] [-f]`: prints a replica's
 * log through GET .../pods/<name>/log (the file the cluster layer names in the
 * pod's spillway.io/log-path annotation); with -f the server keeps streaming
 * what the replica writes until the pod is gone or Ctrl-C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"

static void usage(void) { fprintf(stderr, "usage: spillway logs POD [-n NAMESPACE] [--tail N] [-f]\n"); }

static int to_stdout(void *ud, const char *data, size_t len) {
  (void)ud;
  fwrite(data, 1, len, stdout);
  fflush(stdout); /* a follower reads it as it comes, through a pipe too */
  return ferror(stdout) ? 1 : 0;
}

int cmd_logs(int argc, char **argv) {
  client_opts co = {0};
  const char *ns = NULL, *tail = NULL;
  client_args pos = {0};
  int rc = 2;
  /* -f/--follow is the one flag without a value: taken out before the shared loop */
  bool follow = false;
  char **args = sw_xcalloc((size_t)argc + 1, sizeof *args);
  int nargs = 0;
  for (int i = 0; i < argc; i++) {
    if (i > 0 && (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow") || !strcmp(argv[i], "--follow=true")))
      follow = true;
    else if (i > 0 && !strcmp(argv[i], "--follow=false"))
      follow = false;
    else
      args[nargs++] = argv[i];
  }
  int pr = client_parse_command(nargs, args, "logs", usage, &co, &ns, "--tail", &tail, &pos);
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
  sw_buf pb;
  sw_buf_init(&pb);
  sw_buf_puts(&pb, p);
  free(p);
  if (tail) client_append_query(&pb, "tailLines", tail);
  if (follow) {
    client_append_query(&pb, "follow", "true");
    if (client_stream(c, pb.data, to_stdout, NULL, &err))
      client_error("%s", err.msg);
    else
      rc = 0;
    sw_buf_free(&pb);
    client_close(c);
    goto done;
  }
  char *path = sw_buf_steal(&pb);
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
  free(args);
  return rc;
}
