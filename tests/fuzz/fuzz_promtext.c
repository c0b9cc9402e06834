/* libFuzzer target for src/metrics/promtext: any bytes a scraped pod may
 * serve. Parses them (twice into one document, as the scraper reuses it),
 * checks the document's invariants, and ingests it into a sample store. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/promtext.h"
#include "metrics/samples.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static promtext_doc *doc;
  if (!doc) doc = promtext_doc_new();
  sw_err err;
  msamples *s = msamples_new(3);
  for (int round = 0; round < 2; round++) {
    if (promtext_parse(doc, (const char *)data, size, &err) != 0) {
      if (doc->n_samples || doc->n_families || strncmp(err.msg, "line ", 5) != 0) abort();
      msamples_ingest(s, NULL, round);
      continue;
    }
    size_t total = 0;
    for (size_t i = 0; i < doc->n_families; i++) {
      const promtext_family *f = &doc->families[i];
      if (f->first != total) abort();
      for (size_t k = f->first; k < f->first + f->n_samples; k++) {
        const promtext_sample *p = &doc->samples[k];
        if (p->family != i || strlen(p->name) > p->key_len) abort();
        for (size_t l = 0; l < p->n_labels; l++) (void)strlen(p->labels[l].value);
      }
      total += f->n_samples;
    }
    if (total != doc->n_samples) abort();
    msamples_ingest(s, doc, round);
  }
  for (size_t i = 0; i < msamples_n_series(s); i++) {
    double v, t, ts[4], vs[4];
    (void)msamples_latest(s, i, &v, &t);
    (void)msamples_range(s, i, 0, 10, ts, vs, 4);
  }
  msamples_free(s);
  return 0;
}
