/*
 * spec.c — reads Cluster objects and pod templates into the plain structs of
 * spec.h, applying the defaults Kubernetes applies (probe period 10 s,
 * failureThreshold 3, terminationGracePeriodSeconds 30, restartPolicy Always)
 * and spillway's (scaleDownUnneededSeconds 600 as cluster-autoscaler's
 * --scale-down-unneeded-time). Pure; never touches the store or the clock.
 */
#include "cluster/spec.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/command.h"

/* ---- small field readers ------------------------------------------------ */

static int get_number(const json_t *obj, const char *key, const char *path, double def, double min,
                      double *out, sw_err *err) {
  const json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    *out = def;
    return 0;
  }
  double d;
  if (json_is_number(v))
    d = json_number_value(v);
  else if (json_is_string(v)) {
    char *end;
    const char *s = json_string_value(v);
    d = strtod(s, &end);
    if (end == s || *end)
      return sw_err_set(err, SW_EINVAL, "%s.%s: expected a number, got \"%s\"", path, key, s);
  } else
    return sw_err_set(err, SW_EINVAL, "%s.%s: expected a number", path, key);
  if (!isfinite(d) || d < min)
    return sw_err_set(err, SW_EINVAL, "%s.%s: expected a number >= %g, got %g", path, key, min, d);
  *out = d;
  return 0;
}

static int get_int(const json_t *obj, const char *key, const char *path, int def, int min, int *out,
                   sw_err *err) {
  double d = 0; /* set by get_number on success; gcc -O3 cannot see it */
  int rc = get_number(obj, key, path, def, min, &d, err);
  if (rc) return rc;
  if (d != floor(d) || d > 1e9)
    return sw_err_set(err, SW_EINVAL, "%s.%s: expected a whole number >= %d, got %g", path, key, min, d);
  *out = (int)d;
  return 0;
}

static int get_string(const json_t *obj, const char *key, const char *path, const char *def, char **out,
                      sw_err *err) {
  const json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    *out = def ? sw_xstrdup(def) : NULL;
    return 0;
  }
  if (!json_is_string(v)) return sw_err_set(err, SW_EINVAL, "%s.%s: expected a string", path, key);
  *out = sw_xstrdup(json_string_value(v));
  return 0;
}

/* A string -> string map (labels, nodeSelector); numbers and booleans are
 * turned into their text as YAML users expect ("8000", "true"). */
static int get_string_map(const json_t *obj, const char *key, const char *path, json_t **out, sw_err *err) {
  *out = json_object();
  const json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_object(v)) return sw_err_set(err, SW_EINVAL, "%s.%s: expected a map of strings", path, key);
  const char *k;
  json_t *x;
  json_object_foreach((json_t *)v, k, x) {
    if (json_is_string(x))
      json_object_set(*out, k, x);
    else if (json_is_integer(x)) {
      char b[32];
      snprintf(b, sizeof b, "%lld", (long long)json_integer_value(x));
      json_object_set_new(*out, k, json_string(b));
    } else if (json_is_boolean(x))
      json_object_set_new(*out, k, json_string(json_is_true(x) ? "true" : "false"));
    else
      return sw_err_set(err, SW_EINVAL, "%s.%s.%s: expected a string", path, key, k);
  }
  return 0;
}

int cluster_quantity_int(const json_t *v) {
  if (json_is_integer(v)) {
    json_int_t i = json_integer_value(v);
    return i >= 0 && i <= 1000000 ? (int)i : -1;
  }
  if (json_is_real(v)) {
    double d = json_real_value(v);
    return d >= 0 && d <= 1000000 && d == floor(d) ? (int)d : -1;
  }
  if (!json_is_string(v)) return -1;
  const char *s = json_string_value(v);
  if (!*s) return -1;
  long n = 0;
  for (const char *c = s; *c; c++) {
    if (!isdigit((unsigned char)*c)) return -1;
    n = n * 10 + (*c - '0');
    if (n > 1000000) return -1;
  }
  return (int)n;
}

/* ---- Cluster ------------------------------------------------------------- */

static int parse_pool(const json_t *p, size_t i, cluster_pool_spec *out, sw_err *err) {
  char path[64];
  snprintf(path, sizeof path, "spec.nodePools[%zu]", i);
  if (!json_is_object(p)) return sw_err_set(err, SW_EINVAL, "%s: expected a map", path);
  int rc = get_string(p, "name", path, NULL, &out->name, err);
  if (rc) return rc;
  if (!out->name || !*out->name)
    return sw_err_set(err, SW_EINVAL, "%s.name: expected a non-empty string", path);
  char *type = NULL;
  if ((rc = get_string(p, "type", path, "static", &type, err))) return rc;
  if (strcmp(type, "static") == 0)
    out->type = CLUSTER_POOL_STATIC;
  else if (strcmp(type, "elastic") == 0)
    out->type = CLUSTER_POOL_ELASTIC;
  else {
    rc = sw_err_set(err, SW_EINVAL, "%s.type: expected \"static\" or \"elastic\", got \"%s\"", path, type);
    free(type);
    return rc;
  }
  free(type);
  if ((rc = get_int(p, "gpusPerNode", path, 1, 0, &out->gpus_per_node, err))) return rc;
  if (out->gpus_per_node > 64) return sw_err_set(err, SW_EINVAL, "%s.gpusPerNode: expected at most 64", path);
  if ((rc = get_int(p, "nodes", path, out->type == CLUSTER_POOL_STATIC ? 1 : 0, 0, &out->nodes, err)))
    return rc;
  if ((rc = get_int(p, "minNodes", path, 0, 0, &out->min_nodes, err))) return rc;
  if ((rc =
           get_int(p, "maxNodes", path, out->type == CLUSTER_POOL_ELASTIC ? 10 : 0, 0, &out->max_nodes, err)))
    return rc;
  if (out->type == CLUSTER_POOL_ELASTIC && out->max_nodes < out->min_nodes)
    return sw_err_set(err, SW_EINVAL, "%s.maxNodes: expected >= minNodes (%d), got %d", path, out->min_nodes,
                      out->max_nodes);
  if (out->nodes > 1000 || out->max_nodes > 1000)
    return sw_err_set(err, SW_EINVAL, "%s: expected at most 1000 nodes", path);
  if ((rc = get_number(p, "provisioningSeconds", path, 60, 0, &out->provisioning_seconds, err))) return rc;
  if ((rc = get_int(p, "inventory", path, -1, 0, &out->inventory, err))) return rc;
  if ((rc = get_number(p, "pricePerGPUHour", path, 0, 0, &out->price_per_gpu_hour, err))) return rc;
  if ((rc = get_number(p, "startupSeconds", path, -1, 0, &out->startup_seconds, err))) return rc;
  if ((rc = get_string(p, "engineProfile", path, NULL, &out->engine_profile, err))) return rc;
  if ((rc = get_string_map(p, "labels", path, &out->labels, err))) return rc;
  const json_t *dev = json_object_get(p, "devices");
  if (dev && !json_is_null(dev)) {
    if (!json_is_array(dev))
      return sw_err_set(err, SW_EINVAL, "%s.devices: expected a list of GPU ids", path);
    out->devices = json_array();
    size_t j;
    json_t *d;
    json_array_foreach(dev, j, d) {
      if (json_is_string(d))
        json_array_append(out->devices, d);
      else if (json_is_integer(d)) {
        char b[32];
        snprintf(b, sizeof b, "%lld", (long long)json_integer_value(d));
        json_array_append_new(out->devices, json_string(b));
      } else
        return sw_err_set(err, SW_EINVAL, "%s.devices[%zu]: expected a GPU id (string or integer)", path, j);
    }
  }
  return 0;
}

int cluster_spec_parse(const json_t *cluster, cluster_spec *out, sw_err *err) {
  memset(out, 0, sizeof *out);
  int rc = 0;
  const json_t *meta = json_object_get(cluster, "metadata");
  const json_t *spec = json_object_get(cluster, "spec");
  if (!json_is_object(cluster) || !json_is_object(meta)) {
    rc = sw_err_set(err, SW_EINVAL, "Cluster: expected an object with metadata");
    goto fail;
  }
  const char *name = json_string_value(json_object_get(meta, "name"));
  if (!name || !*name) {
    rc = sw_err_set(err, SW_EINVAL, "Cluster: metadata.name: expected a non-empty string");
    goto fail;
  }
  out->name = sw_xstrdup(name);
  if (spec && !json_is_null(spec) && !json_is_object(spec)) {
    rc = sw_err_set(err, SW_EINVAL, "spec: expected a map");
    goto fail;
  }
  if ((rc = get_string(spec, "driver", "spec", "local", &out->driver, err))) goto fail;
  if ((rc = get_string(spec, "runtime", "spec", "process", &out->runtime, err))) goto fail;
  if (strcmp(out->runtime, "process") != 0 && strcmp(out->runtime, "simulated") != 0) {
    rc = sw_err_set(err, SW_EINVAL, "spec.runtime: expected \"process\" or \"simulated\", got \"%s\"",
                    out->runtime);
    goto fail;
  }
  if ((rc = get_string(spec, "region", "spec", NULL, &out->region, err))) goto fail;
  if ((rc = get_int(spec, "priority", "spec", 0, -1000000, &out->priority, err))) goto fail;
  if ((rc = get_number(spec, "scaleDownUnneededSeconds", "spec", 600, 0, &out->scale_down_unneeded_seconds,
                       err)))
    goto fail;
  if ((rc = get_number(spec, "healthGraceSeconds", "spec", 40, 0, &out->health_grace_seconds, err)))
    goto fail;
  if ((rc = get_number(spec, "tolerationSeconds", "spec", 300, 0, &out->toleration_seconds, err))) goto fail;
  if ((rc = get_string_map(meta, "labels", "metadata", &out->labels, err))) goto fail;
  const char *paused =
      json_string_value(json_object_get(json_object_get(meta, "annotations"), CLUSTER_ANN_PAUSED));
  out->paused = paused && strcmp(paused, "true") == 0;
  const json_t *pools = json_object_get(spec, "nodePools");
  if (pools && !json_is_null(pools)) {
    if (!json_is_array(pools)) {
      rc = sw_err_set(err, SW_EINVAL, "spec.nodePools: expected a list");
      goto fail;
    }
    out->pools = sw_xcalloc(json_array_size(pools) + 1, sizeof *out->pools);
    size_t i;
    json_t *p;
    json_array_foreach(pools, i, p) {
      rc = parse_pool(p, i, &out->pools[i], err);
      out->npools = i + 1;
      if (rc) goto fail;
      for (size_t j = 0; j < i; j++)
        if (strcmp(out->pools[j].name, out->pools[i].name) == 0) {
          rc =
              sw_err_set(err, SW_EINVAL, "spec.nodePools[%zu].name: \"%s\" is already used by nodePools[%zu]",
                         i, out->pools[i].name, j);
          goto fail;
        }
    }
  }
  return 0;
fail:
  sw_err_prefix(err, "Cluster %s", out->name ? out->name : "?");
  cluster_spec_free(out);
  return rc;
}

void cluster_spec_free(cluster_spec *s) {
  if (!s) return;
  for (size_t i = 0; i < s->npools; i++) {
    free(s->pools[i].name);
    json_decref(s->pools[i].labels);
    free(s->pools[i].engine_profile);
    json_decref(s->pools[i].devices);
  }
  free(s->pools);
  free(s->name);
  free(s->driver);
  free(s->runtime);
  free(s->region);
  json_decref(s->labels);
  memset(s, 0, sizeof *s);
}

int cluster_spec_pool(const cluster_spec *s, const char *name) {
  for (size_t i = 0; name && i < s->npools; i++)
    if (strcmp(s->pools[i].name, name) == 0) return (int)i;
  return -1;
}

/* ---- pod template --------------------------------------------------------- */

void cluster_template_hash(const json_t *pod_template, char out[11]) {
  /* FNV-1a over the canonical (sorted-key) JSON: equal templates hash equal,
   * as the ReplicaSet's pod-template-hash does. */
  char *s =
      json_dumps(pod_template ? pod_template : json_null(), JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
  uint64_t h = 1469598103934665603ull;
  for (const char *c = s ? s : ""; *c; c++) {
    h ^= (unsigned char)*c;
    h *= 1099511628211ull;
  }
  free(s);
  snprintf(out, 11, "%010llx", (unsigned long long)(h & 0xffffffffffull));
}

static int resolve_port(const json_t *container, const json_t *v, const char *path, int *out, sw_err *err) {
  if (json_is_integer(v)) {
    json_int_t p = json_integer_value(v);
    if (p < 1 || p > 65535)
      return sw_err_set(err, SW_EINVAL, "%s: expected a port 1..65535, got %lld", path, (long long)p);
    *out = (int)p;
    return 0;
  }
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    int n = cluster_quantity_int(v);
    if (n >= 1 && n <= 65535) {
      *out = n;
      return 0;
    }
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(container, "ports"), i, p) {
      if (sw_streq(json_string_value(json_object_get(p, "name")), s)) {
        *out = (int)json_integer_value(json_object_get(p, "containerPort"));
        return 0;
      }
    }
    return sw_err_set(err, SW_EINVAL, "%s: no container port is named \"%s\"", path, s);
  }
  return sw_err_set(err, SW_EINVAL, "%s: expected a port number or a port name", path);
}

static int parse_probe(const json_t *container, const char *key, const char *path0, cluster_probe_spec *out,
                       sw_err *err) {
  memset(out, 0, sizeof *out);
  out->period_seconds = 10;
  out->timeout_seconds = 1;
  out->success_threshold = 1;
  out->failure_threshold = 3;
  const json_t *p = json_object_get(container, key);
  if (!p || json_is_null(p)) return 0;
  char path[128];
  snprintf(path, sizeof path, "%s.%s", path0, key);
  if (!json_is_object(p)) return sw_err_set(err, SW_EINVAL, "%s: expected a map", path);
  int rc;
  if ((rc = get_number(p, "initialDelaySeconds", path, 0, 0, &out->initial_delay_seconds, err))) return rc;
  if ((rc = get_number(p, "periodSeconds", path, 10, 0, &out->period_seconds, err))) return rc;
  if ((rc = get_number(p, "timeoutSeconds", path, 1, 0, &out->timeout_seconds, err))) return rc;
  if ((rc = get_int(p, "successThreshold", path, 1, 1, &out->success_threshold, err))) return rc;
  if ((rc = get_int(p, "failureThreshold", path, 3, 1, &out->failure_threshold, err))) return rc;
  /* Kubernetes' minimums: periodSeconds and timeoutSeconds are at least 1. */
  if (out->period_seconds < 1) out->period_seconds = 1;
  if (out->timeout_seconds < 1) out->timeout_seconds = 1;
  const json_t *tcp = json_object_get(p, "tcpSocket"), *http = json_object_get(p, "httpGet");
  char sub[160];
  if (json_is_object(tcp)) {
    out->kind = CLUSTER_PROBE_TCP;
    snprintf(sub, sizeof sub, "%s.tcpSocket.port", path);
    return resolve_port(container, json_object_get(tcp, "port"), sub, &out->port, err);
  }
  if (json_is_object(http)) {
    out->kind = CLUSTER_PROBE_HTTP;
    snprintf(sub, sizeof sub, "%s.httpGet.port", path);
    if ((rc = resolve_port(container, json_object_get(http, "port"), sub, &out->port, err))) return rc;
    snprintf(sub, sizeof sub, "%s.httpGet", path);
    if ((rc = get_string(http, "path", sub, "/", &out->path, err))) return rc;
    if (out->path[0] != '/')
      return sw_err_set(err, SW_EINVAL, "%s.path: expected a path starting with /", sub);
    for (const char *c = out->path; *c; c++)
      if ((unsigned char)*c <= ' ' || *c == 0x7f)
        return sw_err_set(err, SW_EINVAL, "%s.path: expected no spaces or control characters", sub);
    const char *scheme = json_string_value(json_object_get(http, "scheme"));
    if (scheme && strcmp(scheme, "HTTP") != 0)
      return sw_err_set(err, SW_EINVAL, "%s.scheme: only HTTP is supported by the local driver, got \"%s\"",
                        sub, scheme);
    const json_t *h = json_object_get(http, "httpHeaders");
    if (h && !json_is_null(h)) {
      if (!json_is_array(h)) return sw_err_set(err, SW_EINVAL, "%s.httpHeaders: expected a list", sub);
      out->headers = json_array();
      size_t i;
      json_t *x;
      json_array_foreach(h, i, x) {
        const char *n = json_string_value(json_object_get(x, "name"));
        const char *v = json_string_value(json_object_get(x, "value"));
        if (!n || !v || !*n)
          return sw_err_set(err, SW_EINVAL, "%s.httpHeaders[%zu]: expected {name, value} strings", sub, i);
        for (const char *c = n; *c; c++)
          if (!isgraph((unsigned char)*c) || *c == ':')
            return sw_err_set(err, SW_EINVAL, "%s.httpHeaders[%zu].name: expected a header name", sub, i);
        for (const char *c = v; *c; c++)
          if ((unsigned char)*c < ' ' || *c == 0x7f)
            return sw_err_set(err, SW_EINVAL, "%s.httpHeaders[%zu].value: expected no control characters",
                              sub, i);
        json_array_append(out->headers, x);
      }
    }
    return 0;
  }
  if (json_is_object(json_object_get(p, "exec"))) {
    out->kind = CLUSTER_PROBE_EXEC;
    return 0;
  }
  return sw_err_set(err, SW_EINVAL, "%s: expected one of tcpSocket, httpGet or exec", path);
}

/* Whether a container runs the vLLM server: the same recognition the local
 * driver applies when it starts the container (cluster_vllm_parse). */
static bool runs_vllm(const json_t *container) {
  json_t *no_env = json_object();
  cluster_vllm_cmd vc;
  sw_err err;
  bool yes = cluster_vllm_parse(json_object_get(container, "command"), json_object_get(container, "args"), no_env,
                                &vc, &err) == 0;
  if (yes) cluster_vllm_free(&vc);
  json_decref(no_env);
  return yes;
}

static int gpu_request(const json_t *container, const char *path, int *out, sw_err *err) {
  *out = 0;
  const json_t *res = json_object_get(container, "resources");
  static const char *const which[] = {"requests", "limits"};
  for (int i = 0; i < 2; i++) {
    const json_t *v = json_object_get(json_object_get(res, which[i]), CLUSTER_GPU_RESOURCE);
    if (!v) continue;
    int n = cluster_quantity_int(v);
    if (n < 0)
      return sw_err_set(err, SW_EINVAL, "%s.resources.%s.%s: expected a whole number of GPUs", path, which[i],
                        CLUSTER_GPU_RESOURCE);
    /* Extended resources must have requests == limits; a limit alone implies
     * the request, as the API server defaults it. */
    if (n > *out) *out = n;
  }
  return 0;
}

static void add_port(cluster_template *t, int port) {
  for (size_t i = 0; i < t->nports; i++)
    if (t->ports[i] == port) return;
  if (t->nports < CLUSTER_MAX_PORTS) t->ports[t->nports++] = port;
}

static int string_array(const json_t *c, const char *key, const char *path, json_t **out, sw_err *err) {
  *out = json_array();
  const json_t *v = json_object_get(c, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_array(v)) return sw_err_set(err, SW_EINVAL, "%s.%s: expected a list of strings", path, key);
  size_t i;
  json_t *x;
  json_array_foreach(v, i, x) {
    if (json_is_string(x))
      json_array_append(*out, x);
    else if (json_is_number(x)) {
      /* YAML users write `- 8000`; Kubernetes would reject it, we accept it as text. */
      char b[64];
      if (json_is_integer(x))
        snprintf(b, sizeof b, "%lld", (long long)json_integer_value(x));
      else
        snprintf(b, sizeof b, "%g", json_real_value(x));
      json_array_append_new(*out, json_string(b));
    } else
      return sw_err_set(err, SW_EINVAL, "%s.%s[%zu]: expected a string", path, key, i);
  }
  return 0;
}

int cluster_template_parse(const json_t *pod_template, cluster_template *out, sw_err *err) {
  memset(out, 0, sizeof *out);
  int rc = 0;
  if (!json_is_object(pod_template)) {
    rc = sw_err_set(err, SW_EINVAL, "spec.template: expected a pod template");
    goto fail;
  }
  out->pod_template = json_deep_copy(pod_template);
  cluster_template_hash(pod_template, out->hash);
  const json_t *meta = json_object_get(pod_template, "metadata");
  const json_t *spec = json_object_get(pod_template, "spec");
  if ((rc = get_string_map(meta, "labels", "spec.template.metadata", &out->labels, err))) goto fail;
  if ((rc = get_string_map(meta, "annotations", "spec.template.metadata", &out->annotations, err))) goto fail;
  if (!json_is_object(spec)) {
    rc = sw_err_set(err, SW_EINVAL, "spec.template.spec: expected a pod spec");
    goto fail;
  }
  if ((rc = get_string_map(spec, "nodeSelector", "spec.template.spec", &out->node_selector, err))) goto fail;
  const json_t *containers = json_object_get(spec, "containers");
  if (!json_is_array(containers) || json_array_size(containers) == 0) {
    rc = sw_err_set(err, SW_EINVAL, "spec.template.spec.containers: expected at least one container");
    goto fail;
  }
  out->ncontainers = json_array_size(containers);
  /* GPU requests of every container add up, as the scheduler sums them. The
   * container the local driver runs is the model server: the first one that
   * asks for a GPU, else the first that runs the vLLM server, else the
   * first (a sidecar listed before the server must not be what runs). */
  size_t ci, main_idx = SIZE_MAX, vllm_idx = SIZE_MAX;
  json_t *cj;
  json_array_foreach(containers, ci, cj) {
    char path[64];
    snprintf(path, sizeof path, "spec.template.spec.containers[%zu]", ci);
    if (!json_is_object(cj)) {
      rc = sw_err_set(err, SW_EINVAL, "%s: expected a container", path);
      goto fail;
    }
    int g;
    if ((rc = gpu_request(cj, path, &g, err))) goto fail;
    out->gpus += g;
    if (g > 0 && main_idx == SIZE_MAX) main_idx = ci;
    if (vllm_idx == SIZE_MAX && runs_vllm(cj)) vllm_idx = ci;
  }
  if (main_idx == SIZE_MAX) main_idx = vllm_idx != SIZE_MAX ? vllm_idx : 0;
  const json_t *c = json_array_get(containers, main_idx);
  char path[64];
  snprintf(path, sizeof path, "spec.template.spec.containers[%zu]", main_idx);
  if ((rc = get_string(c, "name", path, "main", &out->container_name, err))) goto fail;
  if ((rc = get_string(c, "image", path, NULL, &out->image, err))) goto fail;
  if ((rc = string_array(c, "command", path, &out->command, err))) goto fail;
  if ((rc = string_array(c, "args", path, &out->args, err))) goto fail;
  out->env = json_object();
  const json_t *env = json_object_get(c, "env");
  if (env && !json_is_null(env)) {
    if (!json_is_array(env)) {
      rc = sw_err_set(err, SW_EINVAL, "%s.env: expected a list of {name, value}", path);
      goto fail;
    }
    size_t i;
    json_t *e;
    json_array_foreach(env, i, e) {
      const char *n = json_string_value(json_object_get(e, "name"));
      if (!n || !*n || strchr(n, '=')) {
        rc = sw_err_set(err, SW_EINVAL, "%s.env[%zu].name: expected a variable name", path, i);
        goto fail;
      }
      const json_t *v = json_object_get(e, "value");
      if (json_is_string(v))
        json_object_set_new(out->env, n, json_string(json_string_value(v)));
      else if (!v || json_is_null(v))
        json_object_set_new(out->env, n, json_string("")); /* valueFrom: not resolvable here */
      else {
        rc = sw_err_set(err, SW_EINVAL, "%s.env[%zu].value: expected a string", path, i);
        goto fail;
      }
    }
  }
  const json_t *ports = json_object_get(c, "ports");
  if (ports && !json_is_null(ports)) {
    if (!json_is_array(ports)) {
      rc = sw_err_set(err, SW_EINVAL, "%s.ports: expected a list", path);
      goto fail;
    }
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p) {
      char sub[96];
      snprintf(sub, sizeof sub, "%s.ports[%zu].containerPort", path, i);
      int port;
      if ((rc = resolve_port(c, json_object_get(p, "containerPort"), sub, &port, err))) goto fail;
      add_port(out, port);
    }
  }
  if ((rc = parse_probe(c, "readinessProbe", path, &out->readiness, err))) goto fail;
  if ((rc = parse_probe(c, "livenessProbe", path, &out->liveness, err))) goto fail;
  if (out->readiness.kind == CLUSTER_PROBE_TCP || out->readiness.kind == CLUSTER_PROBE_HTTP)
    add_port(out, out->readiness.port);
  if (out->liveness.kind == CLUSTER_PROBE_TCP || out->liveness.kind == CLUSTER_PROBE_HTTP)
    add_port(out, out->liveness.port);
  char *rp = NULL;
  if ((rc = get_string(spec, "restartPolicy", "spec.template.spec", "Always", &rp, err))) goto fail;
  if (strcmp(rp, "Always") == 0)
    out->restart_policy = CLUSTER_RESTART_ALWAYS;
  else if (strcmp(rp, "OnFailure") == 0)
    out->restart_policy = CLUSTER_RESTART_ON_FAILURE;
  else if (strcmp(rp, "Never") == 0)
    out->restart_policy = CLUSTER_RESTART_NEVER;
  else {
    rc = sw_err_set(err, SW_EINVAL,
                    "spec.template.spec.restartPolicy: expected Always, OnFailure or Never, got \"%s\"", rp);
    free(rp);
    goto fail;
  }
  free(rp);
  if ((rc = get_number(spec, "terminationGracePeriodSeconds", "spec.template.spec", 30, 0,
                       &out->grace_seconds, err)))
    goto fail;
  return 0;
fail:
  cluster_template_free(out);
  return rc;
}

void cluster_template_free(cluster_template *t) {
  if (!t) return;
  json_decref(t->pod_template);
  json_decref(t->labels);
  json_decref(t->annotations);
  json_decref(t->node_selector);
  free(t->container_name);
  free(t->image);
  json_decref(t->command);
  json_decref(t->args);
  json_decref(t->env);
  free(t->readiness.path);
  json_decref(t->readiness.headers);
  free(t->liveness.path);
  json_decref(t->liveness.headers);
  memset(t, 0, sizeof *t);
}

bool cluster_selector_matches(const json_t *selector, const json_t *labels) {
  if (!json_is_object(selector)) return true;
  const json_t *ml = json_object_get(selector, "matchLabels");
  if (json_is_object(ml) && json_object_size(selector) <= 2 &&
      (json_object_size(selector) == 1 || json_object_get(selector, "matchExpressions")))
    selector = ml;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)selector, k, v) {
    const char *want = json_string_value(v);
    const char *have = json_string_value(json_object_get(labels, k));
    if (!want || !have || strcmp(want, have) != 0) return false;
  }
  return true;
}
