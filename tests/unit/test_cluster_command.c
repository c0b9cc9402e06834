/* Unit tests for src/cluster/command.c: shell word splitting, finding the
 * vLLM server in both seeds' command lines, port rewriting, $(VAR). */
#include <criterion/criterion.h>
#include <string.h>

#include "cluster/command.h"

static json_t *J(const char *s) {
  json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
  cr_assert_not_null(j, "bad JSON in test: %s", s);
  return j;
}

static char *dump(const json_t *j) { return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS); }

Test(shell, split_table) {
  struct {
    const char *script, *env, *want;
  } t[] = {
      {"a b  c", NULL, "[{\"assign\":{},\"words\":[\"a\",\"b\",\"c\"]}]"},
      {"echo 'x y' \"z $A\" w\\ v", "{\"A\":\"1\"}",
       "[{\"assign\":{},\"words\":[\"echo\",\"x y\",\"z 1\",\"w v\"]}]"},
      {"export K=V; run $K ${K} ${MISSING:-d} $UNSET.", NULL,
       "[{\"assign\":{},\"words\":[\"export\",\"K=V\"]},{\"assign\":{},\"words\":[\"run\",\"V\",\"V\",\"d\","
       "\".\"]}]"},
      {"A=1 B='2 3' cmd # comment\nnext && last || x | y & z", NULL,
       "[{\"assign\":{\"A\":\"1\",\"B\":\"2 3\"},\"words\":[\"cmd\"]},{\"assign\":{},\"words\":[\"next\"]},"
       "{\"assign\":{},\"words\":[\"last\"]},{\"assign\":{},\"words\":[\"x\"]},{\"assign\":{},\"words\":["
       "\"y\"]},"
       "{\"assign\":{},\"words\":[\"z\"]}]"},
      {"\"a\\\"b\" '' c", NULL, "[{\"assign\":{},\"words\":[\"a\\\"b\",\"\",\"c\"]}]"},
      {"", NULL, "[]"},
      {"line1 \\\n cont", NULL, "[{\"assign\":{},\"words\":[\"line1\",\"cont\"]}]"},
      {"X=5; echo $X $1 $$ $", NULL,
       "[{\"assign\":{\"X\":\"5\"},\"words\":[]},{\"assign\":{},\"words\":[\"echo\",\"5\",\"$\"]}]"},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    json_t *env = t[i].env ? J(t[i].env) : NULL, *out = NULL;
    sw_err err;
    cr_assert_eq(cluster_shell_split(t[i].script, env, &out, &err), 0, "%s: %s", t[i].script, err.msg);
    char *got = dump(out);
    cr_assert_str_eq(got, t[i].want, "script %s", t[i].script);
    free(got);
    json_decref(out);
    json_decref(env);
  }
}

Test(shell, split_errors) {
  struct {
    const char *script, *want;
  } t[] = {
      {"echo 'open", "unterminated single quote"}, {"echo \"open", "unterminated double quote"},
      {"echo $(id)", "command substitution"},      {"echo `id`", "command substitution"},
      {"echo ${", "expected a variable name"},     {"echo ${A", "expected } to close"},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    json_t *out = NULL;
    sw_err err;
    cr_assert_neq(cluster_shell_split(t[i].script, NULL, &out, &err), 0, "%s", t[i].script);
    cr_assert_null(out);
    cr_assert(strstr(err.msg, t[i].want), "%s: \"%s\"", t[i].script, err.msg);
  }
}

Test(vllm, first_seed_sh_c) {
  json_t *cmd =
      J("[\"sh\",\"-c\",\"export VLLM_USE_MODELSCOPE=True; vllm serve Qwen/Qwen3-0.6B --served-model-name "
        "qwen3-0.6b --port 8000 --trust-remote-code --tensor_parallel_size=1 --max-model-len 2048 "
        "--gpu-memory-utilization 0.8\"]");
  cluster_vllm_cmd c;
  sw_err err;
  cr_assert_eq(cluster_vllm_parse(cmd, NULL, NULL, &c, &err), 0, "%s", err.msg);
  cr_assert_eq(c.port, 8000);
  char *a = dump(c.args), *e = dump(c.env);
  cr_assert_str_eq(
      a, "[\"Qwen/Qwen3-0.6B\",\"--served-model-name\",\"qwen3-0.6b\",\"--trust-remote-code\","
         "\"--tensor_parallel_size=1\",\"--max-model-len\",\"2048\",\"--gpu-memory-utilization\",\"0.8\"]");
  cr_assert_str_eq(e, "{\"VLLM_USE_MODELSCOPE\":\"True\"}");
  free(a);
  free(e);
  cluster_vllm_free(&c);
  json_decref(cmd);
}

Test(vllm, second_seed_python_module) {
  json_t *cmd =
      J("[\"python3\",\"-m\",\"vllm.entrypoints.openai.api_server\",\"--port\",\"8080\","
        "\"--trust-remote-code\",\"--served-model-name\",\"qwen\",\"--model\",\"/mnt/models/Qwen\","
        "\"--gpu-memory-utilization\",\"0.95\",\"--quantization\",\"gptq\",\"--max-model-len=6144\"]");
  cluster_vllm_cmd c;
  sw_err err;
  cr_assert_eq(cluster_vllm_parse(cmd, NULL, NULL, &c, &err), 0, "%s", err.msg);
  cr_assert_eq(c.port, 8080);
  char *a = dump(c.args);
  cr_assert_str_eq(
      a, "[\"--trust-remote-code\",\"--served-model-name\",\"qwen\",\"--model\",\"/mnt/models/Qwen\","
         "\"--gpu-memory-utilization\",\"0.95\",\"--quantization\",\"gptq\",\"--max-model-len=6144\"]");
  free(a);
  cluster_vllm_free(&c);
  json_decref(cmd);
}

Test(vllm, command_and_args_split_and_k8s_vars) {
  json_t *cmd = J("[\"/bin/bash\",\"-ec\"]");
  json_t *args = J("[\"cd /x && exec env HF=1 vllm serve $(MODEL) --host 0.0.0.0 --port=$(P)\"]");
  json_t *env = J("{\"MODEL\":\"m/one\",\"P\":\"9000\"}");
  cluster_vllm_cmd c;
  sw_err err;
  cr_assert_eq(cluster_vllm_parse(cmd, args, env, &c, &err), 0, "%s", err.msg);
  cr_assert_eq(c.port, 9000);
  char *a = dump(c.args), *e = dump(c.env);
  cr_assert_str_eq(a, "[\"m/one\"]");
  cr_assert_str_eq(e, "{\"HF\":\"1\"}");
  free(a);
  free(e);
  cluster_vllm_free(&c);
  json_decref(cmd);
  json_decref(args);
  json_decref(env);
}

Test(vllm, not_vllm_is_an_error) {
  const char *bad[] = {"[\"sh\",\"-c\",\"python3 -m http.server 8000\"]",
                       "[\"nginx\",\"-g\",\"daemon off;\"]", "[\"sh\",\"-c\"]", "[]",
                       "[\"sh\",\"-c\",\"vllm serve $(date)\"]"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_t *cmd = J(bad[i]);
    cluster_vllm_cmd c;
    sw_err err;
    cr_assert_neq(cluster_vllm_parse(cmd, NULL, NULL, &c, &err), 0, "%s", bad[i]);
    cr_assert_null(c.args);
    json_decref(cmd);
  }
}

Test(ports, rewrite_rule) {
  struct {
    const char *in, *want;
  } t[] = {
      {"8000", "41000"},
      {"--port=8000", "--port=41000"},
      {"0.0.0.0:8000", "0.0.0.0:41000"},
      {"http://localhost:8000/health", "http://localhost:41000/health"},
      {"serve x --port 8000; echo 8000", "serve x --port 41000; echo 41000"},
      {"'8000'", "'41000'"},
      {"18000", "18000"},
      {"80000", "80000"},
      {"8000.5", "8000.5"},
      {"v8000", "v8000"},
      {"--max-model-len 2048", "--max-model-len 2048"},
      {"", ""},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    char *got = cluster_port_rewrite(t[i].in, 8000, 41000);
    cr_assert_str_eq(got, t[i].want, "%s", t[i].in);
    free(got);
  }
}

Test(ports, k8s_expand) {
  json_t *env = J("{\"A\":\"1\",\"B\":\"two\"}");
  struct {
    const char *in, *want;
  } t[] = {{"$(A)-$(B)", "1-two"}, {"$(C)", "$(C)"}, {"$$(A)", "$(A)"}, {"$(A", "$(A"}, {"plain", "plain"}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    char *got = cluster_k8s_expand(t[i].in, env);
    cr_assert_str_eq(got, t[i].want, "%s", t[i].in);
    free(got);
  }
  json_decref(env);
}
