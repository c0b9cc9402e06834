/* cmd_apply.c — `spillway apply`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_apply(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway apply: not available in this build yet\n");
  return 2;
}
