/*
 * procflux: this host's CPU, memory and load from /proc, as InfluxDB line
 * protocol over UDP. main parses the options, builds the agent, runs it.
 */
#include <stdio.h>

#include "agent.h"
#include "config.h"
#include "log.h"

int main(int argc, char **argv)
{
    struct config cfg;
    struct agent agent;
    char err[1024];
    int rc;

    rc = config_parse(&cfg, argc, argv, err, sizeof err);
    if (rc != CONFIG_OK) {
        config_free(&cfg);
        if (rc == CONFIG_EXIT) return 0;
        fprintf(stderr, "procflux: %s\n", err);
        return EXIT_USAGE;
    }
    if (cfg.verbose) log_set_level(LOG_DEBUG);
    if (cfg.quiet) log_set_level(LOG_WARN);

    rc = agent_init(&agent, &cfg, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "procflux: %s\n", err);
        agent_free(&agent);
        config_free(&cfg);
        return rc;
    }
    rc = agent_run(&agent);
    agent_free(&agent);
    config_free(&cfg);
    return rc;
}
