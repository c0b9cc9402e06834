/* cmd_engine.c — `spillway engine`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_engine(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway engine: not available in this build yet\n");
  return 2;
}
