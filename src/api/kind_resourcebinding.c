/*
 * kind_resourcebinding.c — work.spillway.io/v1alpha1 ResourceBinding: the
 * fleet scheduler's decision for one Deployment, named
 * "<deployment>-deployment": spec.clusters [{name, replicas}] and
 * status {tier, unscheduled, reason, conditions}.
 *
 * Role in the data flow: written by the fleet scheduler, read by the
 * member-cluster layer (each cluster's share) and printed by `get rb` and
 * inside `describe deployment`. A system kind: users do not write it, but it
 * is validated the same way when it comes through the API. Never: I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const api_field f_resource[] = {
    {.name = "apiVersion", .type = AT_STRING, .flags = AF_REQUIRED},
    {.name = "kind", .type = AT_STRING, .flags = AF_REQUIRED},
    {.name = "namespace", .type = AT_STRING},
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED},
    {.name = "uid", .type = AT_STRING},
    {.name = "resourceVersion", .type = AT_STRING},
    {0},
};

static const api_field f_target[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "replicas", .type = AT_INT, .flags = AF_NONNEG, .def = "0"},
    {0},
};

static const api_field f_spec[] = {
    {.name = "resource", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = f_resource},
    {.name = "replicas", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "clusters", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_target},
    {.name = "replicaRequirements", .type = AT_OBJECT},
    {.name = "placement", .type = AT_OBJECT},
    {.name = "policy", .type = AT_OBJECT},
    {0},
};

static const char *const columns[] = {"NAME", "REPLICAS", "CLUSTERS", "TIER", "UNSCHEDULED", "AGE", NULL};

static void row(api_row *r, const json_t *obj, double now, bool wide) {
  char age[32];
  api_age(obj, now, age, sizeof age);
  const char *name = api_strp(obj, "metadata.name"), *tier = api_strp(obj, "status.tier");
  long long replicas = 0, un = 0;
  api_intp(obj, "spec.replicas", &replicas);
  api_intp(obj, "status.unscheduled", &un);
  sw_buf b;
  sw_buf_init(&b);
  size_t i;
  json_t *c;
  json_array_foreach(api_getp(obj, "spec.clusters"), i, c) {
    long long n = 0;
    api_intp(c, "replicas", &n);
    const char *cn = api_str(c, "name");
    sw_buf_printf(&b, "%s%s:%lld", i ? "," : "", cn ? cn : "", n);
  }
  api_row_add(r, "%s", name ? name : "");
  api_row_add(r, "%lld", replicas);
  api_row_add(r, "%s", b.data ? b.data : "<none>");
  api_row_add(r, "%s", tier ? tier : "<none>");
  api_row_add(r, "%lld", un);
  api_row_add(r, "%s", age);
  sw_buf_free(&b);
}

const api_kind_def api_kind_resourcebinding = {
    .k = {.kind = "ResourceBinding",
          .plural = "resourcebindings",
          .short_names = {"rb"},
          .group = "work.spillway.io",
          .version = "v1alpha1",
          .namespaced = true,
          .system = true},
    .spec = f_spec,
    .spec_required = true,
    .columns = columns,
    .row = row,
};
