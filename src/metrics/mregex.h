/*
 * mregex.h — the RE2 regular expressions of Prometheus and prometheus-adapter
 * (label matchers =~ / !~, name.matches, seriesFilters), run on POSIX regcomp.
 *
 * RE2 syntax is translated to POSIX ERE: (?:...) groups, \d \w \s and their
 * negations, a leading (?i), and lazy quantifiers (which only change which
 * submatch is chosen, never whether the text matches). Capture groups keep
 * RE2 numbering, so "$1" in a name.matches/as pair means what the adapter
 * means. Syntax ERE cannot express (look-around, \b, named-group references)
 * is refused with an error naming it.
 *
 * Owns: the compiled regex. Never: I/O.
 */
#ifndef METRICS_MREGEX_H
#define METRICS_MREGEX_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/sw.h"

#define MREGEX_MAX_GROUPS 16

typedef struct mregex {
  regex_t re;
  bool compiled;
  size_t ngroups;                          /* RE2 capture groups */
  size_t group_map[MREGEX_MAX_GROUPS + 1]; /* RE2 group -> ERE group (0 -> whole match) */
  char *source;                            /* the RE2 text, for messages */
} mregex;

/* anchored: match the whole string, as Prometheus label matchers do
 * (^(?:re)$); otherwise search, as the adapter's name.matches does. */
int mregex_compile(mregex *r, const char *re2, bool anchored, sw_err *err);
void mregex_free(mregex *r);

bool mregex_match(const mregex *r, const char *s);
/* Searches s; on a match fills m[0..ngroups] in RE2 numbering (rm_so -1 for
 * groups that did not take part). */
bool mregex_search(const mregex *r, const char *s, regmatch_t m[MREGEX_MAX_GROUPS + 1]);

/* Go's Regexp.ExpandString: $1, ${1}, $$; a name that is not a group number
 * (as "$1x") expands to nothing, as in Go. Appends to out. */
void mregex_expand(const mregex *r, sw_buf *out, const char *tmpl, const char *s,
                   const regmatch_t m[MREGEX_MAX_GROUPS + 1]);

/* Appends s with regex metacharacters escaped (for building =~"a|b"). */
void mregex_quote(sw_buf *out, const char *s);

#endif
