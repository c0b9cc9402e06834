/* cmd_get.c — `spillway get`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_get(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway get: not available in this build yet\n");
  return 2;
}
