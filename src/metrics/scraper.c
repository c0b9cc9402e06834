/*
 * scraper.c — the scrape loop over targets (see scraper.h). One promtext
 * document is shared by every completion (completions run one at a time on
 * the loop), so the steady state parses without allocating.
 */
#include "metrics/scraper.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/promtext.h"
#include "metrics/smap.h"

struct mscrape_target {
  mscraper *s;
  char *id;
  char *url;
  msamples *samples;
  mcurl_req *req;
  double started; /* clock time the running scrape started */
  char error[1100];
  double duration;
};

struct mscraper {
  mcurl *curl;
  const sw_clock *clock;
  mscraper_opts o;
  smap targets;
  promtext_doc *doc;
  mscrape_stats stats;
};

/* Prometheus' own Accept header for the text format. */
static const char ACCEPT[] = "text/plain;version=0.0.4;q=1,*/*;q=0.1";

mscraper *mscraper_new(mcurl *curl, const sw_clock *clock, const mscraper_opts *o) {
  mscraper *s = sw_xcalloc(1, sizeof *s);
  s->curl = curl;
  s->clock = clock;
  if (o) s->o = *o;
  if (s->o.timeout <= 0) s->o.timeout = 1;
  if (!s->o.history) s->o.history = 60;
  if (!s->o.max_body) s->o.max_body = 16u << 20;
  smap_init(&s->targets);
  s->doc = promtext_doc_new();
  return s;
}

static void target_free(mscrape_target *t) {
  if (t->req) mcurl_cancel(t->req);
  msamples_free(t->samples);
  free(t->id);
  free(t->url);
  free(t);
}

void mscraper_free(mscraper *s) {
  if (!s) return;
  for (size_t i = 0; i < s->targets.cap; i++)
    if (smap_live(&s->targets, i)) target_free(s->targets.slots[i].value);
  smap_free(&s->targets);
  promtext_doc_free(s->doc);
  free(s);
}

mscrape_target *mscraper_set(mscraper *s, const char *id, const char *url) {
  mscrape_target *t = smap_get(&s->targets, id);
  if (t) {
    if (strcmp(t->url, url) == 0) return t;
    if (t->req) mcurl_cancel(t->req);
    t->req = NULL;
    free(t->url);
    t->url = sw_xstrdup(url);
    msamples_free(t->samples);
    t->samples = msamples_new(s->o.history);
    snprintf(t->error, sizeof t->error, "not scraped yet");
    return t;
  }
  t = sw_xcalloc(1, sizeof *t);
  t->s = s;
  t->id = sw_xstrdup(id);
  t->url = sw_xstrdup(url);
  t->samples = msamples_new(s->o.history);
  snprintf(t->error, sizeof t->error, "not scraped yet");
  smap_put(&s->targets, id, t);
  return t;
}

mscrape_target *mscraper_get(const mscraper *s, const char *id) { return smap_get(&s->targets, id); }

void mscraper_remove(mscraper *s, const char *id) {
  mscrape_target *t = smap_del(&s->targets, id);
  if (t) target_free(t);
}

size_t mscraper_count(const mscraper *s) { return s->targets.len; }

static void on_scraped(void *ud, const mcurl_result *r) {
  mscrape_target *t = ud;
  mscraper *s = t->s;
  t->req = NULL;
  t->duration = r->seconds;
  s->stats.scrapes++;
  if (!r->ok) {
    snprintf(t->error, sizeof t->error, "%s", r->error);
  } else if (r->http_status != 200) {
    snprintf(t->error, sizeof t->error, "HTTP %ld", r->http_status);
  } else {
    s->stats.bytes += r->len;
    sw_err err;
    if (promtext_parse(s->doc, r->body, r->len, &err) != 0) {
      snprintf(t->error, sizeof t->error, "parse error: %s", err.msg);
    } else {
      t->error[0] = 0;
      s->stats.samples += s->doc->n_samples;
      msamples_ingest(t->samples, s->doc, t->started);
      return;
    }
  }
  s->stats.failures++;
  msamples_ingest(t->samples, NULL, t->started);
}

static void start(mscraper *s, mscrape_target *t, double now) {
  mcurl_opts o = {.timeout_ms = (long)(s->o.timeout * 1000), .max_body = s->o.max_body, .accept = ACCEPT};
  /* Scrape times must increase for the sample store; a clock that did not
   * move (a virtual clock) gets a microsecond nudge. */
  double last = msamples_last_time(t->samples);
  t->started = now > last ? now : last + 1e-6;
  t->req = mcurl_get(s->curl, t->url, &o, on_scraped, t);
}

void mscraper_tick(mscraper *s) {
  double now = sw_clock_now(s->clock);
  for (size_t i = 0; i < s->targets.cap; i++) {
    if (!smap_live(&s->targets, i)) continue;
    mscrape_target *t = s->targets.slots[i].value;
    if (!t->req) start(s, t, now);
  }
}

void mscraper_scrape(mscraper *s, mscrape_target *t) {
  if (!t->req) start(s, t, sw_clock_now(s->clock));
}

mscrape_stats mscraper_stats(const mscraper *s) { return s->stats; }
const char *mscrape_target_url(const mscrape_target *t) { return t->url; }
const msamples *mscrape_target_samples(const mscrape_target *t) { return t->samples; }
const char *mscrape_target_error(const mscrape_target *t) { return t->error; }
double mscrape_target_duration(const mscrape_target *t) { return t->duration; }
bool mscrape_target_busy(const mscrape_target *t) { return t->req != NULL; }
