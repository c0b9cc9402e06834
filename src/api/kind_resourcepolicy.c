/*
 * kind_resourcepolicy.c — Alibaba Cloud ACK's ResourcePolicy
 * (scheduling.alibabacloud.com/v1alpha1): custom priority-based scheduling
 * over resource units (node pools selected by nodeSelector).
 *
 * Role in the data flow: the in-cluster placer of a member cluster reads it:
 * pods its selector matches go to the first unit with room (strategy
 * prefer), the next units only when earlier ones are full or at `max`;
 * scale-in removes pods from the last units first.
 * Defaults as ACK's scheduler documents them since v1.x.x-aliyun-6.4:
 * strategy prefer, preemptPolicy AfterAllUnits, ignorePreviousPod false,
 * ignoreTerminatingPod true. Never: I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const char *const strategies[] = {"prefer", NULL};
static const char *const resources[] = {"ecs", "elastic", "eci", "acs", NULL};
static const char *const preempt_policies[] = {"AfterAllUnits", "BeforeNextUnit", NULL};
static const char *const try_next[] = {"ExceedMax", "LackResourceOrExceedMax", "LackResourceAndNoTerminating",
                                       "TimeoutOrExceedMax", NULL};

static const api_field f_unit[] = {
    {.name = "resource", .type = AT_STRING, .flags = AF_REQUIRED, .enums = resources},
    {.name = "nodeSelector", .type = AT_STRMAP, .flags = AF_LABELS},
    {.name = "max", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "podLabels", .type = AT_STRMAP, .flags = AF_LABELS},
    {.name = "podAnnotations", .type = AT_STRMAP},
    {.name = "spotInstance", .type = AT_BOOL},
    {0},
};

static const api_field f_when_try_next[] = {
    {.name = "policy", .type = AT_STRING, .enums = try_next},
    {.name = "timeout", .type = AT_STRING},
    {0},
};

static const api_field f_spec[] = {
    {.name = "selector", .type = AT_STRMAP, .flags = AF_REQUIRED | AF_LABELS},
    {.name = "strategy", .type = AT_STRING, .enums = strategies, .def = "\"prefer\""},
    {.name = "units",
     .type = AT_ARRAY,
     .flags = AF_REQUIRED | AF_NONEMPTY,
     .elem = AT_OBJECT,
     .fields = f_unit},
    {.name = "preemptPolicy", .type = AT_STRING, .enums = preempt_policies, .def = "\"AfterAllUnits\""},
    {.name = "ignorePreviousPod", .type = AT_BOOL, .def = "false"},
    {.name = "ignoreTerminatingPod", .type = AT_BOOL, .def = "true"},
    {.name = "matchLabelKeys", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "whenTryNextUnits", .type = AT_OBJECT, .fields = f_when_try_next},
    {0},
};

static int semantic(api_ctx *c, json_t *obj) {
  if (json_object_size(api_getp(obj, "spec.selector")) == 0)
    return api_fail(c, "spec.selector",
                    "expected at least one label (an empty selector would match every pod)");
  return 0;
}

static const char *const columns[] = {"NAME", "STRATEGY", "UNITS", "AGE", NULL};

static void row(api_row *r, const json_t *obj, double now, bool wide) {
  char age[32];
  api_age(obj, now, age, sizeof age);
  const char *name = api_strp(obj, "metadata.name"), *strategy = api_strp(obj, "spec.strategy");
  api_row_add(r, "%s", name ? name : "");
  api_row_add(r, "%s", strategy ? strategy : "prefer");
  sw_buf b;
  sw_buf_init(&b);
  size_t i;
  json_t *u;
  json_array_foreach(api_getp(obj, "spec.units"), i, u) {
    const char *res = api_str(u, "resource");
    json_t *ns = json_object_get(u, "nodeSelector");
    const char *pool = api_str(ns, "alibabacloud.com/nodepool-id");
    sw_buf_printf(&b, "%s%s", i ? "," : "", res ? res : "");
    if (pool)
      sw_buf_printf(&b, ":%s", pool);
    else if (json_object_size(ns)) {
      char *s = api_selector_string(ns);
      sw_buf_printf(&b, "(%s)", s);
      free(s);
    }
    long long mx;
    if (api_intp(u, "max", &mx)) sw_buf_printf(&b, "<=%lld", mx);
  }
  api_row_add(r, "%s", b.data ? b.data : "<none>");
  sw_buf_free(&b);
  api_row_add(r, "%s", age);
}

const api_kind_def api_kind_resourcepolicy = {
    .k = {.kind = "ResourcePolicy",
          .plural = "resourcepolicies",
          .short_names = {"rp"},
          .group = "scheduling.alibabacloud.com",
          .version = "v1alpha1",
          .namespaced = true},
    .spec = f_spec,
    .spec_required = true,
    .semantic = semantic,
    .columns = columns,
    .row = row,
};
