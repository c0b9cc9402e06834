/* cmd_autoscale.c — `spillway autoscale`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_autoscale(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway autoscale: not available in this build yet\n");
  return 2;
}
