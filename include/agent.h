#ifndef PROCFLUX_AGENT_H
#define PROCFLUX_AGENT_H

#include <stddef.h>

struct config;
struct agent;

/*
 * agent: the libev loop and its watchers. A periodic tick aligned to the
 * wall clock has the sampler sample and emit (sampler.h), a timer sends
 * what is due at the oldest pending line's deadline (output.h), a second
 * periodic sends procflux's own telemetry (telemetry.h), and signal watchers
 * end the run (INT, TERM) or reopen files and re-resolve (HUP). Everything is
 * sized in agent_new; the loop allocates nothing.
 */

/**
 * Open the collectors, build the series prefixes, set up the output and
 * the watchers.
 * @return the agent, or NULL with an exit code in *rc (EXIT_USAGE or
 *         EXIT_SETUP) and one sentence in @err.
 */
struct agent *agent_new(const struct config *cfg, int *rc, char *err, size_t errlen);

/** Run until SIGINT/SIGTERM (or one tick with --once). @return the exit code. */
int agent_run(struct agent *a);

/** Release everything agent_new took. Safe with NULL. */
void agent_free(struct agent *a);

#endif
