/*
 * podspec.c — the PodTemplateSpec / PodSpec / Container schema shared by
 * Deployment, Pod and InferenceService predictors, with the defaults
 * Kubernetes' core/v1 defaulters apply (SetDefaults_PodSpec, _Container,
 * _Probe, _HTTPGetAction, _ContainerPort) and label selector matching.
 *
 * Role in the data flow: part of validation (manifest.c -> kind_*.c). The
 * member-cluster layer later reads the same fields to start replicas, so a
 * default set here (probe period 10 s, grace 30 s) is what the drivers use.
 * Owns nothing. Never: I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const char *const protocols[] = {"TCP", "UDP", "SCTP", NULL};
static const char *const pull_policies[] = {"Always", "Never", "IfNotPresent", NULL};
static const char *const schemes[] = {"HTTP", "HTTPS", NULL};
const char *const api_enum_restart_policies[] = {"Always", "OnFailure", "Never", NULL};
const char *const api_enum_dns_policies[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None",
                                             NULL};
static const char *const msg_policies[] = {"File", "FallbackToLogsOnError", NULL};
static const char *const toleration_ops[] = {"Exists", "Equal", NULL};
static const char *const taint_effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};

static const api_field f_container_port[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_PORT_NAME},
    {.name = "hostPort", .type = AT_INT, .flags = AF_RANGE, .min = 0, .max = 65535},
    {.name = "containerPort", .type = AT_INT, .flags = AF_REQUIRED | AF_PORT},
    {.name = "protocol", .type = AT_STRING, .enums = protocols, .def = "\"TCP\""},
    {.name = "hostIP", .type = AT_STRING},
    {0},
};

static const api_field f_env_var[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "value", .type = AT_STRING},
    {.name = "valueFrom", .type = AT_OBJECT},
    {0},
};

const api_field api_f_resources[] = {
    {.name = "limits", .type = AT_QTYMAP},
    {.name = "requests", .type = AT_QTYMAP},
    {.name = "claims", .type = AT_ARRAY, .elem = AT_OBJECT},
    {0},
};

static const api_field f_volume_mount[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "mountPath", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "readOnly", .type = AT_BOOL},
    {.name = "recursiveReadOnly", .type = AT_STRING},
    {.name = "subPath", .type = AT_STRING},
    {.name = "subPathExpr", .type = AT_STRING},
    {.name = "mountPropagation", .type = AT_STRING},
    {0},
};

static const api_field f_http_header[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED},
    {.name = "value", .type = AT_STRING, .flags = AF_REQUIRED},
    {0},
};

static const api_field f_http_get[] = {
    {.name = "path", .type = AT_STRING, .def = "\"/\""},
    {.name = "port", .type = AT_INTORSTR, .flags = AF_REQUIRED | AF_PORT},
    {.name = "host", .type = AT_STRING},
    {.name = "scheme", .type = AT_STRING, .enums = schemes, .def = "\"HTTP\""},
    {.name = "httpHeaders", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_http_header},
    {0},
};

static const api_field f_tcp_socket[] = {
    {.name = "port", .type = AT_INTORSTR, .flags = AF_REQUIRED | AF_PORT},
    {.name = "host", .type = AT_STRING},
    {0},
};

static const api_field f_exec[] = {
    {.name = "command", .type = AT_ARRAY, .elem = AT_STRING},
    {0},
};

static const api_field f_grpc[] = {
    {.name = "port", .type = AT_INT, .flags = AF_REQUIRED | AF_PORT},
    {.name = "service", .type = AT_STRING},
    {0},
};

static int check_probe(api_ctx *c, json_t *parent, json_t *v, const char *path) {
  static const char *const handlers[] = {"exec", "httpGet", "tcpSocket", "grpc"};
  int n = 0;
  for (size_t i = 0; i < 4; i++)
    if (json_object_get(v, handlers[i])) n++;
  if (n == 0) return api_fail(c, path, "expected one handler: exec, httpGet, tcpSocket or grpc");
  if (n > 1)
    return api_fail(c, path, "expected exactly one handler of exec, httpGet, tcpSocket and grpc, got %d", n);
  return 0;
}

/* SetDefaults_Probe: timeout 1, period 10, success 1, failure 3. */
static const api_field f_probe[] = {
    {.name = "exec", .type = AT_OBJECT, .fields = f_exec},
    {.name = "httpGet", .type = AT_OBJECT, .fields = f_http_get},
    {.name = "tcpSocket", .type = AT_OBJECT, .fields = f_tcp_socket},
    {.name = "grpc", .type = AT_OBJECT, .fields = f_grpc},
    {.name = "initialDelaySeconds", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "timeoutSeconds", .type = AT_INT, .flags = AF_POSITIVE, .def = "1"},
    {.name = "periodSeconds", .type = AT_INT, .flags = AF_POSITIVE, .def = "10"},
    {.name = "successThreshold", .type = AT_INT, .flags = AF_POSITIVE, .def = "1"},
    {.name = "failureThreshold", .type = AT_INT, .flags = AF_POSITIVE, .def = "3"},
    {.name = "terminationGracePeriodSeconds", .type = AT_INT, .flags = AF_POSITIVE | AF_INT64},
    {0},
};

const api_field api_f_container[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED | AF_DNS_LABEL},
    {.name = "image", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "command", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "args", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "workingDir", .type = AT_STRING},
    {.name = "ports", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_container_port},
    {.name = "envFrom", .type = AT_ARRAY, .elem = AT_OBJECT},
    {.name = "env", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_env_var},
    {.name = "resources", .type = AT_OBJECT, .fields = api_f_resources, .def = "{}"},
    {.name = "resizePolicy", .type = AT_ARRAY, .elem = AT_OBJECT},
    {.name = "restartPolicy", .type = AT_STRING},
    {.name = "volumeMounts", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_volume_mount},
    {.name = "volumeDevices", .type = AT_ARRAY, .elem = AT_OBJECT},
    {.name = "livenessProbe", .type = AT_OBJECT, .fields = f_probe, .check = check_probe},
    {.name = "readinessProbe", .type = AT_OBJECT, .fields = f_probe, .check = check_probe},
    {.name = "startupProbe", .type = AT_OBJECT, .fields = f_probe, .check = check_probe},
    {.name = "lifecycle", .type = AT_OBJECT},
    {.name = "terminationMessagePath", .type = AT_STRING, .def = "\"/dev/termination-log\""},
    {.name = "terminationMessagePolicy", .type = AT_STRING, .enums = msg_policies, .def = "\"File\""},
    {.name = "imagePullPolicy", .type = AT_STRING, .enums = pull_policies},
    {.name = "securityContext", .type = AT_OBJECT},
    {.name = "stdin", .type = AT_BOOL},
    {.name = "stdinOnce", .type = AT_BOOL},
    {.name = "tty", .type = AT_BOOL},
    {0},
};

const api_field api_f_toleration[] = {
    {.name = "key", .type = AT_STRING},
    {.name = "operator", .type = AT_STRING, .enums = toleration_ops},
    {.name = "value", .type = AT_STRING},
    {.name = "effect", .type = AT_STRING, .enums = taint_effects},
    {.name = "tolerationSeconds", .type = AT_INT, .flags = AF_INT64},
    {0},
};

const api_field api_f_volume[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED | AF_DNS_LABEL},
    {.name = "persistentVolumeClaim", .type = AT_OBJECT},
    {.name = "emptyDir", .type = AT_OBJECT},
    {.name = "hostPath", .type = AT_OBJECT},
    {.name = "configMap", .type = AT_OBJECT},
    {.name = "secret", .type = AT_OBJECT},
    {.name = "projected", .type = AT_OBJECT},
    {.name = "downwardAPI", .type = AT_OBJECT},
    {.name = "nfs", .type = AT_OBJECT},
    {.name = "csi", .type = AT_OBJECT},
    {.name = "ephemeral", .type = AT_OBJECT},
    {.name = "image", .type = AT_OBJECT},
    {0},
};

const api_field api_f_local_ref[] = {
    {.name = "name", .type = AT_STRING},
    {0},
};

/* SetDefaults_PodSpec (API_POD_SPEC_FIELDS in api_internal.h). */
const api_field api_f_pod_spec[] = {API_POD_SPEC_FIELDS(AF_REQUIRED | AF_NONEMPTY, API_DEF), {0}};

static const api_field f_template_meta[] = {
    {.name = "name", .type = AT_STRING},
    {.name = "generateName", .type = AT_STRING},
    {.name = "namespace", .type = AT_STRING},
    {.name = "labels", .type = AT_STRMAP, .flags = AF_LABELS},
    {.name = "annotations", .type = AT_STRMAP},
    {.name = "creationTimestamp", .type = AT_TIME},
    {0},
};

const api_field api_f_pod_template[] = {
    {.name = "metadata", .type = AT_OBJECT, .fields = f_template_meta},
    {.name = "spec", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = api_f_pod_spec},
    {0},
};

const char *api_default_pull_policy(const char *image) {
  if (!image) return "IfNotPresent";
  if (strchr(image, '@')) return "IfNotPresent"; /* pinned by digest */
  const char *last = strrchr(image, '/');
  last = last ? last + 1 : image;
  const char *colon = strchr(last, ':');
  if (!colon || strcmp(colon + 1, "latest") == 0) return "Always";
  return "IfNotPresent";
}

static int container_semantic(api_ctx *c, json_t *ctr, const char *path) {
  if (!json_object_get(ctr, "imagePullPolicy"))
    json_object_set_new(ctr, "imagePullPolicy", json_string(api_default_pull_policy(api_str(ctr, "image"))));
  /* Names of a container's ports must be unique (validatePorts). */
  json_t *ports = json_object_get(ctr, "ports");
  for (size_t i = 0; i < json_array_size(ports); i++) {
    const char *ni = api_str(json_array_get(ports, i), "name");
    for (size_t j = 0; ni && j < i; j++) {
      const char *nj = api_str(json_array_get(ports, j), "name");
      if (nj && strcmp(ni, nj) == 0) {
        char *p = sw_xasprintf("%s.ports[%zu].name", path, i);
        int rc = api_fail(c, p, "expected a name unique among the container's ports, got \"%s\" twice", ni);
        free(p);
        return rc;
      }
    }
  }
  /* A request above its limit is invalid (ValidateResourceRequirements). */
  json_t *lim = api_getp(ctr, "resources.limits"), *req = api_getp(ctr, "resources.requests");
  const char *k;
  json_t *rv;
  json_object_foreach(req, k, rv) {
    json_t *lv = json_object_get(lim, k);
    double r, l;
    if (lv && api_quantity_from_json(rv, &r) == 0 && api_quantity_from_json(lv, &l) == 0 && r > l) {
      sw_buf p;
      sw_buf_init(&p);
      sw_buf_printf(&p, "%s.resources.requests", path);
      api_path_key(&p, k);
      int rc = api_fail(c, p.data, "expected a request <= its limit (%s), got %s", json_string_value(lv),
                        json_is_string(rv) ? json_string_value(rv) : "a larger value");
      sw_buf_free(&p);
      return rc;
    }
  }
  return 0;
}

int api_podspec_semantic(api_ctx *c, json_t *podspec, const char *path) {
  static const char *const lists[] = {"initContainers", "containers"};
  json_t *names = json_object();
  int rc = 0;
  for (size_t l = 0; l < 2 && rc == 0; l++) {
    json_t *ctrs = json_object_get(podspec, lists[l]);
    for (size_t i = 0; i < json_array_size(ctrs) && rc == 0; i++) {
      char p[512];
      snprintf(p, sizeof p, "%s.%s[%zu]", path, lists[l], i);
      json_t *ctr = json_array_get(ctrs, i);
      const char *name = api_str(ctr, "name");
      if (name && json_object_get(names, name)) {
        char np[560];
        snprintf(np, sizeof np, "%s.name", p);
        rc = api_fail(c, np, "expected a container name unique in the pod, got \"%s\" twice", name);
        break;
      }
      if (name) json_object_set_new(names, name, json_true());
      rc = container_semantic(c, ctr, p);
    }
  }
  json_decref(names);
  /* Volume mounts must name a volume of the pod. */
  json_t *vols = json_object_get(podspec, "volumes");
  json_t *ctrs = json_object_get(podspec, "containers");
  for (size_t i = 0; i < json_array_size(ctrs) && rc == 0; i++) {
    json_t *mounts = api_getp(json_array_get(ctrs, i), "volumeMounts");
    for (size_t m = 0; m < json_array_size(mounts) && rc == 0; m++) {
      const char *vn = api_str(json_array_get(mounts, m), "name");
      bool found = false;
      for (size_t v = 0; v < json_array_size(vols) && !found; v++)
        found = sw_streq(api_str(json_array_get(vols, v), "name"), vn);
      if (!found) {
        char p[512];
        snprintf(p, sizeof p, "%s.containers[%zu].volumeMounts[%zu].name", path, i, m);
        rc = api_fail(c, p, "expected the name of one of the pod's volumes, got \"%s\"", vn ? vn : "");
      }
    }
  }
  return rc;
}

/* ---- label selectors ------------------------------------------------------------- */

static bool in_values(const json_t *values, const char *v) {
  size_t i;
  json_t *e;
  json_array_foreach(values, i, e) if (sw_streq(json_string_value(e), v)) return true;
  return false;
}

bool api_selector_matches(const json_t *selector, const json_t *labels) {
  if (!json_is_object(selector)) return true;
  json_t *ml = json_object_get(selector, "matchLabels"), *me = json_object_get(selector, "matchExpressions");
  bool structured = json_is_object(ml) || json_is_array(me);
  const json_t *map = structured ? ml : selector;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)map, k, v) {
    const char *have = api_str(labels, k);
    if (!have || !sw_streq(have, json_string_value(v))) return false;
  }
  if (!structured) return true;
  size_t i;
  json_t *req;
  json_array_foreach(me, i, req) {
    const char *key = api_str(req, "key"), *op = api_str(req, "operator");
    const char *have = key ? api_str(labels, key) : NULL;
    json_t *vals = json_object_get(req, "values");
    if (sw_streq(op, "In") && !(have && in_values(vals, have))) return false;
    if (sw_streq(op, "NotIn") && have && in_values(vals, have)) return false;
    if (sw_streq(op, "Exists") && !have) return false;
    if (sw_streq(op, "DoesNotExist") && have) return false;
  }
  return true;
}

char *api_selector_string(const json_t *selector) {
  sw_buf b;
  sw_buf_init(&b);
  if (json_is_object(selector)) {
    json_t *ml = json_object_get(selector, "matchLabels"),
           *me = json_object_get(selector, "matchExpressions");
    bool structured = json_is_object(ml) || json_is_array(me);
    const json_t *map = structured ? ml : selector;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v) {
      sw_buf_printf(&b, "%s%s=%s", b.len ? "," : "", k, json_is_string(v) ? json_string_value(v) : "");
    }
    size_t i;
    json_t *req;
    json_array_foreach(me, i, req) {
      const char *key = api_str(req, "key"), *op = api_str(req, "operator");
      if (sw_streq(op, "Exists"))
        sw_buf_printf(&b, "%s%s", b.len ? "," : "", key ? key : "");
      else if (sw_streq(op, "DoesNotExist"))
        sw_buf_printf(&b, "%s!%s", b.len ? "," : "", key ? key : "");
      else {
        sw_buf_printf(&b, "%s%s %s (", b.len ? "," : "", key ? key : "", sw_streq(op, "In") ? "in" : "notin");
        size_t j;
        json_t *e;
        json_array_foreach(json_object_get(req, "values"), j, e)
            sw_buf_printf(&b, "%s%s", j ? "," : "", json_string_value(e) ? json_string_value(e) : "");
        sw_buf_puts(&b, ")");
      }
    }
  }
  if (!b.data) sw_buf_puts(&b, "");
  return sw_buf_steal(&b);
}
