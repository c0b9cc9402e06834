/* libFuzzer target for src/cluster/command.c: container command lines come
 * from manifests (outside input). The bytes are a `sh -c` script: split into
 * words, searched for the vLLM server, port-rewritten and $(VAR)-expanded.
 * Must never crash, hang or leak; a rewrite of a string without the port's
 * digits must return it unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  memcpy(s, data, size);
  s[size] = 0;
  json_t *env = json_pack("{s:s,s:s}", "MODEL", "m/x", "PORT", "8000");
  sw_err err;
  json_t *cmds = NULL;
  if (cluster_shell_split(s, env, &cmds, &err) == 0) json_decref(cmds);
  json_t *cmd = json_pack("[s,s,s]", "sh", "-c", s);
  cluster_vllm_cmd vc;
  if (cluster_vllm_parse(cmd, NULL, env, &vc, &err) == 0) cluster_vllm_free(&vc);
  json_decref(cmd);
  /* the bytes as argv words split at newlines, without a shell */
  json_t *argv = json_array();
  for (char *save = NULL, *w = strtok_r(s, "\n", &save); w; w = strtok_r(NULL, "\n", &save))
    json_array_append_new(argv, json_string(w));
  if (cluster_vllm_parse(argv, NULL, env, &vc, &err) == 0) cluster_vllm_free(&vc);
  json_decref(argv);
  memcpy(s, data, size);
  s[size] = 0;
  char *r = cluster_port_rewrite(s, 8000, 41234);
  if (!strstr(s, "8000") && strcmp(r, s) != 0) abort();
  free(r);
  char *e = cluster_k8s_expand(s, env);
  free(e);
  json_decref(env);
  free(s);
  return 0;
}
