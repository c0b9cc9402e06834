/* cmd_gateway.c — `spillway gateway`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_gateway(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway gateway: not available in this build yet\n");
  return 2;
}
