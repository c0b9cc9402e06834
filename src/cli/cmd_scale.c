/*
 * cmd_scale.c — `spillway scale deployment NAME --replicas=N [-n NS]`: a merge
 * patch of the Deployment's autoscaling/v1 Scale subresource, as `kubectl
 * scale` does. An autoscaler that owns the Deployment may change it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"

static void usage(void) {
  fprintf(stderr, "usage: spillway scale deployment NAME --replicas=N [-n NAMESPACE]\n"
                  "       spillway scale deployment/NAME --replicas=N\n");
}

int cmd_scale(int argc, char **argv) {
  client_opts co = {0};
  const char *ns = NULL, *reps = NULL;
  client_args pos = {0};
  int rc = 2;
  int pr = client_parse_command(argc, argv, "scale", usage, &co, &ns, "--replicas", &reps, &pos);
  if (pr) {
    if (pr > 0) rc = 0;
    goto done;
  }
  if (!reps) {
    client_error("scale: --replicas=N is required");
    usage();
    goto done;
  }
  char *end;
  long n = strtol(reps, &end, 10);
  if (!*reps || *end || n < 0) {
    client_error("scale: --replicas: expected an integer >= 0, got \"%s\"", reps);
    goto done;
  }
  if (pos.len == 0) {
    usage();
    goto done;
  }
  const char *name =
      client_deployment_arg(&pos, 0, "scale", "cannot be scaled: only Deployments have a scale subresource");
  if (!name) goto done;
  rc = 1;
  client *c = client_connect(&co);
  if (!c) goto done;
  sw_err err;
  const api_kind *k = api_kind_lookup("Deployment");
  char *path = client_path(k, ns ? ns : "default", name, "scale");
  json_t *patch = json_pack("{s:{s:I}}", "spec", "replicas", (json_int_t)n);
  json_t *res = client_json(c, "PATCH", path, patch, "application/merge-patch+json", NULL, &err);
  if (!res)
    client_error("%s", err.msg);
  else {
    char tn[192];
    client_type_name(k->kind, k->group, tn, sizeof tn);
    printf("%s/%s scaled\n", tn, name);
    rc = 0;
  }
  json_decref(res);
  json_decref(patch);
  free(path);
  client_close(c);
done:
  sw_vec_free(&pos);
  return rc;
}
