/*
 * local.c — the local driver: one member cluster whose node pools are
 * virtual and whose replicas are processes on this machine.
 *
 * Role in the data flow: the fleet layer hands it desired workloads
 * (Deployment + replica count); it keeps pods, nodes and pools, and reports
 * them back through the ops of driver.h. Everything that is a decision is a
 * pure function elsewhere — placement (placement.c), ResourcePolicy
 * (resourcepolicy.c), the cluster autoscaler (provisioner.c), command lines
 * (command.c) — so the simulated driver can reuse them. Everything that
 * touches the OS goes through process.c. This file owns the state machine
 * and the timers.
 *
 * Pod lifecycle (Kubernetes semantics):
 *   Pending (no node fits: PodScheduled=False Unschedulable, FailedScheduling)
 *   -> scheduled (Scheduled) -> container started (Running)
 *   -> Ready once the readinessProbe passes successThreshold times in a row
 *      after initialDelaySeconds (no probe: ready when started); not ready
 *      after failureThreshold failures.
 *   A livenessProbe failing failureThreshold times restarts the container.
 *   Container exit -> restart (restartPolicy Always) with the kubelet's
 *   back-off: at once, then 10 s doubling to 300 s (CrashLoopBackOff).
 *   Deletion: Terminating and not ready at once (the gateway stops sending),
 *   SIGTERM to the process group after the drain delay, SIGKILL after
 *   terminationGracePeriodSeconds more.
 *
 * One uv timer per driver drives everything: it is armed for the earliest
 * due action (start, probe, signal, node ready, node unneeded), at most one
 * clock second away, and run at once after any change.
 */
#include "cluster/local.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/command.h"
#include "cluster/placement.h"
#include "cluster/process.h"
#include "cluster/provisioner.h"
#include "cluster/resourcepolicy.h"
#include "cluster/spec.h"

#define MAX_BACKOFF 300.0
#define INITIAL_BACKOFF 10.0
#define EVENT_REPEAT_SECONDS 60.0

typedef struct lpool {
  char *name;
  cluster_pool_type type;
  int gpus_per_node, nodes, min_nodes, max_nodes;
  double provisioning_seconds, price, startup_seconds;
  int inventory_spec; /* as written in the spec (-1 unlimited) */
  int inventory_left; /* what is still obtainable now */
  json_t *labels;     /* the labels its nodes carry */
  json_t *devices;    /* real GPU ids, or NULL */
  char *engine_profile; /* simulated engine profile of its GPUs, or NULL */
  int next_index;
  bool removed;
} lpool;

typedef struct lnode {
  char *name;
  lpool *pool;
  int index;
  int gpus;
  json_t *labels;
  json_t *devices; /* this node's GPU ids, or NULL */
  bool ready, deleting;
  double created, ready_at, ready_changed_at;
  double empty_since; /* < 0 while it has pods */
  uint64_t slots;     /* GPU slots in use */
} lnode;

typedef struct lwork {
  char *ns, *name;
  json_t *deployment;
  bool tmpl_ok;
  cluster_template tmpl;
  char *tmpl_error;
  int replicas;
  json_t *rp_json;
  bool has_rp;
  cluster_rp rp;
  bool deleted;
} lwork;

typedef enum { C_WAITING, C_RUNNING, C_TERMINATED } cstate;

typedef struct local local;

typedef struct lpod {
  local *d;
  lwork *w;
  char *ns, *name;
  cluster_template tmpl;
  json_t *labels, *annotations;
  double created;
  lnode *node;
  int unit;
  uint64_t slots;
  double scheduled_at;
  int nports;
  int cports[CLUSTER_POD_MAX_PORTS], hports[CLUSTER_POD_MAX_PORTS];
  char *log_path, *record_path;
  /* container */
  cluster_proc *proc;
  bool started_once;
  double started_at, next_start_at, last_exit_at;
  int restarts, exit_code;
  double backoff, backoff_bumped;
  cstate cs;
  char creason[48];
  char *cmessage;
  /* readiness */
  bool ready;
  double ready_changed_at;
  int r_succ, r_fail, l_fail;
  double r_next, l_next;
  cluster_probe *r_probe, *l_probe;
  bool killing_for_restart;
  double kill_at;
  /* termination */
  bool terminating;
  double deletion_at, sigterm_at, sigkill_at;
  bool sigterm_sent, sigkill_sent;
  bool gone; /* process finished after termination: remove */
  /* scheduling / autoscaler messages (for event de-duplication) */
  char *sched_msg;
  double sched_msg_at;
  char *prov_msg;
} lpod;

typedef SW_VEC(lpool *) pool_vec;
typedef SW_VEC(lnode *) node_vec;
typedef SW_VEC(lwork *) work_vec;
typedef SW_VEC(lpod *) pod_vec;

struct local {
  cluster_driver base;
  cluster_driver_env env;
  char *state_dir, *engine_bin;
  cluster_spec spec;
  pool_vec pools;
  node_vec nodes;
  work_vec works;
  pod_vec pods;
  uv_timer_t timer;
  bool paused;
  bool destroying;
  void (*done)(void *);
  void *done_ud;
  uint64_t rng;
  char *notes; /* last inventory notes, for event de-duplication */
  bool in_tick;
};

/* ---- helpers ---------------------------------------------------------------- */

static double now_of(const local *d) { return sw_clock_now(d->env.clock); }

static void emit(local *d, const char *kind, const char *ns, const char *name, const char *type,
                 const char *reason, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void emit(local *d, const char *kind, const char *ns, const char *name, const char *type,
                 const char *reason, const char *fmt, ...) {
  if (!d->env.event) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  d->env.event(d->env.ud, kind, ns, name, type, reason, msg);
}

static void changed(local *d) {
  if (d->env.changed) d->env.changed(d->env.ud);
}

static void kick(local *d);

double cluster_restart_delay(double *backoff, double since_last_bump) {
  if (*backoff <= 0 || since_last_bump >= 2 * MAX_BACKOFF) {
    *backoff = INITIAL_BACKOFF;
    return 0;
  }
  double wait = *backoff;
  *backoff = *backoff * 2 > MAX_BACKOFF ? MAX_BACKOFF : *backoff * 2;
  return wait;
}

/* k8s' random suffix alphabet (no vowels, no confusable digits) */
static const char SUFFIX_ALPHABET[] = "bcdfghjklmnpqrstvwxz2456789";

static uint64_t rng_next(local *d) {
  uint64_t x = d->rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  d->rng = x;
  return x;
}

static lpod *find_pod(local *d, const char *ns, const char *name) {
  for (size_t i = 0; i < d->pods.len; i++)
    if (sw_streq(d->pods.items[i]->ns, ns) && sw_streq(d->pods.items[i]->name, name)) return d->pods.items[i];
  return NULL;
}

static lwork *find_work(local *d, const char *ns, const char *name) {
  for (size_t i = 0; i < d->works.len; i++)
    if (sw_streq(d->works.items[i]->ns, ns) && sw_streq(d->works.items[i]->name, name))
      return d->works.items[i];
  return NULL;
}

static lpool *find_pool(local *d, const char *name) {
  for (size_t i = 0; i < d->pools.len; i++)
    if (sw_streq(d->pools.items[i]->name, name)) return d->pools.items[i];
  return NULL;
}

static int node_pods(const local *d, const lnode *n) {
  int c = 0;
  for (size_t i = 0; i < d->pods.len; i++) c += d->pods.items[i]->node == n;
  return c;
}

static int node_used(const lnode *n) { return __builtin_popcountll(n->slots); }

static int pool_node_count(const local *d, const lpool *p, bool include_deleting) {
  int c = 0;
  for (size_t i = 0; i < d->nodes.len; i++)
    if (d->nodes.items[i]->pool == p && (include_deleting || !d->nodes.items[i]->deleting)) c++;
  return c;
}

/* ---- pools and nodes ---------------------------------------------------------- */

static json_t *pool_node_labels(const local *d, const cluster_pool_spec *ps) {
  json_t *l = json_deep_copy(ps->labels);
  json_object_set_new(l, CLUSTER_LABEL_NODEPOOL, json_string(ps->name));
  json_object_set_new(l, CLUSTER_LABEL_CLUSTER, json_string(d->spec.name));
  json_object_set_new(l, "spillway.io/pool-type",
                      json_string(ps->type == CLUSTER_POOL_ELASTIC ? "elastic" : "static"));
  if (d->spec.region) json_object_set_new(l, "topology.kubernetes.io/region", json_string(d->spec.region));
  return l;
}

static void pool_set_from_spec(local *d, lpool *p, const cluster_pool_spec *ps) {
  p->type = ps->type;
  p->gpus_per_node = ps->gpus_per_node;
  p->nodes = ps->nodes;
  p->min_nodes = ps->min_nodes;
  p->max_nodes = ps->max_nodes;
  p->provisioning_seconds = ps->provisioning_seconds;
  p->price = ps->price_per_gpu_hour;
  p->startup_seconds = ps->startup_seconds;
  free(p->engine_profile);
  p->engine_profile = ps->engine_profile ? sw_xstrdup(ps->engine_profile) : NULL;
  /* A changed inventory in the spec means "this many are obtainable now". */
  if (p->inventory_spec != ps->inventory || !p->labels) p->inventory_left = ps->inventory;
  p->inventory_spec = ps->inventory;
  json_decref(p->labels);
  p->labels = pool_node_labels(d, ps);
  json_decref(p->devices);
  p->devices = ps->devices ? json_incref(ps->devices) : NULL;
  p->removed = false;
}

static lnode *node_add(local *d, lpool *p, double now, bool ready) {
  lnode *n = sw_xcalloc(1, sizeof *n);
  n->pool = p;
  n->index = p->next_index++;
  n->name = sw_xasprintf("%s-%s-%d", d->spec.name, p->name, n->index);
  for (char *c = n->name; *c; c++)
    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
  n->gpus = p->gpus_per_node;
  n->labels = json_deep_copy(p->labels);
  json_object_set_new(n->labels, "kubernetes.io/hostname", json_string(n->name));
  if (p->devices && p->type == CLUSTER_POOL_STATIC) {
    n->devices = json_array();
    for (int g = 0; g < n->gpus; g++) {
      json_t *id = json_array_get(p->devices, (size_t)(n->index * n->gpus + g));
      if (id) json_array_append(n->devices, id);
    }
    if (json_array_size(n->devices) != (size_t)n->gpus) {
      json_decref(n->devices);
      n->devices = NULL;
    }
  }
  n->created = now;
  n->ready = ready;
  n->ready_at = ready ? now : now + p->provisioning_seconds;
  n->ready_changed_at = now;
  n->empty_since = now;
  sw_vec_push(&d->nodes, n);
  return n;
}

static void node_free(lnode *n) {
  free(n->name);
  json_decref(n->labels);
  json_decref(n->devices);
  free(n);
}

static void pool_free(lpool *p) {
  free(p->name);
  free(p->engine_profile);
  json_decref(p->labels);
  json_decref(p->devices);
  free(p);
}

/* ---- workloads --------------------------------------------------------------- */

static void work_free(lwork *w) {
  free(w->ns);
  free(w->name);
  json_decref(w->deployment);
  if (w->tmpl_ok) cluster_template_free(&w->tmpl);
  free(w->tmpl_error);
  json_decref(w->rp_json);
  if (w->has_rp) cluster_rp_free(&w->rp);
  free(w);
}

static bool pod_selected_by(const lpod *p, const cluster_rp *rp) {
  return cluster_rp_selects(rp, p->ns, p->labels);
}

/* Units of w's policy with the current pod counts (for placement/provisioner). */
static cluster_place_unit *units_for(local *d, const lwork *w, const lpod *self) {
  if (!w->has_rp) return NULL;
  cluster_place_unit *u = sw_xcalloc(w->rp.nunits, sizeof *u);
  for (size_t i = 0; i < w->rp.nunits; i++) {
    u[i].node_selector = w->rp.units[i].node_selector;
    u[i].max = w->rp.units[i].max;
    u[i].local = w->rp.units[i].local;
  }
  for (size_t i = 0; i < d->pods.len; i++) {
    const lpod *q = d->pods.items[i];
    if (q == self || !q->node) continue;
    if (q->terminating && w->rp.ignore_terminating) continue;
    if (!pod_selected_by(q, &w->rp)) continue;
    int unit = cluster_unit_of(u, w->rp.nunits, q->node->labels);
    if (unit >= 0) u[unit].count++;
  }
  return u;
}

static int pod_unit(const lpod *p) {
  if (!p->node) return -1;
  if (!p->w->has_rp) return 0;
  cluster_place_unit *u = sw_xcalloc(p->w->rp.nunits, sizeof *u);
  for (size_t i = 0; i < p->w->rp.nunits; i++) {
    u[i].node_selector = p->w->rp.units[i].node_selector;
    u[i].local = p->w->rp.units[i].local;
  }
  int r = cluster_unit_of(u, p->w->rp.nunits, p->node->labels);
  free(u);
  return r;
}

/* ---- pods: creation, deletion ------------------------------------------------ */

static void pod_cancel_probes(lpod *p) {
  cluster_probe_cancel(p->r_probe);
  cluster_probe_cancel(p->l_probe);
  p->r_probe = p->l_probe = NULL;
}

static void pod_set_ready(lpod *p, bool ready, double now) {
  if (p->ready == ready) return;
  p->ready = ready;
  p->ready_changed_at = now;
  changed(p->d);
}

static void pod_free(lpod *p) {
  pod_cancel_probes(p);
  if (p->proc) cluster_proc_release(p->proc);
  if (p->node) p->node->slots &= ~p->slots;
  free(p->ns);
  free(p->name);
  cluster_template_free(&p->tmpl);
  json_decref(p->labels);
  json_decref(p->annotations);
  free(p->log_path);
  free(p->record_path);
  free(p->cmessage);
  free(p->sched_msg);
  free(p->prov_msg);
  free(p);
}

static lpod *pod_create(local *d, lwork *w, double now) {
  lpod *p = sw_xcalloc(1, sizeof *p);
  p->d = d;
  p->w = w;
  p->ns = sw_xstrdup(w->ns);
  for (int attempt = 0;; attempt++) {
    char suffix[6];
    for (int i = 0; i < 5; i++) suffix[i] = SUFFIX_ALPHABET[rng_next(d) % (sizeof SUFFIX_ALPHABET - 1)];
    suffix[5] = 0;
    char *name = sw_xasprintf("%s-%s-%s", w->name, w->tmpl.hash, suffix);
    if (!find_pod(d, w->ns, name) || attempt > 100) {
      p->name = name;
      break;
    }
    free(name);
  }
  sw_err err;
  cluster_template_parse(w->tmpl.pod_template, &p->tmpl, &err); /* parsed before: cannot fail */
  p->labels = json_deep_copy(p->tmpl.labels);
  json_object_set_new(p->labels, "pod-template-hash", json_string(p->tmpl.hash));
  p->annotations = json_deep_copy(p->tmpl.annotations);
  p->created = now;
  p->unit = -1;
  p->cs = C_WAITING;
  snprintf(p->creason, sizeof p->creason, "ContainerCreating");
  p->log_path = sw_xasprintf("%s/logs/%s_%s.log", d->state_dir, p->ns, p->name);
  p->record_path = sw_xasprintf("%s/pids/%s_%s.pid", d->state_dir, p->ns, p->name);
  sw_vec_push(&d->pods, p);
  return p;
}

/* Starts graceful termination (or removes at once what has no process). */
static void pod_terminate(local *d, lpod *p, double now, double drain) {
  if (p->terminating) return;
  p->terminating = true;
  p->deletion_at = now;
  pod_cancel_probes(p);
  pod_set_ready(p, false, now);
  p->sigterm_at = now + drain;
  if (!p->proc) p->gone = true;
  changed(d);
}

/* ---- pods: start ------------------------------------------------------------- */

static const char *const PASS_ENV[] = {"PATH",          "HOME",         "USER", "LOGNAME", "LANG",
                                       "LC_ALL",        "LC_CTYPE",     "TZ",   "TMPDIR",  "ASAN_OPTIONS",
                                       "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL};

static int pod_ports(local *d, lpod *p, int extra_port, sw_err *err) {
  if (p->nports) return 0; /* kept across restarts, as a pod keeps its IP */
  int want[CLUSTER_POD_MAX_PORTS];
  int n = 0;
  for (size_t i = 0; i < p->tmpl.nports && n < CLUSTER_POD_MAX_PORTS; i++) want[n++] = p->tmpl.ports[i];
  if (extra_port > 0 && n < CLUSTER_POD_MAX_PORTS) {
    bool have = false;
    for (int i = 0; i < n; i++) have |= want[i] == extra_port;
    if (!have) want[n++] = extra_port;
  }
  SW_VEC(int) avoid = {0};
  for (size_t i = 0; i < d->pods.len; i++)
    for (int k = 0; k < d->pods.items[i]->nports; k++) sw_vec_push(&avoid, d->pods.items[i]->hports[k]);
  for (int i = 0; i < n; i++) {
    int hp;
    if (cluster_free_port(avoid.items, avoid.len, &hp, err)) {
      sw_vec_free(&avoid);
      p->nports = 0;
      return SW_EIO;
    }
    sw_vec_push(&avoid, hp);
    p->cports[i] = want[i];
    p->hports[i] = hp;
    p->nports = i + 1;
  }
  sw_vec_free(&avoid);
  return 0;
}

static int host_port(const lpod *p, int cport) {
  for (int i = 0; i < p->nports; i++)
    if (p->cports[i] == cport) return p->hports[i];
  return 0;
}

typedef SW_VEC(char *) strv;

static void env_put(strv *env, const char *name, const char *value) {
  size_t nl = strlen(name);
  for (size_t i = 0; i < env->len; i++)
    if (strncmp(env->items[i], name, nl) == 0 && env->items[i][nl] == '=') {
      free(env->items[i]);
      env->items[i] = sw_xasprintf("%s=%s", name, value);
      return;
    }
  sw_vec_push(env, sw_xasprintf("%s=%s", name, value));
}

static void strv_free(strv *v) {
  for (size_t i = 0; i < v->len; i++) free(v->items[i]);
  sw_vec_free(v);
}

/* Builds argv/env for the pod's container; see docs/cluster.md for the rules. */
static int pod_command(local *d, lpod *p, strv *argv, strv *env, sw_err *err) {
  for (size_t i = 0; PASS_ENV[i]; i++) {
    const char *v = getenv(PASS_ENV[i]);
    if (v) env_put(env, PASS_ENV[i], v);
  }
  const char *k;
  json_t *v;
  json_object_foreach(p->tmpl.env, k, v) env_put(env, k, json_string_value(v));
  bool simulated = sw_streq(d->spec.runtime, "simulated");
  cluster_vllm_cmd vc = {0};
  int vport = -1;
  if (simulated) {
    int rc = cluster_vllm_parse(p->tmpl.command, p->tmpl.args, p->tmpl.env, &vc, err);
    if (rc) return rc;
    vport = vc.port > 0 ? vc.port : 8000; /* vLLM's default port */
  }
  int rc = pod_ports(d, p, vport, err);
  if (rc) {
    cluster_vllm_free(&vc);
    return rc;
  }
  char b[32];
  if (p->nports) {
    snprintf(b, sizeof b, "%d", p->hports[0]);
    env_put(env, "PORT", b);
  }
  for (int i = 0; i < p->nports; i++) {
    char name[48];
    snprintf(name, sizeof name, "SPILLWAY_PORT_%d", p->cports[i]);
    snprintf(b, sizeof b, "%d", p->hports[i]);
    env_put(env, name, b);
  }
  env_put(env, "SPILLWAY_POD_NAME", p->name);
  env_put(env, "SPILLWAY_POD_NAMESPACE", p->ns);
  env_put(env, "SPILLWAY_NODE_NAME", p->node->name);
  env_put(env, "SPILLWAY_CLUSTER", d->spec.name);
  if (p->node->devices) {
    sw_buf ids;
    sw_buf_init(&ids);
    sw_buf_puts(&ids, "");
    for (int s = 0; s < p->node->gpus; s++) {
      if (!(p->slots & (1ull << s))) continue;
      if (ids.len) sw_buf_puts(&ids, ",");
      sw_buf_puts(&ids, json_string_value(json_array_get(p->node->devices, (size_t)s)));
    }
    env_put(env, "CUDA_VISIBLE_DEVICES", ids.data);
    sw_buf_free(&ids);
  }
  if (simulated) {
    json_object_foreach(vc.env, k, v) env_put(env, k, json_string_value(v));
    sw_vec_push(argv, sw_xstrdup(d->engine_bin));
    sw_vec_push(argv, sw_xstrdup("engine"));
    size_t i;
    json_array_foreach(vc.args, i, v) sw_vec_push(argv, sw_xstrdup(json_string_value(v)));
    /* replicas listen on loopback only; SIGTERM drains for the pod's grace */
    sw_vec_push(argv, sw_xstrdup("--host"));
    sw_vec_push(argv, sw_xstrdup("127.0.0.1"));
    sw_vec_push(argv, sw_xstrdup("--port"));
    sw_vec_push(argv, sw_xasprintf("%d", host_port(p, vport)));
    sw_vec_push(argv, sw_xstrdup("--shutdown-grace"));
    sw_vec_push(argv, sw_xasprintf("%g", p->tmpl.grace_seconds));
    sw_vec_push(argv, sw_xstrdup("--time-scale"));
    sw_vec_push(argv, sw_xasprintf("%g", d->env.clock->scale));
    if (p->node->pool->engine_profile) {
      /* the pool's GPUs decide the engine's speed, as real GPUs would */
      sw_vec_push(argv, sw_xstrdup("--profile"));
      sw_vec_push(argv, sw_xstrdup(p->node->pool->engine_profile));
    }
    if (p->node->pool->startup_seconds >= 0) {
      sw_vec_push(argv, sw_xstrdup("--startup-seconds"));
      sw_vec_push(argv, sw_xasprintf("%g", p->node->pool->startup_seconds));
    }
    cluster_vllm_free(&vc);
    return 0;
  }
  /* runtime: process — the command as written, $(VAR) expanded as the kubelet
   * does, each container port rewritten to its host port. */
  json_t *parts[2] = {p->tmpl.command, p->tmpl.args};
  for (int j = 0; j < 2; j++) {
    size_t i;
    json_array_foreach(parts[j], i, v) {
      char *s = cluster_k8s_expand(json_string_value(v), p->tmpl.env);
      for (int q = 0; q < p->nports; q++) {
        char *t = cluster_port_rewrite(s, p->cports[q], p->hports[q]);
        free(s);
        s = t;
      }
      sw_vec_push(argv, s);
    }
  }
  if (argv->len == 0)
    return sw_err_set(
        err, SW_EINVAL,
        "container %s has no command: the local driver runs the container's command/args (images are "
        "not pulled)",
        p->tmpl.container_name);
  return 0;
}

static void pod_on_exit(void *ud, int64_t status, int sig);

static void pod_container_exited(local *d, lpod *p, int code, const char *reason, const char *message,
                                 double now) {
  p->last_exit_at = now;
  p->exit_code = code;
  pod_cancel_probes(p);
  pod_set_ready(p, false, now);
  p->killing_for_restart = false;
  if (p->terminating) {
    p->gone = true;
    p->cs = C_TERMINATED;
    snprintf(p->creason, sizeof p->creason, "%s", code == 0 ? "Completed" : "Error");
    return;
  }
  /* restartPolicy Always: back off, then start again */
  double wait = cluster_restart_delay(&p->backoff, now - p->backoff_bumped);
  p->backoff_bumped = now;
  p->next_start_at = now + wait;
  p->cs = C_WAITING;
  snprintf(p->creason, sizeof p->creason, "%s", wait > 0 ? "CrashLoopBackOff" : reason);
  free(p->cmessage);
  if (wait > 0) {
    p->cmessage = sw_xasprintf("back-off %gs restarting failed container=%s pod=%s_%s", wait,
                               p->tmpl.container_name, p->name, p->ns);
    emit(d, "Pod", p->ns, p->name, "Warning", "BackOff",
         "Back-off restarting failed container %s in pod %s_%s", p->tmpl.container_name, p->name, p->ns);
  } else
    p->cmessage = message ? sw_xstrdup(message) : NULL;
  changed(d);
}

static void pod_start(local *d, lpod *p, double now) {
  strv argv = {0}, env = {0};
  sw_err err;
  sw_err_clear(&err);
  int rc = pod_command(d, p, &argv, &env, &err);
  if (rc == 0) {
    sw_vec_push(&argv, NULL);
    sw_vec_push(&env, NULL);
    char note[512];
    snprintf(note, sizeof note, "%s/%s/%s", d->spec.name, p->ns, p->name);
    cluster_proc_opts o = {(const char *const *)argv.items,
                           (const char *const *)env.items,
                           NULL,
                           p->log_path,
                           p->record_path,
                           note,
                           true};
    rc = cluster_proc_spawn(d->env.loop, &o, pod_on_exit, p, &p->proc, &err);
    argv.len--;
    env.len--;
  }
  strv_free(&argv);
  strv_free(&env);
  if (p->started_once) p->restarts++;
  p->started_once = true;
  if (rc) {
    emit(d, "Pod", p->ns, p->name, "Warning", "Failed", "Error: %s", err.msg);
    /* containerd reports a start failure as exit 128, reason StartError */
    pod_container_exited(d, p, 128, "StartError", err.msg, now);
    return;
  }
  p->cs = C_RUNNING;
  p->creason[0] = 0;
  free(p->cmessage);
  p->cmessage = NULL;
  p->started_at = now;
  p->r_succ = p->r_fail = p->l_fail = 0;
  p->r_next = now + p->tmpl.readiness.initial_delay_seconds;
  p->l_next = now + p->tmpl.liveness.initial_delay_seconds;
  if (p->tmpl.readiness.kind == CLUSTER_PROBE_NONE || p->tmpl.readiness.kind == CLUSTER_PROBE_EXEC)
    pod_set_ready(p, true, now);
  emit(d, "Pod", p->ns, p->name, "Normal", "Started", "Started container %s", p->tmpl.container_name);
  changed(d);
}

static void pod_on_exit(void *ud, int64_t status, int sig) {
  lpod *p = ud;
  local *d = p->d;
  cluster_proc_release(p->proc);
  p->proc = NULL;
  double now = now_of(d);
  int code = sig ? 128 + sig : (int)status;
  char msg[96] = "";
  if (sig) snprintf(msg, sizeof msg, "killed by signal %d", sig);
  pod_container_exited(d, p, code, code == 0 ? "Completed" : "Error", sig ? msg : NULL, now);
  kick(d);
}

/* ---- probes ------------------------------------------------------------------- */

static void readiness_done(void *ud, bool ok, const char *detail) {
  lpod *p = ud;
  p->r_probe = NULL;
  local *d = p->d;
  double now = now_of(d);
  const cluster_probe_spec *ps = &p->tmpl.readiness;
  if (ok) {
    p->r_fail = 0;
    if (++p->r_succ >= ps->success_threshold) pod_set_ready(p, true, now);
  } else {
    p->r_succ = 0;
    p->r_fail++;
    /* the kubelet reports every failure as an Unhealthy event */
    emit(d, "Pod", p->ns, p->name, "Warning", "Unhealthy", "Readiness probe failed: %s",
         detail ? detail : "");
    if (p->r_fail >= ps->failure_threshold) pod_set_ready(p, false, now);
  }
  p->r_next = now + ps->period_seconds;
  kick(d);
}

static void liveness_done(void *ud, bool ok, const char *detail) {
  lpod *p = ud;
  p->l_probe = NULL;
  local *d = p->d;
  double now = now_of(d);
  const cluster_probe_spec *ps = &p->tmpl.liveness;
  p->l_next = now + ps->period_seconds;
  if (ok)
    p->l_fail = 0;
  else {
    p->l_fail++;
    emit(d, "Pod", p->ns, p->name, "Warning", "Unhealthy", "Liveness probe failed: %s", detail ? detail : "");
    if (p->l_fail >= ps->failure_threshold && p->proc && !p->killing_for_restart && !p->terminating) {
      emit(d, "Pod", p->ns, p->name, "Normal", "Killing",
           "Container %s failed liveness probe, will be restarted", p->tmpl.container_name);
      p->killing_for_restart = true;
      p->kill_at = now + p->tmpl.grace_seconds;
      cluster_proc_signal(p->proc, SIGTERM);
      pod_set_ready(p, false, now);
    }
  }
  kick(d);
}

static void probe_start(local *d, lpod *p, const cluster_probe_spec *ps, bool readiness) {
  int hp = host_port(p, ps->port);
  cluster_probe_req r = {ps->kind == CLUSTER_PROBE_HTTP, hp, ps->path, ps->headers,
                         sw_clock_real_ms(d->env.clock, ps->timeout_seconds)};
  if (r.timeout_ms < 1) r.timeout_ms = 1;
  if (readiness)
    p->r_probe = cluster_probe_start(d->env.loop, &r, readiness_done, p);
  else
    p->l_probe = cluster_probe_start(d->env.loop, &r, liveness_done, p);
}

/* ---- the reconcile steps ---------------------------------------------------------- */

static void nodes_progress(local *d, double now) {
  for (size_t i = 0; i < d->nodes.len; i++) {
    lnode *n = d->nodes.items[i];
    if (!n->ready && !n->deleting && now >= n->ready_at) {
      n->ready = true;
      n->ready_changed_at = now;
      n->empty_since = node_pods(d, n) ? -1 : now;
      emit(d, "Node", "", n->name, "Normal", "NodeReady", "Node %s status is now: NodeReady", n->name);
      changed(d);
    }
  }
}

static void delete_victims(local *d, lpod **cands, size_t n, size_t count, double now) {
  if (count == 0 || n == 0) return;
  cluster_victim *v = sw_xcalloc(n, sizeof *v);
  for (size_t i = 0; i < n; i++) {
    lpod *p = cands[i];
    v[i].index = i;
    v[i].scheduled = p->node != NULL;
    v[i].unit = pod_unit(p);
    v[i].ready = p->ready;
    v[i].created = p->created;
    v[i].name = p->name;
  }
  cluster_victims_sort(v, n);
  for (size_t i = 0; i < count && i < n; i++) {
    lpod *p = cands[v[i].index];
    emit(d, "Deployment", p->ns, p->w->name, "Normal", "SuccessfulDelete", "Deleted pod: %s (cluster %s)",
         p->name, d->spec.name);
    pod_terminate(d, p, now, d->env.drain_seconds);
  }
  free(v);
}

static void workloads_reconcile(local *d, double now) {
  for (size_t wi = 0; wi < d->works.len; wi++) {
    lwork *w = d->works.items[wi];
    SW_VEC(lpod *) cur = {0}, old = {0};
    int ready_new = 0, unsched_new = 0;
    for (size_t i = 0; i < d->pods.len; i++) {
      lpod *p = d->pods.items[i];
      if (p->w != w || p->terminating) continue;
      if (w->tmpl_ok && strcmp(p->tmpl.hash, w->tmpl.hash) == 0) {
        sw_vec_push(&cur, p);
        ready_new += p->ready;
        unsched_new += p->node == NULL && p->sched_msg != NULL;
      } else
        sw_vec_push(&old, p);
    }
    int target = (w->deleted || !w->tmpl_ok || d->destroying) ? 0 : w->replicas;
    if ((int)cur.len < target) {
      for (int k = (int)cur.len; k < target; k++) {
        lpod *p = pod_create(d, w, now);
        /* the ReplicaSet controller's event, on the Deployment (no ReplicaSet objects here) */
        emit(d, "Deployment", w->ns, w->name, "Normal", "SuccessfulCreate", "Created pod: %s (cluster %s)",
             p->name, d->spec.name);
      }
      changed(d);
    } else if ((int)cur.len > target) {
      delete_victims(d, cur.items, cur.len, cur.len - (size_t)target, now);
    }
    /* Rolling update: an old pod goes once a new one is ready, or when a
     * new one cannot be placed (it makes room, as maxUnavailable would). */
    int keep_old = target - ready_new - unsched_new;
    if (keep_old < 0) keep_old = 0;
    if ((int)old.len > keep_old) delete_victims(d, old.items, old.len, old.len - (size_t)keep_old, now);
    sw_vec_free(&cur);
    sw_vec_free(&old);
  }
  /* forget deleted workloads once their pods are gone */
  size_t j = 0;
  for (size_t wi = 0; wi < d->works.len; wi++) {
    lwork *w = d->works.items[wi];
    bool has = false;
    for (size_t i = 0; i < d->pods.len && !has; i++) has = d->pods.items[i]->w == w;
    if (w->deleted && !has)
      work_free(w);
    else
      d->works.items[j++] = w;
  }
  d->works.len = j;
}

static cluster_place_node *place_nodes(local *d) {
  cluster_place_node *pn = sw_xcalloc(d->nodes.len ? d->nodes.len : 1, sizeof *pn);
  for (size_t i = 0; i < d->nodes.len; i++) {
    lnode *n = d->nodes.items[i];
    pn[i] = (cluster_place_node){n->name, n->labels, n->gpus, node_used(n), n->ready, !n->deleting};
  }
  return pn;
}

static void pod_bind(local *d, lpod *p, lnode *n, int unit, double now) {
  p->node = n;
  p->unit = unit;
  p->slots = 0;
  for (int s = 0, need = p->tmpl.gpus; s < n->gpus && need > 0 && s < 64; s++)
    if (!(n->slots & (1ull << s))) {
      p->slots |= 1ull << s;
      need--;
    }
  n->slots |= p->slots;
  n->empty_since = -1;
  p->scheduled_at = now;
  p->next_start_at = now;
  if (unit >= 0 && p->w->has_rp && (size_t)unit < p->w->rp.nunits) {
    json_object_update(p->labels, p->w->rp.units[unit].pod_labels);
    json_object_update(p->annotations, p->w->rp.units[unit].pod_annotations);
  }
  free(p->sched_msg);
  p->sched_msg = NULL;
  free(p->prov_msg);
  p->prov_msg = NULL;
  emit(d, "Pod", p->ns, p->name, "Normal", "Scheduled", "Successfully assigned %s/%s to %s", p->ns, p->name,
       n->name);
  changed(d);
}

static void schedule_pending(local *d, double now) {
  cluster_place_node *pn = NULL;
  for (size_t i = 0; i < d->pods.len; i++) {
    lpod *p = d->pods.items[i];
    if (p->node || p->terminating) continue;
    if (!pn) pn = place_nodes(d);
    cluster_place_unit *units = units_for(d, p->w, p);
    cluster_place_req req = {p->tmpl.gpus, p->tmpl.node_selector, units, p->w->has_rp ? p->w->rp.nunits : 0};
    cluster_place_result res;
    int ni = cluster_place(pn, d->nodes.len, &req, &res);
    free(units);
    if (ni >= 0) {
      pod_bind(d, p, d->nodes.items[ni], res.unit, now);
      pn[ni].gpus_used = node_used(d->nodes.items[ni]);
      continue;
    }
    bool fresh = !p->sched_msg || strcmp(p->sched_msg, res.message) != 0;
    if (fresh || now - p->sched_msg_at >= EVENT_REPEAT_SECONDS) {
      emit(d, "Pod", p->ns, p->name, "Warning", "FailedScheduling", "%s", res.message);
      p->sched_msg_at = now;
    }
    if (fresh) {
      free(p->sched_msg);
      p->sched_msg = sw_xstrdup(res.message);
      changed(d);
    }
  }
  free(pn);
}

static void provision(local *d, double now) {
  size_t np = d->pools.len;
  cluster_prov_pool *pools = sw_xcalloc(np ? np : 1, sizeof *pools);
  for (size_t i = 0; i < np; i++) {
    lpool *p = d->pools.items[i];
    pools[i] = (cluster_prov_pool){p->name,
                                   p->type == CLUSTER_POOL_ELASTIC && !p->removed,
                                   p->gpus_per_node,
                                   p->labels,
                                   pool_node_count(d, p, false),
                                   p->min_nodes,
                                   p->max_nodes,
                                   p->inventory_left};
    if (p->removed) pools[i].max_nodes = 0;
  }
  cluster_prov_node *nodes = sw_xcalloc(d->nodes.len ? d->nodes.len : 1, sizeof *nodes);
  for (size_t i = 0; i < d->nodes.len; i++) {
    lnode *n = d->nodes.items[i];
    size_t pi = 0;
    while (pi < np && d->pools.items[pi] != n->pool) pi++;
    nodes[i] = (cluster_prov_node){
        n->name, pi, n->gpus - node_used(n), !n->ready, n->deleting, node_pods(d, n), n->empty_since};
  }
  /* unschedulable pods, oldest first; pods of one workload share its units */
  SW_VEC(lpod *) pend = {0};
  SW_VEC(cluster_place_unit *) unit_arrays = {0};
  SW_VEC(lwork *) unit_owner = {0};
  for (size_t i = 0; i < d->pods.len; i++) {
    lpod *p = d->pods.items[i];
    if (!p->node && !p->terminating && p->sched_msg) sw_vec_push(&pend, p);
  }
  cluster_prov_pod *pods = sw_xcalloc(pend.len ? pend.len : 1, sizeof *pods);
  for (size_t i = 0; i < pend.len; i++) {
    lpod *p = pend.items[i];
    cluster_place_unit *u = NULL;
    for (size_t k = 0; k < unit_owner.len; k++)
      if (unit_owner.items[k] == p->w) u = unit_arrays.items[k];
    if (!u && p->w->has_rp) {
      u = units_for(d, p->w, NULL);
      sw_vec_push(&unit_arrays, u);
      sw_vec_push(&unit_owner, p->w);
    }
    pods[i] = (cluster_prov_pod){p->tmpl.gpus, p->tmpl.node_selector, u, p->w->has_rp ? p->w->rp.nunits : 0};
  }
  cluster_prov_input in = {pools, np,       nodes, d->nodes.len,
                           pods,  pend.len, now,   d->spec.scale_down_unneeded_seconds};
  cluster_prov_plan plan;
  cluster_prov_plan_compute(&in, &plan);

  /* inventory notes */
  sw_buf nb;
  sw_buf_init(&nb);
  sw_buf_puts(&nb, "");
  for (size_t i = 0; i < plan.nnotes; i++) sw_buf_printf(&nb, "%s\n", plan.notes[i]);
  if (!sw_streq(nb.data, d->notes ? d->notes : "")) {
    for (size_t i = 0; i < plan.nnotes; i++)
      emit(d, "Cluster", "", d->spec.name, "Warning", "InventoryExhausted", "%s", plan.notes[i]);
    free(d->notes);
    d->notes = sw_xstrdup(nb.data);
  }
  sw_buf_free(&nb);
  /* scale-up */
  for (size_t i = 0; i < np; i++) {
    if (!plan.add[i]) continue;
    lpool *p = d->pools.items[i];
    int before = pools[i].nodes;
    emit(d, "Cluster", "", d->spec.name, "Normal", "ScaledUpGroup",
         "Scale-up: setting group %s size to %d instead of %d (max: %d)", p->name, before + plan.add[i],
         before, p->max_nodes);
    for (int k = 0; k < plan.add[i]; k++) {
      lnode *n = node_add(d, p, now, false);
      if (p->inventory_left > 0) p->inventory_left--;
      emit(d, "Node", "", n->name, "Normal", "Provisioning",
           "node %s of pool %s is being provisioned; Ready in %gs", n->name, p->name,
           p->provisioning_seconds);
    }
    changed(d);
  }
  for (size_t i = 0; i < pend.len; i++) {
    lpod *p = pend.items[i];
    const cluster_prov_pod_plan *pp = &plan.pods[i];
    if (p->prov_msg && strcmp(p->prov_msg, pp->message) == 0) continue;
    free(p->prov_msg);
    p->prov_msg = sw_xstrdup(pp->message);
    if (pp->triggered)
      emit(d, "Pod", p->ns, p->name, "Normal", "TriggeredScaleUp", "%s", pp->message);
    else if (pp->pool < 0)
      emit(d, "Pod", p->ns, p->name, "Normal", "NotTriggerScaleUp", "%s", pp->message);
    changed(d);
  }
  /* scale-down of empty nodes */
  for (size_t i = 0; i < plan.nremove; i++) {
    lnode *n = d->nodes.items[plan.remove[i]];
    n->deleting = true;
    emit(d, "Cluster", "", d->spec.name, "Normal", "ScaleDownEmpty", "Scale-down: removing empty node %s",
         n->name);
    emit(d, "Node", "", n->name, "Normal", "ScaleDown", "node removed by cluster autoscaler: empty for %.0fs",
         now - n->empty_since);
    if (n->pool->inventory_left >= 0) n->pool->inventory_left++;
    changed(d);
  }
  cluster_prov_plan_free(&plan);
  for (size_t k = 0; k < unit_arrays.len; k++) free(unit_arrays.items[k]);
  sw_vec_free(&unit_arrays);
  sw_vec_free(&unit_owner);
  sw_vec_free(&pend);
  free(pods);
  free(nodes);
  free(pools);
}

/* Elastic pools below minNodes grow to it; static pools match their count. */
static void pools_reconcile(local *d, double now) {
  for (size_t i = 0; i < d->pools.len; i++) {
    lpool *p = d->pools.items[i];
    int have = pool_node_count(d, p, false);
    int want = p->removed                       ? 0
               : p->type == CLUSTER_POOL_STATIC ? p->nodes
                                                : (have < p->min_nodes ? p->min_nodes : have);
    if (p->type == CLUSTER_POOL_ELASTIC && !p->removed && have > p->max_nodes) want = p->max_nodes;
    for (; have < want; have++) {
      node_add(d, p, now, p->type == CLUSTER_POOL_STATIC);
      changed(d);
    }
    /* shrink: newest nodes first; their pods are evicted and replaced */
    for (size_t k = d->nodes.len; k-- > 0 && have > want;) {
      lnode *n = d->nodes.items[k];
      if (n->pool != p || n->deleting) continue;
      n->deleting = true;
      have--;
      for (size_t q = 0; q < d->pods.len; q++)
        if (d->pods.items[q]->node == n) pod_terminate(d, d->pods.items[q], now, d->env.drain_seconds);
      emit(d, "Node", "", n->name, "Normal", "RemovingNode", "node %s is removed from pool %s", n->name,
           p->name);
      changed(d);
    }
  }
}

static void pods_progress(local *d, double now) {
  for (size_t i = 0; i < d->pods.len; i++) {
    lpod *p = d->pods.items[i];
    if (p->terminating) {
      if (p->proc && !p->sigterm_sent && now >= p->sigterm_at) {
        p->sigterm_sent = true;
        p->sigkill_at = now + p->tmpl.grace_seconds;
        emit(d, "Pod", p->ns, p->name, "Normal", "Killing", "Stopping container %s", p->tmpl.container_name);
        cluster_proc_signal(p->proc, SIGTERM);
      } else if (p->proc && p->sigterm_sent && !p->sigkill_sent && now >= p->sigkill_at) {
        p->sigkill_sent = true;
        cluster_proc_signal(p->proc, SIGKILL);
      }
      continue;
    }
    if (p->node && !p->proc && now >= p->next_start_at && p->cs != C_TERMINATED) {
      if (p->node->ready && !p->node->deleting) pod_start(d, p, now);
      continue;
    }
    if (!p->proc) continue;
    if (p->killing_for_restart) {
      if (now >= p->kill_at) {
        cluster_proc_signal(p->proc, SIGKILL);
        p->kill_at = now + 1; /* again each second until the exit arrives */
      }
      continue;
    }
    if ((p->tmpl.readiness.kind == CLUSTER_PROBE_TCP || p->tmpl.readiness.kind == CLUSTER_PROBE_HTTP) &&
        !p->r_probe && now >= p->r_next)
      probe_start(d, p, &p->tmpl.readiness, true);
    if ((p->tmpl.liveness.kind == CLUSTER_PROBE_TCP || p->tmpl.liveness.kind == CLUSTER_PROBE_HTTP) &&
        !p->l_probe && now >= p->l_next)
      probe_start(d, p, &p->tmpl.liveness, false);
  }
  /* drop pods that are gone */
  size_t j = 0;
  for (size_t i = 0; i < d->pods.len; i++) {
    lpod *p = d->pods.items[i];
    if (p->gone && !p->proc) {
      pod_free(p);
      changed(d);
    } else
      d->pods.items[j++] = p;
  }
  d->pods.len = j;
}

static void nodes_housekeeping(local *d, double now) {
  size_t j = 0;
  for (size_t i = 0; i < d->nodes.len; i++) {
    lnode *n = d->nodes.items[i];
    int pods = node_pods(d, n);
    if (pods)
      n->empty_since = -1;
    else if (n->empty_since < 0)
      n->empty_since = now;
    if (n->deleting && pods == 0) {
      node_free(n);
      changed(d);
    } else
      d->nodes.items[j++] = n;
  }
  d->nodes.len = j;
  /* pools removed from the spec go once their nodes are gone */
  j = 0;
  for (size_t i = 0; i < d->pools.len; i++) {
    lpool *p = d->pools.items[i];
    if (p->removed && pool_node_count(d, p, true) == 0)
      pool_free(p);
    else
      d->pools.items[j++] = p;
  }
  d->pools.len = j;
}

/* ---- the timer ------------------------------------------------------------------- */

static void finish_destroy(local *d);

static double next_due(local *d, double now) {
  double due = now + 1.0;
#define CONSIDER(t)                                                                                          \
  do {                                                                                                       \
    double t_ = (t);                                                                                         \
    if (t_ < due) due = t_;                                                                                  \
  } while (0)
  for (size_t i = 0; i < d->pods.len; i++) {
    lpod *p = d->pods.items[i];
    if (p->terminating) {
      if (p->proc && !p->sigterm_sent)
        CONSIDER(p->sigterm_at);
      else if (p->proc && !p->sigkill_sent)
        CONSIDER(p->sigkill_at);
      continue;
    }
    if (p->node && !p->proc) CONSIDER(p->next_start_at);
    if (p->proc && p->killing_for_restart) CONSIDER(p->kill_at);
    if (p->proc && !p->killing_for_restart) {
      if ((p->tmpl.readiness.kind == CLUSTER_PROBE_TCP || p->tmpl.readiness.kind == CLUSTER_PROBE_HTTP) &&
          !p->r_probe)
        CONSIDER(p->r_next);
      if ((p->tmpl.liveness.kind == CLUSTER_PROBE_TCP || p->tmpl.liveness.kind == CLUSTER_PROBE_HTTP) &&
          !p->l_probe)
        CONSIDER(p->l_next);
    }
  }
  for (size_t i = 0; i < d->nodes.len; i++) {
    lnode *n = d->nodes.items[i];
    if (!n->ready && !n->deleting) CONSIDER(n->ready_at);
    if (n->ready && n->empty_since >= 0 && n->pool->type == CLUSTER_POOL_ELASTIC)
      CONSIDER(n->empty_since + d->spec.scale_down_unneeded_seconds);
  }
#undef CONSIDER
  return due;
}

static void on_timer(uv_timer_t *t);

static void arm(local *d, double now) {
  double due = next_due(d, now);
  uint64_t ms = due <= now ? 1 : sw_clock_real_ms(d->env.clock, due - now);
  if (ms < 1) ms = 1;
  uv_timer_start(&d->timer, on_timer, ms, 0);
}

static void kick(local *d) {
  if (!d->in_tick) uv_timer_start(&d->timer, on_timer, 0, 0);
}

static void kill_all_now(local *d) {
  for (size_t i = 0; i < d->pods.len; i++) pod_free(d->pods.items[i]);
  d->pods.len = 0;
  for (size_t i = 0; i < d->nodes.len; i++) d->nodes.items[i]->slots = 0;
}

static void tick(local *d) {
  double now = now_of(d);
  d->in_tick = true;
  if (d->paused && !d->destroying) {
    if (d->pods.len) {
      kill_all_now(d);
      changed(d);
    }
  } else {
    nodes_progress(d, now);
    pools_reconcile(d, now);
    workloads_reconcile(d, now);
    if (!d->destroying) {
      schedule_pending(d, now);
      provision(d, now);
    }
    pods_progress(d, now);
    nodes_housekeeping(d, now);
  }
  d->in_tick = false;
  if (d->destroying && d->pods.len == 0) {
    finish_destroy(d);
    return;
  }
  arm(d, now);
}

static void on_timer(uv_timer_t *t) { tick(t->data); }

/* ---- ops ----------------------------------------------------------------------------- */

static int apply_pools(local *d, double now) {
  for (size_t i = 0; i < d->pools.len; i++) d->pools.items[i]->removed = true;
  for (size_t i = 0; i < d->spec.npools; i++) {
    const cluster_pool_spec *ps = &d->spec.pools[i];
    lpool *p = find_pool(d, ps->name);
    if (!p) {
      p = sw_xcalloc(1, sizeof *p);
      p->name = sw_xstrdup(ps->name);
      p->inventory_spec = -2; /* forces inventory_left from the spec */
      sw_vec_push(&d->pools, p);
      pool_set_from_spec(d, p, ps);
      int initial = ps->type == CLUSTER_POOL_STATIC ? ps->nodes : ps->min_nodes;
      for (int k = 0; k < initial; k++) node_add(d, p, now, true);
    } else
      pool_set_from_spec(d, p, ps);
  }
  /* keep the pool order of the spec (it is the autoscaler's preference) */
  for (size_t i = 0; i < d->spec.npools; i++) {
    for (size_t k = i; k < d->pools.len; k++)
      if (sw_streq(d->pools.items[k]->name, d->spec.pools[i].name)) {
        lpool *t = d->pools.items[i];
        d->pools.items[i] = d->pools.items[k];
        d->pools.items[k] = t;
        break;
      }
  }
  return 0;
}

static int local_create(const cluster_driver_env *env, const json_t *cluster, cluster_driver **out,
                        sw_err *err) {
  *out = NULL;
  local *d = sw_xcalloc(1, sizeof *d);
  d->base.ops = &cluster_local_ops;
  d->env = *env;
  int rc = cluster_spec_parse(cluster, &d->spec, err);
  if (rc) {
    free(d);
    return rc;
  }
  d->state_dir = sw_xstrdup(env->state_dir ? env->state_dir : ".");
  d->engine_bin = env->engine_bin ? sw_xstrdup(env->engine_bin) : cluster_self_exe();
  if (!d->engine_bin) d->engine_bin = sw_xstrdup("spillway");
  d->env.state_dir = d->state_dir;
  d->env.engine_bin = d->engine_bin;
  if (d->env.drain_seconds < 0) d->env.drain_seconds = 0;
  char *logs = sw_xasprintf("%s/logs", d->state_dir), *pids = sw_xasprintf("%s/pids", d->state_dir);
  rc = cluster_mkdirs(logs, err);
  if (!rc) rc = cluster_mkdirs(pids, err);
  free(logs);
  free(pids);
  if (rc) {
    cluster_spec_free(&d->spec);
    free(d->state_dir);
    free(d->engine_bin);
    free(d);
    return rc;
  }
  d->rng =
      (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(sw_mono_now() * 1e9) ^ (uint64_t)(uintptr_t)d;
  if (!d->rng) d->rng = 88172645463325252ull;
  d->paused = d->spec.paused;
  cluster_proc_ignore_sigpipe();
  apply_pools(d, now_of(d));
  uv_timer_init(env->loop, &d->timer);
  d->timer.data = d;
  kick(d);
  *out = &d->base;
  return 0;
}

static int local_update(cluster_driver *base, const json_t *cluster, sw_err *err) {
  local *d = (local *)base;
  cluster_spec s;
  int rc = cluster_spec_parse(cluster, &s, err);
  if (rc) return rc;
  char *oldname = d->spec.name;
  d->spec.name = NULL;
  cluster_spec_free(&d->spec);
  d->spec = s;
  if (!sw_streq(oldname, s.name))
    SW_WARN("cluster", "cluster %s renamed to %s: node names keep the old name", oldname, s.name);
  free(oldname);
  bool was_paused = d->paused;
  d->paused = s.paused;
  if (d->paused != was_paused)
    emit(d, "Cluster", "", s.name, d->paused ? "Warning" : "Normal", d->paused ? "Paused" : "Resumed",
         d->paused ? "cluster paused (spillway.io/paused): replicas stopped, health fails"
                   : "cluster resumed: replicas start again");
  apply_pools(d, now_of(d));
  kick(d);
  changed(d);
  return 0;
}

static int local_apply(cluster_driver *base, const cluster_workload *cw, sw_err *err) {
  local *d = (local *)base;
  if (d->destroying) return sw_err_set(err, SW_EUNAVAIL, "cluster %s is shutting down", d->spec.name);
  const char *ns = cw->ns ? cw->ns : "default";
  lwork *w = find_work(d, ns, cw->name);
  const json_t *tmpl = json_object_get(json_object_get(cw->deployment, "spec"), "template");
  char hash[11];
  cluster_template_hash(tmpl, hash);
  if (!w) {
    w = sw_xcalloc(1, sizeof *w);
    w->ns = sw_xstrdup(ns);
    w->name = sw_xstrdup(cw->name);
    sw_vec_push(&d->works, w);
  }
  bool tmpl_changed = !w->deployment ||
                      !json_equal(json_object_get(json_object_get(w->deployment, "spec"), "template"), tmpl);
  bool rp_changed = !((w->rp_json == NULL && cw->resource_policy == NULL) ||
                      (w->rp_json && cw->resource_policy && json_equal(w->rp_json, cw->resource_policy)));
  int rc = 0;
  if (tmpl_changed) {
    json_decref(w->deployment);
    w->deployment = json_deep_copy(cw->deployment);
    if (w->tmpl_ok) cluster_template_free(&w->tmpl);
    free(w->tmpl_error);
    w->tmpl_error = NULL;
    sw_err e;
    sw_err_clear(&e);
    w->tmpl_ok = cluster_template_parse(tmpl, &w->tmpl, &e) == 0;
    if (w->tmpl_ok && w->tmpl.restart_policy != CLUSTER_RESTART_ALWAYS) {
      cluster_template_free(&w->tmpl);
      w->tmpl_ok = false;
      sw_err_set(
          &e, SW_EINVAL,
          "spec.template.spec.restartPolicy: Unsupported value: only \"Always\" is supported by Deployments");
    }
    if (!w->tmpl_ok) {
      w->tmpl_error = sw_xstrdup(e.msg);
      emit(d, "Deployment", ns, cw->name, "Warning", "FailedCreate",
           "cluster %s cannot run the pod template: %s", d->spec.name, e.msg);
      rc = sw_err_set(err, SW_EINVAL, "Deployment %s/%s: %s", ns, cw->name, e.msg);
    } else if (w->tmpl.ncontainers > 1)
      emit(d, "Deployment", ns, cw->name, "Warning", "ExtraContainers",
           "the local driver runs only container %s; %zu other container(s) are not started",
           w->tmpl.container_name, w->tmpl.ncontainers - 1);
  }
  if (rp_changed) {
    if (w->has_rp) cluster_rp_free(&w->rp);
    w->has_rp = false;
    json_decref(w->rp_json);
    w->rp_json = cw->resource_policy ? json_deep_copy(cw->resource_policy) : NULL;
    if (cw->resource_policy) {
      sw_err e;
      json_t *warn = json_array();
      if (cluster_rp_parse(cw->resource_policy, &w->rp, warn, &e) == 0)
        w->has_rp = true;
      else
        emit(d, "ResourcePolicy", ns,
             json_string_value(json_object_get(json_object_get(cw->resource_policy, "metadata"), "name")),
             "Warning", "Invalid", "ignored in cluster %s: %s", d->spec.name, e.msg);
      json_decref(warn);
    }
  }
  w->replicas = cw->replicas < 0 ? 0 : cw->replicas;
  w->deleted = false;
  kick(d);
  return rc;
}

static int local_delete_workload(cluster_driver *base, const char *ns, const char *name, sw_err *err) {
  local *d = (local *)base;
  lwork *w = find_work(d, ns ? ns : "default", name);
  if (!w) return sw_err_set(err, SW_ENOENT, "workload %s/%s is not in cluster %s", ns, name, d->spec.name);
  w->deleted = true;
  w->replicas = 0;
  kick(d);
  return 0;
}

static char *dup_or_null(const char *s) { return s && *s ? sw_xstrdup(s) : NULL; }

static int local_list_pods(cluster_driver *base, cluster_pod_list *out, sw_err *err) {
  local *d = (local *)base;
  memset(out, 0, sizeof *out);
  if (d->paused)
    return sw_err_set(err, SW_EUNAVAIL, "cluster %s is paused (spillway.io/paused)", d->spec.name);
  out->items = sw_xcalloc(d->pods.len ? d->pods.len : 1, sizeof *out->items);
  out->cap = d->pods.len;
  for (size_t i = 0; i < d->pods.len; i++) {
    lpod *p = d->pods.items[i];
    cluster_pod_info *pi = &out->items[out->len++];
    pi->ns = sw_xstrdup(p->ns);
    pi->name = sw_xstrdup(p->name);
    pi->workload = sw_xstrdup(p->w->name);
    pi->template_hash = sw_xstrdup(p->tmpl.hash);
    pi->pod_template = json_incref(p->tmpl.pod_template);
    pi->labels = json_deep_copy(p->labels);
    pi->annotations = json_deep_copy(p->annotations);
    pi->scheduled = p->node != NULL;
    pi->phase = (p->node && p->started_once) ? CLUSTER_POD_RUNNING : CLUSTER_POD_PENDING;
    pi->ready = p->ready && !p->terminating;
    pi->terminating = p->terminating;
    pi->node = p->node ? sw_xstrdup(p->node->name) : NULL;
    pi->pool = p->node ? sw_xstrdup(p->node->pool->name) : NULL;
    pi->unit = p->node ? pod_unit(p) : -1;
    if (!p->w->has_rp) pi->unit = -1;
    pi->host = sw_xstrdup("127.0.0.1");
    pi->nports = p->nports;
    memcpy(pi->container_ports, p->cports, sizeof p->cports);
    memcpy(pi->host_ports, p->hports, sizeof p->hports);
    pi->restarts = p->restarts;
    pi->created = p->created;
    pi->scheduled_at = p->scheduled_at;
    pi->started_at = p->proc ? p->started_at : 0;
    pi->ready_changed_at = p->ready_changed_at ? p->ready_changed_at : p->created;
    pi->deletion_at = p->terminating ? p->deletion_at : 0;
    if (!p->node && p->sched_msg) {
      pi->reason = sw_xstrdup("Unschedulable");
      pi->message = p->prov_msg ? sw_xasprintf("%s (cluster-autoscaler: %s)", p->sched_msg, p->prov_msg)
                                : sw_xstrdup(p->sched_msg);
    }
    pi->container_name = sw_xstrdup(p->tmpl.container_name);
    pi->container_state = sw_xstrdup(p->cs == C_RUNNING   ? "running"
                                     : p->cs == C_WAITING ? "waiting"
                                                          : "terminated");
    pi->container_reason = dup_or_null(p->creason);
    pi->container_message = dup_or_null(p->cmessage);
    pi->exit_code = p->exit_code;
    pi->last_exit_at = p->last_exit_at;
    pi->log_path = sw_xstrdup(p->log_path);
    pi->pid = cluster_proc_pid(p->proc);
  }
  return 0;
}

static int local_delete_pod(cluster_driver *base, const char *ns, const char *name, sw_err *err) {
  local *d = (local *)base;
  lpod *p = find_pod(d, ns ? ns : "default", name);
  if (!p) return sw_err_set(err, SW_ENOENT, "pod %s/%s is not in cluster %s", ns, name, d->spec.name);
  pod_terminate(d, p, now_of(d), d->env.drain_seconds);
  kick(d);
  return 0;
}

static int local_list_nodes(cluster_driver *base, cluster_node_list *out, sw_err *err) {
  local *d = (local *)base;
  memset(out, 0, sizeof *out);
  if (d->paused)
    return sw_err_set(err, SW_EUNAVAIL, "cluster %s is paused (spillway.io/paused)", d->spec.name);
  out->items = sw_xcalloc(d->nodes.len ? d->nodes.len : 1, sizeof *out->items);
  out->cap = d->nodes.len;
  for (size_t i = 0; i < d->nodes.len; i++) {
    lnode *n = d->nodes.items[i];
    cluster_node_info *ni = &out->items[out->len++];
    ni->name = sw_xstrdup(n->name);
    ni->pool = sw_xstrdup(n->pool->name);
    ni->labels = json_deep_copy(n->labels);
    ni->elastic = n->pool->type == CLUSTER_POOL_ELASTIC;
    ni->gpus = n->gpus;
    ni->gpus_used = node_used(n);
    ni->pods = node_pods(d, n);
    ni->ready = n->ready && !n->deleting;
    ni->provisioning = !n->ready && !n->deleting;
    ni->deleting = n->deleting;
    ni->created = n->created;
    ni->ready_changed_at = n->ready_changed_at;
    ni->price_per_gpu_hour = n->pool->price;
    ni->devices = n->devices ? json_incref(n->devices) : NULL;
  }
  return 0;
}

static int local_list_pools(cluster_driver *base, cluster_pool_list *out, sw_err *err) {
  local *d = (local *)base;
  memset(out, 0, sizeof *out);
  if (d->paused)
    return sw_err_set(err, SW_EUNAVAIL, "cluster %s is paused (spillway.io/paused)", d->spec.name);
  out->items = sw_xcalloc(d->pools.len ? d->pools.len : 1, sizeof *out->items);
  out->cap = d->pools.len;
  for (size_t i = 0; i < d->pools.len; i++) {
    lpool *p = d->pools.items[i];
    if (p->removed) continue;
    cluster_pool_info *pi = &out->items[out->len++];
    pi->name = sw_xstrdup(p->name);
    pi->elastic = p->type == CLUSTER_POOL_ELASTIC;
    pi->gpus_per_node = p->gpus_per_node;
    pi->min_nodes = p->type == CLUSTER_POOL_ELASTIC ? p->min_nodes : p->nodes;
    pi->max_nodes = p->type == CLUSTER_POOL_ELASTIC ? p->max_nodes : p->nodes;
    pi->inventory_left = p->type == CLUSTER_POOL_ELASTIC ? p->inventory_left : 0;
    pi->price_per_gpu_hour = p->price;
    for (size_t k = 0; k < d->nodes.len; k++) {
      lnode *n = d->nodes.items[k];
      if (n->pool != p || n->deleting) continue;
      pi->nodes++;
      pi->gpus += n->gpus;
      pi->gpus_used += node_used(n);
      if (n->ready) {
        pi->ready_nodes++;
        pi->gpus_allocatable += n->gpus;
      } else
        pi->provisioning++;
    }
  }
  return 0;
}

static int local_health(cluster_driver *base, sw_err *err) {
  local *d = (local *)base;
  if (d->paused)
    return sw_err_set(err, SW_EUNAVAIL, "cluster %s is paused (spillway.io/paused)", d->spec.name);
  if (d->destroying) return sw_err_set(err, SW_EUNAVAIL, "cluster %s is shutting down", d->spec.name);
  return 0;
}

static void timer_closed(uv_handle_t *h) {
  local *d = h->data;
  void (*done)(void *) = d->done;
  void *ud = d->done_ud;
  for (size_t i = 0; i < d->works.len; i++) work_free(d->works.items[i]);
  sw_vec_free(&d->works);
  for (size_t i = 0; i < d->nodes.len; i++) node_free(d->nodes.items[i]);
  sw_vec_free(&d->nodes);
  for (size_t i = 0; i < d->pools.len; i++) pool_free(d->pools.items[i]);
  sw_vec_free(&d->pools);
  sw_vec_free(&d->pods);
  cluster_spec_free(&d->spec);
  free(d->state_dir);
  free(d->engine_bin);
  free(d->notes);
  free(d);
  if (done) done(ud);
}

static void finish_destroy(local *d) {
  uv_timer_stop(&d->timer);
  uv_close((uv_handle_t *)&d->timer, timer_closed);
}

static void local_destroy(cluster_driver *base, void (*done)(void *ud), void *ud) {
  local *d = (local *)base;
  d->destroying = true;
  d->done = done;
  d->done_ud = ud;
  double now = now_of(d);
  /* Shutting down: no drain delay (the gateway goes too), grace as usual. */
  for (size_t i = 0; i < d->pods.len; i++) pod_terminate(d, d->pods.items[i], now, 0);
  kick(d);
}

/* Replicas of a killed control plane are cleaned, not adopted: see process.h. */
static int local_recover(const char *root, sw_err *err) {
  return cluster_proc_recover(root, 3000, NULL, err);
}

const cluster_driver_ops cluster_local_ops = {
    .name = "local",
    .recover = local_recover,
    .create = local_create,
    .update = local_update,
    .apply_workload = local_apply,
    .delete_workload = local_delete_workload,
    .list_pods = local_list_pods,
    .delete_pod = local_delete_pod,
    .list_nodes = local_list_nodes,
    .list_pools = local_list_pools,
    .health = local_health,
    .destroy = local_destroy,
};
