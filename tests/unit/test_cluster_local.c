/* Integration tests of the local driver (src/cluster/local.c + process.c) on a
 * real libuv loop with a time-scaled clock and real child processes
 * (python3 -m http.server, sh): the second seed's placement and autoscaling,
 * inventory fallback, unschedulable pods, crash back-off, never-ready pods,
 * graceful termination, ports/env/logs, runtime simulated argv, and the
 * orphan cleanup after a kill -9 of the process that ran the driver. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster/driver.h"
#include "cluster/local.h"
#include "cluster/process.h"
#include "cluster/spec.h"

#define SCALE 50.0

typedef struct ctx {
  uv_loop_t loop;
  sw_clock clock;
  char dir[128];
  char *cdir;
  json_t *events;
  cluster_driver *d;
  bool destroyed;
} ctx;

static void on_event(void *ud, const char *kind, const char *ns, const char *name, const char *type,
                     const char *reason, const char *message) {
  ctx *c = ud;
  json_array_append_new(c->events, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kind", kind, "ns", ns, "name",
                                             name, "type", type, "reason", reason, "message", message));
}

static void on_changed(void *ud) { (void)ud; }

static const char *python(void) {
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

static json_t *J(const char *s) {
  json_error_t e;
  json_t *j = json_loads(s, 0, &e);
  cr_assert_not_null(j, "bad JSON in test: %s (%s)", s, e.text);
  return j;
}

static void setup(ctx *c, const char *cluster_json, const char *engine_bin) {
  memset(c, 0, sizeof *c);
  uv_loop_init(&c->loop);
  sw_clock_init_real(&c->clock, SCALE);
  snprintf(c->dir, sizeof c->dir, "/tmp/sw-cluster-test-XXXXXX");
  cr_assert_not_null(mkdtemp(c->dir));
  c->cdir = sw_xasprintf("%s/clusters/c1", c->dir);
  c->events = json_array();
  cluster_driver_env env = {&c->loop, &c->clock, c->cdir, engine_bin, 2, on_event, on_changed, c};
  json_t *cl = J(cluster_json);
  sw_err err;
  cr_assert_eq(cluster_driver_create("local", &env, cl, &c->d, &err), 0, "%s", err.msg);
  json_decref(cl);
}

static void destroyed(void *ud) { ((ctx *)ud)->destroyed = true; }

static void teardown(ctx *c) {
  cluster_driver_destroy(c->d, destroyed, c);
  double deadline = sw_mono_now() + 20;
  while (!c->destroyed && sw_mono_now() < deadline) uv_run(&c->loop, UV_RUN_ONCE);
  cr_assert(c->destroyed, "driver did not stop in time");
  uv_run(&c->loop, UV_RUN_DEFAULT); /* let closing handles finish */
  cr_assert_eq(uv_loop_close(&c->loop), 0, "handles left open");
  json_decref(c->events);
  char *cmd = sw_xasprintf("rm -rf %s", c->dir);
  cr_assert_eq(system(cmd), 0);
  free(cmd);
  free(c->cdir);
}

/* Runs the loop until pred(c) holds or timeout (real seconds). */
typedef bool (*pred_fn)(ctx *c, void *arg);
static void tick_cb(uv_timer_t *t) { (void)t; }
static bool run_until(ctx *c, pred_fn pred, void *arg, double timeout) {
  uv_timer_t guard;
  uv_timer_init(&c->loop, &guard);
  uv_timer_start(&guard, tick_cb, 20, 20);
  double deadline = sw_mono_now() + timeout;
  bool ok = false;
  while (sw_mono_now() < deadline) {
    if (pred(c, arg)) {
      ok = true;
      break;
    }
    uv_run(&c->loop, UV_RUN_ONCE);
  }
  uv_timer_stop(&guard);
  uv_close((uv_handle_t *)&guard, NULL);
  uv_run(&c->loop, UV_RUN_NOWAIT);
  return ok;
}

static void run_for(ctx *c, double seconds) {
  uv_timer_t guard;
  uv_timer_init(&c->loop, &guard);
  uv_timer_start(&guard, tick_cb, 20, 20);
  double deadline = sw_mono_now() + seconds;
  while (sw_mono_now() < deadline) uv_run(&c->loop, UV_RUN_ONCE);
  uv_timer_stop(&guard);
  uv_close((uv_handle_t *)&guard, NULL);
  uv_run(&c->loop, UV_RUN_NOWAIT);
}

typedef struct counts {
  int total, scheduled, ready, terminating, pending, on_pool_static, ready_static, ready_elastic;
} counts;

static counts pod_counts(ctx *c, const char *static_pool) {
  counts k = {0};
  cluster_pod_list pl;
  sw_err err;
  cr_assert_eq(cluster_driver_list_pods(c->d, &pl, &err), 0, "%s", err.msg);
  for (size_t i = 0; i < pl.len; i++) {
    cluster_pod_info *p = &pl.items[i];
    k.total++;
    k.scheduled += p->scheduled;
    k.ready += p->ready;
    k.terminating += p->terminating;
    k.pending += !p->scheduled;
    bool st = static_pool && sw_streq(p->pool, static_pool);
    k.on_pool_static += st;
    k.ready_static += st && p->ready;
    k.ready_elastic += !st && p->ready;
  }
  cluster_pod_list_free(&pl);
  return k;
}

static int node_count(ctx *c, const char *pool, bool ready_only) {
  cluster_node_list nl;
  sw_err err;
  cr_assert_eq(cluster_driver_list_nodes(c->d, &nl, &err), 0, "%s", err.msg);
  int n = 0;
  for (size_t i = 0; i < nl.len; i++)
    if ((!pool || sw_streq(nl.items[i].pool, pool)) && (!ready_only || nl.items[i].ready)) n++;
  cluster_node_list_free(&nl);
  return n;
}

static int count_events(ctx *c, const char *reason, const char *substr) {
  int n = 0;
  size_t i;
  json_t *e;
  json_array_foreach(c->events, i, e) {
    if (strcmp(json_string_value(json_object_get(e, "reason")), reason) != 0) continue;
    if (substr && !strstr(json_string_value(json_object_get(e, "message")), substr)) continue;
    n++;
  }
  return n;
}

/* A Deployment whose replicas are python3 -m http.server on container port
 * 8000, one GPU each, ready by TCP probe. */
static json_t *http_deployment(const char *name, const char *labels, int gpus, double initial_delay) {
  char *s =
      sw_xasprintf("{\"apiVersion\":\"apps/"
                   "v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},"
                   "\"spec\":{\"replicas\":1,\"template\":{\"metadata\":{\"labels\":%s,\"annotations\":{"
                   "\"prometheus.io/scrape\":"
                   "\"true\"}},\"spec\":{\"terminationGracePeriodSeconds\":5,\"containers\":[{\"name\":"
                   "\"web\",\"image\":\"x\","
                   "\"command\":[\"%s\",\"-m\",\"http.server\",\"8000\",\"--bind\",\"127.0.0.1\"],"
                   "\"ports\":[{\"containerPort\":8000}],\"readinessProbe\":{\"tcpSocket\":{\"port\":8000},"
                   "\"initialDelaySeconds\":%g,\"periodSeconds\":5},\"resources\":{\"limits\":{\"nvidia.com/"
                   "gpu\":\"%d\"}}}]}}}}",
                   name, labels, python(), initial_delay, gpus);
  json_t *j = J(s);
  free(s);
  return j;
}

static void apply(ctx *c, const json_t *dep, int replicas, const json_t *rp) {
  cluster_workload w = {"default",
                        json_string_value(json_object_get(json_object_get(dep, "metadata"), "name")), dep,
                        replicas, rp};
  sw_err err;
  cr_assert_eq(cluster_driver_apply(c->d, &w, &err), 0, "%s", err.msg);
}

/* ---- the second seed on one machine ------------------------------------------------ */

static const char *SEED2_CLUSTER =
    "{\"apiVersion\":\"spillway.io/v1alpha1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"edge\"},"
    "\"spec\":{\"scaleDownUnneededSeconds\":120,\"nodePools\":["
    "{\"name\":\"onprem\",\"type\":\"static\",\"nodes\":1,\"gpusPerNode\":1},"
    "{\"name\":\"elastic\",\"type\":\"elastic\",\"gpusPerNode\":1,\"minNodes\":0,\"maxNodes\":4,"
    "\"provisioningSeconds\":60,\"pricePerGPUHour\":2.1}]}}";

static const char *SEED2_RP =
    "{\"apiVersion\":\"scheduling.alibabacloud.com/v1alpha1\",\"kind\":\"ResourcePolicy\","
    "\"metadata\":{\"name\":\"qwen-chat\",\"namespace\":\"default\"},"
    "\"spec\":{\"selector\":{\"app\":\"isvc.qwen-predictor\"},\"strategy\":\"prefer\",\"units\":["
    "{\"resource\":\"ecs\",\"nodeSelector\":{\"alibabacloud.com/nodepool-id\":\"onprem\"}},"
    "{\"resource\":\"elastic\",\"nodeSelector\":{\"alibabacloud.com/nodepool-id\":\"elastic\"}}]}}";

static bool one_ready_two_pending(ctx *c, void *a) {
  (void)a;
  counts k = pod_counts(c, "onprem");
  return k.total == 3 && k.ready_static == 1 && k.pending == 2;
}
static bool all_three_ready(ctx *c, void *a) {
  (void)a;
  counts k = pod_counts(c, "onprem");
  return k.total == 3 && k.ready == 3;
}
static bool two_terminating(ctx *c, void *a) {
  (void)a;
  return pod_counts(c, "onprem").terminating == 2;
}
static bool only_onprem_left(ctx *c, void *a) {
  (void)a;
  counts k = pod_counts(c, "onprem");
  return k.total == 1 && k.ready_static == 1;
}
static bool elastic_nodes_gone(ctx *c, void *a) {
  (void)a;
  return node_count(c, "elastic", false) == 0;
}

Test(local, second_seed_burst_to_cloud_and_back, .timeout = 60) {
  ctx c;
  setup(&c, SEED2_CLUSTER, NULL);
  json_t *dep = http_deployment("qwen-chat-predictor", "{\"app\":\"isvc.qwen-predictor\"}", 1, 5);
  json_t *rp = J(SEED2_RP);
  cr_assert_eq(node_count(&c, "onprem", true), 1);
  cr_assert_eq(node_count(&c, "elastic", false), 0);
  apply(&c, dep, 3, rp);
  double t0 = sw_clock_now(&c.clock);
  cr_assert(run_until(&c, one_ready_two_pending, NULL, 10), "1 on-prem Ready, 2 Pending");
  cr_assert_geq(count_events(&c, "FailedScheduling", "Insufficient nvidia.com/gpu"), 2);
  cr_assert_geq(count_events(&c, "TriggeredScaleUp", "elastic 0->2 (max: 4)"), 2);
  cr_assert_eq(count_events(&c, "ScaledUpGroup", "size to 2 instead of 0"), 1);
  cr_assert_eq(node_count(&c, "elastic", false), 2, "two nodes being provisioned");
  cr_assert_eq(node_count(&c, "elastic", true), 0, "not Ready before the provisioning time");
  cr_assert(run_until(&c, all_three_ready, NULL, 20), "all three Ready after the elastic nodes");
  double t1 = sw_clock_now(&c.clock);
  cr_assert_geq(t1 - t0, 60, "the elastic pods waited for provisioningSeconds (took %g s)", t1 - t0);
  cr_assert_eq(node_count(&c, "elastic", true), 2);
  cr_assert_eq(count_events(&c, "NodeReady", NULL), 2);

  /* scale to 1: the elastic pods go first (last ResourcePolicy unit) */
  apply(&c, dep, 1, rp);
  counts k = pod_counts(&c, "onprem");
  cr_assert_eq(k.terminating, 0, "termination starts on the driver's next turn");
  cr_assert(run_until(&c, two_terminating, NULL, 1), "two pods Terminating at once");
  k = pod_counts(&c, "onprem");
  cr_assert_eq(k.ready, 1, "terminating pods are not ready");
  cr_assert_eq(k.ready_static, 1, "the on-prem pod stays");
  cr_assert(run_until(&c, only_onprem_left, NULL, 10));
  /* idle elastic nodes go after scaleDownUnneededSeconds (120 s clock) */
  double t2 = sw_clock_now(&c.clock);
  cr_assert_eq(node_count(&c, "elastic", false), 2, "empty nodes are kept until unneeded long enough");
  cr_assert(run_until(&c, elastic_nodes_gone, NULL, 15), "elastic nodes removed");
  cr_assert_geq(sw_clock_now(&c.clock) - t2, 100, "removed only after the unneeded time");
  cr_assert_eq(count_events(&c, "ScaleDownEmpty", NULL), 2);
  cr_assert_eq(node_count(&c, "onprem", true), 1);
  json_decref(dep);
  json_decref(rp);
  teardown(&c);
}

/* ---- inventory-aware provisioning ------------------------------------------------------- */

static bool n_ready(ctx *c, void *a) { return pod_counts(c, NULL).ready == *(int *)a; }

Test(local, first_pool_without_inventory_uses_second, .timeout = 40) {
  ctx c;
  setup(&c,
        "{\"metadata\":{\"name\":\"cloud\"},\"spec\":{\"nodePools\":["
        "{\"name\":\"pool-a\",\"type\":\"elastic\",\"gpusPerNode\":1,\"maxNodes\":4,\"inventory\":0,"
        "\"provisioningSeconds\":20},"
        "{\"name\":\"pool-b\",\"type\":\"elastic\",\"gpusPerNode\":1,\"maxNodes\":4,\"provisioningSeconds\":"
        "20}]}}",
        NULL);
  json_t *dep = http_deployment("web", "{\"app\":\"web\"}", 1, 0);
  apply(&c, dep, 1, NULL);
  int one = 1;
  cr_assert(run_until(&c, n_ready, &one, 15));
  cr_assert_eq(node_count(&c, "pool-a", false), 0);
  cr_assert_eq(node_count(&c, "pool-b", true), 1);
  cr_assert_eq(count_events(&c, "InventoryExhausted",
                            "node pool pool-a has no inventory left; trying node pool pool-b"),
               1);
  cluster_pool_list pools;
  sw_err err;
  cr_assert_eq(cluster_driver_list_pools(c.d, &pools, &err), 0);
  cr_assert_eq(pools.items[0].inventory_left, 0);
  cr_assert_eq(pools.items[1].inventory_left, -1);
  cr_assert_eq(pools.items[1].nodes, 1);
  cr_assert_eq(pools.items[1].gpus_used, 1);
  cluster_pool_list_free(&pools);
  json_decref(dep);
  teardown(&c);
}

/* ---- nothing fits ------------------------------------------------------------------------ */

static bool has_prov_msg(ctx *c, void *a) {
  (void)a;
  return count_events(c, "NotTriggerScaleUp", NULL) > 0;
}

Test(local, nothing_fits_stays_pending_with_reason, .timeout = 30) {
  ctx c;
  setup(&c,
        "{\"metadata\":{\"name\":\"small\"},\"spec\":{\"nodePools\":["
        "{\"name\":\"onprem\",\"nodes\":1,\"gpusPerNode\":1},"
        "{\"name\":\"cloud\",\"type\":\"elastic\",\"gpusPerNode\":1,\"maxNodes\":2}]}}",
        NULL);
  json_t *dep = http_deployment("big", "{\"app\":\"big\"}", 2, 0);
  apply(&c, dep, 1, NULL);
  cr_assert(run_until(&c, has_prov_msg, NULL, 5));
  run_for(&c, 0.3);
  cluster_pod_list pl;
  sw_err err;
  cr_assert_eq(cluster_driver_list_pods(c.d, &pl, &err), 0);
  cr_assert_eq(pl.len, 1);
  cr_assert_not(pl.items[0].scheduled);
  cr_assert_eq(pl.items[0].phase, CLUSTER_POD_PENDING);
  cr_assert_str_eq(pl.items[0].reason, "Unschedulable");
  cr_assert(strstr(pl.items[0].message, "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."), "%s",
            pl.items[0].message);
  cr_assert(strstr(pl.items[0].message,
                   "pod didn't trigger scale-up: 1 node pool(s) are static, 1 node pool(s) have "
                   "too few GPUs per node"),
            "%s", pl.items[0].message);
  cluster_pod_list_free(&pl);
  cr_assert_eq(node_count(&c, "cloud", false), 0, "no node provisioned that could not help");
  json_decref(dep);
  teardown(&c);
}

/* ---- crash loop back-off ------------------------------------------------------------------ */

typedef struct crash_obs {
  int last_restarts;
  double starts[16];
  int nstarts;
  bool saw_backoff_state;
} crash_obs;

static bool crashed_enough(ctx *c, void *a) {
  crash_obs *o = a;
  cluster_pod_list pl;
  sw_err err;
  cluster_driver_list_pods(c->d, &pl, &err);
  if (pl.len == 1) {
    cluster_pod_info *p = &pl.items[0];
    if (p->started_at > 0 && (o->nstarts == 0 || p->started_at != o->starts[o->nstarts - 1]) &&
        o->nstarts < 16)
      o->starts[o->nstarts++] = p->started_at;
    if (sw_streq(p->container_reason, "CrashLoopBackOff")) o->saw_backoff_state = true;
    cr_assert_not(p->ready && p->pid == 0);
    o->last_restarts = p->restarts;
  }
  cluster_pod_list_free(&pl);
  return o->last_restarts >= 4;
}

Test(local, crash_restarts_with_backoff, .timeout = 40) {
  ctx c;
  setup(&c,
        "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"nodes\":1,\"gpusPerNode\":"
        "1}]}}",
        NULL);
  /* runs 1 clock second (20 ms real), then exits 3 */
  json_t *dep = J(
      "{\"metadata\":{\"name\":\"crash\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"c\"}},"
      "\"spec\":{\"containers\":[{\"name\":\"main\",\"command\":[\"sh\",\"-c\",\"sleep 0.02; exit "
      "3\"]}]}}}}");
  apply(&c, dep, 1, NULL);
  crash_obs o = {0};
  cr_assert(run_until(&c, crashed_enough, &o, 20), "restarts: %d", o.last_restarts);
  cr_assert(o.saw_backoff_state, "CrashLoopBackOff reported while waiting");
  cr_assert_geq(count_events(&c, "BackOff", "Back-off restarting failed container main"), 2);
  /* starts: s0, s1 (at once), s2 (+10 s), s3 (+20 s), s4 (+40 s) in clock time */
  cr_assert_geq(o.nstarts, 4, "observed %d starts", o.nstarts);
  double g1 = o.starts[1] - o.starts[0], g2 = o.starts[2] - o.starts[1], g3 = o.starts[3] - o.starts[2];
  cr_assert_lt(g1, 8, "first restart at once (gap %g)", g1);
  cr_assert_geq(g2, 10, "then 10 s back-off (gap %g)", g2);
  cr_assert_geq(g3, 20, "then 20 s (gap %g)", g3);
  cr_assert_gt(g3, g2 * 1.5, "back-off doubles (%g, %g)", g2, g3);
  cluster_pod_list pl;
  sw_err err;
  cluster_driver_list_pods(c.d, &pl, &err);
  cr_assert_eq(pl.items[0].phase, CLUSTER_POD_RUNNING,
               "a restarting pod stays Running, as with restartPolicy Always");
  cr_assert_eq(pl.items[0].exit_code, 3);
  cluster_pod_list_free(&pl);
  json_decref(dep);
  teardown(&c);
}

/* ---- never ready -------------------------------------------------------------------------- */

Test(local, never_ready_is_not_counted_ready, .timeout = 30) {
  ctx c;
  setup(&c,
        "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"nodes\":1,\"gpusPerNode\":"
        "0}]}}",
        NULL);
  json_t *dep =
      J("{\"metadata\":{\"name\":\"mute\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"m\"}},"
        "\"spec\":{\"containers\":[{\"name\":\"main\",\"command\":[\"sleep\",\"60\"],"
        "\"readinessProbe\":{\"httpGet\":{\"port\":8000,\"path\":\"/health\"},\"periodSeconds\":2,"
        "\"failureThreshold\":1}}]}}}}");
  apply(&c, dep, 1, NULL);
  run_for(&c, 1.5); /* 75 clock seconds: many probe periods */
  cluster_pod_list pl;
  sw_err err;
  cluster_driver_list_pods(c.d, &pl, &err);
  cr_assert_eq(pl.len, 1);
  cr_assert_eq(pl.items[0].phase, CLUSTER_POD_RUNNING);
  cr_assert_gt(pl.items[0].pid, 0);
  cr_assert_not(pl.items[0].ready);
  cr_assert_eq(pl.items[0].nports, 1, "the probe's port got a host port");
  cluster_pod_list_free(&pl);
  cr_assert_geq(count_events(&c, "Unhealthy", "Readiness probe failed: Get \"http://127.0.0.1:"), 5);
  cr_assert_geq(count_events(&c, "Unhealthy", "connection refused"), 5);
  json_decref(dep);
  teardown(&c);
}

/* ---- http probe, ports, env, logs, devices ----------------------------------------------------- */

static bool log_has(ctx *c, void *a) {
  (void)c;
  const char **want = a;
  char *s = sw_read_file(want[0], NULL, NULL);
  bool ok = s && strstr(s, want[1]);
  free(s);
  return ok;
}

Test(local, ports_env_devices_and_log, .timeout = 30) {
  ctx c;
  setup(&c,
        "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"gpu\",\"nodes\":2,"
        "\"gpusPerNode\":2,"
        "\"devices\":[\"0\",\"1\",\"2\",\"3\"]}]}}",
        NULL);
  char *s = sw_xasprintf(
      "{\"metadata\":{\"name\":\"env\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"e\"}},"
      "\"spec\":{\"containers\":[{\"name\":\"main\",\"command\":[\"sh\",\"-c\","
      "\"echo port=$PORT arg=8000 dev=$CUDA_VISIBLE_DEVICES who=$(WHO) node=$SPILLWAY_NODE_NAME; exec %s -m "
      "http.server 8000 --bind 127.0.0.1\"],"
      "\"env\":[{\"name\":\"WHO\",\"value\":\"me\"}],\"ports\":[{\"containerPort\":8000}],"
      "\"readinessProbe\":{\"httpGet\":{\"port\":8000,\"path\":\"/\"},\"periodSeconds\":2},"
      "\"resources\":{\"limits\":{\"nvidia.com/gpu\":2}}}]}}}}",
      python());
  json_t *dep = J(s);
  free(s);
  apply(&c, dep, 2, NULL);
  int two = 2;
  cr_assert(run_until(&c, n_ready, &two, 15), "http probes pass");
  cluster_pod_list pl;
  sw_err err;
  cluster_driver_list_pods(c.d, &pl, &err);
  cr_assert_eq(pl.len, 2);
  cr_assert_str_neq(pl.items[0].node, pl.items[1].node, "2 GPUs each: one pod per node");
  for (int i = 0; i < 2; i++) {
    cluster_pod_info *p = &pl.items[i];
    cr_assert_eq(p->container_ports[0], 8000);
    cr_assert_neq(p->host_ports[0], 8000);
    char want[160];
    bool first = sw_has_suffix(p->node, "-0");
    snprintf(want, sizeof want, "port=%d arg=%d dev=%s who=me node=%s", p->host_ports[0], p->host_ports[0],
             first ? "0,1" : "2,3", p->node);
    const char *args[2] = {p->log_path, want};
    cr_assert(run_until(&c, log_has, args, 5), "log %s lacks \"%s\"", p->log_path, want);
    cr_assert(sw_has_prefix(p->name, "env-"), "%s", p->name);
    cr_assert_eq(strlen(p->name), strlen("env-") + 10 + 1 + 5, "name <deployment>-<10 hex>-<5>: %s", p->name);
    cr_assert_str_eq(json_string_value(json_object_get(p->labels, "pod-template-hash")), p->template_hash);
  }
  cluster_pod_list_free(&pl);
  json_decref(dep);
  teardown(&c);
}

/* ---- graceful termination ------------------------------------------------------------------------ */

static bool pod_gone(ctx *c, void *a) {
  (void)a;
  return pod_counts(c, NULL).total == 0;
}

static bool pod_running(ctx *c, void *a) {
  (void)a;
  cluster_pod_list pl;
  sw_err err;
  cluster_driver_list_pods(c->d, &pl, &err);
  bool ok = pl.len == 1 && pl.items[0].pid > 0;
  cluster_pod_list_free(&pl);
  return ok;
}

Test(local, graceful_termination_sigterm_then_sigkill, .timeout = 30) {
  ctx c;
  setup(&c,
        "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"nodes\":1,\"gpusPerNode\":"
        "0}]}}",
        NULL);
  /* one replica that finishes on SIGTERM, one that ignores it */
  json_t *polite =
      J("{\"metadata\":{\"name\":\"polite\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"a\":\"p\"}},"
        "\"spec\":{\"terminationGracePeriodSeconds\":30,\"containers\":[{\"name\":\"m\",\"command\":[\"sh\","
        "\"-c\",\"trap 'echo got TERM; exit 0' TERM; echo up; while :; do sleep 0.05; done\"]}]}}}}");
  apply(&c, polite, 1, NULL);
  cr_assert(run_until(&c, pod_running, NULL, 5));
  run_for(&c, 0.2);
  cluster_pod_list pl;
  sw_err err;
  cluster_driver_list_pods(c.d, &pl, &err);
  char *name = sw_xstrdup(pl.items[0].name), *log = sw_xstrdup(pl.items[0].log_path);
  cluster_pod_list_free(&pl);
  double t0 = sw_clock_now(&c.clock);
  cr_assert_eq(cluster_driver_delete_pod(c.d, "default", name, &err), 0);
  cluster_driver_list_pods(c.d, &pl, &err);
  cr_assert(pl.items[0].terminating, "Terminating at once");
  cr_assert_not(pl.items[0].ready);
  cr_assert_gt(pl.items[0].deletion_at, 0);
  cluster_pod_list_free(&pl);
  /* the workload replaces it; wait for the old one to be gone */
  const char *args[2] = {log, "got TERM"};
  cr_assert(run_until(&c, log_has, args, 10), "SIGTERM reached the replica");
  double t1 = sw_clock_now(&c.clock);
  cr_assert_geq(t1 - t0, 2, "SIGTERM only after the 2 s drain delay (%g)", t1 - t0);
  cr_assert_lt(t1 - t0, 30, "well before the grace period");
  cr_assert_geq(count_events(&c, "Killing", "Stopping container m"), 1);
  free(name);
  free(log);
  apply(&c, polite, 0, NULL);
  cr_assert(run_until(&c, pod_gone, NULL, 10));

  json_t *stubborn = J(
      "{\"metadata\":{\"name\":\"stubborn\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"a\":\"s\"}},"
      "\"spec\":{\"terminationGracePeriodSeconds\":20,\"containers\":[{\"name\":\"m\",\"command\":[\"sh\","
      "\"-c\",\"trap '' TERM; while :; do sleep 0.05; done\"]}]}}}}");
  apply(&c, stubborn, 1, NULL);
  cr_assert(run_until(&c, pod_running, NULL, 5));
  run_for(&c, 0.2);
  t0 = sw_clock_now(&c.clock);
  apply(&c, stubborn, 0, NULL);
  cr_assert(run_until(&c, pod_gone, NULL, 10), "SIGKILL after the grace period");
  t1 = sw_clock_now(&c.clock);
  cr_assert_geq(t1 - t0, 22, "2 s drain + 20 s grace before SIGKILL (%g)", t1 - t0);
  json_decref(polite);
  json_decref(stubborn);
  teardown(&c);
}

/* ---- runtime: simulated --------------------------------------------------------------------------- */

Test(local, runtime_simulated_runs_engine_with_vllm_args, .timeout = 30) {
  /* a stand-in for `spillway engine`: logs its argv and env, serves the port */
  char dir[] = "/tmp/sw-fake-engine-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char *bin = sw_xasprintf("%s/engine.py", dir);
  FILE *fp = fopen(bin, "w");
  fprintf(
      fp,
      "#!%s\nimport sys, os, http.server\nprint('ARGV', ' '.join(sys.argv[1:]), flush=True)\n"
      "print('ENV', os.environ.get('VLLM_USE_MODELSCOPE'), flush=True)\n"
      "port = int(sys.argv[sys.argv.index('--port') + 1])\n"
      "http.server.HTTPServer(('127.0.0.1', port), http.server.SimpleHTTPRequestHandler).serve_forever()\n",
      python());
  fclose(fp);
  chmod(bin, 0755);
  ctx c;
  setup(&c,
        "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"runtime\":\"simulated\",\"nodePools\":[{\"name\":\"p\","
        "\"nodes\":1,"
        "\"gpusPerNode\":1,\"startupSeconds\":20}]}}",
        bin);
  json_t *dep = J(
      "{\"metadata\":{\"name\":\"qwen3\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":"
      "\"qwen3\"}},"
      "\"spec\":{\"containers\":[{\"name\":\"vllm\",\"command\":[\"sh\",\"-c\",\"export "
      "VLLM_USE_MODELSCOPE=True; vllm serve Qwen/Qwen3-0.6B --served-model-name qwen3-0.6b --port 8000 "
      "--trust-remote-code --tensor_parallel_size=1 --max-model-len 2048 --gpu-memory-utilization 0.8\"],"
      "\"ports\":[{\"containerPort\":8000,\"name\":\"restful\"}],\"readinessProbe\":{\"tcpSocket\":{\"port\":"
      "8000},\"initialDelaySeconds\":1,\"periodSeconds\":2},"
      "\"resources\":{\"limits\":{\"nvidia.com/gpu\":\"1\"}}}]}}}}");
  apply(&c, dep, 1, NULL);
  int one = 1;
  cr_assert(run_until(&c, n_ready, &one, 15));
  cluster_pod_list pl;
  sw_err err;
  cluster_driver_list_pods(c.d, &pl, &err);
  char want[512];
  snprintf(want, sizeof want,
           "ARGV engine Qwen/Qwen3-0.6B --served-model-name qwen3-0.6b --trust-remote-code "
           "--tensor_parallel_size=1 "
           "--max-model-len 2048 --gpu-memory-utilization 0.8 --host 127.0.0.1 --port %d --shutdown-grace 30 "
           "--time-scale 50 "
           "--startup-seconds 20",
           pl.items[0].host_ports[0]);
  const char *args[2] = {pl.items[0].log_path, want};
  cr_assert(run_until(&c, log_has, args, 5), "log lacks \"%s\"", want);
  const char *args2[2] = {pl.items[0].log_path, "ENV True"};
  cr_assert(run_until(&c, log_has, args2, 5));
  cluster_pod_list_free(&pl);
  json_decref(dep);
  teardown(&c);
  char *cmd = sw_xasprintf("rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
  free(cmd);
  free(bin);
}

/* The real `spillway engine` (built beside this test) runs the first seed's
 * Deployment unchanged; it drains and exits on scale-in. */
Test(local, runtime_simulated_first_seed_with_real_engine, .timeout = 40) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  cr_assert_gt(n, 0);
  self[n] = 0;
  *strrchr(self, '/') = 0;
  char *bin = sw_xasprintf("%s/spillway", self);
  ctx c;
  setup(&c,
        "{\"metadata\":{\"name\":\"cluster1\"},\"spec\":{\"runtime\":\"simulated\",\"nodePools\":[{\"name\":"
        "\"gpu\","
        "\"nodes\":1,\"gpusPerNode\":1,\"startupSeconds\":20}]}}",
        bin);
  json_t *dep =
      J("{\"metadata\":{\"name\":\"qwen3\",\"namespace\":\"test\"},\"spec\":{\"template\":{\"metadata\":{"
        "\"labels\":{\"app\":\"qwen3\"}},\"spec\":{\"containers\":[{\"command\":[\"sh\",\"-c\",\"export "
        "VLLM_USE_MODELSCOPE=True; vllm serve Qwen/Qwen3-0.6B --served-model-name qwen3-0.6b --port 8000 "
        "--trust-remote-code --tensor_parallel_size=1 --max-model-len 2048 --gpu-memory-utilization 0.8\"],"
        "\"image\":\"kube-ai-registry.cn-shanghai.cr.aliyuncs.com/kube-ai/"
        "vllm-openai:v0.9.1\",\"name\":\"vllm\","
        "\"ports\":[{\"containerPort\":8000,\"name\":\"restful\",\"protocol\":\"TCP\"}],"
        "\"readinessProbe\":{\"failureThreshold\":3,\"initialDelaySeconds\":30,\"periodSeconds\":10,"
        "\"successThreshold\":1,\"tcpSocket\":{\"port\":8000},\"timeoutSeconds\":1},"
        "\"resources\":{\"limits\":{\"nvidia.com/gpu\":\"1\"},\"requests\":{\"nvidia.com/gpu\":\"1\"}}}],"
        "\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30}}}}");
  cluster_workload w = {"test", "qwen3", dep, 1, NULL};
  sw_err err;
  cr_assert_eq(cluster_driver_apply(c.d, &w, &err), 0, "%s", err.msg);
  int one = 1;
  cr_assert(run_until(&c, n_ready, &one, 15), "engine replica Ready");
  cluster_pod_list pl;
  cluster_driver_list_pods(c.d, &pl, &err);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "curl -s --max-time 5 http://127.0.0.1:%d/v1/models", pl.items[0].host_ports[0]);
  char *log = sw_xstrdup(pl.items[0].log_path);
  cluster_pod_list_free(&pl);
  FILE *fp = popen(cmd, "r");
  char body[4096] = "";
  size_t got = fread(body, 1, sizeof body - 1, fp);
  body[got] = 0;
  pclose(fp);
  cr_assert(strstr(body, "\"qwen3-0.6b\""), "served model name: %s", body);
  w.replicas = 0;
  cr_assert_eq(cluster_driver_apply(c.d, &w, &err), 0);
  cr_assert(run_until(&c, pod_gone, NULL, 10));
  char *s = sw_read_file(log, NULL, NULL);
  cr_assert(s && strstr(s, "drained"), "the engine drained on SIGTERM: %s", s ? s : "");
  free(s);
  free(log);
  json_decref(dep);
  teardown(&c);
  free(bin);
}

/* ---- paused: the fault-injection knob ------------------------------------------------------------- */

Test(local, paused_stops_replicas_and_fails_health, .timeout = 30) {
  ctx c;
  const char *spec = "{\"metadata\":{\"name\":\"c\"%s},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"nodes\":1,"
                     "\"gpusPerNode\":1}]}}";
  setup(&c,
        "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"nodes\":1,\"gpusPerNode\":"
        "1}]}}",
        NULL);
  json_t *dep = http_deployment("web", "{\"app\":\"web\"}", 1, 0);
  apply(&c, dep, 1, NULL);
  int one = 1;
  cr_assert(run_until(&c, n_ready, &one, 10));
  cluster_pod_list pl;
  sw_err err;
  cluster_driver_list_pods(c.d, &pl, &err);
  int pid = pl.items[0].pid;
  cluster_pod_list_free(&pl);
  cr_assert_gt(pid, 0);
  char *s = sw_xasprintf(spec, ",\"annotations\":{\"spillway.io/paused\":\"true\"}");
  json_t *cl = J(s);
  free(s);
  cr_assert_eq(cluster_driver_update(c.d, cl, &err), 0, "%s", err.msg);
  json_decref(cl);
  cr_assert_neq(cluster_driver_health(c.d, &err), 0);
  cr_assert(strstr(err.msg, "paused"));
  run_for(&c, 0.3);
  cr_assert_neq(cluster_driver_list_pods(c.d, &pl, &err), 0, "a paused cluster answers nothing");
  cr_assert(kill(pid, 0) != 0 || errno == EPERM ? true : false, "replica %d stopped", pid);
  s = sw_xasprintf(spec, "");
  cl = J(s);
  free(s);
  cr_assert_eq(cluster_driver_update(c.d, cl, &err), 0);
  json_decref(cl);
  cr_assert_eq(cluster_driver_health(c.d, &err), 0);
  cr_assert(run_until(&c, n_ready, &one, 10), "replicas come back after the pause");
  json_decref(dep);
  teardown(&c);
}

/* ---- rolling update, liveness, pool resize, workload deletion ---------------------------------- */

typedef struct hash_want {
  const char *hash;
  int n;
} hash_want;

static bool all_ready_with_hash(ctx *c, void *a) {
  hash_want *w = a;
  cluster_pod_list pl;
  sw_err err;
  cluster_driver_list_pods(c->d, &pl, &err);
  int ok = 0;
  for (size_t i = 0; i < pl.len; i++) ok += pl.items[i].ready && sw_streq(pl.items[i].template_hash, w->hash);
  bool r = (int)pl.len == w->n && ok == w->n;
  cluster_pod_list_free(&pl);
  return r;
}

Test(local, template_change_rolls_pods, .timeout = 30) {
  ctx c;
  setup(&c,
        "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"nodes\":1,\"gpusPerNode\":"
        "4}]}}",
        NULL);
  json_t *v1 = http_deployment("web", "{\"app\":\"web\"}", 1, 0);
  apply(&c, v1, 2, NULL);
  char h1[11], h2[11];
  cluster_template_hash(json_object_get(json_object_get(v1, "spec"), "template"), h1);
  hash_want w1 = {h1, 2};
  cr_assert(run_until(&c, all_ready_with_hash, &w1, 10));
  json_t *v2 = http_deployment("web", "{\"app\":\"web\",\"version\":\"2\"}", 1, 0);
  cluster_template_hash(json_object_get(json_object_get(v2, "spec"), "template"), h2);
  cr_assert_str_neq(h1, h2);
  apply(&c, v2, 2, NULL);
  hash_want w2 = {h2, 2};
  cr_assert(run_until(&c, all_ready_with_hash, &w2, 15), "new pods replace the old ones");
  cr_assert_geq(count_events(&c, "SuccessfulDelete", NULL), 2);
  json_decref(v1);
  json_decref(v2);
  teardown(&c);
}

static bool restarted(ctx *c, void *a) {
  cluster_pod_list pl;
  sw_err err;
  cluster_driver_list_pods(c->d, &pl, &err);
  bool r = pl.len == 1 && pl.items[0].restarts >= *(int *)a;
  cluster_pod_list_free(&pl);
  return r;
}

Test(local, liveness_failure_restarts_container, .timeout = 30) {
  ctx c;
  setup(&c,
        "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"nodes\":1,\"gpusPerNode\":"
        "0}]}}",
        NULL);
  json_t *dep =
      J("{\"metadata\":{\"name\":\"hung\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"h\"}},"
        "\"spec\":{\"terminationGracePeriodSeconds\":3,\"containers\":[{\"name\":\"main\",\"command\":["
        "\"sleep\",\"600\"],"
        "\"livenessProbe\":{\"tcpSocket\":{\"port\":9000},\"periodSeconds\":2,\"failureThreshold\":2}}]}}}}");
  apply(&c, dep, 1, NULL);
  int two = 2;
  cr_assert(run_until(&c, restarted, &two, 15), "restarted by the liveness probe");
  cr_assert_geq(count_events(&c, "Killing", "failed liveness probe, will be restarted"), 2);
  cr_assert_geq(count_events(&c, "Unhealthy", "Liveness probe failed"), 4);
  json_decref(dep);
  teardown(&c);
}

static bool n_pods(ctx *c, void *a) { return pod_counts(c, NULL).total == *(int *)a; }

Test(local, static_pool_resize_and_workload_delete, .timeout = 30) {
  ctx c;
  const char *fmt = "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"nodes\":%d,"
                    "\"gpusPerNode\":1}]}}";
  char *s = sw_xasprintf(fmt, 1);
  setup(&c, s, NULL);
  free(s);
  json_t *dep = http_deployment("web", "{\"app\":\"web\"}", 1, 0);
  apply(&c, dep, 2, NULL);
  int one = 1, two = 2, zero = 0;
  cr_assert(run_until(&c, n_ready, &one, 10));
  cr_assert_eq(pod_counts(&c, NULL).pending, 1, "one GPU: the second pod waits");
  s = sw_xasprintf(fmt, 2);
  json_t *cl = J(s);
  free(s);
  sw_err err;
  cr_assert_eq(cluster_driver_update(c.d, cl, &err), 0, "%s", err.msg);
  json_decref(cl);
  cr_assert(run_until(&c, n_ready, &two, 10), "a second static node takes the pending pod");
  cr_assert_eq(node_count(&c, "p", true), 2);
  /* shrink back: the newest node goes and its pod is evicted, then pending again */
  s = sw_xasprintf(fmt, 1);
  cl = J(s);
  free(s);
  cr_assert_eq(cluster_driver_update(c.d, cl, &err), 0, "%s", err.msg);
  json_decref(cl);
  cr_assert(run_until(&c, n_ready, &one, 10));
  run_for(&c, 0.3);
  cr_assert_eq(node_count(&c, "p", false), 1);
  cr_assert_eq(pod_counts(&c, NULL).total, 2);
  cr_assert_eq(cluster_driver_delete_workload(c.d, "default", "web", &err), 0);
  cr_assert(run_until(&c, n_pods, &zero, 10), "deleting the workload removes its pods");
  run_for(&c, 0.1);
  cr_assert_neq(cluster_driver_delete_workload(c.d, "default", "web", &err), 0, "and forgets it");
  json_decref(dep);
  teardown(&c);
}

/* ---- probes (process.c) against real sockets -------------------------------------------------- */

typedef struct probe_res {
  int done;
  bool ok;
  char detail[256];
} probe_res;

static void probe_cb(void *ud, bool ok, const char *detail) {
  probe_res *r = ud;
  r->done++;
  r->ok = ok;
  snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : "");
}

static bool probe_done(ctx *c, void *a) {
  (void)c;
  return ((probe_res *)a)->done > 0;
}

static probe_res probe(ctx *c, bool http, int port, const char *path, uint64_t timeout_ms) {
  probe_res r = {0};
  cluster_probe_req req = {http, port, path, NULL, timeout_ms};
  cluster_probe_start(&c->loop, &req, probe_cb, &r);
  cr_assert(run_until(c, probe_done, &r, 5));
  run_for(c, 0.02);
  cr_assert_eq(r.done, 1, "the callback runs exactly once");
  return r;
}

static void proc_exit(void *ud, int64_t st, int sig) {
  (void)st;
  (void)sig;
  *(bool *)ud = true;
}

static bool flag_set(ctx *c, void *a) {
  (void)c;
  return *(bool *)a;
}

Test(process, probes_tcp_http_refused_timeout) {
  ctx c;
  setup(&c, "{\"metadata\":{\"name\":\"c\"},\"spec\":{}}", NULL);
  int port;
  sw_err err;
  cr_assert_eq(cluster_free_port(NULL, 0, &port, &err), 0);
  char portbuf[16];
  snprintf(portbuf, sizeof portbuf, "%d", port);
  const char *script = "import http.server,sys\n"
                       "class H(http.server.BaseHTTPRequestHandler):\n"
                       "  def do_GET(s):\n"
                       "    s.send_response(503 if s.path=='/bad' else 200); s.end_headers()\n"
                       "  def log_message(*a): pass\n"
                       "http.server.HTTPServer(('127.0.0.1',int(sys.argv[1])),H).serve_forever()\n";
  const char *argv[] = {python(), "-c", script, portbuf, NULL};
  const char *envp[] = {"PATH=/usr/bin:/bin", NULL};
  char *log = sw_xasprintf("%s/probe-server.log", c.dir);
  cluster_proc_opts o = {argv, envp, NULL, log, NULL, NULL, true};
  bool exited = false;
  cluster_proc *proc;
  cr_assert_eq(cluster_proc_spawn(&c.loop, &o, proc_exit, &exited, &proc, &err), 0, "%s", err.msg);
  cr_assert_gt(cluster_proc_pid(proc), 0);
  probe_res r;
  for (int i = 0; i < 100; i++) {
    r = probe(&c, false, port, NULL, 500);
    if (r.ok) break;
    cr_assert(strstr(r.detail, "connection refused"), "%s", r.detail);
    run_for(&c, 0.05);
  }
  cr_assert(r.ok, "tcp probe passes once the server listens");
  r = probe(&c, true, port, "/ok", 1000);
  cr_assert(r.ok, "%s", r.detail);
  r = probe(&c, true, port, "/bad", 1000);
  cr_assert_not(r.ok);
  cr_assert_str_eq(r.detail, "HTTP probe failed with statuscode: 503");
  cluster_proc_signal(proc, SIGTERM);
  cr_assert(run_until(&c, flag_set, &exited, 5), "exit callback");
  cluster_proc_release(proc);
  r = probe(&c, true, port, "/ok", 1000);
  cr_assert_not(r.ok);
  cr_assert(strstr(r.detail, "connect: connection refused"), "%s", r.detail);
  /* a listener that never answers: tcp passes, http times out */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(fd, 4), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  r = probe(&c, false, ntohs(a.sin_port), NULL, 500);
  cr_assert(r.ok);
  r = probe(&c, true, ntohs(a.sin_port), "/", 100);
  cr_assert_not(r.ok);
  cr_assert(strstr(r.detail, "context deadline exceeded"), "%s", r.detail);
  close(fd);
  /* a probe cancelled before it finishes never calls back */
  probe_res cancelled = {0};
  cluster_probe_req req = {true, port, "/", NULL, 100};
  cluster_probe_cancel(cluster_probe_start(&c.loop, &req, probe_cb, &cancelled));
  run_for(&c, 0.2);
  cr_assert_eq(cancelled.done, 0);
  free(log);
  teardown(&c);
}

/* ---- kill -9 of the process running the driver ---------------------------------------------------- */

Test(local, orphans_of_a_killed_control_plane_are_cleaned, .timeout = 30) {
  char dir[] = "/tmp/sw-orphan-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  pid_t child = fork();
  cr_assert_neq(child, -1);
  if (child == 0) {
    /* the "control plane": runs a driver with a replica whose shell has a
     * child of its own, reports the replica's pid, then waits to be killed */
    close(fds[0]);
    uv_loop_t loop;
    uv_loop_init(&loop);
    sw_clock clock;
    sw_clock_init_real(&clock, SCALE);
    char *cdir = sw_xasprintf("%s/clusters/c1", dir);
    cluster_driver_env env = {&loop, &clock, cdir, NULL, 2, NULL, NULL, NULL};
    json_t *cl = json_loads(
        "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"nodes\":1}]}}", 0, NULL);
    cluster_driver *d;
    sw_err err;
    if (cluster_driver_create("local", &env, cl, &d, &err) != 0) _exit(2);
    json_t *dep =
        json_loads("{\"metadata\":{\"name\":\"o\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"a\":"
                   "\"o\"}},\"spec\":{\"containers\":[{\"name\":\"m\",\"command\":[\"sh\",\"-c\","
                   "\"sleep 300 & sleep 300; wait\"]}]}}}}",
                   0, NULL);
    cluster_workload w = {"default", "o", dep, 1, NULL};
    cluster_driver_apply(d, &w, &err);
    for (;;) {
      uv_run(&loop, UV_RUN_NOWAIT);
      cluster_pod_list pl;
      if (cluster_driver_list_pods(d, &pl, &err) == 0 && pl.len == 1 && pl.items[0].pid > 0) {
        int pid = pl.items[0].pid;
        if (write(fds[1], &pid, sizeof pid) != sizeof pid) _exit(3);
        cluster_pod_list_free(&pl);
        break;
      }
      cluster_pod_list_free(&pl);
      usleep(5000);
    }
    for (;;) uv_run(&loop, UV_RUN_DEFAULT);
  }
  close(fds[1]);
  int pgid = 0;
  cr_assert_eq(read(fds[0], &pgid, sizeof pgid), (ssize_t)sizeof pgid);
  close(fds[0]);
  usleep(200 * 1000); /* let the shell start its children */
  cr_assert_eq(kill(-pgid, 0), 0, "replica group %d runs", pgid);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  /* the replica's leader dies with its parent when setpriv is there
   * (PR_SET_PDEATHSIG); its own children need the cleanup on restart */
  if (cluster_proc_have_pdeathsig()) {
    for (int i = 0; i < 100 && kill(pgid, 0) == 0; i++) usleep(20 * 1000);
    char stat[64];
    snprintf(stat, sizeof stat, "/proc/%d/stat", pgid);
    char *s = sw_read_file(stat, NULL, NULL);
    cr_assert(!s || strstr(s, ") Z"), "the replica's leader died with the control plane");
    free(s);
  }
  /* "restart": the driver's recover step */
  char *root = sw_xasprintf("%s/clusters", dir);
  int killed = 0;
  sw_err err;
  cr_assert_eq(cluster_proc_recover(root, 2000, &killed, &err), 0);
  for (int i = 0; i < 100 && kill(-pgid, 0) == 0; i++) usleep(20 * 1000);
  cr_assert_neq(kill(-pgid, 0), 0, "no process of the replica's group is left");
  cr_assert_eq(killed, 1);
  /* the record is gone: a second restart finds nothing */
  cr_assert_eq(cluster_proc_recover(root, 100, &killed, &err), 0);
  cr_assert_eq(killed, 0);
  free(root);
  char *cmd = sw_xasprintf("rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
  free(cmd);
}
