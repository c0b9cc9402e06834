/*
 * explain.c — the shape every `spillway <part> explain -f FILE|-` command
 * shares: read one JSON document (a file or stdin), hand it to a pure decision
 * function of the part, print the decision as indented JSON. The parts own the
 * input format and its errors; this file owns flags, files and exit codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static char *read_stdin(size_t *len) {
  sw_buf b;
  sw_buf_init(&b);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) sw_buf_append(&b, chunk, n);
  if (ferror(stdin)) {
    sw_buf_free(&b);
    return NULL;
  }
  *len = b.len;
  return sw_buf_steal(&b);
}

static int explain_file(const char *cmd, const char *file, cli_explain_fn fn) {
  bool from_stdin = strcmp(file, "-") == 0;
  const char *name = from_stdin ? "<stdin>" : file;
  size_t len = 0;
  sw_err err = {0};
  char *text = from_stdin ? read_stdin(&len) : sw_read_file(file, &len, &err);
  if (!text) {
    fprintf(stderr, "%s: %s\n", cmd, from_stdin ? "reading stdin failed" : err.msg);
    return 1;
  }
  json_error_t jerr;
  json_t *in = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  free(text);
  if (!in) {
    fprintf(stderr, "%s: %s:%d:%d: %s\n", cmd, name, jerr.line, jerr.column, jerr.text);
    return 1;
  }
  json_t *out = NULL;
  int rc = fn(in, &out, &err);
  json_decref(in);
  if (rc != 0) {
    fprintf(stderr, "%s: %s: %s\n", cmd, name, err.msg);
    return 1;
  }
  char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(out);
  if (!s) {
    fprintf(stderr, "%s: encoding the result failed\n", cmd);
    return 1;
  }
  puts(s);
  free(s);
  return 0;
}

int cli_explain(int argc, char **argv, const char *part, void (*usage)(FILE *), cli_explain_fn fn) {
  char cmd[64];
  snprintf(cmd, sizeof cmd, "spillway %s explain", part);
  if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "explain") != 0) {
    fprintf(stderr, "spillway %s: unknown subcommand \"%s\" (expected explain)\n", part, argv[1]);
    return 2;
  }
  const char *file = NULL;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--filename") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "%s: %s needs a file name (or - for stdin)\n", cmd, argv[i]);
        return 2;
      }
      file = argv[++i];
    } else if (strncmp(argv[i], "-f=", 3) == 0 || strncmp(argv[i], "--filename=", 11) == 0) {
      file = strchr(argv[i], '=') + 1;
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "%s: unknown argument \"%s\"\n", cmd, argv[i]);
      return 2;
    }
  }
  if (!file || !*file) {
    fprintf(stderr, "%s: -f INPUT.json (or -f - for stdin) is required\n", cmd);
    return 2;
  }
  return explain_file(cmd, file, fn);
}
