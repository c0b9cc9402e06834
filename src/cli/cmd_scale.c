/* cmd_scale.c — `spillway scale`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_scale(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway scale: not available in this build yet\n");
  return 2;
}
