#ifndef PROCFLUX_SLOTS_H
#define PROCFLUX_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

/*
 * slots: the table of series that come and go (net interfaces, disks,
 * cgroups). Nothing may be allocated per tick, so every series a collector
 * reports holds one of a fixed number of slots, sized at init. A collector
 * parses one reading of its file line by line and asks, for each line, which
 * slot the name on it goes to.
 *
 * Identity. A series is a name (1..name_max bytes, any byte but NUL) and a
 * 64-bit id the collector may use to tell apart two series with one name
 * (diskio: major:minor; net: 0). Two lines with the same identity in one
 * reading go to the same slot (slots_claim says so, the collector picks
 * which line's values win).
 *
 * The ageing rule (one for every collector):
 *   - a slot is present while its identity is in the readings: slots_name
 *     answers only for slots claimed in the last reading;
 *   - a slot whose identity was absent from a reading becomes free from the
 *     reading after that one on (one whole reading of grace: an interface
 *     renamed, or a device replaced, never hands its slot to another series in
 *     the very reading it disappears from);
 *   - until another identity takes it, the slot keeps its identity and
 *     generation, and that identity coming back finds it again;
 *   - a new identity takes a never-used slot first, else the free slot whose
 *     identity was seen longest ago (ties: the lowest index), and bumps that
 *     slot's generation (never 0; 0 is a slot never used);
 *   - when no slot is free the line is skipped and counted (slots_skipped).
 *
 * The line cache. A stable file costs one compare a line: line i of the
 * last reading is remembered (identity and decision: its slot, not
 * selected, or selected but slotless). A line is looked up at i, then at
 * i + the offset of the last match (a line inserted or removed shifts the
 * rest), then in the whole last reading; only a miss asks the slot table
 * and then the collector's select callback. A slot found in the cache is
 * still the identity's: it was claimed in the last reading, so it cannot
 * have been freed since. nlines == 0 disables the cache.
 *
 * Per reading: slots_begin, then for each line with a name slots_place, and
 * when the line is good and placed in a slot or slotless, slots_claim. A
 * reading that fails is a slots_begin with nothing after it.
 */

/** Most slots, and longest name, slots_init accepts. */
#define SLOTS_MAX 4096
#define SLOTS_NAME_MAX 4095
#define SLOTS_MAX_LINES 65536

/** Decisions besides a slot number (>= 0). */
#define SLOTS_UNSELECTED (-1) /* the collector does not report it */
#define SLOTS_NOSLOT (-2)     /* reported, but no slot yet: slots_claim finds or takes one */

struct slots_slot {
    uint64_t seen;      /* reading that last claimed it; 0: never */
    uint64_t id;
    unsigned gen;       /* 0 until first taken */
    unsigned short len; /* 0: never used */
};

struct slots_line {
    uint64_t id;
    int decision;       /* slot, SLOTS_UNSELECTED or SLOTS_NOSLOT */
    unsigned short len; /* 0: nothing remembered */
};

struct slots {
    struct slots_slot *slot;
    char *names;                  /* nslots names of name_max + 1 bytes, NUL-terminated */
    struct slots_line *prev, *cur; /* the line cache: last reading, this one */
    char *prev_names, *cur_names; /* their names, name_max bytes each */
    int nslots, name_max, nlines;
    int nprev, ncur, shift;
    int skipped;                  /* lines left without a slot in this reading */
    uint64_t reading;             /* slots_begin calls so far */
};

/** Whether the collector reports @name/@id (asked once per identity new to the cache). */
typedef int slots_select_fn(const void *ctx, const char *name, size_t len, uint64_t id);

/**
 * Allocate @nslots slots (1..SLOTS_MAX) for names of up to @name_max bytes
 * (1..SLOTS_NAME_MAX) and a line cache of @nlines lines (0..SLOTS_MAX_LINES).
 * The only allocation. @return 0, or -1 with a sentence in @err (@t is then
 * safe to slots_free).
 */
int slots_init(struct slots *t, int nslots, int name_max, int nlines, char *err, size_t errlen);

/** Free the tables. Safe on a zeroed struct, and twice. */
void slots_free(struct slots *t);

/** Start a reading: no slot is present until claimed again; the skipped count restarts at 0. */
void slots_begin(struct slots *t);

/**
 * Where the series on line @line (0-based, counting every line of the
 * reading) goes, without claiming anything: the line cache, else the slot
 * holding the identity, else @selected(@ctx, ...) decides between
 * SLOTS_NOSLOT and SLOTS_UNSELECTED, remembered for the line. A name of 0 or
 * more than name_max bytes is SLOTS_UNSELECTED.
 * @return a slot, SLOTS_UNSELECTED or SLOTS_NOSLOT.
 */
int slots_place(struct slots *t, int line, const char *name, size_t len, uint64_t id,
                slots_select_fn *selected, const void *ctx);

/**
 * Claim the slot for the series on @line, as @place (slots_place's answer,
 * not SLOTS_UNSELECTED) says: a slot is marked present; SLOTS_NOSLOT looks
 * again for the identity's slot, else takes a free one (ageing rule above),
 * else counts the line skipped. Remembered for the line.
 * @arg again set (when not NULL) to 1 when the slot was already claimed in
 *      this reading (a second line with the identity), else 0.
 * @return the slot, or SLOTS_NOSLOT when skipped.
 */
int slots_claim(struct slots *t, int line, int place, const char *name, size_t len, uint64_t id,
                int *again);

/** Number of slots (fixed at init). */
int slots_count(const struct slots *t);

/** The name in slot @k (NUL-terminated), or NULL when it is not present in the last reading. */
const char *slots_name(const struct slots *t, int k);

/** Generation of slot @k: changes whenever it takes another identity; 0 for a slot never used. */
unsigned slots_gen(const struct slots *t, int k);

/**
 * The identity slot @k holds, present or not: its name ("" never used, NULL
 * out of range) and id in *@id (when not NULL). For checkers.
 */
const char *slots_held(const struct slots *t, int k, uint64_t *id);

/** Lines of the current reading left without a slot. */
int slots_skipped(const struct slots *t);

/**
 * Say that @skipped names (@what: "network interface(s)") found no slot of
 * the @nslots sized at start, through @limit (at most one line per its
 * period; @now monotonic seconds). Nothing when @skipped is 0.
 */
void slots_say_skipped(struct log_limit *limit, double now, const char *what, int skipped, int nslots);

#endif
