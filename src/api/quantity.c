/*
 * quantity.c — Kubernetes resource quantities ("500m", "12Gi", "1e3", "1").
 *
 * Role in the data flow: resources (cpu, memory, nvidia.com/gpu), HPA metric
 * targets and current values, pool capacities are quantities; every part
 * reads them through api_quantity_from_json so "1", 1 and "1000m" mean the
 * same everywhere. Grammar as k8s.io/apimachinery resource.ParseQuantity:
 *   <signedNumber><suffix>, suffix one of the binary SI (Ki Mi Gi Ti Pi Ei),
 *   decimal SI (n u m "" k M G T P E) or a decimal exponent (e3, E-2).
 * Values are doubles: exact for every integer up to 2^53 and for the
 * milli-values the HPA uses. Pure functions; no state.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static int suffix_multiplier(const char *s, double *mul) {
  static const struct {
    const char *s;
    double m;
  } table[] = {
      {"", 1},        {"n", 1e-9},    {"u", 1e-6},    {"m", 1e-3},    {"k", 1e3},     {"M", 1e6},
      {"G", 1e9},     {"T", 1e12},    {"P", 1e15},    {"E", 1e18},    {"Ki", 0x1p10}, {"Mi", 0x1p20},
      {"Gi", 0x1p30}, {"Ti", 0x1p40}, {"Pi", 0x1p50}, {"Ei", 0x1p60},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(s, table[i].s) == 0) {
      *mul = table[i].m;
      return 0;
    }
  /* decimal exponent: e|E [+-] digits */
  if ((s[0] == 'e' || s[0] == 'E') && s[1]) {
    const char *p = s + 1;
    if (*p == '+' || *p == '-') p++;
    if (!*p) return -1;
    for (const char *q = p; *q; q++)
      if (!isdigit((unsigned char)*q)) return -1;
    long e = strtol(s + 1, NULL, 10);
    if (e > 308 || e < -324) return -1;
    *mul = pow(10.0, (double)e);
    return 0;
  }
  return -1;
}

int api_quantity_parse(const char *s, double *out) {
  if (!s || !*s || strlen(s) > 64) return -1;
  const char *p = s;
  bool neg = false;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  const char *num = p;
  int digits = 0;
  while (isdigit((unsigned char)*p)) p++, digits++;
  if (*p == '.') {
    p++;
    while (isdigit((unsigned char)*p)) p++, digits++;
  }
  if (digits == 0) return -1;
  char nbuf[80];
  size_t nn = (size_t)(p - num);
  memcpy(nbuf, num, nn);
  nbuf[nn] = 0;
  double mul;
  if (suffix_multiplier(p, &mul) != 0) return -1;
  double v = strtod(nbuf, NULL) * mul;
  if (!isfinite(v)) return -1;
  *out = neg ? -v : v;
  return 0;
}

int api_quantity_from_json(const json_t *v, double *out) {
  if (json_is_integer(v)) {
    *out = (double)json_integer_value(v);
    return 0;
  }
  if (json_is_real(v)) {
    *out = json_real_value(v);
    return 0;
  }
  if (json_is_string(v)) return api_quantity_parse(json_string_value(v), out);
  return -1;
}

static bool near_int(double x) { return fabs(x - nearbyint(x)) < 1e-9 * fmax(1.0, fabs(x)); }

void api_quantity_format(double v, char *buf, size_t n) {
  if (!isfinite(v)) {
    snprintf(buf, n, "0");
    return;
  }
  const char *sign = v < 0 ? "-" : "";
  double a = fabs(v);
  if (a == 0) {
    snprintf(buf, n, "0");
    return;
  }
  if (near_int(a) && a < 9.2e18) {
    /* Integers: the canonical decimal SI form, as resource.Quantity prints
     * (2000 -> "2k", 1500 -> "1500"). */
    long long iv = (long long)nearbyint(a);
    static const char *const suf[] = {"", "k", "M", "G", "T", "P", "E"};
    int s = 0;
    while (s < 6 && iv % 1000 == 0 && iv != 0) iv /= 1000, s++;
    snprintf(buf, n, "%s%lld%s", sign, iv, suf[s]);
    return;
  }
  if (a < 1) {
    /* Below one: the milli/micro/nano forms kubectl shows ("500m"). */
    static const struct {
      double scale;
      const char *s;
    } sub[] = {{1e3, "m"}, {1e6, "u"}, {1e9, "n"}};
    for (size_t i = 0; i < 3; i++)
      if (near_int(a * sub[i].scale)) {
        snprintf(buf, n, "%s%lld%s", sign, (long long)nearbyint(a * sub[i].scale), sub[i].s);
        return;
      }
  }
  /* Otherwise the shortest decimal that reads back as the same double ("1.5"). */
  for (int prec = 1; prec <= 17; prec++) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*g", prec, a);
    if (strtod(tmp, NULL) == a || prec == 17) {
      snprintf(buf, n, "%s%s", sign, tmp);
      return;
    }
  }
}
