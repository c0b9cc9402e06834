/* cmd_serve.c — `spillway serve`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_serve(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway serve: not available in this build yet\n");
  return 2;
}
