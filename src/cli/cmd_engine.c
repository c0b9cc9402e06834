/*
 * cmd_engine.c — `spillway engine`: parses the flags (engine/args.c) and runs
 * the simulated vLLM server (engine/server.c). Nothing else.
 */
#include <stdio.h>

#include "base/sw.h"
#include "cli/cli.h"
#include "engine/args.h"
#include "engine/server.h"

int cmd_engine(int argc, char **argv) {
  eng_options opt;
  sw_err err;
  if (eng_args_parse(argc, argv, &opt, &err)) {
    fprintf(stderr, "spillway engine: %s\n(see spillway engine --help)\n", err.msg);
    return 2;
  }
  if (opt.help) {
    eng_args_usage(stdout);
    return 0;
  }
  if (opt.log_level) sw_log_set_level((sw_log_level)sw_log_parse_level(opt.log_level));
  int rc = eng_server_run(&opt, &err);
  if (rc) fprintf(stderr, "spillway engine: %s\n", err.msg);
  return rc;
}
