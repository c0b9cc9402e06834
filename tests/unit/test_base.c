/* Unit tests for src/base: buffers, arena, time formatting and parsing, clock. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/sw.h"

Test(base, buf_printf_grows) {
  sw_buf b;
  sw_buf_init(&b);
  for (int i = 0; i < 1000; i++) sw_buf_printf(&b, "%d,", i);
  cr_assert(sw_has_prefix(b.data, "0,1,2,"));
  cr_assert(sw_has_suffix(b.data, "998,999,"));
  cr_assert_eq(strlen(b.data), b.len);
  char *s = sw_buf_steal(&b);
  cr_assert_null(b.data);
  free(s);
}

Test(base, arena_alignment_and_reset) {
  sw_arena *a = sw_arena_new(64);
  for (int i = 0; i < 100; i++) {
    char *p = sw_arena_alloc(a, (size_t)i + 1);
    cr_assert_eq((uintptr_t)p % 16, 0);
    cr_assert_eq(p[0], 0);
  }
  cr_assert_str_eq(sw_arena_strdup(a, "hello"), "hello");
  sw_arena_reset(a);
  cr_assert_not_null(sw_arena_alloc(a, 10));
  sw_arena_free(a);
}

Test(base, time_roundtrip) {
  struct { const char *in; double want; } cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2026-11-23T08:44:33Z", 1795423473},
      {"2026-11-23T09:44:33+01:00", 1795423473},
      {"2026-11-23T08:44:33.5Z", 1795423473.5},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double t;
    cr_assert_eq(sw_time_parse(cases[i].in, &t), 0, "%s", cases[i].in);
    cr_assert_float_eq(t, cases[i].want, 1e-6, "%s", cases[i].in);
  }
  char buf[32];
  sw_time_format(1795423473, buf, sizeof buf);
  cr_assert_str_eq(buf, "2026-11-23T08:44:33Z");
  char micro[40];
  sw_time_format_micro(1795423473.25, micro, sizeof micro);
  cr_assert_str_eq(micro, "2026-11-23T08:44:33.250000Z");
  sw_time_format_micro(1795423473.9999996, micro, sizeof micro); /* rounds into the next second */
  cr_assert_str_eq(micro, "2026-11-23T08:44:34.000000Z");
  double back;
  sw_time_format_micro(1795423473.000123, micro, sizeof micro);
  cr_assert_eq(sw_time_parse(micro, &back), 0);
  cr_assert_float_eq(back, 1795423473.000123, 1e-6);
  double t;
  cr_assert_eq(sw_time_parse("2026-11-23 08:44:33", &t), -1);
  cr_assert_eq(sw_time_parse("2026-11-23T08:44:33", &t), -1);
  cr_assert_eq(sw_time_parse("", &t), -1);
}

Test(base, age_format_like_kubectl) {
  char b[16];
  sw_age_format(45, b, sizeof b);  cr_assert_str_eq(b, "45s");
  sw_age_format(150, b, sizeof b); cr_assert_str_eq(b, "2m30s");
  sw_age_format(600, b, sizeof b); cr_assert_str_eq(b, "10m");
  sw_age_format(4 * 3600, b, sizeof b); cr_assert_str_eq(b, "4h");
  sw_age_format(3 * 86400, b, sizeof b); cr_assert_str_eq(b, "3d");
}

Test(base, virtual_clock_only_moves_when_advanced) {
  sw_clock c;
  sw_clock_init_virtual(&c, 100);
  cr_assert_float_eq(sw_clock_now(&c), 100, 1e-9);
  sw_clock_advance(&c, 2.5);
  cr_assert_float_eq(sw_clock_now(&c), 102.5, 1e-9);
  cr_assert_eq(sw_clock_real_ms(&c, 1.5), 1500);
}

Test(base, scaled_clock_timer_conversion) {
  sw_clock c;
  sw_clock_init_real(&c, 10);
  cr_assert_eq(sw_clock_real_ms(&c, 30), 3000);
  cr_assert_eq(sw_clock_real_ms(&c, 0.0001), 1);
}

Test(base, strlcpy_cuts_and_terminates) {
  char d[4];
  cr_assert_eq(sw_strlcpy(d, "ab", sizeof d), 2);
  cr_assert_str_eq(d, "ab");
  cr_assert_eq(sw_strlcpy(d, "abcdef", sizeof d), 6);
  cr_assert_str_eq(d, "abc");
  cr_assert_eq(sw_strlcpy(d, "", sizeof d), 0);
  cr_assert_str_eq(d, "");
}
