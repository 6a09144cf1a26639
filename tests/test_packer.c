/*
 * Unit tests of packer: whole lines into datagram slots, deadlines, the ring.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packer.h"

/* A line of exactly @len bytes (>= 1): @c repeated, ending in '\n'. */
static char *line_of(size_t len, char c)
{
    char *s = malloc(len + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, c, len);
    s[len - 1] = '\n';
    s[len] = '\0';
    return s;
}

static void add_ok(struct packer *p, size_t len, char c, double now)
{
    char *s = line_of(len, c);
    ck_assert_int_eq(packer_add(p, s, len, now), PACKER_ADDED);
    free(s);
}

START_TEST(init_rejects_bad_arguments)
{
    struct packer p;
    ck_assert_int_eq(packer_init(&p, 100, 0, 1), -1);
    packer_free(&p);
    ck_assert_int_eq(packer_init(&p, 0, 4, 1), -1);
    packer_free(&p);
    ck_assert_int_eq(packer_init(&p, 100, 4, -1), -1);
    packer_free(&p);
    ck_assert_int_eq(packer_init(&p, 100, 4, 0), 0);
    ck_assert_int_eq(packer_pending(&p), 0);
    ck_assert(packer_deadline(&p) == -1);
    packer_free(&p);
}
END_TEST

START_TEST(exactly_fills_a_datagram)
{
    struct packer p;
    struct packer_slot *out[4];
    ck_assert_int_eq(packer_init(&p, 100, 4, 1), 0);
    add_ok(&p, 60, 'a', 0);
    add_ok(&p, 40, 'b', 0); /* 60 + 40 = 100: same slot */
    ck_assert_int_eq(packer_pending(&p), 1);
    add_ok(&p, 1, 'c', 0); /* no byte left: next slot */
    ck_assert_int_eq(packer_pending(&p), 2);
    ck_assert_int_eq(packer_take(&p, 1, 0, out), 2);
    ck_assert_uint_eq(out[0]->len, 100);
    ck_assert_uint_eq(out[0]->lines, 2);
    ck_assert_int_eq(out[0]->buf[0], 'a');
    ck_assert_int_eq(out[0]->buf[59], '\n');
    ck_assert_int_eq(out[0]->buf[60], 'b');
    ck_assert_int_eq(out[0]->buf[99], '\n');
    ck_assert_uint_eq(out[1]->len, 1);
    ck_assert_uint_eq(out[1]->lines, 1);
    packer_release(&p, 2);
    ck_assert_int_eq(packer_pending(&p), 0);
    packer_free(&p);
}
END_TEST

START_TEST(one_line_is_the_whole_payload)
{
    struct packer p;
    struct packer_slot *out[2];
    ck_assert_int_eq(packer_init(&p, 100, 2, 1), 0);
    add_ok(&p, 100, 'x', 0);
    ck_assert_uint_eq(p.lines_dropped, 0);
    ck_assert_int_eq(packer_take(&p, 1, 0, out), 1);
    ck_assert_uint_eq(out[0]->len, 100);
    packer_free(&p);
}
END_TEST

START_TEST(one_byte_over_goes_to_next_slot)
{
    struct packer p;
    struct packer_slot *out[4];
    ck_assert_int_eq(packer_init(&p, 100, 4, 1), 0);
    add_ok(&p, 60, 'a', 0);
    add_ok(&p, 41, 'b', 0.5); /* 101 > 100 */
    ck_assert_int_eq(packer_pending(&p), 2);
    ck_assert_int_eq(packer_take(&p, 1, 0.5, out), 2);
    ck_assert_uint_eq(out[0]->len, 60);
    ck_assert_uint_eq(out[0]->lines, 1);
    ck_assert_int_eq(out[0]->buf[0], 'a');
    ck_assert_uint_eq(out[1]->len, 41);
    ck_assert_uint_eq(out[1]->lines, 1);
    ck_assert_int_eq(out[1]->buf[0], 'b');
    ck_assert(out[1]->first == 0.5);
    packer_free(&p);
}
END_TEST

START_TEST(too_long_is_dropped_and_counted)
{
    struct packer p;
    struct packer_slot *out[4];
    char *s = line_of(101, 'z');
    ck_assert_int_eq(packer_init(&p, 100, 4, 1), 0);
    add_ok(&p, 10, 'a', 0);
    ck_assert_int_eq(packer_add(&p, s, 101, 0), PACKER_TOO_LONG);
    ck_assert_uint_eq(p.lines_dropped, 1);
    ck_assert_int_eq(packer_add(&p, s, 101, 0), PACKER_TOO_LONG);
    ck_assert_uint_eq(p.lines_dropped, 2);
    ck_assert_int_eq(packer_pending(&p), 1);
    ck_assert_int_eq(packer_take(&p, 1, 0, out), 1);
    ck_assert_uint_eq(out[0]->len, 10);
    ck_assert_uint_eq(out[0]->lines, 1);
    free(s);
    packer_free(&p);
}
END_TEST

START_TEST(no_space_then_take_release_add)
{
    struct packer p;
    struct packer_slot *out[3];
    char *d = line_of(10, 'd');
    ck_assert_int_eq(packer_init(&p, 10, 3, 5), 0);
    add_ok(&p, 10, 'a', 0);
    add_ok(&p, 10, 'b', 0);
    add_ok(&p, 10, 'c', 0);
    ck_assert_int_eq(packer_pending(&p), 3);
    ck_assert_int_eq(packer_add(&p, d, 10, 0), PACKER_NO_SPACE);
    ck_assert_int_eq(packer_add(&p, d, 10, 0), PACKER_NO_SPACE); /* stays so, nothing lost */
    ck_assert_uint_eq(p.lines_dropped, 0);
    ck_assert_int_eq(packer_pending(&p), 3);
    ck_assert_int_eq(packer_take(&p, 1, 0, out), 3);
    ck_assert_int_eq(out[0]->buf[0], 'a');
    ck_assert_int_eq(out[1]->buf[0], 'b');
    ck_assert_int_eq(out[2]->buf[0], 'c');
    for (int i = 0; i < 3; i++) ck_assert_uint_eq(out[i]->len, 10);
    packer_release(&p, 3);
    ck_assert_int_eq(packer_pending(&p), 0);
    ck_assert(packer_deadline(&p) == -1);
    ck_assert_int_eq(packer_add(&p, d, 10, 1), PACKER_ADDED);
    ck_assert_int_eq(packer_pending(&p), 1);
    ck_assert_int_eq(packer_take(&p, 1, 1, out), 1);
    ck_assert_int_eq(out[0]->buf[0], 'd');
    ck_assert_uint_eq(out[0]->len, 10);
    ck_assert_uint_eq(out[0]->lines, 1);
    free(d);
    packer_free(&p);
}
END_TEST

START_TEST(no_space_with_one_slot)
{
    struct packer p;
    struct packer_slot *out[1];
    char *b = line_of(6, 'b');
    ck_assert_int_eq(packer_init(&p, 10, 1, 1), 0);
    add_ok(&p, 6, 'a', 0);
    ck_assert_int_eq(packer_add(&p, b, 6, 0), PACKER_NO_SPACE);
    ck_assert_int_eq(packer_take(&p, 1, 0, out), 1);
    packer_release(&p, 1);
    ck_assert_int_eq(packer_add(&p, b, 6, 0), PACKER_ADDED);
    ck_assert_int_eq(packer_take(&p, 1, 0, out), 1);
    ck_assert_int_eq(out[0]->buf[0], 'b');
    free(b);
    packer_free(&p);
}
END_TEST

START_TEST(deadline_is_first_line_plus_flush)
{
    struct packer p;
    struct packer_slot *out[4];
    ck_assert_int_eq(packer_init(&p, 100, 4, 2.5), 0);
    ck_assert(packer_deadline(&p) == -1);
    add_ok(&p, 10, 'a', 10.0);
    ck_assert_double_eq_tol(packer_deadline(&p), 12.5, 1e-12);
    add_ok(&p, 10, 'b', 11.0); /* a later line does not move it */
    ck_assert_double_eq_tol(packer_deadline(&p), 12.5, 1e-12);
    ck_assert_int_eq(packer_take(&p, 1, 11.0, out), 1);
    packer_release(&p, 1);
    ck_assert(packer_deadline(&p) == -1);
    add_ok(&p, 10, 'c', 20.0);
    ck_assert_double_eq_tol(packer_deadline(&p), 22.5, 1e-12);
    packer_free(&p);
}
END_TEST

START_TEST(deadline_follows_oldest_slot)
{
    struct packer p;
    struct packer_slot *out[4];
    ck_assert_int_eq(packer_init(&p, 20, 4, 1), 0);
    add_ok(&p, 10, 'a', 0.0);
    add_ok(&p, 10, 'b', 0.1);
    add_ok(&p, 10, 'c', 0.2); /* closes slot 0, opens slot 1 at 0.2 */
    ck_assert_double_eq_tol(packer_deadline(&p), 1.0, 1e-12);
    ck_assert_int_eq(packer_take(&p, 0, 0.5, out), 1); /* the closed one */
    packer_release(&p, 1);
    ck_assert_double_eq_tol(packer_deadline(&p), 1.2, 1e-12);
    packer_free(&p);
}
END_TEST

START_TEST(take_closed_only_unless_due)
{
    struct packer p;
    struct packer_slot *out[4];
    ck_assert_int_eq(packer_init(&p, 20, 4, 1), 0);
    /* nothing closed, open not due */
    add_ok(&p, 10, 'a', 0.0);
    ck_assert_int_eq(packer_take(&p, 0, 0.5, out), 0);
    ck_assert_int_eq(packer_pending(&p), 1);
    add_ok(&p, 10, 'b', 0.1);
    add_ok(&p, 10, 'c', 0.2); /* slot 0 closed (a, b); slot 1 open (c, first 0.2) */
    ck_assert_int_eq(packer_pending(&p), 2);
    ck_assert_int_eq(packer_take(&p, 0, 0.5, out), 1);
    ck_assert_uint_eq(out[0]->len, 20);
    ck_assert_int_eq(out[0]->buf[0], 'a');
    ck_assert_int_eq(out[0]->buf[10], 'b');
    packer_release(&p, 1);
    ck_assert_int_eq(packer_pending(&p), 1);
    /* slot 1's first line is due at 1.2 */
    ck_assert_int_eq(packer_take(&p, 0, 1.1, out), 0);
    ck_assert_int_eq(packer_take(&p, 0, 1.2, out), 1);
    ck_assert_int_eq(out[0]->buf[0], 'c');
    ck_assert_uint_eq(out[0]->len, 10);
    packer_release(&p, 1);
    ck_assert_int_eq(packer_pending(&p), 0);
    ck_assert_int_eq(packer_take(&p, 0, 100, out), 0);
    ck_assert_int_eq(packer_take(&p, 1, 100, out), 0);
    packer_free(&p);
}
END_TEST

START_TEST(jitter_lead_and_half_ring)
{
    /* with jitter: a partial datagram leaves `lead` before its deadline, and a
       half-closed ring a phase of its fill time after it got so, not when it is full; no line
       ever waits longer than --flush */
    struct packer p;
    struct packer_slot *out[4];
    ck_assert_int_eq(packer_init(&p, 20, 4, 1), 0);
    packer_jitter(&p, 0.3, 0.5);
    add_ok(&p, 10, 'a', 10.0);
    ck_assert_double_eq_tol(packer_deadline(&p), 10.7, 1e-12);
    ck_assert_int_eq(packer_take(&p, 0, 10.69, out), 0);
    ck_assert_int_eq(packer_take(&p, 0, 10.7, out), 1);
    packer_release(&p, 1);
    /* two of four slots closed at 20.002, 2 ms after the ring's first line: due half (the phase)
       of 90 % of those 2 ms later, at 20.0029, before slot 0's own 20.7 */
    add_ok(&p, 10, 'b', 20.0);
    add_ok(&p, 10, 'c', 20.0);
    add_ok(&p, 10, 'd', 20.001); /* closes slot 0 */
    ck_assert_double_eq_tol(packer_deadline(&p), 20.7, 1e-12);
    add_ok(&p, 10, 'e', 20.001);
    add_ok(&p, 10, 'f', 20.002); /* closes slot 1: half the ring */
    ck_assert_double_eq_tol(packer_deadline(&p), 20.0029, 1e-12);
    ck_assert_int_eq(packer_take(&p, 0, 20.0029, out), 2); /* the closed ones; the open one waits */
    ck_assert_int_eq(out[0]->buf[0], 'b');
    ck_assert_int_eq(out[1]->buf[0], 'd');
    packer_release(&p, 2);
    ck_assert_double_eq_tol(packer_deadline(&p), 20.702, 1e-12); /* f's, lead before its flush */
    /* a lead past the flush is the flush: a line is sent as it comes, never held */
    packer_jitter(&p, 5, -1);
    ck_assert_double_eq_tol(packer_deadline(&p), 20.002, 1e-12);
    packer_free(&p);
}
END_TEST

START_TEST(take_closed_plus_due_open)
{
    struct packer p;
    struct packer_slot *out[4];
    ck_assert_int_eq(packer_init(&p, 20, 4, 1), 0);
    add_ok(&p, 15, 'a', 0.0);
    add_ok(&p, 15, 'b', 0.1);
    add_ok(&p, 15, 'c', 0.2); /* a | b | c(open) */
    ck_assert_int_eq(packer_take(&p, 0, 0.9, out), 2);
    ck_assert_int_eq(packer_take(&p, 0, 1.2, out), 3);
    ck_assert_int_eq(out[0]->buf[0], 'a');
    ck_assert_int_eq(out[1]->buf[0], 'b');
    ck_assert_int_eq(out[2]->buf[0], 'c');
    packer_release(&p, 3);
    ck_assert_int_eq(packer_pending(&p), 0);
    add_ok(&p, 15, 'd', 2.0);
    ck_assert_int_eq(packer_take(&p, 1, 2.0, out), 1);
    ck_assert_int_eq(out[0]->buf[0], 'd');
    packer_free(&p);
}
END_TEST

/* Check taken slots: whole numbered lines, in order from *next; advance *next. */
static void consume(struct packer_slot **out, int k, size_t payload, unsigned long *next)
{
    for (int i = 0; i < k; i++) {
        const char *s = out[i]->buf, *e = s + out[i]->len;
        uint32_t nl = 0;
        ck_assert_uint_gt(out[i]->len, 0);
        ck_assert_uint_le(out[i]->len, payload);
        ck_assert_int_eq(e[-1], '\n'); /* a slot never ends mid-line */
        while (s < e) {
            const char *q = memchr(s, '\n', (size_t)(e - s));
            unsigned long num = 0;
            int digits_ok = 1, pad_ok = 1;
            ck_assert_ptr_nonnull(q);
            ck_assert_int_ge(q - s, 10); /* "L%08lu " (the slot is not NUL-terminated) */
            ck_assert_int_eq(s[0], 'L');
            /* one assertion per line, not per byte: this runs ~10^5 lines (valgrind, qemu) */
            for (int d = 1; d <= 8; d++) {
                digits_ok &= s[d] >= '0' && s[d] <= '9';
                num = num * 10 + (unsigned long)(s[d] - '0');
            }
            ck_assert_msg(digits_ok, "line number is not 8 digits");
            ck_assert_int_eq(s[9], ' ');
            ck_assert_msg(num == *next, "got line %lu, want %lu", num, *next);
            /* the line is intact: its padding is all 'p' */
            for (const char *c = s + 10; c < q; c++) pad_ok &= *c == 'p';
            ck_assert_msg(pad_ok, "line %lu: padding is not all 'p'", num);
            (*next)++;
            nl++;
            s = q + 1;
        }
        ck_assert_uint_eq(nl, out[i]->lines);
    }
}

/*
 * Many cycles of adding numbered lines of varying length, taking (sometimes all,
 * sometimes only what is due) and releasing: every line comes out exactly once,
 * in order, whole, in slots that end with '\n' and fit the payload.
 */
static void ring_run(int nslots, size_t payload, unsigned seed)
{
    struct packer p;
    struct packer_slot **out = calloc((size_t)nslots, sizeof *out);
    unsigned long next_in = 0, next_out = 0;
    unsigned long no_space = 0;
    double now = 0;
    int k;
    ck_assert_int_eq(packer_init(&p, payload, nslots, 0.05), 0);
    srand(seed);
    for (int cycle = 0; cycle < 5000; cycle++) {
        int lines = rand() % 7;
        for (int j = 0; j < lines; j++) {
            char line[128];
            int pad = rand() % 40, len;
            enum packer_result r;
            len = snprintf(line, sizeof line, "L%08lu %.*s\n", next_in, pad,
                           "pppppppppppppppppppppppppppppppppppppppppppppp");
            r = packer_add(&p, line, (size_t)len, now);
            if (r == PACKER_NO_SPACE) {
                no_space++;
                k = packer_take(&p, 1, now, out);
                ck_assert_int_eq(k, nslots);
                consume(out, k, payload, &next_out);
                packer_release(&p, k);
                r = packer_add(&p, line, (size_t)len, now);
            }
            ck_assert_int_eq(r, PACKER_ADDED);
            next_in++;
        }
        now += 0.01;
        k = packer_take(&p, rand() % 5 == 0, now, out);
        consume(out, k, payload, &next_out);
        packer_release(&p, k);
    }
    k = packer_take(&p, 1, now, out);
    consume(out, k, payload, &next_out);
    packer_release(&p, k);
    ck_assert_uint_eq(next_out, next_in);
    ck_assert_uint_gt(next_in, 10000);
    ck_assert_int_eq(packer_pending(&p), 0);
    ck_assert_uint_eq(p.lines_dropped, 0);
    packer_free(&p);
    free(out);
}

START_TEST(ring_wraps_in_order)
{
    ring_run(3, 120, 1);
    ring_run(5, 64, 2);
    ring_run(1, 64, 3);
    ring_run(8, 512, 4);
}
END_TEST

START_TEST(first_is_time_of_first_line)
{
    struct packer p;
    struct packer_slot *out[2];
    ck_assert_int_eq(packer_init(&p, 100, 2, 1), 0);
    add_ok(&p, 10, 'a', 3.0);
    add_ok(&p, 10, 'b', 3.7);
    ck_assert_int_eq(packer_take(&p, 1, 4, out), 1);
    ck_assert(out[0]->first == 3.0);
    ck_assert_uint_eq(out[0]->lines, 2);
    packer_release(&p, 1);
    add_ok(&p, 10, 'c', 5.5);
    ck_assert_int_eq(packer_take(&p, 1, 6, out), 1);
    ck_assert(out[0]->first == 5.5);
    ck_assert_uint_eq(out[0]->lines, 1);
    ck_assert_uint_eq(out[0]->len, 10);
    packer_free(&p);
}
END_TEST

static Suite *packer_suite(void)
{
    Suite *s = suite_create("packer");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, init_rejects_bad_arguments);
    tcase_add_test(tc, exactly_fills_a_datagram);
    tcase_add_test(tc, one_line_is_the_whole_payload);
    tcase_add_test(tc, one_byte_over_goes_to_next_slot);
    tcase_add_test(tc, too_long_is_dropped_and_counted);
    tcase_add_test(tc, no_space_then_take_release_add);
    tcase_add_test(tc, no_space_with_one_slot);
    tcase_add_test(tc, deadline_is_first_line_plus_flush);
    tcase_add_test(tc, deadline_follows_oldest_slot);
    tcase_add_test(tc, take_closed_only_unless_due);
    tcase_add_test(tc, take_closed_plus_due_open);
    tcase_add_test(tc, jitter_lead_and_half_ring);
    tcase_add_test(tc, ring_wraps_in_order);
    tcase_add_test(tc, first_is_time_of_first_line);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(packer_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
