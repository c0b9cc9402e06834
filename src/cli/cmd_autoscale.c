/*
 * cmd_autoscale.c — `spillway autoscale explain -f STATE.json|-`: reads a
 * state file, runs one reconcile of the HPA algorithm (autoscale_explain) and
 * prints the result as JSON. A thin client of src/autoscale; no control plane,
 * no clock (the state carries `now`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale/autoscale.h"
#include "cli/cli.h"

static void usage(FILE *f) {
  fprintf(f, "usage: spillway autoscale explain -f STATE.json|-\n"
             "\n"
             "Runs one reconcile of the autoscaler (the Kubernetes HPA algorithm) on the\n"
             "state in STATE.json (or stdin with -) and prints the decision as JSON:\n"
             "desiredReplicas, each metric's current value and proposal, the conditions\n"
             "AbleToScale / ScalingActive / ScalingLimited and why the result was limited.\n"
             "The input format is described in docs/autoscale.md.\n");
}

static char *read_stdin(size_t *len) {
  sw_buf b;
  sw_buf_init(&b);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) sw_buf_append(&b, chunk, n);
  *len = b.len;
  return sw_buf_steal(&b);
}

int cmd_autoscale(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "explain") != 0) {
    fprintf(stderr, "spillway autoscale: unknown subcommand \"%s\" (expected explain)\n", argv[1]);
    return 2;
  }
  const char *file = NULL;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--filename") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "spillway autoscale explain: %s needs a file name (or - for stdin)\n", argv[i]);
        return 2;
      }
      file = argv[++i];
    } else if (strncmp(argv[i], "-f=", 3) == 0) {
      file = argv[i] + 3;
    } else if (strncmp(argv[i], "--filename=", 11) == 0) {
      file = argv[i] + 11;
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "spillway autoscale explain: unexpected argument \"%s\"\n", argv[i]);
      return 2;
    }
  }
  if (!file) {
    usage(stderr);
    return 2;
  }
  size_t len = 0;
  sw_err err = {0};
  char *text = strcmp(file, "-") == 0 ? read_stdin(&len) : sw_read_file(file, &len, &err);
  const char *name = strcmp(file, "-") == 0 ? "(stdin)" : file;
  if (!text) {
    fprintf(stderr, "spillway autoscale explain: %s\n", err.msg);
    return 1;
  }
  json_error_t jerr;
  json_t *input = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  free(text);
  if (!input) {
    fprintf(stderr, "spillway autoscale explain: %s:%d:%d: %s\n", name, jerr.line, jerr.column, jerr.text);
    return 1;
  }
  json_t *out = NULL;
  int rc = autoscale_explain(input, &out, &err);
  json_decref(input);
  if (rc != 0) {
    fprintf(stderr, "spillway autoscale explain: %s: %s\n", name, err.msg);
    return 1;
  }
  char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(out);
  if (!s) {
    fprintf(stderr, "spillway autoscale explain: could not encode the result\n");
    return 1;
  }
  puts(s);
  free(s);
  return 0;
}
