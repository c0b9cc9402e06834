/*
 * cli.h — the `spillway` subcommands. Each lives in src/cli/cmd_<name>.c and
 * is a thin client of the library parts: it parses its flags, calls the part,
 * prints. Exit codes: 0 success, 1 the operation failed, 2 bad usage.
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

#include <jansson.h>

#include "base/sw.h"

int cmd_up(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_describe(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_scale(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_engine(int argc, char **argv);
int cmd_gateway(int argc, char **argv);
int cmd_autoscale(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_rollout(int argc, char **argv);

/* A part's pure explain function: one JSON input, one JSON decision. */
typedef int (*cli_explain_fn)(const json_t *input, json_t **out, sw_err *err);
/* `spillway PART explain -f FILE|-`: argv[0] is PART's name as typed. */
int cli_explain(int argc, char **argv, const char *part, void (*usage)(FILE *), cli_explain_fn fn);

#endif
