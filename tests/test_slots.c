/*
 * Unit tests of slots: the table of series that come and go, its one ageing
 * rule and its line cache. Readings are scripted as space-separated names:
 * "u..." names are not selected, "!name" is a line with that name whose
 * counters are malformed (placed, never claimed), "name@7" has id 7.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slots.h"

static int select_calls;

static int select_u(const void *ctx, const char *name, size_t len, uint64_t id)
{
    (void)ctx;
    (void)id;
    select_calls++;
    return !(len > 0 && name[0] == 'u');
}

/* One reading of @names; @return slots claimed for the first time in it. */
static int reading(struct slots *t, const char *names)
{
    char copy[4096], *save = NULL;
    int line = 0, filled = 0;
    snprintf(copy, sizeof copy, "%s", names);
    slots_begin(t);
    for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save), line++) {
        int bad = tok[0] == '!', k, again;
        char *name = tok + bad, *at = strchr(name, '@');
        uint64_t id = 0;
        if (at) {
            *at = '\0';
            id = strtoull(at + 1, NULL, 10);
        }
        k = slots_place(t, line, name, strlen(name), id, select_u, NULL);
        if (k == SLOTS_UNSELECTED || bad) continue;
        k = slots_claim(t, line, k, name, strlen(name), id, &again);
        if (k >= 0 && !again) filled++;
    }
    return filled;
}

static int slot_of(const struct slots *t, const char *name)
{
    int hit = -1;
    for (int k = 0; k < slots_count(t); k++) {
        const char *n = slots_name(t, k);
        if (n && strcmp(n, name) == 0) {
            ck_assert_msg(hit < 0, "%s in two slots", name);
            hit = k;
        }
    }
    return hit;
}

static int present(const struct slots *t)
{
    int n = 0;
    for (int k = 0; k < slots_count(t); k++) n += slots_name(t, k) != NULL;
    return n;
}

static void init(struct slots *t, int nslots, int name_max, int nlines)
{
    char err[256];
    ck_assert_int_eq(slots_init(t, nslots, name_max, nlines, err, sizeof err), 0);
}

/* ---- init ----------------------------------------------------------------- */

START_TEST(init_ranges)
{
    struct slots t;
    char err[256];
    memset(&t, 0, sizeof t);
    slots_free(&t); /* a zeroed table is safe */
    err[0] = '\0';
    ck_assert_int_eq(slots_init(&t, 0, 15, 0, err, sizeof err), -1);
    ck_assert_str_ne(err, "");
    ck_assert_int_eq(slots_init(&t, SLOTS_MAX + 1, 15, 0, err, sizeof err), -1);
    ck_assert_int_eq(slots_init(&t, 1, 0, 0, err, sizeof err), -1);
    ck_assert_int_eq(slots_init(&t, 1, SLOTS_NAME_MAX + 1, 0, err, sizeof err), -1);
    ck_assert_int_eq(slots_init(&t, 1, 15, -1, err, sizeof err), -1);
    ck_assert_int_eq(slots_init(&t, 1, 15, SLOTS_MAX_LINES + 1, err, sizeof err), -1);
    slots_free(&t);
    init(&t, 5, 15, 8);
    ck_assert_int_eq(slots_count(&t), 5);
    for (int k = 0; k < 5; k++) {
        ck_assert_ptr_null(slots_name(&t, k)); /* nothing before the first reading */
        ck_assert_uint_eq(slots_gen(&t, k), 0);
        ck_assert_str_eq(slots_held(&t, k, NULL), "");
    }
    ck_assert_ptr_null(slots_name(&t, -1));
    ck_assert_ptr_null(slots_name(&t, 5));
    ck_assert_ptr_null(slots_held(&t, 5, NULL));
    ck_assert_uint_eq(slots_gen(&t, 5), 0);
    slots_free(&t);
    slots_free(&t); /* twice */
}
END_TEST

/* ---- the ageing rule (each with and without the line cache) ---------------- */

START_TEST(appear_vanish_return)
{
    struct slots t;
    int a, b;
    unsigned ga, gb;
    init(&t, 4, 15, _i ? 16 : 0);
    ck_assert_int_eq(reading(&t, "a b"), 2);
    a = slot_of(&t, "a");
    b = slot_of(&t, "b");
    ga = slots_gen(&t, a);
    gb = slots_gen(&t, b);
    ck_assert_uint_ne(ga, 0);
    ck_assert_int_ne(a, b);
    ck_assert_int_eq(reading(&t, "b"), 1); /* a vanishes: not present, identity kept */
    ck_assert_ptr_null(slots_name(&t, a));
    ck_assert_str_eq(slots_held(&t, a, NULL), "a");
    ck_assert_int_eq(reading(&t, "b c"), 2);
    ck_assert_int_ne(slot_of(&t, "c"), a); /* never-used slots first */
    ck_assert_int_eq(reading(&t, "c b a"), 3); /* a back, reordered: its slot, its generation */
    ck_assert_int_eq(slot_of(&t, "a"), a);
    ck_assert_int_eq(slot_of(&t, "b"), b);
    ck_assert_uint_eq(slots_gen(&t, a), ga);
    ck_assert_uint_eq(slots_gen(&t, b), gb);
    ck_assert_int_eq(slots_skipped(&t), 0);
    slots_free(&t);
}
END_TEST

START_TEST(grace_of_one_reading)
{
    /* a slot is free from the reading after the one its name was absent from */
    struct slots t;
    int a;
    unsigned ga;
    init(&t, 1, 15, _i ? 16 : 0);
    ck_assert_int_eq(reading(&t, "a"), 1);
    a = slot_of(&t, "a");
    ga = slots_gen(&t, a);
    ck_assert_int_eq(reading(&t, "b"), 0); /* a absent now: not free yet */
    ck_assert_int_eq(slots_skipped(&t), 1);
    ck_assert_ptr_null(slots_name(&t, a));
    ck_assert_int_eq(reading(&t, "b"), 1); /* now it is */
    ck_assert_int_eq(slots_skipped(&t), 0);
    ck_assert_int_eq(slot_of(&t, "b"), a);
    ck_assert_uint_eq(slots_gen(&t, a), ga + 1);
    ck_assert_int_eq(reading(&t, "a b"), 1); /* a: no slot while b holds it */
    ck_assert_int_eq(slots_skipped(&t), 1);
    /* a failed read (a reading with nothing) counts as a reading */
    ck_assert_int_eq(reading(&t, ""), 0);
    ck_assert_int_eq(present(&t), 0);
    ck_assert_int_eq(slots_skipped(&t), 0);
    ck_assert_int_eq(reading(&t, "a"), 1);
    ck_assert_int_eq(slot_of(&t, "a"), a);
    ck_assert_uint_eq(slots_gen(&t, a), ga + 2);
    slots_free(&t);
}
END_TEST

START_TEST(longest_gone_first)
{
    struct slots t;
    int s0, s1, s2;
    unsigned g0;
    init(&t, 3, 15, _i ? 16 : 0);
    ck_assert_int_eq(reading(&t, "a b c"), 3);
    s0 = slot_of(&t, "a");
    s1 = slot_of(&t, "b");
    s2 = slot_of(&t, "c");
    ck_assert_int_eq(reading(&t, "a c"), 2);  /* b gone first */
    ck_assert_int_eq(reading(&t, "c"), 1);    /* then a */
    ck_assert_int_eq(reading(&t, "c"), 1);
    ck_assert_int_eq(reading(&t, "c x"), 2);  /* x takes b's slot: gone longest */
    ck_assert_int_eq(slot_of(&t, "x"), s1);
    g0 = slots_gen(&t, s0);
    ck_assert_int_eq(reading(&t, "c x y"), 3);
    ck_assert_int_eq(slot_of(&t, "y"), s0);
    ck_assert_uint_ne(slots_gen(&t, s0), g0);
    ck_assert_int_eq(slot_of(&t, "c"), s2);
    /* ties (gone in the same reading): the lowest index */
    ck_assert_int_eq(reading(&t, ""), 0);
    ck_assert_int_eq(reading(&t, "p q"), 2);
    ck_assert_int_eq(slot_of(&t, "p"), 0);
    ck_assert_int_eq(slot_of(&t, "q"), 1);
    slots_free(&t);
}
END_TEST

START_TEST(never_used_first)
{
    struct slots t;
    int f;
    init(&t, 3, 15, _i ? 16 : 0);
    ck_assert_int_eq(reading(&t, "flap"), 1);
    f = slot_of(&t, "flap");
    ck_assert_int_eq(reading(&t, "n0"), 1);
    ck_assert_int_eq(reading(&t, "n0 n1"), 2); /* the never-used slot, not flap's stale one */
    ck_assert_int_ne(slot_of(&t, "n1"), f);
    ck_assert_int_eq(reading(&t, "n0 n1 flap"), 3);
    ck_assert_int_eq(slot_of(&t, "flap"), f);
    slots_free(&t);
}
END_TEST

START_TEST(identity_has_an_id)
{
    struct slots t;
    uint64_t id = 0;
    int a, b;
    init(&t, 4, 15, _i ? 16 : 0);
    ck_assert_int_eq(reading(&t, "sda@1 sda@2"), 2);
    ck_assert_int_eq(present(&t), 2);
    a = 0;
    b = 1;
    ck_assert_str_eq(slots_held(&t, a, &id), "sda");
    ck_assert_uint_eq(id, 1);
    ck_assert_str_eq(slots_held(&t, b, &id), "sda");
    ck_assert_uint_eq(id, 2);
    ck_assert_int_eq(reading(&t, "sda@2"), 1);
    ck_assert_ptr_null(slots_name(&t, a));
    ck_assert_str_eq(slots_name(&t, b), "sda");
    slots_free(&t);
}
END_TEST

START_TEST(duplicates)
{
    struct slots t;
    int k, again;
    init(&t, 2, 15, _i ? 16 : 0);
    for (int r = 0; r < 3; r++) {
        slots_begin(&t);
        k = slots_claim(&t, 0, slots_place(&t, 0, "e", 1, 0, select_u, NULL), "e", 1, 0, &again);
        ck_assert_int_ge(k, 0);
        ck_assert_int_eq(again, 0);
        ck_assert_int_eq(slots_claim(&t, 1, slots_place(&t, 1, "e", 1, 0, select_u, NULL), "e", 1, 0, &again),
                         k);
        ck_assert_int_eq(again, 1);
        ck_assert_int_eq(present(&t), 1);
    }
    /* duplicates left without a slot are each counted */
    ck_assert_int_eq(reading(&t, ""), 0); /* e's slot is free a reading after this one */
    ck_assert_int_eq(reading(&t, "a b c c"), 2);
    ck_assert_int_eq(slots_skipped(&t), 2);
    slots_free(&t);
}
END_TEST

START_TEST(selection_and_names)
{
    struct slots t;
    char longname[40];
    init(&t, 4, 8, _i ? 16 : 0);
    ck_assert_int_eq(reading(&t, "a u1 b u2"), 2);
    ck_assert_int_eq(slot_of(&t, "u1"), -1);
    ck_assert_int_eq(slots_skipped(&t), 0); /* not selected is not skipped */
    memset(longname, 'x', 9);
    longname[9] = '\0';
    ck_assert_int_eq(slots_place(&t, 9, longname, 9, 0, select_u, NULL), SLOTS_UNSELECTED);
    ck_assert_int_eq(slots_place(&t, 9, longname, 0, 0, select_u, NULL), SLOTS_UNSELECTED);
    ck_assert_int_eq(slots_claim(&t, 9, SLOTS_NOSLOT, longname, 9, 0, NULL), SLOTS_NOSLOT);
    ck_assert_int_eq(slots_claim(&t, 9, SLOTS_UNSELECTED, "a", 1, 0, NULL), SLOTS_NOSLOT);
    ck_assert_int_eq(reading(&t, "abcdefgh"), 1); /* name_max bytes exactly */
    ck_assert_str_eq(slots_name(&t, slot_of(&t, "abcdefgh")), "abcdefgh");
    slots_free(&t);
}
END_TEST

START_TEST(malformed_line_frees)
{
    /* a name whose line turns bad is absent; its slot may go to another name a reading later */
    struct slots t;
    init(&t, 1, 15, _i ? 16 : 0);
    ck_assert_int_eq(reading(&t, "q x"), 1); /* one slot: q gets it, x skipped */
    ck_assert_int_eq(reading(&t, "!q x"), 0);    /* q absent, slot not free yet */
    ck_assert_int_eq(slots_skipped(&t), 1);
    ck_assert_int_eq(reading(&t, "!q x"), 1);    /* free now: x */
    ck_assert_str_eq(slots_name(&t, 0), "x");
    ck_assert_int_eq(reading(&t, "q !x"), 0);
    ck_assert_int_eq(reading(&t, "q !x"), 1);
    ck_assert_str_eq(slots_name(&t, 0), "q");
    slots_free(&t);
}
END_TEST

/* ---- the line cache -------------------------------------------------------- */

START_TEST(cache_asks_once)
{
    /* with the cache, a stable or shifted file asks the collector nothing again */
    struct slots t;
    init(&t, 8, 15, 32);
    select_calls = 0;
    ck_assert_int_eq(reading(&t, "a u1 b u2 c"), 3);
    ck_assert_int_eq(select_calls, 5);
    ck_assert_int_eq(reading(&t, "a u1 b u2 c"), 3);
    ck_assert_int_eq(reading(&t, "new a u1 b u2 c"), 4); /* inserted: everything shifts */
    ck_assert_int_eq(select_calls, 6);
    ck_assert_int_eq(reading(&t, "c u2 b u1 a new"), 4); /* reversed */
    ck_assert_int_eq(reading(&t, "u2 c u1"), 1);
    ck_assert_int_eq(select_calls, 6);
    /* a name gone from the cache and its slot is asked again */
    ck_assert_int_eq(reading(&t, ""), 0);
    ck_assert_int_eq(reading(&t, "u1 zz"), 1);
    ck_assert_int_eq(select_calls, 8);
    slots_free(&t);
    /* without the cache, only slot holders are spared the question */
    init(&t, 8, 15, 0);
    select_calls = 0;
    ck_assert_int_eq(reading(&t, "a u1"), 1);
    ck_assert_int_eq(reading(&t, "a u1"), 1);
    ck_assert_int_eq(select_calls, 3);
    slots_free(&t);
}
END_TEST

START_TEST(cache_agrees)
{
    /* the same script through no cache, a short one and a long one: same state */
    static const char *const script[] = {
        "lo eth0 eth1", "lo eth0 eth1", "lo eth1 eth0", "lo eth0", "eth0 lo eth1", "a0 b0 c0 d0 e0",
        "a0 b0 c0 d0 e0", "b0 a0 d0", "", "lo eth0 eth1", "eth1", "eth1 eth2 eth3", "eth3 !eth2 eth1",
        "x0 x1 x2 x3 x4 x5", "x5 x4 x3", "u0 lo u1", "x5 x4 x3 eth0", "x5@1 x5@2 x4 x4 !x3", "x5 x4 x3 eth0",
    };
    struct slots t[3];
    init(&t[0], 4, 15, 0);
    init(&t[1], 4, 15, 3);
    init(&t[2], 4, 15, 64);
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
            int f0 = reading(&t[0], script[i]);
            for (int c = 1; c < 3; c++) {
                ck_assert_int_eq(reading(&t[c], script[i]), f0);
                ck_assert_int_eq(slots_skipped(&t[c]), slots_skipped(&t[0]));
                for (int k = 0; k < 4; k++) {
                    const char *a = slots_name(&t[0], k), *b = slots_name(&t[c], k);
                    ck_assert_msg((a == NULL) == (b == NULL), "step %zu slot %d", i, k);
                    if (a) ck_assert_str_eq(a, b);
                    ck_assert_uint_eq(slots_gen(&t[0], k), slots_gen(&t[c], k));
                }
            }
        }
    for (int c = 0; c < 3; c++) slots_free(&t[c]);
}
END_TEST

START_TEST(long_names)
{
    /* a cgroup-sized name_max */
    struct slots t;
    char name[201];
    memset(name, 'c', 200);
    name[200] = '\0';
    init(&t, 2, 200, 4);
    slots_begin(&t);
    ck_assert_int_eq(slots_claim(&t, 0, slots_place(&t, 0, name, 200, 0, select_u, NULL), name, 200, 0, NULL), 0);
    ck_assert_str_eq(slots_name(&t, 0), name);
    slots_free(&t);
}
END_TEST

static Suite *slots_suite(void)
{
    Suite *s = suite_create("slots");
    TCase *tc = tcase_create("init");
    tcase_add_test(tc, init_ranges);
    suite_add_tcase(s, tc);

    /* each twice: without (0) and with (1) the line cache */
    tc = tcase_create("ageing");
    tcase_add_loop_test(tc, appear_vanish_return, 0, 2);
    tcase_add_loop_test(tc, grace_of_one_reading, 0, 2);
    tcase_add_loop_test(tc, longest_gone_first, 0, 2);
    tcase_add_loop_test(tc, never_used_first, 0, 2);
    tcase_add_loop_test(tc, identity_has_an_id, 0, 2);
    tcase_add_loop_test(tc, duplicates, 0, 2);
    tcase_add_loop_test(tc, selection_and_names, 0, 2);
    tcase_add_loop_test(tc, malformed_line_frees, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("cache");
    tcase_add_test(tc, cache_asks_once);
    tcase_add_test(tc, cache_agrees);
    tcase_add_test(tc, long_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(slots_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
