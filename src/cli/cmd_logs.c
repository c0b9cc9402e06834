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
  client *c = client_connect(&co);
  if (!c) goto done;
  char *p = client_path(k, ns ? ns : "default", name, "log");
  sw_buf path;
  sw_buf_init(&path);
  sw_buf_puts(&path, p);
  free(p);
  if (tail) client_append_query(&path, "tailLines", tail);
  if (follow) client_append_query(&path, "follow", "true");
  /* the log as it arrives; without -f the server ends the reply at the end of the file */
  sw_err err;
  if (client_stream(c, path.data, to_stdout, NULL, &err))
    client_error("%s", err.msg);
  else
    rc = 0;
  sw_buf_free(&path);
  client_close(c);
done:
  sw_vec_free(&pos);
  free(args);
  return rc;
}
