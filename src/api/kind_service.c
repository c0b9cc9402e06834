/*
 * kind_service.c — v1 Service: schema, SetDefaults_Service (type ClusterIP,
 * sessionAffinity None, port protocol TCP, targetPort = port,
 * internalTrafficPolicy Cluster, externalTrafficPolicy Cluster for NodePort
 * and LoadBalancer) and the port checks of ValidateService (names required
 * and unique when there are several ports).
 *
 * Role in the data flow: PropagationPolicies select Services beside
 * Deployments; the gateway maps a Service's port to the pods its selector
 * picks. Never: I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const char *const service_types[] = {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName", NULL};
static const char *const affinities[] = {"None", "ClientIP", NULL};
static const char *const traffic_policies[] = {"Cluster", "Local", NULL};
static const char *const protocols[] = {"TCP", "UDP", "SCTP", NULL};
static const char *const family_policies[] = {"SingleStack", "PreferDualStack", "RequireDualStack", NULL};

static const api_field f_port[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_DNS_LABEL},
    {.name = "protocol", .type = AT_STRING, .enums = protocols, .def = "\"TCP\""},
    {.name = "appProtocol", .type = AT_STRING},
    {.name = "port", .type = AT_INT, .flags = AF_REQUIRED | AF_PORT},
    {.name = "targetPort", .type = AT_INTORSTR, .flags = AF_PORT},
    {.name = "nodePort", .type = AT_INT, .flags = AF_RANGE, .min = 0, .max = 65535},
    {0},
};

static const api_field f_spec[] = {
    {.name = "ports", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_port},
    {.name = "selector", .type = AT_STRMAP, .flags = AF_LABELS},
    {.name = "clusterIP", .type = AT_STRING},
    {.name = "clusterIPs", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "type", .type = AT_STRING, .enums = service_types, .def = "\"ClusterIP\""},
    {.name = "externalIPs", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "sessionAffinity", .type = AT_STRING, .enums = affinities, .def = "\"None\""},
    {.name = "loadBalancerIP", .type = AT_STRING},
    {.name = "loadBalancerSourceRanges", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "externalName", .type = AT_STRING},
    {.name = "externalTrafficPolicy", .type = AT_STRING, .enums = traffic_policies},
    {.name = "healthCheckNodePort", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "publishNotReadyAddresses", .type = AT_BOOL},
    {.name = "sessionAffinityConfig", .type = AT_OBJECT},
    {.name = "ipFamilies", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "ipFamilyPolicy", .type = AT_STRING, .enums = family_policies},
    {.name = "allocateLoadBalancerNodePorts", .type = AT_BOOL},
    {.name = "loadBalancerClass", .type = AT_STRING},
    {.name = "internalTrafficPolicy", .type = AT_STRING, .enums = traffic_policies, .def = "\"Cluster\""},
    {.name = "trafficDistribution", .type = AT_STRING},
    {0},
};

static int pre(api_ctx *c, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  if (!spec || json_is_null(spec)) json_object_set_new(obj, "spec", json_object());
  return 0;
}

static int semantic(api_ctx *c, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  const char *type = api_str(spec, "type");
  json_t *ports = json_object_get(spec, "ports");
  if (sw_streq(type, "ExternalName")) {
    const char *en = api_str(spec, "externalName");
    if (!en || !*en)
      return api_fail(c, "spec.externalName", "required field is missing (type ExternalName needs it)");
    return 0;
  }
  if (json_array_size(ports) == 0)
    return api_fail(c, "spec.ports", "required field is missing (expected at least one port)");
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p) {
    char path[64];
    snprintf(path, sizeof path, "spec.ports[%zu].name", i);
    const char *name = api_str(p, "name");
    if (json_array_size(ports) > 1 && (!name || !*name))
      return api_fail(c, path, "required field is missing (a Service with several ports must name each)");
    for (size_t j = 0; name && j < i; j++)
      if (sw_streq(api_str(json_array_get(ports, j), "name"), name))
        return api_fail(c, path, "expected a name unique among the Service's ports, got \"%s\" twice", name);
    if (!json_object_get(p, "targetPort")) json_object_set(p, "targetPort", json_object_get(p, "port"));
    if (json_object_get(p, "nodePort") && sw_streq(type, "ClusterIP")) {
      snprintf(path, sizeof path, "spec.ports[%zu].nodePort", i);
      return api_fail(c, path, "expected no nodePort for a Service of type ClusterIP");
    }
  }
  if ((sw_streq(type, "NodePort") || sw_streq(type, "LoadBalancer")) &&
      !json_object_get(spec, "externalTrafficPolicy"))
    json_object_set_new(spec, "externalTrafficPolicy", json_string("Cluster"));
  return 0;
}

static const char *const columns[] = {"NAME", "TYPE", "PORTS", "AGE", NULL};
static const char *const wide_columns[] = {"SELECTOR", NULL};

static void row(api_row *r, const json_t *obj, double now, bool wide) {
  char age[32];
  api_age(obj, now, age, sizeof age);
  const char *name = api_strp(obj, "metadata.name"), *type = api_strp(obj, "spec.type");
  api_row_add(r, "%s", name ? name : "");
  api_row_add(r, "%s", type ? type : "ClusterIP");
  sw_buf b;
  sw_buf_init(&b);
  size_t i;
  json_t *p;
  json_array_foreach(api_getp(obj, "spec.ports"), i, p) {
    long long port = 0, np = 0;
    api_intp(p, "port", &port);
    const char *proto = api_str(p, "protocol");
    if (api_intp(p, "nodePort", &np) && np)
      sw_buf_printf(&b, "%s%lld:%lld/%s", i ? "," : "", port, np, proto ? proto : "TCP");
    else
      sw_buf_printf(&b, "%s%lld/%s", i ? "," : "", port, proto ? proto : "TCP");
  }
  api_row_add(r, "%s", b.data ? b.data : "<none>");
  sw_buf_free(&b);
  api_row_add(r, "%s", age);
  if (wide) {
    char *sel = api_selector_string(api_getp(obj, "spec.selector"));
    api_row_add(r, "%s", *sel ? sel : "<none>");
    free(sel);
  }
}

const api_kind_def api_kind_service = {
    .k = {.kind = "Service",
          .plural = "services",
          .short_names = {"svc"},
          .group = "",
          .version = "v1",
          .namespaced = true},
    .spec = f_spec,
    .pre = pre,
    .semantic = semantic,
    .columns = columns,
    .wide_columns = wide_columns,
    .row = row,
};
