/*
 * hpa.c — the Kubernetes HPA algorithm, reproduced function by function from
 * pkg/controller/podautoscaler (see hpa.h for the list). Pure: no I/O, no
 * clock, no globals; every output is allocated from the caller's arena.
 *
 * Deliberate reproduction notes (each matches upstream, not a simplification):
 * - Metric values are int64 milli-units and averages use integer division, as
 *   GetMetricUsageRatio / GetResourceUtilizationRatio do.
 * - The tolerance test is Tolerances.isWithin: (1 - down) <= ratio <= (1 + up),
 *   with per-direction tolerances from behavior.scale{Down,Up}.tolerance
 *   (KEP-4951) falling back to the controller-wide tolerance (0.1).
 * - Error and condition texts are upstream's, including its quirks (the Object
 *   metric error's argument order, "external metric" in Object AverageValue
 *   descriptions), so messages users search for are the ones they see. Where
 *   spillway adds detail (which pod lacked a metric and why), it is appended
 *   after the upstream text.
 * - Where Go would convert an out-of-range float to int32 (implementation
 *   defined), the value saturates at the int32 range instead.
 * - Scale events are marked outdated by time at each store (upstream keeps a
 *   sticky flag); identical unless a policy period is lengthened between syncs.
 */
#include "autoscale/hpa.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers -------------------------------------------------------- */

static char *aprintf(sw_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *aprintf(sw_arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  char *s = sw_arena_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

/* int32(math.Ceil(x)) with saturation instead of Go's implementation-defined
 * conversion of out-of-range values. */
static int32_t ceil_i32(double x) {
  if (isnan(x)) return 0;
  double c = ceil(x);
  if (c >= (double)INT32_MAX) return INT32_MAX;
  if (c <= (double)INT32_MIN) return INT32_MIN;
  return (int32_t)c;
}

static int32_t trunc_i32(double x) {
  if (isnan(x)) return 0;
  if (x >= (double)INT32_MAX) return INT32_MAX;
  if (x <= (double)INT32_MIN) return INT32_MIN;
  return (int32_t)x;
}

static int32_t clamp_i32(int64_t v) {
  if (v > INT32_MAX) return INT32_MAX;
  if (v < INT32_MIN) return INT32_MIN;
  return (int32_t)v;
}

static int64_t clamp_i64(__int128 v) {
  if (v > (__int128)INT64_MAX) return INT64_MAX;
  if (v < (__int128)INT64_MIN) return INT64_MIN;
  return (int64_t)v;
}

static int32_t min_i32(int32_t a, int32_t b) { return a <= b ? a : b; }
static int32_t max_i32(int32_t a, int32_t b) { return a >= b ? a : b; }

const char *hpa_condition_type_name(hpa_condition_type t) {
  switch (t) {
  case HPA_COND_ABLE_TO_SCALE:
    return "AbleToScale";
  case HPA_COND_SCALING_ACTIVE:
    return "ScalingActive";
  case HPA_COND_SCALING_LIMITED:
    return "ScalingLimited";
  default:
    return "";
  }
}

const char *hpa_metric_type_name(hpa_metric_type t) {
  switch (t) {
  case HPA_METRIC_RESOURCE:
    return "Resource";
  case HPA_METRIC_CONTAINER_RESOURCE:
    return "ContainerResource";
  case HPA_METRIC_PODS:
    return "Pods";
  case HPA_METRIC_OBJECT:
    return "Object";
  case HPA_METRIC_EXTERNAL:
    return "External";
  default:
    return "";
  }
}

void hpa_options_default(hpa_options *o) {
  o->tolerance = 0.1;
  o->cpu_initialization_period = 300;
  o->initial_readiness_delay = 30;
  o->downscale_stabilization = 300;
}

/* SetDefaults_HorizontalPodAutoscalerBehavior + GenerateHPAScale{Up,Down}Rules. */
static const hpa_scaling_policy default_up_policies[] = {
    {HPA_POLICY_PODS, 4, 15},
    {HPA_POLICY_PERCENT, 100, 15},
};
static const hpa_scaling_policy default_down_policies[] = {
    {HPA_POLICY_PERCENT, 100, 15},
};

void hpa_spec_default_behavior(hpa_spec *spec) {
  if (!spec->has_behavior) return;
  hpa_scaling_rules *up = &spec->scale_up, *down = &spec->scale_down;
  if (!up->has_window) {
    up->has_window = true;
    up->stabilization_window_seconds = 0;
  }
  if (!up->has_select) {
    up->has_select = true;
    up->select_policy = HPA_SELECT_MAX;
  }
  if (!up->has_policies) {
    up->has_policies = true;
    up->policies = default_up_policies;
    up->n_policies = 2;
  }
  /* scaleDown's window stays unset: the controller fills it with its
   * --horizontal-pod-autoscaler-downscale-stabilization value. */
  if (!down->has_select) {
    down->has_select = true;
    down->select_policy = HPA_SELECT_MAX;
  }
  if (!down->has_policies) {
    down->has_policies = true;
    down->policies = default_down_policies;
    down->n_policies = 1;
  }
}

/* ---- quantities ------------------------------------------------------------ */

static __int128 pow10_i128(int e) {
  __int128 r = 1;
  for (int i = 0; i < e; i++) r *= 10;
  return r;
}

int hpa_quantity_milli(const char *s, int64_t *milli) {
  if (!s || !*s) return -1;
  const char *p = s;
  bool neg = false;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  /* number: digits[.digits] | .digits | digits. */
  char digits[64];
  size_t nd = 0;
  int frac = 0, sig_overflow = 0;
  bool any = false, dot = false;
  for (; *p; p++) {
    if (isdigit((unsigned char)*p)) {
      any = true;
      if (nd == 0 && *p == '0' && !dot) continue; /* leading zeros */
      if (nd < 36) {
        digits[nd++] = *p;
        if (dot) frac++;
      } else if (!dot) {
        sig_overflow++; /* integer digits beyond precision: scale up */
      }
    } else if (*p == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!any) return -1;
  __int128 m = 0;
  for (size_t i = 0; i < nd; i++) m = m * 10 + (digits[i] - '0');
  int exp10 = sig_overflow - frac, exp2 = 0;
  /* suffix */
  const char *suf = p;
  if (*suf == 'e' || *suf == 'E') {
    const char *q = suf + 1;
    bool eneg = false;
    if (*q == '+' || *q == '-') eneg = *q++ == '-';
    if (!isdigit((unsigned char)*q)) return -1;
    long e = 0;
    for (; isdigit((unsigned char)*q); q++)
      if (e < 100000) e = e * 10 + (*q - '0');
    if (*q) return -1;
    exp10 += (int)(eneg ? -e : e);
  } else if (*suf == 0) {
  } else if (strcmp(suf, "n") == 0)
    exp10 -= 9;
  else if (strcmp(suf, "u") == 0)
    exp10 -= 6;
  else if (strcmp(suf, "m") == 0)
    exp10 -= 3;
  else if (strcmp(suf, "k") == 0)
    exp10 += 3;
  else if (strcmp(suf, "M") == 0)
    exp10 += 6;
  else if (strcmp(suf, "G") == 0)
    exp10 += 9;
  else if (strcmp(suf, "T") == 0)
    exp10 += 12;
  else if (strcmp(suf, "P") == 0)
    exp10 += 15;
  else if (strcmp(suf, "E") == 0)
    exp10 += 18;
  else if (strcmp(suf, "Ki") == 0)
    exp2 = 10;
  else if (strcmp(suf, "Mi") == 0)
    exp2 = 20;
  else if (strcmp(suf, "Gi") == 0)
    exp2 = 30;
  else if (strcmp(suf, "Ti") == 0)
    exp2 = 40;
  else if (strcmp(suf, "Pi") == 0)
    exp2 = 50;
  else if (strcmp(suf, "Ei") == 0)
    exp2 = 60;
  else
    return -1;
  /* milli = ceil(m * 10^(exp10+3) * 2^exp2), saturating */
  const __int128 lim = (__int128)INT64_MAX + 1;
  int e = exp10 + 3;
  __int128 num = m;
  if (num == 0) {
    *milli = 0;
    return 0;
  }
  for (int i = 0; i < exp2 && num < lim; i++) num *= 2;
  if (e >= 0) {
    for (int i = 0; i < e && num < lim; i++) num *= 10;
    if (num >= lim) {
      *milli = neg ? INT64_MIN : INT64_MAX;
      return 0;
    }
    *milli = neg ? -(int64_t)num : (int64_t)num;
    return 0;
  }
  if (num >= lim * 100) { /* huge mantissa with negative exponent: reduce first */
    while (e < 0 && num >= lim * 100) {
      num = num / 10 + (num % 10 != 0); /* conservative rounding up keeps ceil */
      e++;
    }
  }
  if (-e > 36) {
    *milli = neg ? 0 : 1; /* a positive value below 1e-36 milli rounds up to 1 */
    return 0;
  }
  __int128 den = pow10_i128(-e);
  __int128 q = num / den;
  bool rem = num % den != 0;
  /* ceil: for positive values round up; for negative values truncation toward
   * zero already is the ceiling. */
  if (!neg && rem) q++;
  *milli = clamp_i64(neg ? -q : q);
  return 0;
}

int64_t hpa_milli_from_double(double v) {
  if (isnan(v)) return 0;
  double x = v * 1000.0;
  if (x >= 9.2e18) return INT64_MAX;
  if (x <= -9.2e18) return INT64_MIN;
  double r = nearbyint(x);
  if (fabs(x - r) <= 1e-9 * fmax(1.0, fabs(x))) return (int64_t)r;
  return (int64_t)ceil(x);
}

/* int64Amount.AsCanonicalBytes for scale -3, DecimalSI suffixes. */
void hpa_milli_format(int64_t milli, char *buf, size_t n) {
  if (milli == 0) {
    snprintf(buf, n, "0");
    return;
  }
  __int128 amount = milli;
  int exponent = -3;
  while (amount % 10 == 0) {
    amount /= 10;
    exponent++;
  }
  switch (((exponent % 3) + 3) % 3) {
  case 1:
    amount *= 10;
    exponent -= 1;
    break;
  case 2:
    amount *= 100;
    exponent -= 2;
    break;
  default:
    break;
  }
  const char *suffix = "";
  switch (exponent) {
  case -9:
    suffix = "n";
    break;
  case -6:
    suffix = "u";
    break;
  case -3:
    suffix = "m";
    break;
  case 0:
    suffix = "";
    break;
  case 3:
    suffix = "k";
    break;
  case 6:
    suffix = "M";
    break;
  case 9:
    suffix = "G";
    break;
  case 12:
    suffix = "T";
    break;
  case 15:
    suffix = "P";
    break;
  case 18:
    suffix = "E";
    break;
  default:
    break;
  }
  /* exponent above 18 cannot happen for int64 milli (max ~9.2e15 units). */
  long long a = (long long)amount;
  snprintf(buf, n, "%lld%s", a, suffix);
}

/* ---- reconcile context ------------------------------------------------------ */

typedef struct tolerances {
  double down, up;
} tolerances;

/* Tolerances.isWithin */
static bool tol_within(tolerances t, double ratio) {
  return (1.0 - t.down) <= ratio && ratio <= (1.0 + t.up);
}

typedef struct rc {
  const hpa_input *in;
  sw_arena *a;
  hpa_result *out;
  tolerances tol;
  int cond_index[HPA_COND_COUNT]; /* position in out->conditions, -1 unset */
  SW_VEC(hpa_event) events;
  SW_VEC(hpa_recommendation) recs;
  SW_VEC(hpa_scale_event) up, down;
} rc;

static void set_condition(rc *c, hpa_condition_type t, bool status, const char *reason, const char *msg) {
  int i = c->cond_index[t];
  if (i < 0) {
    i = (int)c->out->n_conditions++;
    c->cond_index[t] = i;
  }
  hpa_condition *cd = &c->out->conditions[i];
  cd->type = t;
  cd->type_name = hpa_condition_type_name(t);
  cd->status = status;
  cd->reason = reason;
  cd->message = msg;
}

static void add_event(rc *c, bool warning, const char *reason, const char *msg) {
  hpa_event e = {warning, reason, msg};
  sw_vec_push(&c->events, e);
}

const hpa_condition *hpa_result_condition(const hpa_result *r, hpa_condition_type t) {
  for (size_t i = 0; i < r->n_conditions; i++)
    if (r->conditions[i].type == t) return &r->conditions[i];
  return NULL;
}

/* getUnableComputeReplicaCountCondition: a Warning event with the error and
 * the ScalingActive=False condition it proposes. */
typedef struct proposal_cond {
  const char *reason;
  const char *message;
} proposal_cond;

static proposal_cond unable_condition(rc *c, const char *reason, const char *err) {
  add_event(c, true, reason, err);
  proposal_cond p = {reason, aprintf(c->a, "the HPA was unable to compute the replica count: %s", err)};
  return p;
}

/* ---- replica_calculator.go ------------------------------------------------- */

/* The metrics map of upstream: one optional value per pod (index = pod index). */
typedef struct podmetrics {
  bool *have;
  int64_t *val;
  size_t n; /* number of pods */
} podmetrics;

static size_t pm_len(const podmetrics *m) {
  size_t k = 0;
  for (size_t i = 0; i < m->n; i++) k += m->have[i];
  return k;
}

enum { POD_READY, POD_UNREADY, POD_MISSING, POD_IGNORED };

typedef struct grouping {
  int *cls; /* per pod */
  int ready, unready, missing, ignored;
} grouping;

/* groupPods */
static grouping group_pods(rc *c, const podmetrics *m, const hpa_sample *samples, const char *resource) {
  const hpa_input *in = c->in;
  grouping g = {sw_arena_alloc(c->a, sizeof(int) * (in->n_pods + 1)), 0, 0, 0, 0};
  bool cpu = resource && strcmp(resource, "cpu") == 0;
  for (size_t i = 0; i < in->n_pods; i++) {
    const hpa_pod *p = &in->pods[i];
    if (p->deleting || p->phase == HPA_POD_FAILED) {
      g.cls[i] = POD_IGNORED;
      g.ignored++;
      continue;
    }
    /* Pending pods are ignored (upstream's comment; they count as unready). */
    if (p->phase == HPA_POD_PENDING) {
      g.cls[i] = POD_UNREADY;
      g.unready++;
      continue;
    }
    if (!m->have[i]) {
      g.cls[i] = POD_MISSING;
      g.missing++;
      continue;
    }
    if (cpu) {
      bool unready;
      if (!p->has_ready_condition || !p->has_start_time) {
        unready = true;
      } else if (p->start_time + in->options.cpu_initialization_period > in->now) {
        /* Pod still within possible initialisation period: ignore the sample if
         * the pod is unready or one window of metric wasn't collected since the
         * last state transition. */
        unready = !p->ready || samples[i].timestamp < p->ready_transition_time + samples[i].window;
      } else {
        /* Ignore the metric if the pod is unready and it has never been ready. */
        unready = !p->ready && p->start_time + in->options.initial_readiness_delay > p->ready_transition_time;
      }
      if (unready) {
        g.cls[i] = POD_UNREADY;
        g.unready++;
        continue;
      }
    }
    g.cls[i] = POD_READY;
    g.ready++;
  }
  return g;
}

static void remove_class(podmetrics *m, const grouping *g, int cls) {
  for (size_t i = 0; i < m->n; i++)
    if (g->cls[i] == cls) m->have[i] = false;
}

/* GetMetricUsageRatio (exact: the sum cannot overflow in 128 bits). */
static double usage_ratio(const podmetrics *m, int64_t target, int64_t *current) {
  __int128 total = 0;
  size_t n = 0;
  for (size_t i = 0; i < m->n; i++)
    if (m->have[i]) {
      total += m->val[i];
      n++;
    }
  int64_t cur = n ? clamp_i64(total / (__int128)n) : 0;
  if (current) *current = cur;
  return (double)cur / (double)target;
}

/* GetResourceUtilizationRatio */
static int utilization_ratio(const podmetrics *m, const int64_t *requests, int32_t target, double *ratio,
                             int32_t *util, int64_t *raw) {
  __int128 mt = 0, rt = 0;
  int64_t n = 0;
  for (size_t i = 0; i < m->n; i++) {
    if (!m->have[i]) continue;
    mt += m->val[i];
    rt += requests[i];
    n++;
  }
  if (rt == 0) return -1; /* "no metrics returned matched known pods" */
  __int128 pct = mt * 100 / rt;
  int32_t u = pct > INT32_MAX ? INT32_MAX : pct < INT32_MIN ? INT32_MIN : (int32_t)pct;
  if (util) *util = u;
  if (raw) *raw = clamp_i64(mt / n);
  *ratio = (double)u / (double)target;
  return 0;
}

/* A description of the pods whose value was missing, with the reason the
 * metrics source gave for the first few. */
static const char *missing_detail(rc *c, const grouping *g, const hpa_sample *samples) {
  if (!g->missing && !g->unready && !g->ignored) return NULL;
  sw_buf b;
  sw_buf_init(&b);
  sw_buf_printf(&b, "%d ready, %d unready, %d missing, %d ignored", g->ready, g->unready, g->missing,
                g->ignored);
  int shown = 0;
  for (size_t i = 0; i < c->in->n_pods; i++) {
    if (g->cls[i] != POD_MISSING) continue;
    if (shown == 3) {
      sw_buf_printf(&b, "; and %d more missing", g->missing - 3);
      break;
    }
    const char *why = samples && samples[i].error ? samples[i].error : "no value";
    sw_buf_printf(&b, "; missing %s: %s", c->in->pods[i].name, why);
    shown++;
  }
  char *s = sw_arena_strdup(c->a, b.data);
  sw_buf_free(&b);
  return s;
}

/* The error upstream's metrics clients give when the API returned nothing,
 * followed by what the source said for the first pods (spillway's detail). */
static const char *no_metrics_error(rc *c, const char *api, const hpa_sample *samples) {
  sw_buf b;
  sw_buf_init(&b);
  sw_buf_printf(&b, "no metrics returned from %s", api);
  size_t shown = 0, with_err = 0;
  for (size_t i = 0; i < c->in->n_pods; i++)
    if (samples[i].error) with_err++;
  for (size_t i = 0; i < c->in->n_pods && shown < 3; i++) {
    if (!samples[i].error) continue;
    sw_buf_printf(&b, "%spod %s: %s", shown ? "; " : " (", c->in->pods[i].name, samples[i].error);
    shown++;
  }
  if (with_err > shown) sw_buf_printf(&b, "; and %zu more pods", with_err - shown);
  if (shown) sw_buf_puts(&b, ")");
  char *s = sw_arena_strdup(c->a, b.data);
  sw_buf_free(&b);
  return s;
}

static podmetrics pm_from_samples(rc *c, const hpa_sample *samples) {
  podmetrics m = {sw_arena_alloc(c->a, c->in->n_pods + 1),
                  sw_arena_alloc(c->a, sizeof(int64_t) * (c->in->n_pods + 1)), c->in->n_pods};
  for (size_t i = 0; i < c->in->n_pods; i++) {
    m.have[i] = samples[i].present;
    m.val[i] = samples[i].milli;
  }
  return m;
}

typedef struct calc {
  int32_t replicas;
  int64_t usage;       /* average value (raw) */
  int32_t utilization; /* resource utilization */
  const char *err;     /* non-NULL on failure */
} calc;

/* What a metric's ratio is measured against: the target average value, or
 * (resource metrics) the target utilization of each pod's request. */
typedef struct basis {
  int64_t target;
  const int64_t *requests; /* per pod; NULL for a plain (average value) metric */
} basis;

static int basis_ratio(const podmetrics *m, const basis *b, double *ratio) {
  if (!b->requests) {
    *ratio = usage_ratio(m, b->target, NULL);
    return 0;
  }
  return utilization_ratio(m, b->requests, (int32_t)b->target, ratio, NULL, NULL);
}

/* The value a missing pod is assumed to have on a scale-down: exactly the
 * target for a plain metric; 100 % of its request (or the target when that is
 * above 100 %) for a resource metric. */
static int64_t basis_missing_value(const basis *b, size_t pod) {
  if (!b->requests) return b->target;
  int64_t fallback = b->target > 100 ? b->target : 100;
  /* in 128 bits and clamped: Go's int64 product would wrap on an absurd
   * request (the fuzzer's INT64_MAX milli), here it saturates */
  return clamp_i64((__int128)b->requests[pod] * fallback / 100);
}

/* First half of calcPlainMetricReplicas / GetResourceReplicas: group the pods
 * and drop the ignored and unready ones from the metrics. */
static const char *prune_pods(rc *c, podmetrics *m, const hpa_sample *samples, const char *resource,
                              hpa_metric_result *mr, grouping *g) {
  if (c->in->n_pods == 0) return "no pods returned by selector while calculating replica count";
  *g = group_pods(c, m, samples, resource);
  mr->n_ready = g->ready, mr->n_unready = g->unready, mr->n_missing = g->missing, mr->n_ignored = g->ignored;
  mr->detail = missing_detail(c, g, samples);
  remove_class(m, g, POD_IGNORED);
  remove_class(m, g, POD_UNREADY);
  if (pm_len(m) == 0) return "did not receive metrics for targeted pods (pods might be unready)";
  return NULL;
}

/* Second half of both: the replica count from the ratio over the ready pods,
 * redone with missing and unready pods filled in when there are any, and no
 * change when the fill-in makes it too small or flips the direction. */
static calc replicas_for_ratio(podmetrics *m, const grouping *g, const basis *b, rc *c, int32_t current,
                               double ratio, calc r) {
  bool scale_up_with_unready = g->unready > 0 && ratio > 1.0;
  if (!scale_up_with_unready && g->missing == 0) {
    r.replicas = tol_within(c->tol, ratio) ? current : ceil_i32(ratio * (double)g->ready);
    return r;
  }
  for (size_t i = 0; i < m->n; i++) {
    if (g->cls[i] == POD_MISSING && ratio < 1.0) {
      m->have[i] = true;
      m->val[i] = basis_missing_value(b, i);
    } else if ((g->cls[i] == POD_MISSING && ratio > 1.0) || (g->cls[i] == POD_UNREADY && scale_up_with_unready)) {
      m->have[i] = true; /* scale-up: missing and unready pods count as using nothing */
      m->val[i] = 0;
    }
  }
  double new_ratio;
  if (basis_ratio(m, b, &new_ratio) != 0) {
    r.err = "no metrics returned matched known pods";
    return r;
  }
  if (tol_within(c->tol, new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0)) {
    r.replicas = current; /* too small a change, or the direction would flip */
    return r;
  }
  int32_t nr = ceil_i32(new_ratio * (double)pm_len(m));
  r.replicas = (new_ratio < 1.0 && nr > current) || (new_ratio > 1.0 && nr < current) ? current : nr;
  return r;
}

/* calcPlainMetricReplicas */
static calc calc_plain(rc *c, podmetrics *m, const hpa_sample *samples, int32_t current, int64_t target,
                       const char *resource, hpa_metric_result *mr) {
  calc r = {0, 0, 0, NULL};
  grouping g;
  if ((r.err = prune_pods(c, m, samples, resource, mr, &g))) return r;
  double ratio = usage_ratio(m, target, &r.usage);
  basis b = {target, NULL};
  return replicas_for_ratio(m, &g, &b, c, current, ratio, r);
}

/* calculateRequests (container-level requests; spillway pods have no pod-level
 * requests or restartable init containers). */
static const char *calculate_requests(rc *c, const char *container, const char *resource, int64_t *requests) {
  for (size_t i = 0; i < c->in->n_pods; i++) {
    const hpa_pod *p = &c->in->pods[i];
    int64_t req = 0;
    bool found = false;
    for (size_t k = 0; k < p->n_containers; k++) {
      const hpa_container *ct = &p->containers[k];
      bool match = !container || !*container || sw_streq(container, ct->name);
      if (match) {
        bool has = false;
        for (size_t r = 0; r < ct->n_requests; r++)
          if (sw_streq(ct->requests[r].resource, resource)) {
            req = clamp_i64((__int128)req + ct->requests[r].milli); /* absurd requests saturate */
            has = true;
            break;
          }
        if (!has)
          return aprintf(c->a, "missing request for %s in container %s of Pod %s", resource,
                         ct->name ? ct->name : "", p->name);
      }
      if (container && *container && sw_streq(container, ct->name)) {
        found = true;
        break;
      }
    }
    if (container && *container && !found)
      return aprintf(c->a, "container %s not found in Pod %s", container, p->name);
    requests[i] = req;
  }
  return NULL;
}

/* GetResourceReplicas (after the metrics were fetched). */
static calc resource_replicas(rc *c, podmetrics *m, const hpa_sample *samples, int32_t current,
                              int32_t target, const char *resource, const char *container,
                              hpa_metric_result *mr) {
  calc r = {0, 0, 0, NULL};
  grouping g;
  if ((r.err = prune_pods(c, m, samples, resource, mr, &g))) return r;
  int64_t *requests = sw_arena_alloc(c->a, sizeof(int64_t) * (c->in->n_pods + 1));
  if ((r.err = calculate_requests(c, container, resource, requests))) return r;
  double ratio;
  if (utilization_ratio(m, requests, target, &ratio, &r.utilization, &r.usage) != 0) {
    r.err = "no metrics returned matched known pods";
    return r;
  }
  basis b = {target, requests};
  return replicas_for_ratio(m, &g, &b, c, current, ratio, r);
}

/* getReadyPodsCount */
static int64_t ready_pods_count(rc *c) {
  int64_t n = 0;
  for (size_t i = 0; i < c->in->n_pods; i++) {
    const hpa_pod *p = &c->in->pods[i];
    if (p->phase == HPA_POD_RUNNING && p->has_ready_condition && p->ready) n++;
  }
  return n;
}

/* getUsageRatioReplicaCount: for currentReplicas=0 neither the ready pods nor
 * the tolerance count, to support scaling from zero. */
static calc usage_ratio_replica_count(rc *c, int32_t current, double ratio) {
  calc r = {0, 0, 0, NULL};
  if (current != 0) {
    if (tol_within(c->tol, ratio)) {
      r.replicas = current;
      return r;
    }
    if (c->in->n_pods == 0) {
      r.err = "unable to calculate ready pods: no pods returned by selector while calculating replica count";
      return r;
    }
    double f = ratio * (double)ready_pods_count(c);
    r.replicas = f > (double)INT32_MAX ? INT32_MAX : ceil_i32(f);
  } else {
    r.replicas = ceil_i32(ratio);
  }
  return r;
}

/* ---- horizontal.go: one metric ----------------------------------------------- */

typedef struct metric_outcome {
  bool ok;
  int32_t proposal;
  const char *name;   /* metricNameProposal */
  proposal_cond cond; /* when !ok */
  const char *err;    /* the wrapped error of computeReplicasForMetric */
} metric_outcome;

static metric_outcome fail(rc *c, hpa_metric_result *mr, const char *reason, const char *inner,
                           const char *outer) {
  metric_outcome o = {false, 0, "", unable_condition(c, reason, inner), outer};
  mr->ok = false;
  mr->reason = reason;
  mr->error = inner;
  return o;
}

static const char *metric_fetch_error(rc *c, const hpa_metric_input *mi, const char *api) {
  if (mi->error) return mi->error;
  if (!mi->samples) return aprintf(c->a, "no metrics returned from %s", api);
  bool any = false;
  for (size_t i = 0; i < c->in->n_pods; i++) any |= mi->samples[i].present;
  if (!any) return no_metrics_error(c, api, mi->samples);
  return NULL;
}

static metric_outcome pods_metric(rc *c, const hpa_metric_spec *ms, const hpa_metric_input *mi,
                                  hpa_metric_result *mr) {
  int32_t spec_replicas = c->in->spec_replicas;
  if (!ms->has_average_value) {
    const char *e = "invalid pods metric source: an average value target must be set";
    return fail(c, mr, "FailedGetPodsMetric", e, aprintf(c->a, "failed to get pods metric value: %s", e));
  }
  const char *ferr = metric_fetch_error(c, mi, "custom metrics API");
  if (ferr) {
    const char *e = aprintf(c->a, "unable to get metric %s: %s", ms->name, ferr);
    return fail(c, mr, "FailedGetPodsMetric", e, aprintf(c->a, "failed to get pods metric value: %s", e));
  }
  podmetrics m = pm_from_samples(c, mi->samples);
  calc r = calc_plain(c, &m, mi->samples, spec_replicas, ms->average_value_milli, "", mr);
  if (r.err)
    return fail(c, mr, "FailedGetPodsMetric", r.err,
                aprintf(c->a, "failed to get pods metric value: %s", r.err));
  mr->ok = true;
  mr->has_average_value = true;
  mr->average_value_milli = r.usage;
  metric_outcome o = {true, r.replicas, aprintf(c->a, "pods metric %s", ms->name), {NULL, NULL}, NULL};
  return o;
}

/* computeStatusForResourceMetricGeneric + computeStatusFor[Container]ResourceMetric */
static metric_outcome resource_metric(rc *c, const hpa_metric_spec *ms, const hpa_metric_input *mi,
                                      hpa_metric_result *mr) {
  bool container = ms->type == HPA_METRIC_CONTAINER_RESOURCE;
  const char *reason = container ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric";
  const char *res = ms->name ? ms->name : "";
  const char *cname = container ? (ms->container ? ms->container : "") : "";
#define RES_FAIL(inner)                                                                                      \
  fail(c, mr, reason, (inner),                                                                               \
       container ? aprintf(c->a, "failed to get %s container metric value: %s", cname, (inner))              \
                 : aprintf(c->a, "failed to get %s resource metric value: %s", res, (inner)))
  int32_t current = c->in->spec_replicas;
  if (ms->has_average_value) {
    const char *ferr = metric_fetch_error(c, mi, "resource metrics API");
    if (ferr) {
      const char *e =
          aprintf(c->a, "failed to get %s usage: unable to get metrics for resource %s: %s", res, res, ferr);
      return RES_FAIL(e);
    }
    podmetrics m = pm_from_samples(c, mi->samples);
    calc r = calc_plain(c, &m, mi->samples, current, ms->average_value_milli, res, mr);
    if (r.err) return RES_FAIL(aprintf(c->a, "failed to get %s usage: %s", res, r.err));
    mr->ok = true;
    mr->has_average_value = true;
    mr->average_value_milli = r.usage;
    metric_outcome o = {true, r.replicas, aprintf(c->a, "%s resource", res), {NULL, NULL}, NULL};
    return o;
  }
  if (!ms->has_average_utilization)
    return RES_FAIL(
        "invalid resource metric source: neither an average utilization target nor an average value "
        "(usage) target was set");
  const char *ferr = metric_fetch_error(c, mi, "resource metrics API");
  if (ferr)
    return RES_FAIL(aprintf(c->a, "failed to get %s utilization: unable to get metrics for resource %s: %s",
                            res, res, ferr));
  podmetrics m = pm_from_samples(c, mi->samples);
  calc r = resource_replicas(c, &m, mi->samples, current, ms->average_utilization, res, cname, mr);
  if (r.err) return RES_FAIL(aprintf(c->a, "failed to get %s utilization: %s", res, r.err));
#undef RES_FAIL
  mr->ok = true;
  mr->has_average_utilization = true;
  mr->average_utilization = r.utilization;
  mr->has_average_value = true;
  mr->average_value_milli = r.usage;
  const char *desc = container
                         ? aprintf(c->a, "%s container resource utilization (percentage of request)", res)
                         : aprintf(c->a, "%s resource utilization (percentage of request)", res);
  metric_outcome o = {true, r.replicas, desc, {NULL, NULL}, NULL};
  return o;
}

/* computeStatusForObjectMetric */
static metric_outcome object_metric(rc *c, const hpa_metric_spec *ms, const hpa_metric_input *mi,
                                    hpa_metric_result *mr) {
  const char *name = ms->name ? ms->name : "";
  const char *kind = ms->object_kind ? ms->object_kind : "";
  const char *oname = ms->object_name ? ms->object_name : "";
  const char *ns = c->in->ns ? c->in->ns : "";
  const char *sel = ms->selector_text ? ms->selector_text : "nil";
  if (ms->target_type == HPA_TARGET_VALUE) {
    if (mi->error) {
      /* upstream: fmt.Errorf("unable to get metric %s: %v on %s %s/%s", metricName, objectRef.Kind,
       * namespace, objectRef.Name, err) — its argument order, reproduced. */
      const char *e =
          aprintf(c->a, "unable to get metric %s: %s on %s %s/%s", name, kind, ns, oname, mi->error);
      return fail(c, mr, "FailedGetObjectMetric", e,
                  aprintf(c->a, "failed to get object metric value: %s", e));
    }
    double ratio = (double)mi->object_milli / (double)ms->value_milli;
    calc r = usage_ratio_replica_count(c, c->in->spec_replicas, ratio);
    if (r.err)
      return fail(c, mr, "FailedGetObjectMetric", r.err,
                  aprintf(c->a, "failed to get object metric value: %s", r.err));
    mr->ok = true;
    mr->has_value = true;
    mr->value_milli = mi->object_milli;
    metric_outcome o = {true, r.replicas, aprintf(c->a, "%s metric %s", kind, name), {NULL, NULL}, NULL};
    return o;
  }
  if (ms->target_type == HPA_TARGET_AVERAGE_VALUE) {
    if (mi->error) {
      const char *e =
          aprintf(c->a, "unable to get metric %s: %s on %s %s/%s", name, kind, ns, oname, mi->error);
      const char *w = aprintf(c->a, "failed to get %s object metric: %s", name, e);
      return fail(c, mr, "FailedGetObjectMetric", e,
                  aprintf(c->a, "failed to get object metric value: %s", w));
    }
    /* GetObjectPerPodMetricReplicas */
    int32_t status_replicas = c->in->status_replicas;
    int32_t replicas = status_replicas;
    int64_t usage = mi->object_milli;
    double ratio = (double)usage / ((double)ms->average_value_milli * (double)replicas);
    if (!tol_within(c->tol, ratio)) replicas = ceil_i32((double)usage / (double)ms->average_value_milli);
    double avg = status_replicas ? ceil((double)usage / (double)status_replicas) : (double)usage;
    mr->ok = true;
    mr->has_average_value = true;
    mr->average_value_milli = avg >= 9.2e18 ? INT64_MAX : (int64_t)avg;
    metric_outcome o = {
        true, replicas, aprintf(c->a, "external metric %s(%s)", name, sel), {NULL, NULL}, NULL};
    return o;
  }
  const char *e = "invalid object metric source: neither a value target nor an average value target was set";
  return fail(c, mr, "FailedGetObjectMetric", e, aprintf(c->a, "failed to get object metric value: %s", e));
}

/* computeStatusForExternalMetric */
static metric_outcome external_metric(rc *c, const hpa_metric_spec *ms, const hpa_metric_input *mi,
                                      hpa_metric_result *mr) {
  const char *name = ms->name ? ms->name : "";
  const char *ns = c->in->ns ? c->in->ns : "";
  const char *sel = ms->selector_text ? ms->selector_text : "nil";
  const char *ferr = mi->error             ? mi->error
                     : mi->n_external == 0 ? "no metrics returned from external metrics API"
                                           : NULL;
  /* sum of every series, capped at MaxInt64 as upstream */
  __int128 sum = 0;
  for (size_t i = 0; i < mi->n_external; i++) sum += mi->external_milli[i];
  int64_t usage = sum > INT64_MAX ? INT64_MAX : clamp_i64(sum);
  if (ms->has_average_value) {
    if (ferr) {
      const char *e = aprintf(c->a, "unable to get external metric %s/%s/%s: %s", ns, name, sel, ferr);
      const char *w = aprintf(c->a, "failed to get %s external metric: %s", name, e);
      return fail(c, mr, "FailedGetExternalMetric", e,
                  aprintf(c->a, "failed to get %s external metric value: %s", name, w));
    }
    /* GetExternalPerPodMetricReplicas */
    int32_t status_replicas = c->in->status_replicas;
    int32_t replicas = status_replicas;
    double ratio = (double)usage / ((double)ms->average_value_milli * (double)replicas);
    if (!tol_within(c->tol, ratio)) {
      double f = ceil((double)usage / (double)ms->average_value_milli);
      replicas = f > (double)INT32_MAX ? INT32_MAX : ceil_i32(f);
    }
    int64_t avg;
    if ((double)usage >= (double)INT64_MAX)
      avg = INT64_MAX;
    else if (status_replicas == 0)
      avg = usage;
    else
      avg = (int64_t)ceil((double)usage / (double)status_replicas);
    mr->ok = true;
    mr->has_average_value = true;
    mr->average_value_milli = avg;
    metric_outcome o = {
        true, replicas, aprintf(c->a, "external metric %s(%s)", name, sel), {NULL, NULL}, NULL};
    return o;
  }
  if (ms->has_value) {
    if (ferr) {
      const char *e = aprintf(c->a, "unable to get external metric %s/%s/%s: %s", ns, name, sel, ferr);
      const char *w = aprintf(c->a, "failed to get external metric %s: %s", name, e);
      return fail(c, mr, "FailedGetExternalMetric", e,
                  aprintf(c->a, "failed to get %s external metric value: %s", name, w));
    }
    double ratio = (double)usage / (double)ms->value_milli;
    calc r = usage_ratio_replica_count(c, c->in->spec_replicas, ratio);
    if (r.err) {
      const char *w = aprintf(c->a, "failed to get external metric %s: %s", name, r.err);
      return fail(c, mr, "FailedGetExternalMetric", r.err,
                  aprintf(c->a, "failed to get %s external metric value: %s", name, w));
    }
    mr->ok = true;
    mr->has_value = true;
    mr->value_milli = usage;
    metric_outcome o = {
        true, r.replicas, aprintf(c->a, "external metric %s(%s)", name, sel), {NULL, NULL}, NULL};
    return o;
  }
  const char *e =
      "invalid external metric source: neither a value target nor an average value target was set";
  return fail(c, mr, "FailedGetExternalMetric", e,
              aprintf(c->a, "failed to get %s external metric value: %s", name, e));
}

/* computeReplicasForMetric */
static metric_outcome compute_metric(rc *c, size_t i) {
  const hpa_metric_spec *ms = &c->in->spec->metrics[i];
  const hpa_metric_input *mi = &c->in->metrics[i];
  hpa_metric_result *mr = &c->out->metrics[i];
  mr->spec = ms;
  switch (ms->type) {
  case HPA_METRIC_PODS:
    return pods_metric(c, ms, mi, mr);
  case HPA_METRIC_RESOURCE:
  case HPA_METRIC_CONTAINER_RESOURCE:
    return resource_metric(c, ms, mi, mr);
  case HPA_METRIC_OBJECT:
    return object_metric(c, ms, mi, mr);
  case HPA_METRIC_EXTERNAL:
    return external_metric(c, ms, mi, mr);
  default: {
    const char *e = aprintf(c->a, "unknown metric source type \"%s\"", ms->type_name ? ms->type_name : "");
    return fail(c, mr, "InvalidMetricSourceType", e, e);
  }
  }
}

/* computeReplicasForMetrics: the largest proposal; -1 when nothing can be done. */
static int32_t compute_metrics(rc *c, const char **metric_name) {
  const hpa_input *in = c->in;
  const hpa_spec *spec = in->spec;
  if (!in->selector || !*in->selector) {
    add_event(c, true, "SelectorRequired", "selector is required");
    set_condition(c, HPA_COND_SCALING_ACTIVE, false, "InvalidSelector",
                  "the HPA target's scale is missing a selector");
    return -1;
  }
  if (in->selector_error) {
    const char *e =
        aprintf(c->a, "couldn't convert selector into a corresponding internal selector object: %s",
                in->selector_error);
    add_event(c, true, "InvalidSelector", e);
    set_condition(c, HPA_COND_SCALING_ACTIVE, false, "InvalidSelector", e);
    return -1;
  }
  if (in->ambiguous_with) {
    const char *e = aprintf(c->a, "pods by selector %s are controlled by multiple HPAs: %s", in->selector,
                            in->ambiguous_with);
    add_event(c, true, "AmbiguousSelector", e);
    set_condition(c, HPA_COND_SCALING_ACTIVE, false, "AmbiguousSelector", e);
    return -1;
  }
  if (spec->n_metrics == 0) {
    /* The API server defaults an empty list to CPU 80%; a caller that did not
     * is told so instead of scaling on nothing. */
    const char *e = "no metrics are specified";
    add_event(c, true, "InvalidMetricSourceType", e);
    set_condition(c, HPA_COND_SCALING_ACTIVE, false, "InvalidMetricSourceType",
                  aprintf(c->a, "the HPA was unable to compute the replica count: %s", e));
    return -1;
  }
  int32_t replicas = 0;
  const char *metric = "";
  size_t invalid = 0;
  metric_outcome first_invalid = {0};
  for (size_t i = 0; i < spec->n_metrics; i++) {
    metric_outcome o = compute_metric(c, i);
    if (!o.ok) {
      if (invalid == 0) first_invalid = o;
      invalid++;
      continue;
    }
    c->out->metrics[i].proposal = o.proposal;
    c->out->metrics[i].description = o.name;
    if (replicas == 0 || o.proposal > replicas) {
      replicas = o.proposal;
      metric = o.name;
    }
  }
  /* If all metrics are invalid, or some are and we would scale down, do
   * nothing and report the first invalid metric. */
  if (invalid >= spec->n_metrics || (invalid > 0 && replicas < in->spec_replicas)) {
    set_condition(c, HPA_COND_SCALING_ACTIVE, false, first_invalid.cond.reason, first_invalid.cond.message);
    add_event(c, true, "FailedComputeMetricsReplicas",
              aprintf(c->a, "invalid metrics (%zu invalid out of %zu), first error is: %s", invalid,
                      spec->n_metrics, first_invalid.err));
    return -1;
  }
  set_condition(c, HPA_COND_SCALING_ACTIVE, true, "ValidMetricFound",
                aprintf(c->a, "the HPA was able to successfully calculate a replica count from %s", metric));
  *metric_name = metric;
  return replicas;
}

/* ---- horizontal.go: normalisation --------------------------------------------- */

static void record_recommendation(rc *c, bool found_old, size_t old_index, int32_t replicas) {
  hpa_recommendation r = {replicas, c->in->now};
  if (found_old)
    c->recs.items[old_index] = r;
  else
    sw_vec_push(&c->recs, r);
}

/* stabilizeRecommendation: the highest recommendation in the downscale window. */
static int32_t stabilize(rc *c, int32_t prenormalized) {
  int32_t max_rec = prenormalized;
  bool found_old = false;
  size_t old_index = 0;
  double cutoff = c->in->now - c->in->options.downscale_stabilization;
  for (size_t i = 0; i < c->recs.len; i++) {
    if (c->recs.items[i].time < cutoff) {
      found_old = true;
      old_index = i;
    } else if (c->recs.items[i].replicas > max_rec) {
      max_rec = c->recs.items[i].replicas;
    }
  }
  record_recommendation(c, found_old, old_index, prenormalized);
  return max_rec;
}

/* convertDesiredReplicasWithRules (no behavior): scale up by at most
 * max(2 x current, 4) per sync. */
static int32_t convert_with_rules(int32_t current, int32_t desired, int32_t min, int32_t max,
                                  const char **reason, const char **msg) {
  int32_t scale_up_limit = trunc_i32(fmax(2.0 * (double)current, 4.0));
  int32_t max_allowed;
  const char *cond, *text;
  if (max > scale_up_limit) {
    max_allowed = scale_up_limit;
    cond = "ScaleUpLimit";
    text = "the desired replica count is increasing faster than the maximum scale rate";
  } else {
    max_allowed = max;
    cond = "TooManyReplicas";
    text = "the desired replica count is more than the maximum replica count";
  }
  if (desired < min) {
    *reason = "TooFewReplicas";
    *msg = "the desired replica count is less than the minimum replica count";
    return min;
  }
  if (desired > max_allowed) {
    *reason = cond;
    *msg = text;
    return max_allowed;
  }
  *reason = "DesiredWithinRange";
  *msg = "the desired count is within the acceptable range";
  return desired;
}

/* getReplicasChangePerPeriod */
static int32_t change_per_period(rc *c, int32_t period, const hpa_scale_event *ev, size_t n) {
  double cutoff = c->in->now - (double)period;
  int64_t sum = 0;
  for (size_t i = 0; i < n; i++)
    if (ev[i].time > cutoff) sum += ev[i].change;
  return clamp_i32(sum);
}

/* calculateScaleUpLimitWithScalingRules */
static int32_t scale_up_limit(rc *c, int32_t current, const hpa_scaling_rules *r) {
  if (r->select_policy == HPA_SELECT_DISABLED) return current;
  bool use_min = r->select_policy == HPA_SELECT_MIN;
  int32_t result = use_min ? INT32_MAX : INT32_MIN, proposed = 0;
  for (size_t i = 0; i < r->n_policies; i++) {
    const hpa_scaling_policy *p = &r->policies[i];
    int32_t added = change_per_period(c, p->period_seconds, c->up.items, c->up.len);
    int32_t deleted = change_per_period(c, p->period_seconds, c->down.items, c->down.len);
    int64_t start = (int64_t)current - added + deleted;
    if (p->type == HPA_POLICY_PODS)
      proposed = clamp_i32(start + p->value);
    else
      proposed = ceil_i32((double)start * (1.0 + (double)p->value / 100.0));
    result = use_min ? min_i32(result, proposed) : max_i32(result, proposed);
  }
  return result;
}

/* calculateScaleDownLimitWithBehaviors */
static int32_t scale_down_limit(rc *c, int32_t current, const hpa_scaling_rules *r) {
  if (r->select_policy == HPA_SELECT_DISABLED) return current;
  bool use_min = r->select_policy == HPA_SELECT_MIN;
  int32_t result = use_min ? INT32_MIN : INT32_MAX, proposed = 0;
  for (size_t i = 0; i < r->n_policies; i++) {
    const hpa_scaling_policy *p = &r->policies[i];
    int32_t added = change_per_period(c, p->period_seconds, c->up.items, c->up.len);
    int32_t deleted = change_per_period(c, p->period_seconds, c->down.items, c->down.len);
    int64_t start = (int64_t)current - added + deleted;
    if (p->type == HPA_POLICY_PODS)
      proposed = clamp_i32(start - p->value);
    else
      proposed = trunc_i32((double)start * (1.0 - (double)p->value / 100.0));
    result = use_min ? max_i32(result, proposed) : min_i32(result, proposed);
  }
  return result;
}

static int32_t down_window(const rc *c) {
  const hpa_scaling_rules *d = &c->in->spec->scale_down;
  /* maybeInitScaleDownStabilizationWindow */
  return d->has_window ? d->stabilization_window_seconds : trunc_i32(c->in->options.downscale_stabilization);
}

/* stabilizeRecommendationWithBehaviors */
static int32_t stabilize_with_behaviors(rc *c, int32_t current, int32_t desired, const char **reason,
                                        const char **msg) {
  double now = c->in->now;
  const hpa_scaling_rules *up = &c->in->spec->scale_up;
  int32_t up_rec = desired, down_rec = desired;
  double up_cutoff = now - (double)(up->has_window ? up->stabilization_window_seconds : 0);
  double down_cutoff = now - (double)down_window(c);
  bool found_old = false;
  size_t old_index = 0;
  for (size_t i = 0; i < c->recs.len; i++) {
    const hpa_recommendation *r = &c->recs.items[i];
    if (r->time > up_cutoff) up_rec = min_i32(r->replicas, up_rec);
    if (r->time > down_cutoff) down_rec = max_i32(r->replicas, down_rec);
    if (r->time < up_cutoff && r->time < down_cutoff) {
      found_old = true;
      old_index = i;
    }
  }
  int32_t rec = current;
  if (rec < up_rec) rec = up_rec;
  if (rec > down_rec) rec = down_rec;
  record_recommendation(c, found_old, old_index, desired);
  if (desired >= current) {
    *reason = "ScaleUpStabilized";
    *msg = "recent recommendations were lower than current one, applying the lowest recent recommendation";
  } else {
    *reason = "ScaleDownStabilized";
    *msg = "recent recommendations were higher than current one, applying the highest recent recommendation";
  }
  return rec;
}

/* convertDesiredReplicasWithBehaviorRate */
static int32_t convert_with_behavior_rate(rc *c, int32_t current, int32_t desired, int32_t min, int32_t max,
                                          const char **reason, const char **msg) {
  const hpa_spec *s = c->in->spec;
  if (desired > current) {
    int32_t limit = scale_up_limit(c, current, &s->scale_up);
    if (limit < current) limit = current; /* no further scale-up until old events expire */
    int32_t max_allowed = max;
    const char *r, *m;
    if (max_allowed > limit) {
      max_allowed = limit;
      r = "ScaleUpLimit";
      m = "the desired replica count is increasing faster than the maximum scale rate";
    } else {
      r = "TooManyReplicas";
      m = "the desired replica count is more than the maximum replica count";
    }
    if (desired > max_allowed) {
      *reason = r;
      *msg = m;
      return max_allowed;
    }
  } else if (desired < current) {
    int32_t limit = scale_down_limit(c, current, &s->scale_down);
    if (limit > current) limit = current;
    int32_t min_allowed = min;
    const char *r, *m;
    if (min_allowed < limit) {
      min_allowed = limit;
      r = "ScaleDownLimit";
      m = "the desired replica count is decreasing faster than the maximum scale rate";
    } else {
      r = "TooFewReplicas";
      m = "the desired replica count is less than the minimum replica count";
    }
    if (desired < min_allowed) {
      *reason = r;
      *msg = m;
      return min_allowed;
    }
  }
  *reason = "DesiredWithinRange";
  *msg = "the desired count is within the acceptable range";
  return desired;
}

static void append_limited(rc *c, const char *reason) {
  const char *cur = c->out->limited_by;
  c->out->limited_by = cur && *cur ? aprintf(c->a, "%s, %s", cur, reason) : reason;
}

/* normalizeDesiredReplicas / normalizeDesiredReplicasWithBehaviors */
static int32_t normalize(rc *c, int32_t current, int32_t prenormalized, int32_t min) {
  const hpa_spec *s = c->in->spec;
  int32_t stabilized;
  const char *reason, *msg;
  if (!s->has_behavior) {
    stabilized = stabilize(c, prenormalized);
    if (stabilized != prenormalized) {
      set_condition(
          c, HPA_COND_ABLE_TO_SCALE, true, "ScaleDownStabilized",
          "recent recommendations were higher than current one, applying the highest recent recommendation");
      append_limited(c, "ScaleDownStabilized");
    } else {
      set_condition(c, HPA_COND_ABLE_TO_SCALE, true, "ReadyForNewScale",
                    "recommended size matches current size");
    }
  } else {
    stabilized = stabilize_with_behaviors(c, current, prenormalized, &reason, &msg);
    if (stabilized != prenormalized) {
      set_condition(c, HPA_COND_ABLE_TO_SCALE, true, reason, msg);
      append_limited(c, reason);
    } else {
      set_condition(c, HPA_COND_ABLE_TO_SCALE, true, "ReadyForNewScale",
                    "recommended size matches current size");
    }
  }
  c->out->stabilized = stabilized;
  int32_t desired =
      s->has_behavior
          ? convert_with_behavior_rate(c, current, stabilized, min, s->max_replicas, &reason, &msg)
          : convert_with_rules(current, stabilized, min, s->max_replicas, &reason, &msg);
  set_condition(c, HPA_COND_SCALING_LIMITED, desired != stabilized, reason, msg);
  if (desired != stabilized) append_limited(c, reason);
  return desired;
}

static int32_t longest_period(const hpa_scaling_rules *r) {
  int32_t p = 0;
  for (size_t i = 0; i < r->n_policies; i++)
    if (r->policies[i].period_seconds > p) p = r->policies[i].period_seconds;
  return p;
}

/* storeScaleEvent: add, or replace an outdated event, in the direction's list. */
static void store_scale_event(rc *c, int32_t prev, int32_t next) {
  const hpa_spec *s = c->in->spec;
  if (!s->has_behavior) return; /* no event is stored: they would not be used */
  bool up = next > prev;
  int32_t longest = longest_period(up ? &s->scale_up : &s->scale_down);
  double cutoff = c->in->now - (double)longest;
  __typeof__(c->up) *list = up ? &c->up : &c->down;
  bool found = false;
  size_t idx = 0;
  for (size_t i = 0; i < list->len; i++)
    if (list->items[i].time < cutoff) {
      found = true;
      idx = i;
    }
  hpa_scale_event e = {up ? next - prev : prev - next, c->in->now};
  if (found)
    list->items[idx] = e;
  else
    sw_vec_push(list, e);
}

/* ---- reconcileAutoscaler ------------------------------------------------------ */

int hpa_reconcile(const hpa_input *in, sw_arena *a, hpa_result *out, sw_err *err) {
  memset(out, 0, sizeof *out);
  if (!in->spec || (in->spec->n_metrics && !in->metrics))
    return sw_err_set(err, SW_EINVAL,
                      "hpa_reconcile: a metrics input is required for each of the %zu metrics",
                      in->spec ? in->spec->n_metrics : 0);
  rc c = {.in = in, .a = a, .out = out};
  for (int i = 0; i < HPA_COND_COUNT; i++) c.cond_index[i] = -1;
  const hpa_spec *spec = in->spec;
  c.tol.down = c.tol.up = in->options.tolerance;
  if (spec->has_behavior) {
    if (spec->scale_down.has_tolerance) c.tol.down = spec->scale_down.tolerance;
    if (spec->scale_up.has_tolerance) c.tol.up = spec->scale_up.tolerance;
  }
  out->metrics = sw_arena_alloc(a, sizeof(hpa_metric_result) * (spec->n_metrics + 1));
  out->n_metrics = spec->n_metrics;
  for (size_t i = 0; i < spec->n_metrics; i++) out->metrics[i].spec = &spec->metrics[i];
  out->metric_desired = -1;
  out->limited_by = "";
  out->rescale_reason = "";
  out->metric_name = "";
  for (size_t i = 0; i < in->n_recommendations; i++) sw_vec_push(&c.recs, in->recommendations[i]);
  for (size_t i = 0; i < in->n_scale_events; i++) {
    hpa_scale_event e = in->scale_events[i];
    if (e.change > 0)
      sw_vec_push(&c.up, e);
    else if (e.change < 0) {
      e.change = -e.change;
      sw_vec_push(&c.down, e);
    }
  }

  set_condition(&c, HPA_COND_ABLE_TO_SCALE, true, "SucceededGetScale",
                "the HPA controller was able to get the target's current scale");
  int32_t current = in->spec_replicas;
  out->current_replicas = current;
  /* recordInitialRecommendation */
  if (c.recs.len == 0) {
    hpa_recommendation r = {current, in->now};
    sw_vec_push(&c.recs, r);
  }
  int32_t min = spec->has_min_replicas ? spec->min_replicas : 1;
  int32_t desired = 0;
  const char *reason = "";
  bool rescale = true;
  if (current == 0 && min != 0) {
    /* autoscaling is disabled for this resource */
    desired = 0;
    rescale = false;
    set_condition(&c, HPA_COND_SCALING_ACTIVE, false, "ScalingDisabled",
                  "scaling is disabled since the replica count of the target is zero");
  } else if (current > spec->max_replicas) {
    reason = "Current number of replicas above Spec.MaxReplicas";
    desired = spec->max_replicas;
    out->limited_by = "TooManyReplicas";
  } else if (current < min) {
    reason = "Current number of replicas below Spec.MinReplicas";
    desired = min;
    out->limited_by = "TooFewReplicas";
  } else {
    const char *metric_name = "";
    int32_t md = compute_metrics(&c, &metric_name);
    if (md == -1) {
      /* setCurrentReplicasInStatus: desired and metrics keep their previous values */
      out->metrics_failed = true;
      out->desired_replicas = current;
      out->computed = current;
      goto done;
    }
    out->metric_desired = md;
    out->metric_name = metric_name;
    const char *rescale_metric = "";
    if (md > desired) {
      desired = md;
      rescale_metric = metric_name;
    }
    if (desired > current) reason = aprintf(a, "%s above target", rescale_metric);
    if (desired < current) reason = "All metrics below target";
    desired = normalize(&c, current, desired, min);
    rescale = desired != current;
  }
  out->computed = rescale ? desired : current;
  if (rescale) {
    out->rescale_reason = reason;
    switch (in->outcome) {
    case HPA_RESCALE_ASSUME_OK:
      set_condition(&c, HPA_COND_ABLE_TO_SCALE, true, "SucceededRescale",
                    aprintf(a, "the HPA controller was able to update the target scale to %d", desired));
      add_event(&c, false, "SuccessfulRescale", aprintf(a, "New size: %d; reason: %s", desired, reason));
      store_scale_event(&c, current, desired);
      out->rescale = true;
      out->set_last_scale_time = true;
      out->desired_replicas = desired;
      break;
    case HPA_RESCALE_FAILED: {
      const char *e = in->rescale_error ? in->rescale_error : "unknown error";
      add_event(&c, true, "FailedRescale",
                aprintf(a, "New size: %d; reason: %s; error: %s", desired, reason, e));
      set_condition(&c, HPA_COND_ABLE_TO_SCALE, false, "FailedUpdateScale",
                    aprintf(a, "the HPA controller was unable to update the target scale: %s", e));
      out->metrics_failed = true; /* status keeps its previous desired replicas and metrics */
      out->desired_replicas = current;
      break;
    }
    case HPA_RESCALE_ADVISORY:
      /* spillway's advisory mode: report what would be done, do nothing. */
      add_event(&c, false, "AdvisoryRescale",
                aprintf(a, "advisory: would set new size: %d; reason: %s", desired, reason));
      out->desired_replicas = desired;
      break;
    }
  } else {
    out->desired_replicas = current;
  }
done:
  out->n_recommendations = c.recs.len;
  out->recommendations = sw_arena_alloc(a, sizeof(hpa_recommendation) * (c.recs.len + 1));
  if (c.recs.len) memcpy(out->recommendations, c.recs.items, sizeof(hpa_recommendation) * c.recs.len);
  out->n_scale_events = c.up.len + c.down.len;
  out->scale_events = sw_arena_alloc(a, sizeof(hpa_scale_event) * (out->n_scale_events + 1));
  for (size_t i = 0; i < c.up.len; i++) out->scale_events[i] = c.up.items[i];
  for (size_t i = 0; i < c.down.len; i++) {
    hpa_scale_event e = c.down.items[i];
    e.change = -e.change;
    out->scale_events[c.up.len + i] = e;
  }
  out->n_events = c.events.len;
  out->events = sw_arena_alloc(a, sizeof(hpa_event) * (c.events.len + 1));
  if (c.events.len) memcpy(out->events, c.events.items, sizeof(hpa_event) * c.events.len);
  sw_vec_free(&c.recs);
  sw_vec_free(&c.up);
  sw_vec_free(&c.down);
  sw_vec_free(&c.events);
  return 0;
}
