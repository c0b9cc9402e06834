/*
 * cmd_rollout.c — `spillway rollout restart|status deployment/NAME`, as
 * kubectl does them: restart stamps the pod template with
 * kubectl.kubernetes.io/restartedAt (a new pod-template-hash, so every member
 * cluster replaces its replicas, old ones going as new ones turn ready);
 * status follows the Deployment's aggregated status until every replica runs
 * the current template and is available, or the timeout.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"

static void usage(void) {
  fprintf(stderr, "usage: spillway rollout restart deployment/NAME [-n NAMESPACE]\n"
                  "       spillway rollout status deployment/NAME [-n NAMESPACE] [--timeout SECONDS]\n");
}

static json_int_t int_at(const json_t *o, const char *a, const char *b) {
  return json_integer_value(json_object_get(json_object_get(o, a), b));
}

/* kubectl's DeploymentStatusViewer: the message, and whether the rollout is done. */
static bool rollout_state(const json_t *dep, const char *name, char *msg, size_t n) {
  const json_t *rep = json_object_get(json_object_get(dep, "spec"), "replicas");
  json_int_t want = json_is_integer(rep) ? json_integer_value(rep) : 1;
  json_int_t updated = int_at(dep, "status", "updatedReplicas"), total = int_at(dep, "status", "replicas"),
             available = int_at(dep, "status", "availableReplicas");
  if (int_at(dep, "metadata", "generation") > int_at(dep, "status", "observedGeneration"))
    snprintf(msg, n, "Waiting for deployment spec update to be observed...");
  else if (updated < want)
    snprintf(msg, n, "Waiting for deployment \"%s\" rollout to finish: %lld out of %lld new replicas have been updated...",
             name, (long long)updated, (long long)want);
  else if (total > updated)
    snprintf(msg, n, "Waiting for deployment \"%s\" rollout to finish: %lld old replicas are pending termination...",
             name, (long long)(total - updated));
  else if (available < updated)
    snprintf(msg, n, "Waiting for deployment \"%s\" rollout to finish: %lld of %lld updated replicas are available...",
             name, (long long)available, (long long)updated);
  else {
    snprintf(msg, n, "deployment \"%s\" successfully rolled out", name);
    return true;
  }
  return false;
}

static int do_status(client *c, const char *path, const char *name, double timeout) {
  char last[512] = "", msg[512];
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    sw_err err;
    json_t *dep = client_json(c, "GET", path, NULL, NULL, NULL, &err);
    if (!dep) {
      client_error("%s", err.msg);
      return 1;
    }
    bool done = rollout_state(dep, name, msg, sizeof msg);
    json_decref(dep);
    if (strcmp(msg, last) != 0) {
      printf("%s\n", msg);
      fflush(stdout);
      snprintf(last, sizeof last, "%s", msg);
    }
    if (done) return 0;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (timeout > 0 && (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >= timeout) {
      client_error("timed out waiting for the condition");
      return 1;
    }
    usleep(250 * 1000);
  }
}

int cmd_rollout(int argc, char **argv) {
  client_opts co = {0};
  const char *ns = NULL, *timeout_s = NULL;
  client_args pos = {0};
  int rc = 2;
  int pr = client_parse_command(argc, argv, "rollout", usage, &co, &ns, "--timeout", &timeout_s, &pos);
  if (pr) {
    if (pr > 0) rc = 0;
    goto done;
  }
  if (pos.len < 2 || (strcmp(pos.items[0], "restart") != 0 && strcmp(pos.items[0], "status") != 0)) {
    if (pos.len) client_error("rollout: unknown subcommand \"%s\" (expected restart or status)", pos.items[0]);
    usage();
    goto done;
  }
  bool restart = strcmp(pos.items[0], "restart") == 0;
  double timeout = 0;
  if (timeout_s) {
    char *end;
    timeout = strtod(timeout_s, &end);
    if (end != timeout_s && *end == 's' && end[1] == 0) end++; /* kubectl's "300s" */
    if (end == timeout_s || *end || !isfinite(timeout) || timeout < 0) {
      client_error("rollout: --timeout: expected seconds (e.g. 300 or 300s), got \"%s\"", timeout_s);
      goto done;
    }
    if (restart) {
      client_error("rollout restart: --timeout is for rollout status");
      goto done;
    }
  }
  const char *name = client_deployment_arg(&pos, 1, "rollout", "not rolled out: only Deployments are");
  if (!name) goto done;
  rc = 1;
  client *c = client_connect(&co);
  if (!c) goto done;
  sw_err err;
  const api_kind *k = api_kind_lookup("Deployment");
  char *path = client_path(k, ns ? ns : "default", name, NULL);
  if (restart) {
    char now[32];
    sw_time_format(sw_wall_now(), now, sizeof now);
    json_t *patch = json_pack("{s:{s:{s:{s:{s:s}}}}}", "spec", "template", "metadata", "annotations",
                              "kubectl.kubernetes.io/restartedAt", now);
    json_t *res = client_json(c, "PATCH", path, patch, "application/merge-patch+json", NULL, &err);
    if (!res)
      client_error("%s", err.msg);
    else {
      printf("deployment.apps/%s restarted\n", name);
      rc = 0;
    }
    json_decref(res);
    json_decref(patch);
  } else {
    rc = do_status(c, path, name, timeout);
  }
  free(path);
  client_close(c);
done:
  sw_vec_free(&pos);
  return rc;
}
