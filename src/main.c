/*
 * procflux: this host's CPU, memory, load, network, disks and more from
 * /proc, as InfluxDB line protocol over UDP. main parses the options, builds
 * the agent, runs it.
 */
#include <stdio.h>

#include "agent.h"
#include "config.h"
#include "log.h"

int main(int argc, char **argv)
{
    struct config cfg;
    struct agent *agent;
    char err[CONFIG_ERR_MAX];
    int rc;

    rc = config_parse(&cfg, argc, argv, err, sizeof err);
    if (rc != CONFIG_OK) {
        config_free(&cfg);
        if (rc == CONFIG_EXIT) return 0;
        fprintf(stderr, "procflux: %s\n", err);
        return rc == CONFIG_NOMEM ? EXIT_SETUP : EXIT_USAGE;
    }
    if (cfg.verbose) log_set_level(LOG_DEBUG);
    if (cfg.quiet) log_set_level(LOG_WARN);

    agent = agent_new(&cfg, &rc, err, sizeof err);
    if (!agent) {
        fprintf(stderr, "procflux: %s\n", err);
        config_free(&cfg);
        return rc;
    }
    rc = agent_run(agent);
    agent_free(agent);
    config_free(&cfg);
    return rc;
}
