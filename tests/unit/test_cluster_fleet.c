/* Integration tests of src/cluster/fleet.c: a plane on a real loop with a
 * time-scaled clock and a store, Cluster/Deployment/ResourcePolicy/
 * ResourceBinding objects written by the test, real replica processes, and
 * the Pod/Node/Cluster-status/Event objects the layer mirrors back. Also the
 * kill -9 of a control plane and its restart on the same store. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster/fleet.h"
#include "cluster/spec.h"
#include "plane/plane.h"

#define SCALE 50.0

typedef struct fx {
  uv_loop_t loop;
  store_t *store;
  plane p;
  cluster_fleet *fleet;
  char dir[64];
} fx;

static const char *python(void) {
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

static json_t *J(const char *s) {
  json_error_t e;
  json_t *j = json_loads(s, 0, &e);
  cr_assert_not_null(j, "bad JSON in test: %s (%s)", s, e.text);
  return j;
}

static void put(fx *f, json_t *obj) {
  sw_err err;
  cr_assert_eq(store_apply(f->store, &obj, 1, plane_now(&f->p), NULL, &err), 0, "%s", err.msg);
  json_decref(obj);
}

static void start(fx *f, const char *db) {
  memset(f, 0, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/sw-fleet-test-XXXXXX");
  cr_assert_not_null(mkdtemp(f->dir));
  uv_loop_init(&f->loop);
  sw_err err;
  cr_assert_eq(store_open(&f->store, db ? db : ":memory:", &err), 0, "%s", err.msg);
  plane_init(&f->p, &f->loop, f->store, SCALE);
  cluster_fleet_opts o = {NULL, f->dir, -1};
  f->fleet = cluster_fleet_start(&f->p, &o, &err);
  cr_assert_not_null(f->fleet, "%s", err.msg);
  cr_assert_eq(f->p.fleet, f->fleet);
}

static void stop(fx *f, bool remove_dir) {
  cluster_fleet_stop(f->fleet);
  plane_fini(&f->p);
  cluster_fleet_free(f->fleet);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&f->loop), 0, "handles left open");
  store_close(f->store);
  if (remove_dir) {
    char *cmd = sw_xasprintf("rm -rf %s", f->dir);
    cr_assert_eq(system(cmd), 0);
    free(cmd);
  }
}

typedef bool (*pred_fn)(fx *f, void *arg);
static void noop(uv_timer_t *t) { (void)t; }
static bool run_until(fx *f, pred_fn pred, void *arg, double timeout) {
  uv_timer_t guard;
  uv_timer_init(&f->loop, &guard);
  uv_timer_start(&guard, noop, 20, 20);
  double deadline = sw_mono_now() + timeout;
  bool ok = false;
  while (sw_mono_now() < deadline) {
    if (pred(f, arg)) {
      ok = true;
      break;
    }
    uv_run(&f->loop, UV_RUN_ONCE);
  }
  uv_timer_stop(&guard);
  uv_close((uv_handle_t *)&guard, NULL);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  return ok;
}

static const char *sget(const json_t *o, const char *path) {
  /* dotted path; keys containing dots are not supported here */
  char *p = sw_xstrdup(path), *save = NULL;
  const json_t *v = o;
  for (char *k = strtok_r(p, ".", &save); k && v; k = strtok_r(NULL, ".", &save)) v = json_object_get(v, k);
  free(p);
  return json_string_value(v);
}

static const json_t *condition(const json_t *obj, const char *type) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"), i,
                     c) if (sw_streq(json_string_value(json_object_get(c, "type")), type)) return c;
  return NULL;
}

static bool is_true(const json_t *obj, const char *type) {
  const json_t *c = condition(obj, type);
  return c && sw_streq(json_string_value(json_object_get(c, "status")), "True");
}

typedef struct podstat {
  int total, ready, terminating, unschedulable, on_onprem_ready;
} podstat;

static podstat pods(fx *f) {
  podstat s = {0};
  json_t *list = store_list(f->store, "Pod", NULL);
  size_t i;
  json_t *p;
  json_array_foreach(list, i, p) {
    s.total++;
    bool ready = is_true(p, "Ready");
    s.ready += ready;
    s.terminating += json_object_get(json_object_get(p, "metadata"), "deletionTimestamp") != NULL;
    const json_t *ps = condition(p, "PodScheduled");
    s.unschedulable += ps && sw_streq(json_string_value(json_object_get(ps, "reason")), "Unschedulable");
    s.on_onprem_ready += ready && sw_streq(sget(p, "spec.nodeName"), "edge-onprem-0");
  }
  json_decref(list);
  return s;
}

static int nodes_of_pool(fx *f, const char *pool) {
  json_t *list = store_list(f->store, "Node", NULL);
  int n = 0;
  size_t i;
  json_t *o;
  json_array_foreach(list, i, o) {
    const char *p = json_string_value(
        json_object_get(json_object_get(json_object_get(o, "metadata"), "labels"), CLUSTER_LABEL_NODEPOOL));
    n += sw_streq(p, pool);
  }
  json_decref(list);
  return n;
}

static int events_with(fx *f, const char *reason) {
  json_t *list = store_list(f->store, "Event", NULL);
  int n = 0;
  size_t i;
  json_t *e;
  json_array_foreach(list, i, e) n += sw_streq(json_string_value(json_object_get(e, "reason")), reason);
  json_decref(list);
  return n;
}

static json_t *binding(const char *dep, const char *cluster, int replicas) {
  char *s = sw_xasprintf(
      "{\"apiVersion\":\"work.spillway.io/v1alpha1\",\"kind\":\"ResourceBinding\",\"metadata\":{"
      "\"name\":\"%s-deployment\",\"namespace\":\"default\"},\"spec\":{\"resource\":{\"apiVersion\":"
      "\"apps/v1\",\"kind\":\"Deployment\",\"namespace\":\"default\",\"name\":\"%s\"},\"replicas\":%d,"
      "\"clusters\":[{\"name\":\"%s\",\"replicas\":%d}]}}",
      dep, dep, replicas, cluster, replicas);
  json_t *j = J(s);
  free(s);
  return j;
}

static json_t *deployment(const char *name, const char *app) {
  char *s = sw_xasprintf(
      "{\"apiVersion\":\"apps/"
      "v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},"
      "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"%s\"}},\"template\":{\"metadata\":{"
      "\"labels\":"
      "{\"app\":\"%s\"},\"annotations\":{\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"8000\","
      "\"prometheus.io/path\":\"/"
      "metrics\"}},\"spec\":{\"terminationGracePeriodSeconds\":5,\"containers\":[{\"name\":"
      "\"vllm\",\"image\":\"vllm/"
      "vllm-openai\",\"command\":[\"%s\",\"-m\",\"http.server\",\"8000\",\"--bind\","
      "\"127.0.0.1\"],\"ports\":[{\"containerPort\":8000,\"name\":\"restful\"}],\"readinessProbe\":{"
      "\"tcpSocket\":{"
      "\"port\":8000},\"initialDelaySeconds\":5,\"periodSeconds\":5},\"resources\":{\"limits\":{\"nvidia.com/"
      "gpu\":"
      "\"1\"},\"requests\":{\"nvidia.com/gpu\":\"1\"}}}]}}}}",
      name, app, app, python());
  json_t *j = J(s);
  free(s);
  return j;
}

static const char *EDGE =
    "{\"apiVersion\":\"spillway.io/"
    "v1alpha1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"edge\",\"namespace\":\"\"},"
    "\"spec\":{\"driver\":\"local\",\"healthGraceSeconds\":10,\"scaleDownUnneededSeconds\":120,\"nodePools\":"
    "["
    "{\"name\":\"onprem\",\"type\":\"static\",\"nodes\":1,\"gpusPerNode\":1},"
    "{\"name\":\"elastic\",\"type\":\"elastic\",\"gpusPerNode\":1,\"maxNodes\":4,\"provisioningSeconds\":60,"
    "\"inventory\":3}]}}";

static const char *RP =
    "{\"apiVersion\":\"scheduling.alibabacloud.com/v1alpha1\",\"kind\":\"ResourcePolicy\","
    "\"metadata\":{\"name\":\"qwen-chat\",\"namespace\":\"default\"},"
    "\"spec\":{\"selector\":{\"app\":\"isvc.qwen-predictor\"},\"strategy\":\"prefer\",\"units\":["
    "{\"resource\":\"ecs\",\"nodeSelector\":{\"alibabacloud.com/nodepool-id\":\"onprem\"}},"
    "{\"resource\":\"elastic\",\"nodeSelector\":{\"alibabacloud.com/nodepool-id\":\"elastic\"}}]}}";

static bool p_one_ready_two_unsched(fx *f, void *a) {
  (void)a;
  podstat s = pods(f);
  return s.total == 3 && s.on_onprem_ready == 1 && s.unschedulable == 2;
}
static bool p_three_ready(fx *f, void *a) {
  (void)a;
  podstat s = pods(f);
  return s.total == 3 && s.ready == 3;
}
static bool p_two_terminating(fx *f, void *a) {
  (void)a;
  podstat s = pods(f);
  return s.terminating == 2 && s.ready == 1;
}
static bool p_only_onprem(fx *f, void *a) {
  (void)a;
  podstat s = pods(f);
  return s.total == 1 && s.on_onprem_ready == 1;
}
static bool p_no_elastic_nodes(fx *f, void *a) {
  (void)a;
  return nodes_of_pool(f, "elastic") == 0;
}

static json_t *cluster_pool(fx *f, const char *pool) {
  json_t *c = store_get(f->store, "Cluster", "", "edge");
  size_t i;
  json_t *p, *out = NULL;
  json_array_foreach(json_object_get(json_object_get(c, "status"), "pools"), i,
                     p) if (sw_streq(json_string_value(json_object_get(p, "name")), pool)) out =
      json_incref(p);
  json_decref(c);
  return out;
}

Test(fleet, second_seed_through_the_store, .timeout = 90) {
  fx f;
  start(&f, NULL);
  put(&f, J(EDGE));
  put(&f, J(RP));
  put(&f, deployment("qwen-chat-predictor", "isvc.qwen-predictor"));
  put(&f, binding("qwen-chat-predictor", "edge", 3));
  cr_assert(run_until(&f, p_one_ready_two_unsched, NULL, 15), "1 on-prem Ready, 2 Pending Unschedulable");
  cr_assert_eq(nodes_of_pool(&f, "elastic"), 2, "two elastic Node objects, provisioning");
  json_t *ep = cluster_pool(&f, "elastic");
  cr_assert_not_null(ep);
  cr_assert_eq(json_integer_value(json_object_get(ep, "provisioning")), 2);
  cr_assert_eq(json_integer_value(json_object_get(ep, "inventoryLeft")), 1);
  json_decref(ep);
  cr_assert(run_until(&f, p_three_ready, NULL, 20), "all Ready once the elastic nodes are");

  /* shapes of what others read */
  json_t *list = store_list(f.store, "Pod", NULL);
  json_t *pod = json_array_get(list, 0);
  cr_assert_str_eq(sget(pod, "metadata.labels.app"), "isvc.qwen-predictor");
  cr_assert_str_eq(json_string_value(json_object_get(
                       json_object_get(json_object_get(pod, "metadata"), "labels"), "spillway.io/cluster")),
                   "edge");
  json_t *ann = json_object_get(json_object_get(pod, "metadata"), "annotations");
  cr_assert_str_eq(json_string_value(json_object_get(ann, "prometheus.io/scrape")), "true");
  cr_assert_str_eq(json_string_value(json_object_get(ann, "spillway.io/owner")), "qwen-chat-predictor");
  const char *log = json_string_value(json_object_get(ann, "spillway.io/log-path"));
  cr_assert(log && access(log, R_OK) == 0, "log file %s", log);
  cr_assert_str_eq(sget(pod, "status.phase"), "Running");
  cr_assert_str_eq(sget(pod, "status.podIP"), "127.0.0.1");
  json_int_t hp =
      json_integer_value(json_object_get(json_object_get(json_object_get(pod, "status"), "portMap"), "8000"));
  cr_assert_gt(hp, 0);
  json_t *cs = json_array_get(json_object_get(json_object_get(pod, "status"), "containerStatuses"), 0);
  cr_assert(json_is_true(json_object_get(cs, "ready")));
  cr_assert_eq(json_integer_value(json_object_get(cs, "restartCount")), 0);
  cr_assert_not_null(sget(pod, "metadata.creationTimestamp"));
  json_decref(list);
  json_t *node = store_get(f.store, "Node", "", "edge-onprem-0");
  cr_assert_not_null(node);
  cr_assert(is_true(node, "Ready"));
  cr_assert_str_eq(json_string_value(json_object_get(
                       json_object_get(json_object_get(node, "status"), "capacity"), "nvidia.com/gpu")),
                   "1");
  json_decref(node);
  json_t *cl = store_get(f.store, "Cluster", "", "edge");
  cr_assert(is_true(cl, "Ready"));
  json_decref(cl);
  ep = cluster_pool(&f, "elastic");
  cr_assert_eq(json_integer_value(json_object_get(ep, "readyNodes")), 2);
  cr_assert_eq(json_integer_value(json_object_get(ep, "gpusUsed")), 2);
  json_decref(ep);
  cr_assert_geq(events_with(&f, "TriggeredScaleUp"), 2);
  cr_assert_geq(events_with(&f, "FailedScheduling"), 2);
  cr_assert_geq(events_with(&f, "ScaledUpGroup"), 1);

  /* scale to 1: the elastic pods are Terminating in the store at once, then gone */
  put(&f, binding("qwen-chat-predictor", "edge", 1));
  cr_assert(run_until(&f, p_two_terminating, NULL, 5), "two pods marked Terminating (deletionTimestamp)");
  cr_assert(run_until(&f, p_only_onprem, NULL, 10), "only the on-prem pod remains");
  cr_assert(run_until(&f, p_no_elastic_nodes, NULL, 15),
            "idle elastic nodes removed after the unneeded time");
  cr_assert_eq(events_with(&f, "ScaleDownEmpty"), 2);
  ep = cluster_pool(&f, "elastic");
  cr_assert_eq(json_integer_value(json_object_get(ep, "inventoryLeft")), 3,
               "released nodes return to inventory");
  json_decref(ep);

  /* deleting the Deployment's binding removes the workload */
  sw_err err;
  cr_assert_eq(store_delete(f.store, "ResourceBinding", "default", "qwen-chat-predictor-deployment", 0, &err),
               0);
  int zero = 0;
  (void)zero;
  stop(&f, true);
}

static bool p_replaced(fx *f, void *a) {
  const char *old = a;
  json_t *list = store_list(f->store, "Pod", NULL);
  bool ok = json_array_size(list) == 1 && !sw_streq(sget(json_array_get(list, 0), "metadata.name"), old) &&
            is_true(json_array_get(list, 0), "Ready");
  json_decref(list);
  return ok;
}

static bool p_n_ready(fx *f, void *a) { return pods(f).ready == *(int *)a && pods(f).total == *(int *)a; }

static bool p_all_unready(fx *f, void *a) {
  (void)a;
  podstat s = pods(f);
  return s.total > 0 && s.ready == 0;
}

static bool p_cluster_ready(fx *f, void *a) {
  json_t *c = store_get(f->store, "Cluster", "", "edge");
  bool r = c && is_true(c, "Ready") == *(bool *)a && condition(c, "Ready") != NULL;
  json_decref(c);
  return r;
}

static bool p_node_back(fx *f, void *a) {
  (void)a;
  json_t *n = store_get(f->store, "Node", "", "edge-onprem-0");
  bool ok = n != NULL;
  json_decref(n);
  return ok;
}

Test(fleet, user_pod_delete_pause_and_stop, .timeout = 60) {
  fx f;
  start(&f, NULL);
  put(&f, J(EDGE));
  put(&f, deployment("web", "web"));
  put(&f, binding("web", "edge", 1));
  int one = 1;
  cr_assert(run_until(&f, p_n_ready, &one, 15));
  json_t *list = store_list(f.store, "Pod", NULL);
  char *name = sw_xstrdup(sget(json_array_get(list, 0), "metadata.name"));
  json_decref(list);
  /* `spillway delete pod NAME`: graceful deletion, then a replacement */
  sw_err err;
  cr_assert_eq(store_delete(f.store, "Pod", "default", name, 0, &err), 0);
  cr_assert(run_until(&f, p_replaced, name, 15), "replacement pod Ready");
  cr_assert_geq(events_with(&f, "Killing"), 1);
  free(name);
  /* a deleted Node object comes back: the node is the driver's */
  cr_assert_eq(store_delete(f.store, "Node", "", "edge-onprem-0", 0, &err), 0);
  cr_assert(run_until(&f, p_node_back, NULL, 5));

  /* pause: pods not ready at once, Cluster Ready=False after healthGraceSeconds (10 s) */
  bool want = true;
  cr_assert(run_until(&f, p_cluster_ready, &want, 5));
  json_t *c = J(EDGE);
  json_object_set_new(json_object_get(c, "metadata"), "annotations",
                      json_pack("{s:s}", "spillway.io/paused", "true"));
  put(&f, c);
  cr_assert(run_until(&f, p_all_unready, NULL, 5), "pods marked not ready");
  want = false;
  double t0 = plane_now(&f.p);
  cr_assert(run_until(&f, p_cluster_ready, &want, 5), "Cluster Ready=False");
  cr_assert_geq(plane_now(&f.p) - t0, 8, "only after the grace");
  json_t *cl = store_get(f.store, "Cluster", "", "edge");
  const json_t *rc = condition(cl, "Ready");
  cr_assert_str_eq(json_string_value(json_object_get(rc, "reason")), "ClusterNotReachable");
  json_decref(cl);
  /* resume */
  put(&f, J(EDGE));
  want = true;
  cr_assert(run_until(&f, p_cluster_ready, &want, 5));
  cr_assert(run_until(&f, p_n_ready, &one, 15), "replica back after the pause");

  /* stop: every replica gone, mirrors deleted */
  list = store_list(f.store, "Pod", NULL);
  json_decref(list);
  cluster_fleet_stop(f.fleet);
  podstat s = pods(&f);
  cr_assert_eq(s.total, 0, "Pod objects deleted on stop");
  FILE *ps = popen("ps -eo args | grep -c '[h]ttp.server 8000 --bind'", "r");
  int left = -1;
  cr_assert_eq(fscanf(ps, "%d", &left), 1);
  pclose(ps);
  cr_assert_eq(left, 0, "no replica process left");
  stop(&f, true);
}

Test(fleet, bad_cluster_spec_is_reported, .timeout = 20) {
  fx f;
  start(&f, NULL);
  put(&f, J("{\"apiVersion\":\"spillway.io/v1alpha1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"edge\"},"
            "\"spec\":{\"nodePools\":[{\"name\":\"p\",\"type\":\"cloud\"}]}}"));
  bool want = false;
  cr_assert(run_until(&f, p_cluster_ready, &want, 5));
  json_t *cl = store_get(f.store, "Cluster", "", "edge");
  const json_t *rc = condition(cl, "Ready");
  cr_assert_str_eq(json_string_value(json_object_get(rc, "reason")), "DriverFailed");
  cr_assert(strstr(json_string_value(json_object_get(rc, "message")), "spec.nodePools[0].type"));
  json_decref(cl);
  cr_assert_eq(events_with(&f, "DriverFailed"), 1);
  /* fixing the spec starts the driver */
  put(&f, J(EDGE));
  want = true;
  cr_assert(run_until(&f, p_cluster_ready, &want, 5));
  cr_assert_eq(cluster_fleet_size(f.fleet), 1);
  /* deleting the Cluster stops it */
  sw_err err;
  cr_assert_eq(store_delete(f.store, "Cluster", "", "edge", 0, &err), 0);
  cr_assert(run_until(&f, p_no_elastic_nodes, NULL, 2));
  stop(&f, true);
}

static bool p_no_nodes(fx *f, void *a) {
  (void)a;
  json_t *l = store_list(f->store, "Node", NULL);
  bool ok = json_array_size(l) == 0;
  json_decref(l);
  return ok;
}

Test(fleet, cluster_deleted_removes_mirrors, .timeout = 30) {
  fx f;
  start(&f, NULL);
  put(&f, J(EDGE));
  put(&f, deployment("web", "web"));
  put(&f, binding("web", "edge", 1));
  int one = 1;
  cr_assert(run_until(&f, p_n_ready, &one, 15));
  sw_err err;
  cr_assert_eq(store_delete(f.store, "Cluster", "", "edge", 0, &err), 0);
  cr_assert(run_until(&f, p_no_nodes, NULL, 10), "Node objects of a deleted Cluster are removed");
  int zero = 0;
  cr_assert(run_until(&f, p_n_ready, &zero, 10), "and its Pods");
  cr_assert_eq(cluster_fleet_size(f.fleet), 0);
  stop(&f, true);
}

/* kill -9 of the control plane, then a restart on the same store and state dir */
Test(fleet, restart_after_kill_cleans_orphans_and_stale_pods, .timeout = 60) {
  char dir[] = "/tmp/sw-fleet-kill-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char *db = sw_xasprintf("%s/store.db", dir);
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    uv_loop_t loop;
    uv_loop_init(&loop);
    store_t *st;
    sw_err err;
    if (store_open(&st, db, &err)) _exit(2);
    plane p;
    plane_init(&p, &loop, st, SCALE);
    cluster_fleet_opts o = {NULL, dir, -1};
    if (!cluster_fleet_start(&p, &o, &err)) _exit(3);
    json_t *objs[3] = {json_loads(EDGE, 0, NULL), deployment("web", "web"), binding("web", "edge", 1)};
    if (store_apply(st, objs, 3, plane_now(&p), NULL, &err)) _exit(4);
    for (;;) {
      uv_run(&loop, UV_RUN_NOWAIT);
      json_t *l = store_list(st, "Pod", NULL);
      json_t *pod = json_array_get(l, 0);
      if (pod && is_true(pod, "Ready")) {
        int port = (int)json_integer_value(
            json_object_get(json_object_get(json_object_get(pod, "status"), "portMap"), "8000"));
        if (write(fds[1], &port, sizeof port) != sizeof port) _exit(5);
        json_decref(l);
        break;
      }
      json_decref(l);
      usleep(5000);
    }
    for (;;) uv_run(&loop, UV_RUN_DEFAULT);
  }
  close(fds[1]);
  int port = 0;
  cr_assert_eq(read(fds[0], &port, sizeof port), (ssize_t)sizeof port);
  close(fds[0]);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  /* restart on the same store and state dir */
  fx f;
  memset(&f, 0, sizeof f);
  snprintf(f.dir, sizeof f.dir, "%s", dir);
  uv_loop_init(&f.loop);
  sw_err err;
  cr_assert_eq(store_open(&f.store, db, &err), 0, "%s", err.msg);
  json_t *stale = store_list(f.store, "Pod", NULL);
  cr_assert_eq(json_array_size(stale), 1, "the killed run left its Pod object");
  char *old = sw_xstrdup(sget(json_array_get(stale, 0), "metadata.name"));
  json_decref(stale);
  plane_init(&f.p, &f.loop, f.store, SCALE);
  cluster_fleet_opts o = {NULL, dir, -1};
  f.fleet = cluster_fleet_start(&f.p, &o, &err);
  cr_assert_not_null(f.fleet, "%s", err.msg);
  /* the old replica no longer listens: it was cleaned (or died with its parent) */
  char cmd[128];
  snprintf(cmd, sizeof cmd, "ss -ltn 'sport = :%d' | grep -c LISTEN", port);
  FILE *ps = popen(cmd, "r");
  int listening = -1;
  cr_assert_eq(fscanf(ps, "%d", &listening), 1);
  pclose(ps);
  cr_assert_eq(listening, 0, "no orphan replica on port %d", port);
  json_t *now = store_list(f.store, "Pod", NULL);
  cr_assert_eq(json_array_size(now), 0, "stale Pod objects deleted at start");
  json_decref(now);
  cr_assert(run_until(&f, p_replaced, old, 15), "the workload runs again with a new pod");
  free(old);
  stop(&f, false);
  char *rm = sw_xasprintf("rm -rf %s", dir);
  cr_assert_eq(system(rm), 0);
  free(rm);
  free(db);
}
