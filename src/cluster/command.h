/*
 * command.h — reading a container's command line without running a shell:
 * POSIX word splitting of `sh -c` scripts, finding the vLLM server in them
 * (runtime: simulated), and rewriting a container port to a host port
 * (runtime: process).
 *
 * Role in the data flow: the local driver turns a pod template into argv/env
 * with these. Pure: no I/O, no clock, no globals. The script is outside input
 * (it comes from a manifest), so every function is total: bad input gives an
 * error, never a crash (fuzzed by tests/fuzz/fuzz_cluster_command.c).
 *
 * Shell subset understood: words separated by blanks; ' and " quoting and
 * backslash escapes; $NAME and ${NAME} (and ${NAME:-word}) expanded from the
 * known environment (never from the process environment); commands separated
 * by newline ; && || | &; `#` comments; NAME=value prefixes and `export
 * NAME=value` statements (they become the replica's environment); `exec` and
 * `env` prefixes. Command substitution ($(...) and backquotes) is refused.
 * Nothing is ever evaluated.
 */
#ifndef CLUSTER_COMMAND_H
#define CLUSTER_COMMAND_H

#include <jansson.h>

#include "base/sw.h"

/* Splits a script into simple commands: a JSON array of
 * {"words": [..], "assign": {NAME: value}}. env (borrowed, may be NULL) is
 * the environment $NAME expands from; `export` statements add to a copy of
 * it as the script proceeds. *out is a new reference. */
int cluster_shell_split(const char *script, const json_t *env, json_t **out, sw_err *err);

typedef struct cluster_vllm_cmd {
  json_t *args; /* owned array: vLLM's arguments, model first for `vllm serve`, without --port/--host */
  json_t *env;  /* owned object: variables exported or assigned before the server */
  int port;     /* the --port it asked for; -1 when none */
} cluster_vllm_cmd;

/* Finds the vLLM server in a container's command + args:
 *   vllm serve MODEL [ARGS]                        (directly or in sh -c)
 *   python3 -m vllm.entrypoints.openai.api_server [ARGS]
 * env is the container's environment (borrowed). */
int cluster_vllm_parse(const json_t *command, const json_t *args, const json_t *env, cluster_vllm_cmd *out,
                       sw_err *err);
void cluster_vllm_free(cluster_vllm_cmd *c);

/* Rewrites container port `from` to `to` in one argument: a run of digits
 * equal to `from` is replaced when it stands alone as a value — preceded by
 * the start, a blank, '=', ':' or a quote, and followed by the end, a blank,
 * a quote, '/', ';', '&', '|' or ')'. So "8000", "--port=8000",
 * "0.0.0.0:8000", "http://localhost:8000/health" and "... --port 8000; ..."
 * inside a script change; "18000", "8000.5" and "v8000" do not. Returns a new
 * string. */
char *cluster_port_rewrite(const char *s, int from, int to);

/* Kubernetes' expansion of command and args: $(NAME) becomes the value of
 * the container's variable NAME (env, borrowed); $(NAME) of an unknown
 * variable is left as written; $$ is a literal $. Returns a new string. */
char *cluster_k8s_expand(const char *s, const json_t *env);

#endif
