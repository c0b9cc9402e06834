/*
 * kind_cluster.c — spillway.io/v1alpha1 Cluster: one member cluster of the
 * fleet, its driver (local processes, a real Kubernetes cluster, or
 * simulated), its labels/region/priority and its node pools (static: a
 * fixed number of nodes; elastic: minNodes..maxNodes provisioned on demand,
 * provisioningSeconds each, while inventory lasts, at pricePerGPUHour).
 *
 * Role in the data flow: the member-cluster layer creates a driver per
 * Cluster and keeps status.pools current; the fleet scheduler estimates each
 * cluster's capacity from it; `get clusters` prints GPUs from status.pools.
 * Cluster-scoped (namespace ""). Never: I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const char *const drivers[] = {"local", "kubernetes", "simulated", NULL};
static const char *const runtimes[] = {"process", "simulated", NULL};
static const char *const pool_types[] = {"static", "elastic", NULL};

static const api_field f_pool[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED | AF_DNS_LABEL},
    {.name = "type", .type = AT_STRING, .enums = pool_types, .def = "\"static\""},
    {.name = "gpusPerNode", .type = AT_INT, .flags = AF_NONNEG, .def = "1"},
    {.name = "nodes", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "minNodes", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "maxNodes", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "provisioningSeconds", .type = AT_NUMBER, .flags = AF_NONNEG},
    {.name = "inventory", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "pricePerGPUHour", .type = AT_NUMBER, .flags = AF_NONNEG},
    {.name = "instanceType", .type = AT_STRING},
    {.name = "labels", .type = AT_STRMAP, .flags = AF_LABELS},
    {.name = "startupSeconds", .type = AT_NUMBER, .flags = AF_NONNEG, .def = "20"},
    {.name = "engineProfile", .type = AT_STRING},
    {.name = "devices", .type = AT_ARRAY, .elem = AT_STRING},
    {0},
};

static const api_field f_spec[] = {
    {.name = "driver", .type = AT_STRING, .enums = drivers, .def = "\"local\""},
    {.name = "runtime", .type = AT_STRING, .enums = runtimes, .def = "\"process\""},
    {.name = "region", .type = AT_STRING},
    {.name = "priority", .type = AT_INT},
    {.name = "nodePools", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_pool},
    {.name = "scaleDownUnneededSeconds", .type = AT_NUMBER, .flags = AF_NONNEG, .def = "600"},
    {.name = "healthGraceSeconds", .type = AT_NUMBER, .flags = AF_NONNEG, .def = "40"},
    {.name = "tolerationSeconds", .type = AT_NUMBER, .flags = AF_NONNEG, .def = "300"},
    {.name = "kubeconfig", .type = AT_STRING},
    {.name = "context", .type = AT_STRING},
    {0},
};

/* A Cluster with nothing but a name is a local cluster without pools: give
 * it a spec so the schema's defaults apply. */
static int pre(api_ctx *c, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  if (!spec || json_is_null(spec)) json_object_set_new(obj, "spec", json_object());
  return 0;
}

static int semantic(api_ctx *c, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  json_t *pools = json_object_get(spec, "nodePools");
  size_t i;
  json_t *p;
  json_array_foreach(pools, i, p) {
    char path[96];
    snprintf(path, sizeof path, "spec.nodePools[%zu]", i);
    const char *name = api_str(p, "name");
    for (size_t j = 0; j < i; j++)
      if (sw_streq(api_str(json_array_get(pools, j), "name"), name)) {
        char np[128];
        snprintf(np, sizeof np, "%s.name", path);
        return api_fail(c, np, "expected a pool name unique in the cluster, got \"%s\" twice", name);
      }
    bool elastic = sw_streq(api_str(p, "type"), "elastic");
    if (elastic) {
      char fp[128];
      if (json_object_get(p, "nodes")) {
        snprintf(fp, sizeof fp, "%s.nodes", path);
        return api_fail(c, fp, "expected minNodes/maxNodes for an elastic pool, not nodes");
      }
      long long mn = 0, mx = 0;
      if (!api_intp(p, "maxNodes", &mx)) {
        snprintf(fp, sizeof fp, "%s.maxNodes", path);
        return api_fail(c, fp, "required field is missing (an elastic pool needs maxNodes, an integer >= 0)");
      }
      if (!api_intp(p, "minNodes", &mn)) json_object_set_new(p, "minNodes", json_integer(0));
      if (mn > mx) {
        snprintf(fp, sizeof fp, "%s.minNodes", path);
        return api_fail(c, fp, "expected a value <= %s.maxNodes (%lld), got %lld", path, mx, mn);
      }
      if (!json_object_get(p, "provisioningSeconds"))
        json_object_set_new(p, "provisioningSeconds", json_integer(60));
    } else {
      static const char *const elastic_only[] = {"minNodes", "maxNodes", "inventory", "provisioningSeconds"};
      for (size_t k = 0; k < 4; k++)
        if (json_object_get(p, elastic_only[k])) {
          char fp[128];
          snprintf(fp, sizeof fp, "%s.%s", path, elastic_only[k]);
          return api_fail(c, fp, "expected only on an elastic pool (type: elastic); a static pool has nodes");
        }
      if (!json_object_get(p, "nodes")) json_object_set_new(p, "nodes", json_integer(1));
    }
  }
  if (sw_streq(api_str(spec, "driver"), "kubernetes") && !json_object_get(spec, "kubeconfig"))
    return api_fail(c, "spec.kubeconfig",
                    "required field is missing (driver kubernetes needs the path of a kubeconfig)");
  return 0;
}

static const char *ready_status(const json_t *obj) {
  size_t i;
  json_t *cnd;
  json_array_foreach(api_getp(obj, "status.conditions"), i,
                     cnd) if (sw_streq(api_str(cnd, "type"), "Ready")) {
    const char *s = api_str(cnd, "status");
    return s ? s : "Unknown";
  }
  return "Unknown";
}

static const char *const columns[] = {"NAME", "DRIVER", "READY", "GPUS", "ALLOCATABLE",
                                      "USED", "POOLS",  "AGE",   NULL};
static const char *const wide_columns[] = {"REGION", "PRIORITY", "RUNTIME", NULL};

static void row(api_row *r, const json_t *obj, double now, bool wide) {
  char age[32];
  api_age(obj, now, age, sizeof age);
  const char *name = api_strp(obj, "metadata.name"), *driver = api_strp(obj, "spec.driver");
  long long gpus = 0, alloc = 0, used = 0;
  sw_buf pools;
  sw_buf_init(&pools);
  json_t *sp = api_getp(obj, "status.pools");
  size_t i;
  json_t *p;
  if (json_array_size(sp)) {
    json_array_foreach(sp, i, p) {
      long long g = 0, a = 0, u = 0, nodes = 0;
      api_intp(p, "gpus", &g);
      api_intp(p, "gpusAllocatable", &a);
      api_intp(p, "gpusUsed", &u);
      api_intp(p, "nodes", &nodes);
      gpus += g, alloc += a, used += u;
      const char *pn = api_str(p, "name");
      sw_buf_printf(&pools, "%s%s(%lld)", i ? "," : "", pn ? pn : "", nodes);
    }
  } else {
    json_array_foreach(api_getp(obj, "spec.nodePools"), i, p) {
      const char *pn = api_str(p, "name");
      sw_buf_printf(&pools, "%s%s", i ? "," : "", pn ? pn : "");
    }
  }
  api_row_add(r, "%s", name ? name : "");
  api_row_add(r, "%s", driver ? driver : "local");
  api_row_add(r, "%s", ready_status(obj));
  api_row_add(r, "%lld", gpus);
  api_row_add(r, "%lld", alloc);
  api_row_add(r, "%lld", used);
  api_row_add(r, "%s", pools.data ? pools.data : "<none>");
  api_row_add(r, "%s", age);
  sw_buf_free(&pools);
  if (wide) {
    const char *region = api_strp(obj, "spec.region"), *runtime = api_strp(obj, "spec.runtime");
    long long prio;
    api_row_add(r, "%s", region ? region : "<none>");
    if (api_intp(obj, "spec.priority", &prio))
      api_row_add(r, "%lld", prio);
    else
      api_row_add(r, "<none>");
    api_row_add(r, "%s", runtime ? runtime : "process");
  }
}

static json_t *status_pool(const json_t *obj, const char *name) {
  size_t i;
  json_t *p;
  json_array_foreach(api_getp(obj, "status.pools"), i, p) if (sw_streq(api_str(p, "name"), name)) return p;
  return NULL;
}

static void describe(sw_buf *out, const json_t *obj, const json_t *related, double now) {
  api_tw tw;
  api_tw_init(&tw, 0, 2);
  api_describe_meta(&tw, obj, false);
  json_t *spec = json_object_get(obj, "spec");
  const char *driver = api_str(spec, "driver"), *runtime = api_str(spec, "runtime"),
             *region = api_str(spec, "region");
  api_tw_printf(&tw, "Driver:\t%s\nRuntime:\t%s\nRegion:\t%s\n", driver ? driver : "local",
                runtime ? runtime : "process", region ? region : "<none>");
  long long prio;
  if (api_intp(spec, "priority", &prio)) api_tw_printf(&tw, "Priority:\t%lld\n", prio);
  api_tw_flush(&tw, out);
  json_t *pools = json_object_get(spec, "nodePools");
  if (json_array_size(pools)) {
    api_tw_printf(
        &tw,
        "Node Pools:\n  NAME\tTYPE\tGPUS/NODE\tNODES\tREADY\tGPUS\tALLOCATABLE\tUSED\tPROVISIONING\tINVENTORY"
        "\tPRICE/GPU-H\n");
    size_t i;
    json_t *p;
    json_array_foreach(pools, i, p) {
      const char *name = api_str(p, "name"), *type = api_str(p, "type");
      json_t *st = status_pool(obj, name);
      long long gpn = 1, n = 0, mn = 0, mx = 0, ready = 0, g = 0, a = 0, u = 0, prov = 0, inv;
      api_intp(p, "gpusPerNode", &gpn);
      char nodes[64];
      if (sw_streq(type, "elastic")) {
        api_intp(p, "minNodes", &mn);
        api_intp(p, "maxNodes", &mx);
        long long cur = 0;
        api_intp(st, "nodes", &cur);
        snprintf(nodes, sizeof nodes, "%lld (%lld..%lld)", cur, mn, mx);
      } else {
        api_intp(p, "nodes", &n);
        snprintf(nodes, sizeof nodes, "%lld", n);
      }
      api_intp(st, "readyNodes", &ready);
      api_intp(st, "gpus", &g);
      api_intp(st, "gpusAllocatable", &a);
      api_intp(st, "gpusUsed", &u);
      api_intp(st, "provisioning", &prov);
      char invs[32] = "unlimited", price[32] = "<none>";
      if (api_intp(st, "inventoryLeft", &inv) || api_intp(p, "inventory", &inv))
        snprintf(invs, sizeof invs, "%lld", inv);
      if (!sw_streq(type, "elastic")) snprintf(invs, sizeof invs, "-");
      json_t *pr = json_object_get(p, "pricePerGPUHour");
      if (json_is_number(pr)) snprintf(price, sizeof price, "%g", json_number_value(pr));
      api_tw_printf(&tw, "  %s\t%s\t%lld\t%s\t%lld\t%lld\t%lld\t%lld\t%lld\t%s\t%s\n", name ? name : "",
                    type ? type : "static", gpn, nodes, ready, g, a, u, prov, invs, price);
    }
    api_tw_flush(&tw, out);
  }
  api_describe_conditions(&tw, api_getp(obj, "status.conditions"), true);
  api_tw_flush(&tw, out);
  api_tw_free(&tw);
  json_t *nodes = related ? json_object_get(related, "nodes") : NULL;
  if (json_array_size(nodes)) {
    sw_buf_puts(out, "Nodes:\n");
    char *t = api_table(&api_kind_node.k, nodes, true, now);
    for (char *line = t, *nl; line && *line; line = nl ? nl + 1 : NULL) {
      nl = strchr(line, '\n');
      sw_buf_puts(out, "  ");
      sw_buf_append(out, line, nl ? (size_t)(nl - line + 1) : strlen(line));
      if (!nl) sw_buf_puts(out, "\n");
    }
    free(t);
  }
  api_describe_events(out, related, now);
}

const api_kind_def api_kind_cluster = {
    .k = {.kind = "Cluster",
          .plural = "clusters",
          .short_names = {"cluster"},
          .group = "spillway.io",
          .version = "v1alpha1",
          .namespaced = false},
    .spec = f_spec,
    .pre = pre,
    .semantic = semantic,
    .columns = columns,
    .wide_columns = wide_columns,
    .row = row,
    .describe = describe,
};
