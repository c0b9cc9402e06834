/*
 * kserve.c — the InferenceService (serving.kserve.io/v1beta1) controller, in
 * KServe's RawDeployment mode: each InferenceService becomes a Deployment
 * "<name>-predictor" and, when its autoscaler class is hpa, an autoscaling/v2
 * HorizontalPodAutoscaler "<name>-predictor" that the autoscaler controller
 * (controller.c) then runs like any other. Status: url, address, conditions.
 *
 * Role in the data flow: InferenceService (user) -> Deployment + HPA (store) ->
 * the fleet scheduler / cluster layer run the pods. Owns the objects it
 * creates (ownerReferences) and deletes them when their InferenceService is
 * gone. Must never: touch replicas after creation (the autoscaler owns them),
 * read the clock, or talk to a cluster.
 *
 * The mapping reproduces KServe's hpa_reconciler.go (createHPA, getHPAMetrics:
 * min defaults to 1 and max to min; cpu at scaleTarget% (default 80), memory
 * only with a scaleTarget; spec.predictor.autoScaling.metrics Resource entries;
 * an empty behavior, which the API server fills with the defaults) and its raw
 * Deployment labels (serving.kserve.io/inferenceservice, app:
 * isvc.<name>-predictor, component: predictor). spillway's additions, both
 * documented: a scaleMetric that is neither cpu nor memory (a model-server or
 * GPU metric such as DCGM_CUSTOM_PROCESS_SM_UTIL) becomes a Pods metric with
 * an AverageValue target of scaleTarget, as Arena's kserve chart writes its
 * HPA for custom metrics; and pods get prometheus.io scrape annotations for
 * their first container port unless the InferenceService opts out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "autoscale/autoscale.h"
#include "autoscale/internal.h"

#define ISVC_API "serving.kserve.io/v1beta1"
#define CLASS_ANNOTATION "serving.kserve.io/autoscalerClass"
#define SCRAPE_ANNOTATION "serving.kserve.io/enable-prometheus-scraping"
#define DEFAULT_PORT 8080
#define DEFAULT_CPU_UTILIZATION 80

static const char *jstr(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

/* An int32 field given as a number or a numeric string; def when absent. */
static long jint(const json_t *o, const char *key, long def, bool *present) {
  const json_t *v = json_object_get(o, key);
  if (present) *present = false;
  if (json_is_integer(v)) {
    if (present) *present = true;
    return (long)json_integer_value(v);
  }
  if (json_is_real(v)) {
    if (present) *present = true;
    return (long)json_real_value(v);
  }
  if (json_is_string(v)) {
    char *end;
    long n = strtol(json_string_value(v), &end, 10);
    if (end != json_string_value(v) && !*end) {
      if (present) *present = true;
      return n;
    }
  }
  return def;
}

static const char *autoscaler_class(const json_t *isvc) {
  const char *c = jstr(json_object_get(json_object_get(isvc, "metadata"), "annotations"), CLASS_ANNOTATION);
  if (!c || !*c || strcmp(c, "kpa") == 0) return "hpa"; /* RawDeployment: KPA (Knative) becomes HPA */
  return c;
}

static json_t *owner_refs(const json_t *isvc) {
  const json_t *meta = json_object_get(isvc, "metadata");
  json_t *ref =
      json_pack("{s:s,s:s,s:s,s:b,s:b}", "apiVersion", ISVC_API, "kind", "InferenceService", "name",
                jstr(meta, "name") ? jstr(meta, "name") : "", "controller", 1, "blockOwnerDeletion", 1);
  if (jstr(meta, "uid")) json_object_set_new(ref, "uid", json_string(jstr(meta, "uid")));
  return json_pack("[o]", ref);
}

static void merge_strings(json_t *dst, const json_t *src) {
  const char *k;
  const json_t *v;
  if (json_is_object(src)) json_object_foreach((json_t *)src, k, v) {
      if (json_is_string(v)) json_object_set(dst, k, (json_t *)v);
    }
}

/* Labels of the predictor's Deployment and pods. */
static json_t *predictor_labels(const json_t *isvc, const char *name) {
  const json_t *pred = json_object_get(json_object_get(isvc, "spec"), "predictor");
  json_t *l = json_object();
  merge_strings(l, json_object_get(json_object_get(isvc, "metadata"), "labels"));
  merge_strings(l, json_object_get(pred, "labels"));
  json_object_set_new(l, "serving.kserve.io/inferenceservice", json_string(name));
  json_object_set_new(l, "component", json_string("predictor"));
  if (!json_is_string(json_object_get(l, "app"))) {
    char app[300];
    snprintf(app, sizeof app, "isvc.%s-predictor", name);
    json_object_set_new(l, "app", json_string(app));
  }
  return l;
}

/* "pvc://claim/sub/path" -> a volume and a mount at /mnt/models (KServe's
 * storage initializer mounts PVCs there). */
static void mount_storage(const char *uri, json_t *container, json_t *volumes) {
  if (!uri || strncmp(uri, "pvc://", 6) != 0) return;
  const char *rest = uri + 6;
  const char *slash = strchr(rest, '/');
  char *claim = slash ? sw_xstrndup(rest, (size_t)(slash - rest)) : sw_xstrdup(rest);
  json_array_append_new(volumes, json_pack("{s:s,s:{s:s,s:b}}", "name", "kserve-pvc-source",
                                           "persistentVolumeClaim", "claimName", claim, "readOnly", 0));
  json_t *mounts = json_object_get(container, "volumeMounts");
  if (!json_is_array(mounts)) {
    mounts = json_array();
    json_object_set_new(container, "volumeMounts", mounts);
  }
  json_t *m =
      json_pack("{s:s,s:s,s:b}", "name", "kserve-pvc-source", "mountPath", "/mnt/models", "readOnly", 1);
  if (slash && slash[1]) json_object_set_new(m, "subPath", json_string(slash + 1));
  json_array_append_new(mounts, m);
  free(claim);
}

json_t *autoscale_kserve_deployment(const json_t *isvc, const json_t *existing, sw_err *err) {
  const json_t *meta = json_object_get(isvc, "metadata");
  const char *name = jstr(meta, "name"), *ns = jstr(meta, "namespace");
  if (!name) {
    sw_err_set(err, SW_EINVAL, "metadata.name: required field is missing");
    return NULL;
  }
  if (!ns) ns = "default";
  const json_t *pred = json_object_get(json_object_get(isvc, "spec"), "predictor");
  if (!json_is_object(pred)) {
    sw_err_set(err, SW_EINVAL, "spec.predictor: required field is missing");
    return NULL;
  }
  json_t *containers;
  json_t *volumes = json_is_array(json_object_get(pred, "volumes"))
                        ? json_deep_copy(json_object_get(pred, "volumes"))
                        : json_array();
  const json_t *model = json_object_get(pred, "model");
  if (json_array_size(json_object_get(pred, "containers")) > 0) {
    containers = json_deep_copy(json_object_get(pred, "containers"));
  } else if (json_is_object(model)) {
    if (!jstr(model, "image")) {
      sw_err_set(
          err, SW_EINVAL,
          "spec.predictor.model.image: required: spillway has no ServingRuntimes to pick an image from "
          "(set the image, or use spec.predictor.containers)");
      json_decref(volumes);
      return NULL;
    }
    /* ModelSpec inlines a Container: everything but the model fields. */
    json_t *c = json_deep_copy(model);
    const char *drop[] = {"modelFormat", "runtime", "storageUri", "protocolVersion", "storage"};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) json_object_del(c, drop[i]);
    containers = json_pack("[o]", c);
    mount_storage(jstr(model, "storageUri"), c, volumes);
  } else {
    sw_err_set(err, SW_EINVAL, "spec.predictor: expected containers or a model with an image");
    json_decref(volumes);
    return NULL;
  }
  json_t *first = json_array_get(containers, 0);
  if (!jstr(first, "name")) json_object_set_new(first, "name", json_string("kserve-container"));
  if (json_array_size(json_object_get(first, "ports")) == 0)
    json_object_set_new(first, "ports",
                        json_pack("[{s:i,s:s}]", "containerPort", DEFAULT_PORT, "protocol", "TCP"));
  long port = jint(json_array_get(json_object_get(first, "ports"), 0), "containerPort", DEFAULT_PORT, NULL);
  /* KServe's raw deployments give the serving container a TCP readiness
   * probe on its port when it declares none, so a replica that is still
   * loading its model gets no traffic (Kubernetes would call a probe-less
   * container ready as soon as it starts). */
  if (!json_object_get(first, "readinessProbe"))
    json_object_set_new(first, "readinessProbe",
                        json_pack("{s:{s:i},s:i,s:i,s:i,s:i,s:i}", "tcpSocket", "port", (int)port,
                                  "initialDelaySeconds", 0, "periodSeconds", 10, "timeoutSeconds", 1,
                                  "successThreshold", 1, "failureThreshold", 3));

  json_t *labels = predictor_labels(isvc, name);
  /* pod annotations: the InferenceService's (but kubectl's bookkeeping) and the predictor's */
  json_t *ann = json_object();
  const char *k;
  const json_t *v;
  const json_t *isvc_ann = json_object_get(meta, "annotations");
  if (json_is_object(isvc_ann)) json_object_foreach((json_t *)isvc_ann, k, v) {
      if (json_is_string(v) && strncmp(k, "kubectl.kubernetes.io/", 22) != 0)
        json_object_set(ann, k, (json_t *)v);
    }
  merge_strings(ann, json_object_get(pred, "annotations"));
  if (!sw_streq(jstr(ann, SCRAPE_ANNOTATION), "false")) {
    char p[16];
    snprintf(p, sizeof p, "%ld", port);
    if (!jstr(ann, "prometheus.io/scrape"))
      json_object_set_new(ann, "prometheus.io/scrape", json_string("true"));
    if (!jstr(ann, "prometheus.io/port")) json_object_set_new(ann, "prometheus.io/port", json_string(p));
    if (!jstr(ann, "prometheus.io/path"))
      json_object_set_new(ann, "prometheus.io/path", json_string("/metrics"));
  }
  json_t *podspec = json_pack("{s:o}", "containers", containers);
  if (json_array_size(volumes))
    json_object_set_new(podspec, "volumes", volumes);
  else
    json_decref(volumes);
  const char *podkeys[] = {"nodeSelector",
                           "tolerations",
                           "affinity",
                           "serviceAccountName",
                           "imagePullSecrets",
                           "schedulerName",
                           "securityContext",
                           "priorityClassName",
                           "terminationGracePeriodSeconds",
                           "initContainers",
                           "dnsPolicy",
                           "runtimeClassName",
                           "hostIPC",
                           "hostNetwork"};
  for (size_t i = 0; i < sizeof podkeys / sizeof podkeys[0]; i++) {
    const json_t *pv = json_object_get(pred, podkeys[i]);
    if (pv && !json_is_null(pv)) json_object_set(podspec, podkeys[i], (json_t *)pv);
  }
  /* replicas: minReplicas at creation; afterwards the autoscaler's, except
   * with autoscalerClass none, where minReplicas is the replica count. */
  bool has_min;
  long min = jint(pred, "minReplicas", 1, &has_min);
  const char *cls = autoscaler_class(isvc);
  long replicas = strcmp(cls, "none") == 0 ? (min < 0 ? 0 : min) : (min < 1 ? 1 : min);
  const json_t *old_rep = json_object_get(json_object_get(existing, "spec"), "replicas");
  if (existing && strcmp(cls, "none") != 0 && json_is_integer(old_rep))
    replicas = (long)json_integer_value(old_rep);

  char dname[300];
  snprintf(dname, sizeof dname, "%s-predictor", name);
  json_t *selector = json_pack("{s:O,s:s}", "app", json_object_get(labels, "app"),
                               "serving.kserve.io/inferenceservice", name);
  json_t *dep = json_pack("{s:s,s:s,s:{s:s,s:s,s:O,s:o},s:{s:i,s:{s:o},s:{s:{s:O,s:o},s:o}}}", "apiVersion",
                          "apps/v1", "kind", "Deployment", "metadata", "name", dname, "namespace", ns,
                          "labels", labels, "ownerReferences", owner_refs(isvc), "spec", "replicas",
                          (int)replicas, "selector", "matchLabels", selector, "template", "metadata",
                          "labels", labels, "annotations", ann, "spec", podspec);
  json_decref(labels);
  if (!dep) sw_err_set(err, SW_EINTERNAL, "building the predictor Deployment failed");
  return dep;
}

json_t *autoscale_kserve_hpa(const json_t *isvc) {
  if (strcmp(autoscaler_class(isvc), "hpa") != 0) return NULL;
  const json_t *meta = json_object_get(isvc, "metadata");
  const char *name = jstr(meta, "name"), *ns = jstr(meta, "namespace");
  if (!name) return NULL;
  if (!ns) ns = "default";
  const json_t *pred = json_object_get(json_object_get(isvc, "spec"), "predictor");
  const json_t *ann = json_object_get(meta, "annotations");
  bool has;
  long min = jint(pred, "minReplicas", 1, &has);
  if (min < 1) min = 1; /* constants.DefaultMinReplicas */
  long max = jint(pred, "maxReplicas", 0, NULL);
  if (max < min) max = min;
  json_t *metrics = json_array();
  const json_t *as = json_object_get(json_object_get(pred, "autoScaling"), "metrics");
  if (json_is_array(as)) {
    size_t i;
    const json_t *m;
    json_array_foreach(as, i, m) {
      const json_t *res = json_object_get(m, "resource");
      const char *rname = jstr(res, "name");
      if (!rname) continue; /* only Resource metrics become HPA metrics, as KServe */
      const json_t *t = json_object_get(res, "target");
      if (strcmp(rname, "cpu") == 0) {
        long u = jint(t, "averageUtilization", DEFAULT_CPU_UTILIZATION, NULL);
        json_array_append_new(metrics, json_pack("{s:s,s:{s:s,s:{s:s,s:i}}}", "type", "Resource", "resource",
                                                 "name", "cpu", "target", "type", "Utilization",
                                                 "averageUtilization", (int)u));
      } else if (strcmp(rname, "memory") == 0) {
        json_t *target = json_object();
        if (sw_streq(jstr(t, "type"), "Utilization")) {
          json_object_set_new(target, "type", json_string("Utilization"));
          bool hu;
          long u = jint(t, "averageUtilization", 0, &hu);
          if (hu) json_object_set_new(target, "averageUtilization", json_integer(u));
        } else if (sw_streq(jstr(t, "type"), "AverageValue")) {
          json_object_set_new(target, "type", json_string("AverageValue"));
          const json_t *av = json_object_get(t, "averageValue");
          if (av) json_object_set(target, "averageValue", (json_t *)av);
        }
        json_array_append_new(metrics, json_pack("{s:s,s:{s:s,s:o}}", "type", "Resource", "resource", "name",
                                                 "memory", "target", target));
      }
    }
  } else {
    const char *metric = jstr(pred, "scaleMetric");
    if (!metric) metric = jstr(ann, "serving.kserve.io/metric"); /* the older annotation forms */
    if (!metric) metric = jstr(ann, "serving.kserve.io/metrics");
    if (!metric) metric = "cpu";
    bool has_target;
    long target = jint(pred, "scaleTarget", 0, &has_target);
    if (!has_target) target = jint(ann, "serving.kserve.io/targetUtilizationPercentage", 0, &has_target);
    if (strcmp(metric, "cpu") == 0) {
      json_array_append_new(metrics,
                            json_pack("{s:s,s:{s:s,s:{s:s,s:i}}}", "type", "Resource", "resource", "name",
                                      "cpu", "target", "type", "Utilization", "averageUtilization",
                                      has_target ? (int)target : DEFAULT_CPU_UTILIZATION));
    } else if (strcmp(metric, "memory") == 0) {
      if (has_target)
        json_array_append_new(metrics, json_pack("{s:s,s:{s:s,s:{s:s,s:i}}}", "type", "Resource", "resource",
                                                 "name", "memory", "target", "type", "Utilization",
                                                 "averageUtilization", (int)target));
    } else if (strcmp(metric, "concurrency") != 0 && strcmp(metric, "rps") != 0 && has_target) {
      /* spillway: a model-server / GPU metric, per pod, as Arena maps it */
      char tv[32];
      snprintf(tv, sizeof tv, "%ld", target);
      json_array_append_new(metrics,
                            json_pack("{s:s,s:{s:{s:s},s:{s:s,s:s}}}", "type", "Pods", "pods", "metric",
                                      "name", metric, "target", "type", "AverageValue", "averageValue", tv));
    }
  }
  char dname[300];
  snprintf(dname, sizeof dname, "%s-predictor", name);
  json_t *hann = json_pack("{s:s}", CLASS_ANNOTATION, "hpa");
  const char *adv = jstr(ann, AUTOSCALE_ADVISORY_ANNOTATION);
  if (adv) json_object_set_new(hann, AUTOSCALE_ADVISORY_ANNOTATION, json_string(adv));
  json_t *labels = predictor_labels(isvc, name);
  json_t *spec =
      json_pack("{s:{s:s,s:s,s:s},s:i,s:i,s:{}}", "scaleTargetRef", "apiVersion", "apps/v1", "kind",
                "Deployment", "name", dname, "minReplicas", (int)min, "maxReplicas", (int)max, "behavior");
  if (json_array_size(metrics))
    json_object_set_new(spec, "metrics", metrics);
  else
    json_decref(metrics); /* the API server's default: cpu at 80% */
  return json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:o,s:o},s:o}", "apiVersion", "autoscaling/v2", "kind",
                   "HorizontalPodAutoscaler", "metadata", "name", dname, "namespace", ns, "labels", labels,
                   "annotations", hann, "ownerReferences", owner_refs(isvc), "spec", spec);
}

/* ---- status -------------------------------------------------------------------------- */

static json_t *condition(const json_t *prev_conds, const char *type, bool ok, const char *reason,
                         const char *msg, double now) {
  const char *st = ok ? "True" : "False";
  json_t *c = json_pack("{s:s,s:s}", "type", type, "status", st);
  size_t i;
  const json_t *p;
  const json_t *ltt = NULL;
  json_array_foreach(prev_conds, i, p) {
    if (sw_streq(jstr(p, "type"), type) && sw_streq(jstr(p, "status"), st))
      ltt = json_object_get(p, "lastTransitionTime");
  }
  if (ltt)
    json_object_set(c, "lastTransitionTime", (json_t *)ltt);
  else {
    char buf[40];
    sw_time_format(now, buf, sizeof buf);
    json_object_set_new(c, "lastTransitionTime", json_string(buf));
  }
  if (reason) json_object_set_new(c, "reason", json_string(reason));
  if (msg) json_object_set_new(c, "message", json_string(msg));
  return c;
}

json_t *autoscale_kserve_status(const json_t *isvc, const json_t *prev, int ready_pods, int replicas,
                                const char *domain, double now) {
  const json_t *meta = json_object_get(isvc, "metadata");
  const char *name = jstr(meta, "name") ? jstr(meta, "name") : "";
  const char *ns = jstr(meta, "namespace") ? jstr(meta, "namespace") : "default";
  char url[600], internal[600];
  snprintf(url, sizeof url, "http://%s-%s.%s", name, ns, domain && *domain ? domain : "example.com");
  snprintf(internal, sizeof internal, "http://%s-predictor.%s.svc.cluster.local", name, ns);
  const json_t *pc = json_object_get(prev, "conditions");
  bool ready = ready_pods > 0;
  char msg[200];
  snprintf(msg, sizeof msg, "%d of %d predictor replicas are ready", ready_pods, replicas);
  json_t *conds = json_array();
  json_array_append_new(conds, condition(pc, "IngressReady", true, NULL, NULL, now));
  json_array_append_new(conds,
                        condition(pc, "PredictorReady", ready, ready ? NULL : "MinimumReplicasUnavailable",
                                  ready ? NULL : "Deployment does not have minimum availability.", now));
  json_array_append_new(conds, condition(pc, "Ready", ready, ready ? NULL : "MinimumReplicasUnavailable",
                                         ready ? NULL : msg, now));
  json_t *st = json_pack("{s:s,s:{s:s},s:{s:{s:s}},s:o,s:{s:{s:s,s:s},s:s}}", "url", url, "address", "url",
                         internal, "components", "predictor", "url", url, "conditions", conds, "modelStatus",
                         "states", "activeModelState", ready ? "Loaded" : "Pending", "targetModelState",
                         "Loaded", "transitionStatus", ready ? "UpToDate" : "InProgress");
  const json_t *gen = json_object_get(meta, "generation");
  if (json_is_integer(gen)) json_object_set(st, "observedGeneration", (json_t *)gen);
  return st;
}

/* ---- sync ------------------------------------------------------------------------------ */

static int count_ready_pods(plane *p, const char *ns, const json_t *dep) {
  const json_t *sel = json_object_get(json_object_get(dep, "spec"), "selector");
  json_t *pods = store_list(p->store, "Pod", ns);
  int n = 0;
  size_t i;
  const json_t *pod;
  json_array_foreach(pods, i, pod) {
    const json_t *meta = json_object_get(pod, "metadata");
    const json_t *dt = json_object_get(meta, "deletionTimestamp");
    if ((dt && !json_is_null(dt)) || !api_selector_matches(sel, json_object_get(meta, "labels"))) continue;
    size_t k;
    const json_t *c;
    json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), k, c) {
      if (sw_streq(jstr(c, "type"), "Ready") && sw_streq(jstr(c, "status"), "True")) n++;
    }
  }
  json_decref(pods);
  return n;
}

static bool owned_by(const json_t *obj, const char *owner, const char *uid) {
  size_t i;
  const json_t *r;
  json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), i, r) {
    if (sw_streq(jstr(r, "kind"), "InferenceService") && sw_streq(jstr(r, "name"), owner) &&
        (!uid || !jstr(r, "uid") || sw_streq(jstr(r, "uid"), uid)))
      return true;
  }
  return false;
}

static int apply_defaulted(plane *p, json_t *obj, double now, sw_err *err) {
  json_t *warnings = json_array();
  int rc = api_validate_object(obj, "InferenceService controller", warnings, err);
  json_decref(warnings);
  if (rc != 0) return rc;
  return store_apply(p->store, &obj, 1, now, NULL, err);
}

static void reconcile_isvc(autoscale_controller *c, plane *p, const json_t *isvc, double now) {
  const json_t *meta = json_object_get(isvc, "metadata");
  const char *name = jstr(meta, "name"), *ns = jstr(meta, "namespace");
  if (!name || !ns) return;
  char dname[300];
  snprintf(dname, sizeof dname, "%s-predictor", name);
  sw_err err = {0};
  json_t *existing = store_get(p->store, "Deployment", ns, dname);
  json_t *dep = autoscale_kserve_deployment(isvc, existing, &err);
  const json_t *prev = json_object_get(isvc, "status");
  if (!dep || apply_defaulted(p, dep, now, &err) != 0) {
    json_t *st = json_is_object(prev) ? json_deep_copy(prev) : json_object();
    json_t *conds = json_array();
    json_array_append_new(conds, condition(json_object_get(prev, "conditions"), "PredictorReady", false,
                                           "InvalidPredictor", err.msg, now));
    json_array_append_new(conds, condition(json_object_get(prev, "conditions"), "Ready", false,
                                           "InvalidPredictor", err.msg, now));
    json_object_set_new(st, "conditions", conds);
    sw_err e2;
    store_update_status(p->store, "InferenceService", ns, name, st, &e2);
    json_decref(st);
    plane_event(p, "InferenceService", ns, name, "Warning", "InvalidPredictor", "%s", err.msg);
    json_decref(dep);
    json_decref(existing);
    return;
  }
  if (!existing)
    plane_event(p, "InferenceService", ns, name, "Normal", "Created", "created Deployment %s", dname);
  json_t *hpa = autoscale_kserve_hpa(isvc);
  if (hpa) {
    json_t *old = store_get(p->store, "HorizontalPodAutoscaler", ns, dname);
    if (apply_defaulted(p, hpa, now, &err) != 0)
      plane_event(p, "InferenceService", ns, name, "Warning", "InvalidAutoscaler", "%s", err.msg);
    else if (!old)
      plane_event(p, "InferenceService", ns, name, "Normal", "Created", "created HorizontalPodAutoscaler %s",
                  dname);
    json_decref(old);
    json_decref(hpa);
  } else {
    /* autoscalerClass external / none: remove the HPA we made earlier */
    json_t *old = store_get(p->store, "HorizontalPodAutoscaler", ns, dname);
    if (old && owned_by(old, name, NULL))
      store_delete(p->store, "HorizontalPodAutoscaler", ns, dname, 0, &err);
    json_decref(old);
  }
  json_t *stored = store_get(p->store, "Deployment", ns, dname);
  const json_t *rep = json_object_get(json_object_get(stored, "spec"), "replicas");
  int ready = stored ? count_ready_pods(p, ns, stored) : 0;
  json_t *st = autoscale_kserve_status(
      isvc, prev, ready, json_is_integer(rep) ? (int)json_integer_value(rep) : 0, c->opts.kserve_domain, now);
  if (store_update_status(p->store, "InferenceService", ns, name, st, &err) != 0)
    SW_WARN("kserve", "InferenceService %s/%s: writing status: %s", ns, name, err.msg);
  json_decref(st);
  json_decref(stored);
  json_decref(dep);
  json_decref(existing);
}

/* Deletes Deployments and HPAs whose InferenceService is gone (what the
 * Kubernetes garbage collector does for ownerReferences). */
static void collect_garbage(plane *p) {
  const char *kinds[] = {"Deployment", "HorizontalPodAutoscaler"};
  for (size_t k = 0; k < 2; k++) {
    json_t *objs = store_list(p->store, kinds[k], NULL);
    size_t i;
    const json_t *o;
    json_array_foreach(objs, i, o) {
      const json_t *meta = json_object_get(o, "metadata");
      size_t j;
      const json_t *r;
      json_array_foreach(json_object_get(meta, "ownerReferences"), j, r) {
        if (!sw_streq(jstr(r, "kind"), "InferenceService")) continue;
        const char *ns = jstr(meta, "namespace") ? jstr(meta, "namespace") : "";
        json_t *owner = store_get(p->store, "InferenceService", ns, jstr(r, "name") ? jstr(r, "name") : "");
        const char *ouid = jstr(json_object_get(owner, "metadata"), "uid");
        bool gone = !owner || (jstr(r, "uid") && ouid && strcmp(ouid, jstr(r, "uid")) != 0);
        json_decref(owner);
        if (!gone) continue;
        sw_err err;
        if (store_delete(p->store, kinds[k], ns, jstr(meta, "name"), 0, &err) == 0)
          SW_INFO("kserve", "deleted %s %s/%s: its InferenceService is gone", kinds[k], ns,
                  jstr(meta, "name"));
        break;
      }
    }
    json_decref(objs);
  }
}

void autoscale_kserve_sync(autoscale_controller *c, plane *p, double now) {
  json_t *all = store_list(p->store, "InferenceService", NULL);
  size_t i;
  const json_t *o;
  json_array_foreach(all, i, o) reconcile_isvc(c, p, o, now);
  json_decref(all);
  collect_garbage(p);
}
