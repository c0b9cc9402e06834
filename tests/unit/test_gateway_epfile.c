/*
 * test_gateway_epfile.c — the standalone gateway's endpoints file (YAML and
 * JSON, defaults, precise errors with file:line and field path, hostile
 * input), address splitting, and the load gauges read from /metrics text.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gateway/epfile.h"

static int parse(const char *text, gw_epfile *f, sw_err *err) {
  return gw_epfile_parse(text, strlen(text), "eps.yaml", f, err);
}

Test(gateway_epfile, yaml_with_defaults) {
  const char *y = "# two clusters\n"
                  "endpoints:\n"
                  "- model: qwen3-0.6b\n"
                  "  address: 127.0.0.1:8001\n"
                  "  cluster: cluster1\n"
                  "  priority: 0\n"
                  "- model: qwen3-0.6b\n"
                  "  address: http://[::1]:8002/\n"
                  "  cluster: cluster2\n"
                  "  priority: 1\n"
                  "  pod: test/qwen3-abc\n"
                  "  ready: no\n"
                  "  terminating: true\n"
                  "  metricsPath: /m\n"
                  "- model: llama\n";
  gw_epfile f;
  sw_err err = {0};
  cr_assert_eq(parse(y, &f, &err), 0, "%s", err.msg);
  cr_assert_eq(f.n, 3);
  cr_assert_str_eq(f.items[0].model, "qwen3-0.6b");
  cr_assert_str_eq(f.items[0].host, "127.0.0.1");
  cr_assert_eq(f.items[0].port, 8001);
  cr_assert_str_eq(f.items[0].cluster, "cluster1");
  cr_assert_str_eq(f.items[0].metrics_path, "/metrics");
  cr_assert(f.items[0].ready);
  cr_assert_not(f.items[0].terminating);
  cr_assert_null(f.items[0].pod);
  cr_assert_eq(f.items[0].line, 3);
  cr_assert_str_eq(f.items[1].host, "::1");
  cr_assert_eq(f.items[1].port, 8002);
  cr_assert_eq(f.items[1].priority, 1);
  cr_assert_str_eq(f.items[1].pod, "test/qwen3-abc");
  cr_assert_not(f.items[1].ready);
  cr_assert(f.items[1].terminating);
  cr_assert_str_eq(f.items[1].metrics_path, "/m");
  cr_assert_null(f.items[2].host); /* a model with no replica yet */
  cr_assert_str_eq(f.items[2].cluster, "default");
  cr_assert_eq(f.n_warnings, 0);
  gw_epfile_free(&f);
}

Test(gateway_epfile, json_and_top_level_list) {
  const char *j = "[{\"model\":\"m\",\"address\":\"10.1.2.3:80\",\"priority\":2}]";
  gw_epfile f;
  sw_err err = {0};
  cr_assert_eq(gw_epfile_parse(j, strlen(j), "eps.json", &f, &err), 0, "%s", err.msg);
  cr_assert_eq(f.n, 1);
  cr_assert_eq(f.items[0].priority, 2);
  gw_epfile_free(&f);
  const char *y = "- {model: m, address: \"1.2.3.4:5\"}\n";
  cr_assert_eq(parse(y, &f, &err), 0, "%s", err.msg);
  cr_assert_eq(f.items[0].port, 5);
  gw_epfile_free(&f);
  cr_assert_eq(parse("endpoints: []\n", &f, &err), 0, "%s", err.msg);
  cr_assert_eq(f.n, 0);
  gw_epfile_free(&f);
}

Test(gateway_epfile, unknown_fields_warned) {
  const char *y = "endpoints:\n- model: m\n  address: 1.2.3.4:5\n  weight: 3\nextra: 1\n";
  gw_epfile f;
  sw_err err = {0};
  cr_assert_eq(parse(y, &f, &err), 0, "%s", err.msg);
  cr_assert_eq(f.n_warnings, 2);
  bool saw_weight = false, saw_extra = false;
  for (size_t i = 0; i < f.n_warnings; i++) {
    saw_weight |= strcmp(f.warnings[i], "eps.yaml:4: endpoints[0]: unknown field \"weight\" ignored") == 0;
    saw_extra |= strcmp(f.warnings[i], "eps.yaml:5: (top level): unknown field \"extra\" ignored") == 0;
  }
  cr_assert(saw_weight && saw_extra, "%s | %s", f.warnings[0], f.warnings[1]);
  gw_epfile_free(&f);
}

Test(gateway_epfile, errors_table) {
  static const struct {
    const char *in;
    const char *want; /* the whole message */
  } cases[] = {
      {"endpoints:\n- model: m\n  address: nowhere\n",
       "eps.yaml:3: endpoints[0]: field \"address\": expected host:port (e.g. 127.0.0.1:8001 or [::1]:8001), "
       "got "
       "\"nowhere\""},
      {"endpoints:\n- address: 1.2.3.4:5\n",
       "eps.yaml:2: endpoints[0]: missing required field \"model\" (expected text)"},
      {"endpoints:\n- model: m\n  address: 1.2.3.4:5\n- model: [a]\n",
       "eps.yaml:4: endpoints[1]: field \"model\": expected non-empty text of at most 253 bytes, got a list"},
      {"endpoints:\n- model: m\n  priority: high\n",
       "eps.yaml:3: endpoints[0]: field \"priority\": expected an integer (lower = preferred), got text"},
      {"endpoints:\n- model: m\n  ready: maybe\n",
       "eps.yaml:3: endpoints[0]: field \"ready\": expected true or false, got text"},
      {"endpoints:\n- model: m\n  address: 1.2.3.4:70000\n",
       "eps.yaml:3: endpoints[0]: field \"address\": expected host:port (e.g. 127.0.0.1:8001 or [::1]:8001), "
       "got "
       "\"1.2.3.4:70000\""},
      {"endpoints:\n- model: m\n  metricsPath: metrics\n",
       "eps.yaml:3: endpoints[0]: field \"metricsPath\": expected a path starting with /"},
      {"endpoints: {model: m}\n", "eps.yaml:1: endpoints: expected a list of endpoints, got a mapping"},
      {"models:\n- m\n", "eps.yaml:1: (top level): missing \"endpoints\" (expected a list of endpoints)"},
      {"endpoints:\n- 7\n",
       "eps.yaml:2: endpoints[0]: expected a mapping with model and address, got an integer"},
      {"", "eps.yaml: the file is empty (expected an endpoints list)"},
      {"just text\n", "eps.yaml:1: (top level): expected a list of endpoints, got text"},
      {"endpoints:\n- model: m\n  address: [1.2.3.4:5\n", NULL}, /* YAML syntax: message from libyaml */
      {"a: 1\n---\nb: 2\n", "eps.yaml:2: more than one YAML document (expected one endpoints list)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gw_epfile f;
    sw_err err = {0};
    cr_assert_neq(parse(cases[i].in, &f, &err), 0, "case %zu parsed", i);
    if (cases[i].want)
      cr_assert_str_eq(err.msg, cases[i].want, "case %zu", i);
    else
      cr_assert(strstr(err.msg, "YAML: ") && strstr(err.msg, "(begun at line 3)"), "case %zu: %s", i,
                err.msg);
    cr_assert_eq(f.n, 0);
  }
  gw_epfile f;
  sw_err err = {0};
  const char *bad_json = "{\"endpoints\": [}";
  cr_assert_neq(gw_epfile_parse(bad_json, strlen(bad_json), "e.json", &f, &err), 0);
  cr_assert(strncmp(err.msg, "e.json:1:", 9) == 0, "%s", err.msg);
  const char *json_path = "{\"endpoints\": [{\"model\": \"m\", \"address\": 5}]}";
  cr_assert_neq(gw_epfile_parse(json_path, strlen(json_path), "e.json", &f, &err), 0);
  cr_assert_str_eq(err.msg,
                   "e.json: endpoints[0]: field \"address\": expected non-empty text of at most 253 bytes, "
                   "got an integer");
}

Test(gateway_epfile, hostile_yaml_bounded) {
  /* billion laughs: aliases multiply nodes */
  const char *lol = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
  gw_epfile f;
  sw_err err = {0};
  cr_assert_neq(parse(lol, &f, &err), 0);
  cr_assert(strstr(err.msg, "more than 100000 values"), "%s", err.msg);
  sw_buf deep;
  sw_buf_init(&deep);
  for (int i = 0; i < 200; i++) sw_buf_puts(&deep, "[");
  sw_buf_puts(&deep, "x");
  for (int i = 0; i < 200; i++) sw_buf_puts(&deep, "]");
  cr_assert_neq(gw_epfile_parse(deep.data, deep.len, "deep.yaml", &f, &err), 0);
  sw_buf_free(&deep);
  sw_buf_init(&deep);
  sw_buf_puts(&deep, "a: ");
  for (int i = 0; i < 70; i++) sw_buf_puts(&deep, "[");
  sw_buf_puts(&deep, "x");
  for (int i = 0; i < 70; i++) sw_buf_puts(&deep, "]");
  sw_buf_puts(&deep, "\n");
  cr_assert_neq(parse(deep.data, &f, &err), 0);
  sw_buf_free(&deep);
  cr_assert(strstr(err.msg, "nested deeper"), "%s", err.msg);
}

Test(gateway_epfile, load_from_disk_and_resolve) {
  char path[] = "/tmp/gw_epfile_XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  const char *y = "endpoints:\n- model: m\n  address: localhost:8001\n";
  cr_assert_eq(write(fd, y, strlen(y)), (ssize_t)strlen(y));
  close(fd);
  gw_epfile f;
  sw_err err = {0};
  cr_assert_eq(gw_epfile_load(path, &f, &err), 0, "%s", err.msg);
  cr_assert(strcmp(f.items[0].host, "127.0.0.1") == 0 || strcmp(f.items[0].host, "::1") == 0, "%s",
            f.items[0].host);
  gw_epfile_free(&f);
  unlink(path);
  cr_assert_neq(gw_epfile_load("/nonexistent/eps.yaml", &f, &err), 0);
}

Test(gateway_epfile, address_table) {
  static const struct {
    const char *in;
    const char *host;
    int port;
  } cases[] = {
      {"127.0.0.1:8000", "127.0.0.1", 8000},
      {"http://10.0.0.1:80", "10.0.0.1", 80},
      {"HTTP://h:1/", "h", 1},
      {"[::1]:9", "::1", 9},
      {"[fe80::1]:65535", "fe80::1", 65535},
      {"host", NULL, 0},
      {"host:", NULL, 0},
      {":80", NULL, 0},
      {"h:0", NULL, 0},
      {"h:65536", NULL, 0},
      {"h:80x", NULL, 0},
      {"::1:80", NULL, 0},
      {"[::1]80", NULL, 0},
      {"h:80/v1", NULL, 0},
      {"us er@h:80", NULL, 0},
      {"h:99999999999999999999", NULL, 0},
      {"", NULL, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char host[64];
    int port = 0;
    bool ok = gw_parse_address(cases[i].in, host, sizeof host, &port);
    cr_assert_eq(ok, cases[i].host != NULL, "case %zu (%s)", i, cases[i].in);
    if (ok) {
      cr_assert_str_eq(host, cases[i].host);
      cr_assert_eq(port, cases[i].port);
    }
  }
}

Test(gateway_epfile, prom_load_refuses_broken_text_whole) {
  static const char *bad[] = {
      "vllm:num_requests_running 2\nvllm:num_requests_waiting{broken 5\n",
      "vllm:num_requests_running 2\nvllm:num_requests_waiting xyz\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    gw_load l;
    sw_err err = {0};
    cr_assert_eq(gw_prom_load(bad[i], strlen(bad[i]), &l, &err), -1, "case %zu", i);
    cr_assert(strstr(err.msg, "line 2") != NULL, "case %zu names the line: %s", i, err.msg);
    cr_assert(isnan(l.waiting) && isnan(l.running) && isnan(l.kv), "case %zu: no half-read load", i);
  }
}

Test(gateway_epfile, prom_load_table) {
  static const struct {
    const char *text;
    double waiting, running, kv;
  } cases[] = {
      {"# HELP vllm:num_requests_waiting Number of requests waiting.\n"
       "# TYPE vllm:num_requests_waiting gauge\n"
       "vllm:num_requests_waiting{engine=\"0\",model_name=\"qwen3-0.6b\"} 3.0\n"
       "vllm:num_requests_running{engine=\"0\",model_name=\"qwen3-0.6b\"} 58.0\n"
       "vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"qwen3-0.6b\"} 0.25\n"
       "vllm:gpu_cache_usage_perc{engine=\"0\",model_name=\"qwen3-0.6b\"} 0.99\n",
       3, 58, 0.25},
      {"vllm:num_requests_running{engine=\"0\"} 2\nvllm:num_requests_running{engine=\"1\"} 5\n"
       "vllm:gpu_cache_usage_perc 0.5\n",
       NAN, 7, 0.5},
      {"vllm:num_requests_waiting{a=\"with } and \\\" inside\"} 4 1700000000000\n", 4, NAN, NAN},
      {"sglang:num_queue_reqs 1\nsglang:num_running_reqs 2\nsglang:token_usage 0.1\n", 1, 2, 0.1},
      {"vllm:num_requests_waiting NaN\nvllm:num_requests_running 2\n", NAN, 2, NAN},
      {"vllm:num_requests_waiting_total 9\nnot_vllm 3\n", NAN, NAN, NAN},
      {"", NAN, NAN, NAN},
      {"vllm:num_requests_waiting 1\r\nvllm:num_requests_running 2\r\n", 1, 2, NAN},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gw_load l;
    sw_err err = {0};
    cr_assert_eq(gw_prom_load(cases[i].text, strlen(cases[i].text), &l, &err), 0, "case %zu: %s", i, err.msg);
    double got[3] = {l.waiting, l.running, l.kv}, want[3] = {cases[i].waiting, cases[i].running, cases[i].kv};
    for (int k = 0; k < 3; k++) {
      if (isnan(want[k]))
        cr_assert(isnan(got[k]), "case %zu field %d: %g", i, k, got[k]);
      else
        cr_assert_float_eq(got[k], want[k], 1e-12, "case %zu field %d", i, k);
    }
  }
}
