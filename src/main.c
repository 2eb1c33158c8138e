/*
 * main.c — casa-metricsd entry point: parse the configuration, then either
 * check it, run once to files, or run as a daemon (SPEC §6, §7).
 */
#include <stdio.h>
#include <stdlib.h>

#include "casa/config.h"
#include "casa/daemon.h"
#include "casa/interval.h"
#include "casa/log.h"
#include "casa/version.h"

int main(int argc, char *argv[])
{
	struct config config;
	struct daemon daemon;
	char err[CONFIG_ERROR_LEN];
	char daemon_err[DAEMON_ERROR_LEN] = "";
	int status;
	/* SIGHUP reloads read the flags again: from this copy, since the
	 * secrets of argv itself are overwritten now. */
	char **kept = config_argv_protect(argc, argv);
	if (kept == NULL)
		fatalx("out of memory");

	/* GSL's error handler is process-wide and aborts by default: switched
	 * off before any thread exists (interval.h). */
	interval_init();
	if (!config_load(&config, argc, kept, err)) {
		/* --check-config prints the error as its answer; otherwise it is a
		 * start-up failure (fatal only at start-up). */
		fatalx("%s", err);
	}
	if (config.show_help) {
		config_usage(stdout);
		config_free(&config);
		config_argv_free(argc, kept);
		return 0;
	}
	if (config.show_version) {
		printf("casa-metricsd %s\n", CASA_VERSION);
		config_free(&config);
		config_argv_free(argc, kept);
		return 0;
	}
	if (config.check_config) {
		printf("configuration OK\n");
		config_free(&config);
		config_argv_free(argc, kept);
		return 0;
	}
	if (config.once) {
		status = daemon_once(&config);
		config_free(&config);
		config_argv_free(argc, kept);
		return status;
	}
	if (!daemon_init(&daemon, &config, argc, kept, daemon_err)) {
		daemon_free(&daemon);
		fatalx("%s", daemon_err);
	}
	status = daemon_run(&daemon);
	daemon_free(&daemon);
	config_argv_free(argc, kept);
	return status;
}
