/*
 * kind_node.c — v1 Node as spillway writes them: one per node of a member
 * cluster's pool, named "<cluster>-<pool>-<n>", labelled
 * spillway.io/cluster and alibabacloud.com/nodepool-id, with
 * status.capacity/allocatable ("nvidia.com/gpu": "1") and a Ready condition.
 *
 * Role in the data flow: written by the member-cluster layer (and its
 * provisioner for elastic pools); read by in-cluster placement and printed by
 * `get nodes`. Cluster-scoped. Never: I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const api_field f_taint[] = {
    {.name = "key", .type = AT_STRING, .flags = AF_REQUIRED},
    {.name = "value", .type = AT_STRING},
    {.name = "effect", .type = AT_STRING, .flags = AF_REQUIRED},
    {.name = "timeAdded", .type = AT_TIME},
    {0},
};

static const api_field f_spec[] = {
    {.name = "podCIDR", .type = AT_STRING},
    {.name = "podCIDRs", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "providerID", .type = AT_STRING},
    {.name = "unschedulable", .type = AT_BOOL},
    {.name = "taints", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_taint},
    {0},
};

static const char *const columns[] = {"NAME", "STATUS", "AGE", NULL};
static const char *const wide_columns[] = {"CLUSTER", "POOL", "GPUS", "INSTANCE-TYPE", NULL};

static void row(api_row *r, const json_t *obj, double now, bool wide) {
  char age[32];
  api_age(obj, now, age, sizeof age);
  const char *name = api_strp(obj, "metadata.name");
  const char *status = "Unknown";
  size_t i;
  json_t *c;
  json_array_foreach(api_getp(obj, "status.conditions"), i, c) if (sw_streq(api_str(c, "type"), "Ready")) {
    const char *s = api_str(c, "status");
    status = sw_streq(s, "True") ? "Ready" : sw_streq(s, "False") ? "NotReady" : "Unknown";
  }
  bool cordoned = json_is_true(api_getp(obj, "spec.unschedulable"));
  api_row_add(r, "%s", name ? name : "");
  api_row_add(r, "%s%s", status, cordoned ? ",SchedulingDisabled" : "");
  api_row_add(r, "%s", age);
  if (wide) {
    json_t *labels = api_getp(obj, "metadata.labels");
    const char *cl = api_str(labels, "spillway.io/cluster"),
               *pool = api_str(labels, "alibabacloud.com/nodepool-id");
    const char *it = api_str(labels, "node.kubernetes.io/instance-type");
    char g[64];
    api_qty_string(json_object_get(api_getp(obj, "status.capacity"), "nvidia.com/gpu"), g, sizeof g);
    api_row_add(r, "%s", cl ? cl : "<none>");
    api_row_add(r, "%s", pool ? pool : "<none>");
    api_row_add(r, "%s", sw_streq(g, "<none>") ? "0" : g);
    api_row_add(r, "%s", it ? it : "<none>");
  }
}

const api_kind_def api_kind_node = {
    .k = {.kind = "Node",
          .plural = "nodes",
          .short_names = {"no"},
          .group = "",
          .version = "v1",
          .namespaced = false,
          .system = true},
    .spec = f_spec,
    .columns = columns,
    .wide_columns = wide_columns,
    .row = row,
};
