/*
 * api_internal.h — what the files of src/api share and nobody else sees: the
 * decode context (file name, the path -> line table, warnings, the error), the
 * field schemas every kind is described with, the generic schema walker, the
 * per-kind hooks (semantic checks, table rows, describe) and the tabwriter the
 * printers use.
 *
 * Role in the data flow: yaml.c turns text into jansson trees plus a line
 * table; manifest.c finds each object's kind and runs the kind's schema and
 * hooks over it (schema.c); print.c renders objects for `get`/`describe`.
 * Must never: be included outside src/api/ or tests/unit/test_api*.c.
 */
#ifndef API_INTERNAL_H
#define API_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "api/api.h"
#include "base/sw.h"

/* Untrusted-input limits (documented in docs/api.md). */
#define API_MAX_BYTES (8u * 1024u * 1024u)
#define API_MAX_DEPTH 64
#define API_MAX_ALIAS_NODES 100000 /* nodes created by expanding YAML aliases */

/* ---- decoded documents (yaml.c) ---------------------------------------- */

typedef struct api_doc {
  json_t *root;   /* owned */
  json_t *lines;  /* owned: object path ("spec.replicas") -> line (1-based) */
  json_t *ph_int; /* owned: paths whose integer came from a lone ${placeholder} */
  int line;       /* line of the document's first node */
} api_doc;

typedef SW_VEC(api_doc) api_docs;

/* Parses a multi-document YAML stream into jansson trees (YAML 1.1 scalars as
 * sigs.k8s.io/yaml resolves them), substituting ${placeholders} from vars
 * (NULL: no values, so any placeholder is unfilled). Empty documents are
 * skipped. On error, fills err ("file:line: path: ...") and frees what it
 * built. substitute false leaves placeholders alone (used to recover line
 * numbers for JSON input). */
int api_yaml_decode(const char *file, const char *text, size_t len, const api_vars *vars, bool substitute,
                    api_docs *out, sw_err *err);
void api_docs_free(api_docs *d);

/* Replaces ${name} in s. Returns 0 when nothing to do (*out NULL), 1 when
 * substituted (*out malloc'd, *alone set when s was exactly one placeholder),
 * -1 when a placeholder has no value (its name copied into missing). "$${"
 * escapes a literal "${". */
int api_subst(const char *s, const api_vars *vars, char **out, bool *alone, char *missing, size_t missing_n);

/* Scalar resolution as goyaml.v2 does for plain scalars: returns a new
 * jansson value (string, integer, real, true/false/null); NULL with *why set
 * when the scalar cannot be represented in JSON (.inf, .nan). */
json_t *api_yaml_resolve_plain(const char *s, size_t len, const char **why);

/* ---- the decode context -------------------------------------------------- */

typedef struct api_ctx {
  const char *source; /* file name or "request body"; used in every message */
  json_t *lines;      /* borrowed, may be NULL: path -> line */
  json_t *ph_int;     /* borrowed, may be NULL */
  int default_line;   /* 0 = messages carry no line */
  json_t *warnings;   /* borrowed, may be NULL: receives strings */
  sw_err *err;
  const char *ns; /* the object's namespace once known (for defaults) */
  const struct api_kind_def *kind;
} api_ctx;

/* The line of path or of its closest ancestor that has one. */
int api_ctx_line(const api_ctx *c, const char *path);
/* Sets "source:line: path: message" in c->err; returns SW_EINVAL. */
int api_fail(api_ctx *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void api_warn(api_ctx *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Paths: "spec.template.spec.containers[0].ports[0]"; keys that are not
 * identifiers are written as [key] ("metadata.annotations[prometheus.io/port]"). */
void api_path_key(sw_buf *p, const char *key);
void api_path_index(sw_buf *p, size_t i);
void api_path_truncate(sw_buf *p, size_t len);

/* "a mapping", "a list", "\"two\"", "5": how a value is quoted in messages. */
void api_describe_value(const json_t *v, char *buf, size_t n);

/* ---- schemas ------------------------------------------------------------- */

typedef enum {
  AT_ANY = 0, /* anything; nothing inside is checked */
  AT_STRING,
  AT_INT,
  AT_NUMBER,
  AT_BOOL,
  AT_OBJECT,   /* fields NULL: free-form mapping */
  AT_ARRAY,    /* of elem (AT_OBJECT elements use fields) */
  AT_STRMAP,   /* string -> string (labels, annotations, nodeSelector) */
  AT_QUANTITY, /* Kubernetes quantity: string or number */
  AT_QTYMAP,   /* resource name -> quantity */
  AT_INTORSTR, /* IntOrString ("25%", 8000, "http") */
  AT_TIME,     /* RFC 3339 string */
} api_type;

enum {
  AF_REQUIRED = 1u << 0,
  AF_NONNEG = 1u << 1,    /* integer/number >= 0 */
  AF_POSITIVE = 1u << 2,  /* integer/number > 0 */
  AF_PORT = 1u << 3,      /* 1..65535 (or a port name for AT_INTORSTR) */
  AF_RANGE = 1u << 4,     /* min..max */
  AF_NONEMPTY = 1u << 5,  /* string or array must not be empty */
  AF_DNS_LABEL = 1u << 6, /* RFC 1123 label */
  AF_DNS_SUBDOMAIN = 1u << 7,
  AF_LABELS = 1u << 8,     /* AT_STRMAP keys/values are label syntax */
  AF_INT64 = 1u << 9,      /* integer may exceed int32 */
  AF_PORT_NAME = 1u << 10, /* IANA service name */
  AF_DNS1035 = 1u << 11,   /* RFC 1035 label (Service names) */
};

typedef struct api_field api_field;
/* A semantic check run after the field's type checks (v is never NULL). */
typedef int (*api_check_fn)(api_ctx *c, json_t *parent, json_t *v, const char *path);

struct api_field {
  const char *name;
  api_type type;
  unsigned flags;
  const api_field *fields;  /* AT_OBJECT members, or AT_ARRAY elements' members */
  api_type elem;            /* AT_ARRAY element type */
  const char *const *enums; /* allowed values of a string, NULL-terminated */
  const char *def;          /* JSON text of the default, set when absent */
  long long min, max;       /* with AF_RANGE */
  api_check_fn check;
};

/* Checks obj (a mapping) against fields: types, ranges, enums, required
 * fields, defaults (in schema order), warnings for unknown members. path is
 * the mapping's own path ("" for the root). */
int api_schema_object(api_ctx *c, json_t *obj, const api_field *fields, sw_buf *path);

/* Common sub-schemas (schema.c / podspec.c). */
extern const api_field api_f_metadata[];
extern const api_field api_f_label_selector[];
extern const api_field api_f_pod_template[];
extern const api_field api_f_pod_spec[];
extern const api_field api_f_container[];
extern const api_field api_f_conditions_item[];
extern const api_field api_f_object_ref[];

extern const api_field api_f_resources[], api_f_toleration[], api_f_volume[], api_f_local_ref[];
extern const char *const api_enum_restart_policies[], *const api_enum_dns_policies[];

/* The members of a PodSpec, with SetDefaults_PodSpec's defaults (dnsPolicy
 * ClusterFirst, restartPolicy Always, terminationGracePeriodSeconds 30,
 * securityContext {}, schedulerName default-scheduler). A macro so that kinds
 * which inline a PodSpec (KServe's predictor) can list them beside their own. */
#define API_DEF(x) x
#define API_NODEF(x) NULL
/* D is API_DEF to apply the core/v1 defaults, API_NODEF for CRDs that inline a
 * PodSpec (the API server does not default those). */
#define API_POD_SPEC_FIELDS(containers_flags, D)                                                             \
  {.name = "volumes", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = api_f_volume},                          \
      {.name = "initContainers", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = api_f_container},            \
      {.name = "containers",                                                                                 \
       .type = AT_ARRAY,                                                                                     \
       .flags = (containers_flags),                                                                          \
       .elem = AT_OBJECT,                                                                                    \
       .fields = api_f_container},                                                                           \
      {.name = "ephemeralContainers", .type = AT_ARRAY, .elem = AT_OBJECT},                                  \
      {.name = "restartPolicy",                                                                              \
       .type = AT_STRING,                                                                                    \
       .enums = api_enum_restart_policies,                                                                   \
       .def = D("\"Always\"")},                                                                              \
      {.name = "terminationGracePeriodSeconds",                                                              \
       .type = AT_INT,                                                                                       \
       .flags = AF_NONNEG | AF_INT64,                                                                        \
       .def = D("30")},                                                                                      \
      {.name = "activeDeadlineSeconds", .type = AT_INT, .flags = AF_POSITIVE | AF_INT64},                    \
      {.name = "dnsPolicy",                                                                                  \
       .type = AT_STRING,                                                                                    \
       .enums = api_enum_dns_policies,                                                                       \
       .def = D("\"ClusterFirst\"")},                                                                        \
      {.name = "nodeSelector", .type = AT_STRMAP}, {.name = "serviceAccountName", .type = AT_STRING},        \
      {.name = "serviceAccount", .type = AT_STRING},                                                         \
      {.name = "automountServiceAccountToken", .type = AT_BOOL}, {.name = "nodeName", .type = AT_STRING},    \
      {.name = "hostNetwork", .type = AT_BOOL}, {.name = "hostPID", .type = AT_BOOL},                        \
      {.name = "hostIPC", .type = AT_BOOL}, {.name = "shareProcessNamespace", .type = AT_BOOL},              \
      {.name = "securityContext", .type = AT_OBJECT, .def = D("{}")},                                        \
      {.name = "imagePullSecrets", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = api_f_local_ref},          \
      {.name = "hostname", .type = AT_STRING}, {.name = "subdomain", .type = AT_STRING},                     \
      {.name = "affinity", .type = AT_OBJECT},                                                               \
      {.name = "schedulerName", .type = AT_STRING, .def = D("\"default-scheduler\"")},                       \
      {.name = "tolerations", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = api_f_toleration},              \
      {.name = "hostAliases", .type = AT_ARRAY, .elem = AT_OBJECT},                                          \
      {.name = "priorityClassName", .type = AT_STRING}, {.name = "priority", .type = AT_INT},                \
      {.name = "dnsConfig", .type = AT_OBJECT},                                                              \
      {.name = "readinessGates", .type = AT_ARRAY, .elem = AT_OBJECT},                                       \
      {.name = "runtimeClassName", .type = AT_STRING}, {.name = "enableServiceLinks", .type = AT_BOOL},      \
      {.name = "preemptionPolicy", .type = AT_STRING}, {.name = "overhead", .type = AT_QTYMAP},              \
      {.name = "topologySpreadConstraints", .type = AT_ARRAY, .elem = AT_OBJECT},                            \
      {.name = "setHostnameAsFQDN", .type = AT_BOOL}, {.name = "os", .type = AT_OBJECT},                     \
      {.name = "hostUsers", .type = AT_BOOL},                                                                \
      {.name = "schedulingGates", .type = AT_ARRAY, .elem = AT_OBJECT},                                      \
      {.name = "resourceClaims", .type = AT_ARRAY, .elem = AT_OBJECT}, {                                     \
    .name = "resources", .type = AT_OBJECT, .fields = api_f_resources                                        \
  }

/* Pod spec defaults that depend on other fields (imagePullPolicy from the
 * image tag, targetPort...), run after the schema. path is the pod spec's. */
int api_podspec_semantic(api_ctx *c, json_t *podspec, const char *path);

/* Name syntax checks; 0 when valid. */
bool api_is_dns_label(const char *s);
bool api_is_dns_subdomain(const char *s);
bool api_is_dns1035_label(const char *s);
bool api_is_port_name(const char *s);
int api_check_labels(api_ctx *c, json_t *map, const char *path, bool values_too);

/* ---- kinds ----------------------------------------------------------------- */

typedef struct api_row {
  json_t *cells; /* array of strings */
} api_row;
void api_row_add(api_row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct api_kind_def {
  api_kind k;            /* the public part; must be first (api_kind* casts back) */
  const api_field *spec; /* NULL: no spec */
  bool spec_required;
  const api_field *status;                  /* NULL: free-form status */
  const api_field *top;                     /* extra top-level members (Event) */
  int (*pre)(api_ctx *c, json_t *obj);      /* before the schema (defaults the schema requires) */
  int (*semantic)(api_ctx *c, json_t *obj); /* cross-field checks, dependent defaults */
  const char *const *columns;               /* header, NULL-terminated (AGE etc. included) */
  const char *const *wide_columns;          /* appended with -o wide */
  void (*row)(api_row *r, const json_t *obj, double now, bool wide);
  void (*describe)(sw_buf *out, const json_t *obj, const json_t *related, double now);
} api_kind_def;

extern const api_kind_def api_kind_deployment, api_kind_service, api_kind_propagationpolicy,
    api_kind_federatedhpa, api_kind_hpa, api_kind_resourcepolicy, api_kind_inferenceservice, api_kind_cluster,
    api_kind_resourcebinding, api_kind_pod, api_kind_node, api_kind_event;

static inline const api_kind_def *api_kind_def_of(const api_kind *k) { return (const api_kind_def *)k; }

/* Shared by FederatedHPA and HorizontalPodAutoscaler (kind_federatedhpa.c). */
extern const api_field api_f_hpa_spec[];
int api_hpa_semantic(api_ctx *c, json_t *obj);

/* ---- small JSON helpers -------------------------------------------------- */
const char *api_str(const json_t *obj, const char *key);              /* NULL when absent/not a string */
const char *api_strp(const json_t *obj, const char *dotted);          /* "metadata.name" */
json_t *api_getp(const json_t *obj, const char *dotted);              /* borrowed */
bool api_intp(const json_t *obj, const char *dotted, long long *out); /* false when absent */

/* ---- printing helpers (print.c) -------------------------------------------- */

/* A Go text/tabwriter: cells end with '\t'; columns of consecutive lines that
 * have a cell there are aligned to the widest cell plus padding (kubectl get:
 * minwidth 6, padding 3; kubectl describe: minwidth 0, padding 2). */
typedef struct api_tw {
  sw_buf text;
  int minwidth, padding;
} api_tw;
void api_tw_init(api_tw *tw, int minwidth, int padding);
void api_tw_printf(api_tw *tw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends the aligned text to out and empties tw. */
void api_tw_flush(api_tw *tw, sw_buf *out);
void api_tw_free(api_tw *tw);
/* Like api_tw_flush, but each line is its own block ("Key:  value"). */
void api_tw_flush_lines(api_tw *tw, sw_buf *out);

void api_age(const json_t *obj, double now, char *buf, size_t n); /* "10m" or "<unknown>" */
/* "Deployment/qwen3" */
void api_ref_string(const json_t *ref, char *buf, size_t n);
/* The describe header: Name, Namespace, Labels, Annotations, CreationTimestamp. */
void api_describe_meta(api_tw *tw, const json_t *obj, bool namespaced);
/* kubectl's generic describe of unstructured content ("Average Value:  0"). */
void api_describe_generic(api_tw *tw, const json_t *v, int level);
/* "Events:" section from related.events (or "<none>"). */
void api_describe_events(sw_buf *out, const json_t *related, double now);
/* "Conditions:" table for [{type,status,reason,message}]; nothing when absent. */
void api_describe_conditions(api_tw *tw, const json_t *conds, bool with_reason_message);
/* kubectl's "Pod Template:" section (kind_deployment.c; also InferenceService). */
void api_describe_pod_template(api_tw *tw, const json_t *tmpl);
/* "Placement (ResourceBinding ...)" from related.binding and a pods table
 * from related.pods. */
void api_describe_binding_and_pods(sw_buf *out, const json_t *related, double now);
/* A quantity JSON value formatted canonically, "<none>" when absent. */
void api_qty_string(const json_t *v, char *buf, size_t n);
/* Human-readable camelCase -> "Camel Case" as kubectl's smartLabelFor. */
void api_smart_label(const char *key, char *buf, size_t n);

#endif
