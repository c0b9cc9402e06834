/*
 * cmd_serve.c — `spillway serve kserve ...`: builds the InferenceService that
 * Arena's `arena serve kserve` would create from the same flags and either
 * prints it (--dry-run, YAML) or applies it to the control plane (POST
 * /apis/spillway.io/v1alpha1/apply through the CLI client, which finds the
 * server and token in the state directory).
 *
 * A thin client: the InferenceService controller (src/autoscale/kserve.c) turns
 * the object into a predictor Deployment and its HorizontalPodAutoscaler.
 * Exit codes: 0 done, 1 the server refused or did not answer, 2 bad usage.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "cli/client.h"

static void usage(FILE *f) {
  fprintf(f, "usage: spillway serve kserve --name=NAME --image=IMAGE [flags] \"COMMAND\"\n"
             "\n"
             "Creates a KServe InferenceService as `arena serve kserve` does; the predictor\n"
             "runs COMMAND (with sh -c) and is autoscaled by a HorizontalPodAutoscaler.\n"
             "\n"
             "flags:\n"
             "  --name=NAME              the InferenceService's name (required)\n"
             "  --image=IMAGE            the model server image (required)\n"
             "  -n, --namespace=NS       namespace (default \"default\")\n"
             "  --scale-metric=METRIC    autoscaling metric: cpu, memory, or a per-pod metric such as\n"
             "                           DCGM_CUSTOM_PROCESS_SM_UTIL or num_requests_running\n"
             "  --scale-target=N         target value of the metric (percent for cpu/memory)\n"
             "  --min-replicas=N         minimum replicas (default 1)\n"
             "  --max-replicas=N         maximum replicas\n"
             "  --gpus=N                 nvidia.com/gpu per replica (default 0)\n"
             "  --cpu=Q                  cpu per replica (e.g. 4, 500m)\n"
             "  --memory=Q               memory per replica (e.g. 12Gi)\n"
             "  --data=PVC:PATH          mount a persistent volume claim at PATH (repeatable)\n"
             "  --label=K=V              label the InferenceService and its pods (repeatable)\n"
             "  --annotation=K=V         annotate the InferenceService (repeatable)\n"
             "  --env=K=V                environment variable of the container (repeatable)\n"
             "  --port=N                 the container port the server listens on (default 8080)\n"
             "  --shell=SH               the shell that runs COMMAND (default sh)\n"
             "  --autoscaler-class=C     hpa (default), external or none\n"
             "  --dry-run                print the InferenceService as YAML and exit\n"
             "  --server=URL, --token=T, --state-dir=DIR   where the control plane is\n");
}

static bool dns1123(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 63) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-')) return false;
  }
  return s[0] != '-' && s[n - 1] != '-';
}

static bool parse_int(const char *s, long lo, long hi, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

/* "k=v" into obj; false when malformed. */
static bool put_kv(json_t *obj, const char *kv) {
  const char *eq = strchr(kv, '=');
  if (!eq || eq == kv) return false;
  char *k = sw_xstrndup(kv, (size_t)(eq - kv));
  json_object_set_new(obj, k, json_string(eq + 1));
  free(k);
  return true;
}

typedef struct serve_args {
  const char *name, *image, *ns, *scale_metric, *cpu, *memory, *shell, *cls, *command;
  long scale_target, min, max, gpus, port;
  bool has_target, has_min, has_max, dry_run;
  json_t *labels, *annotations, *env, *data; /* data: array of "pvc:path" */
  client_opts copts;
} serve_args;

static int bad_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "spillway serve kserve: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, " (see spillway serve kserve --help)\n");
  return 2;
}

static int parse_args(int argc, char **argv, serve_args *a) {
  /* client_flag_value advances i past a flag and its value itself */
  for (int i = 2; i < argc;) {
    const char *v = NULL;
    int r;
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 1;
    }
    if (strcmp(argv[i], "--dry-run") == 0) {
      a->dry_run = true;
      i++;
      continue;
    }
    if ((r = client_common_flag(argc, argv, &i, &a->copts)) != 0) {
      if (r < 0) return 2;
      continue;
    }
    static const struct {
      const char *s, *l;
    } flags[] = {{NULL, "--name"},
                 {NULL, "--image"},
                 {"-n", "--namespace"},
                 {NULL, "--scale-metric"},
                 {NULL, "--scale-target"},
                 {NULL, "--min-replicas"},
                 {NULL, "--max-replicas"},
                 {NULL, "--gpus"},
                 {NULL, "--cpu"},
                 {NULL, "--memory"},
                 {NULL, "--port"},
                 {NULL, "--shell"},
                 {NULL, "--autoscaler-class"},
                 {NULL, "--data"},
                 {"-l", "--label"},
                 {NULL, "--annotation"},
                 {"-e", "--env"}};
    int which = -1;
    for (int f = 0; f < (int)(sizeof flags / sizeof flags[0]) && which < 0; f++) {
      r = client_flag_value(argc, argv, &i, flags[f].s, flags[f].l, &v);
      if (r < 0) return 2;
      if (r > 0) which = f;
    }
    switch (which) {
    case 0:
      a->name = v;
      break;
    case 1:
      a->image = v;
      break;
    case 2:
      a->ns = v;
      break;
    case 3:
      a->scale_metric = v;
      break;
    case 4:
      if (!parse_int(v, 1, 1000000000, &a->scale_target))
        return bad_usage("--scale-target: expected a positive integer, got \"%s\"", v);
      a->has_target = true;
      break;
    case 5:
      if (!parse_int(v, 0, 100000, &a->min))
        return bad_usage("--min-replicas: expected an integer >= 0, got \"%s\"", v);
      a->has_min = true;
      break;
    case 6:
      if (!parse_int(v, 1, 100000, &a->max))
        return bad_usage("--max-replicas: expected an integer >= 1, got \"%s\"", v);
      a->has_max = true;
      break;
    case 7:
      if (!parse_int(v, 0, 1024, &a->gpus))
        return bad_usage("--gpus: expected an integer >= 0, got \"%s\"", v);
      break;
    case 8:
      a->cpu = v;
      break;
    case 9:
      a->memory = v;
      break;
    case 10:
      if (!parse_int(v, 1, 65535, &a->port))
        return bad_usage("--port: expected a port 1..65535, got \"%s\"", v);
      break;
    case 11:
      a->shell = v;
      break;
    case 12:
      a->cls = v;
      break;
    case 13: {
      const char *colon = strchr(v, ':');
      if (!colon || colon == v || colon[1] != '/')
        return bad_usage("--data: expected PVC_NAME:/mount/path, got \"%s\"", v);
      json_array_append_new(a->data, json_string(v));
      break;
    }
    case 14:
      if (!put_kv(a->labels, v)) return bad_usage("--label: expected KEY=VALUE, got \"%s\"", v);
      break;
    case 15:
      if (!put_kv(a->annotations, v)) return bad_usage("--annotation: expected KEY=VALUE, got \"%s\"", v);
      break;
    case 16:
      if (!put_kv(a->env, v)) return bad_usage("--env: expected KEY=VALUE, got \"%s\"", v);
      break;
    default:
      if (argv[i][0] == '-' && argv[i][1]) return bad_usage("unknown flag \"%s\"", argv[i]);
      if (a->command) return bad_usage("unexpected argument \"%s\": quote the whole COMMAND", argv[i]);
      a->command = argv[i++];
    }
  }
  if (!a->name) return bad_usage("%s", "--name is required");
  if (!dns1123(a->name))
    return bad_usage(
        "--name: \"%s\" must be a DNS-1123 label (lower-case letters, digits and '-', at most 63)", a->name);
  if (!a->image) return bad_usage("%s", "--image is required");
  if (a->has_min && a->has_max && a->min > a->max) {
    fprintf(stderr, "spillway serve kserve: --min-replicas (%ld) must not exceed --max-replicas (%ld)\n",
            a->min, a->max);
    return 2;
  }
  if (a->cls && strcmp(a->cls, "hpa") && strcmp(a->cls, "external") && strcmp(a->cls, "none"))
    return bad_usage("--autoscaler-class: expected hpa, external or none, got \"%s\"", a->cls);
  double q;
  if (a->cpu && api_quantity_parse(a->cpu, &q) != 0)
    return bad_usage("--cpu: expected a quantity such as 4 or 500m, got \"%s\"", a->cpu);
  if (a->memory && api_quantity_parse(a->memory, &q) != 0)
    return bad_usage("--memory: expected a quantity such as 12Gi, got \"%s\"", a->memory);
  return 0;
}

/* The InferenceService, as Arena's kserve chart renders it for these flags. */
static json_t *build_isvc(const serve_args *a) {
  json_t *labels = json_pack("{s:s,s:s}", "servingName", a->name, "servingType", "kserve");
  json_object_update(labels, a->labels);
  json_t *ann = json_pack("{s:s}", "serving.kserve.io/autoscalerClass", a->cls ? a->cls : "hpa");
  json_object_update(ann, a->annotations);
  json_t *res = json_object();
  if (a->cpu) json_object_set_new(res, "cpu", json_string(a->cpu));
  if (a->memory) json_object_set_new(res, "memory", json_string(a->memory));
  if (a->gpus > 0) {
    char g[24];
    snprintf(g, sizeof g, "%ld", a->gpus);
    json_object_set_new(res, "nvidia.com/gpu", json_string(g));
  }
  json_t *container = json_pack("{s:s,s:s}", "name", "kserve-container", "image", a->image);
  if (a->command && *a->command)
    json_object_set_new(container, "command",
                        json_pack("[s,s,s]", a->shell ? a->shell : "sh", "-c", a->command));
  json_object_set_new(
      container, "ports",
      json_pack("[{s:i,s:s}]", "containerPort", (int)(a->port ? a->port : 8080), "protocol", "TCP"));
  if (json_object_size(a->env)) {
    json_t *env = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(a->env, k, v)
        json_array_append_new(env, json_pack("{s:s,s:O}", "name", k, "value", v));
    json_object_set_new(container, "env", env);
  }
  if (json_object_size(res))
    json_object_set_new(container, "resources", json_pack("{s:O,s:O}", "requests", res, "limits", res));
  json_decref(res);
  json_t *volumes = json_array(), *mounts = json_array();
  size_t i;
  json_t *d;
  json_array_foreach(a->data, i, d) {
    const char *s = json_string_value(d);
    const char *colon = strchr(s, ':');
    char *pvc = sw_xstrndup(s, (size_t)(colon - s));
    json_array_append_new(volumes,
                          json_pack("{s:s,s:{s:s}}", "name", pvc, "persistentVolumeClaim", "claimName", pvc));
    json_array_append_new(mounts, json_pack("{s:s,s:s}", "name", pvc, "mountPath", colon + 1));
    free(pvc);
  }
  if (json_array_size(mounts))
    json_object_set_new(container, "volumeMounts", mounts);
  else
    json_decref(mounts);
  json_t *pred = json_object();
  if (a->has_min || !a->has_max)
    json_object_set_new(pred, "minReplicas", json_integer(a->has_min ? a->min : 1));
  if (a->has_max) json_object_set_new(pred, "maxReplicas", json_integer(a->max));
  if (a->scale_metric) json_object_set_new(pred, "scaleMetric", json_string(a->scale_metric));
  if (a->has_target) json_object_set_new(pred, "scaleTarget", json_integer(a->scale_target));
  json_object_set_new(pred, "containers", json_pack("[o]", container));
  if (json_array_size(volumes))
    json_object_set_new(pred, "volumes", volumes);
  else
    json_decref(volumes);
  return json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:o},s:{s:o}}", "apiVersion", "serving.kserve.io/v1beta1", "kind",
                   "InferenceService", "metadata", "name", a->name, "namespace", a->ns ? a->ns : "default",
                   "labels", labels, "annotations", ann, "spec", "predictor", pred);
}

static int serve_kserve(int argc, char **argv) {
  serve_args a;
  memset(&a, 0, sizeof a);
  a.labels = json_object();
  a.annotations = json_object();
  a.env = json_object();
  a.data = json_array();
  int rc = parse_args(argc, argv, &a);
  json_t *isvc = NULL;
  if (rc != 0) {
    rc = rc == 1 ? 0 : rc; /* --help */
    goto out;
  }
  isvc = build_isvc(&a);
  /* Validate locally first, so mistakes are reported the way `apply` reports them. */
  json_t *copy = json_deep_copy(isvc), *warnings = json_array();
  sw_err err = {0};
  int vrc = api_validate_object(copy, "serve kserve", warnings, &err);
  size_t i;
  json_t *w;
  json_array_foreach(warnings, i, w) fprintf(stderr, "Warning: %s\n", json_string_value(w));
  json_decref(warnings);
  json_decref(copy);
  if (vrc != 0) {
    fprintf(stderr, "spillway serve kserve: %s\n", err.msg);
    rc = 1;
    goto out;
  }
  if (a.dry_run) {
    char *y = api_encode_yaml(isvc);
    if (y) fputs(y, stdout);
    free(y);
    rc = 0;
    goto out;
  }
  client *c = NULL;
  if (client_open(&c, &a.copts, &err) != 0) {
    client_error("%s", err.msg);
    rc = 1;
    goto out;
  }
  json_t *body = json_pack("[O]", isvc);
  long status = 0;
  json_t *reply =
      client_json(c, "POST", "/apis/spillway.io/v1alpha1/apply", body, "application/json", &status, &err);
  json_decref(body);
  client_close(c);
  if (!reply) {
    client_error("%s", err.msg);
    rc = 1;
    goto out;
  }
  const json_t *stored = json_is_array(reply) ? json_array_get(reply, 0) : reply;
  json_int_t gen = json_integer_value(json_object_get(json_object_get(stored, "metadata"), "generation"));
  printf("inferenceservice.serving.kserve.io/%s %s\n", a.name, gen > 1 ? "configured" : "created");
  printf("INFO The Job %s has been submitted successfully\n", a.name);
  printf("INFO You can run `spillway get isvc %s -n %s` to check the job status\n", a.name,
         a.ns ? a.ns : "default");
  json_decref(reply);
  rc = 0;
out:
  json_decref(isvc);
  json_decref(a.labels);
  json_decref(a.annotations);
  json_decref(a.env);
  json_decref(a.data);
  return rc;
}

int cmd_serve(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    fprintf(argc < 2 ? stderr : stdout,
            "usage: spillway serve kserve --name=NAME --image=IMAGE [flags] \"COMMAND\"\n"
            "(see spillway serve kserve --help)\n");
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "kserve") != 0) {
    fprintf(stderr, "spillway serve: unknown serving type \"%s\" (spillway serves kserve)\n", argv[1]);
    return 2;
  }
  return serve_kserve(argc, argv);
}
