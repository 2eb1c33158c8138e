/*
 * fuzz_config.c — the config-file parser (src/config.c) through
 * config_parse_text(): the input is the file. Properties of an accepted
 * file: every value lies in its documented range (SPEC §5-§7: k never
 * below 5, refresh at least 1 s, ...); a refused one says why. Leaks are
 * LeakSanitizer's to find (config_free() after each input).
 */
#include <string.h>

#include "casa/config.h"
#include "casa/interval.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config config;
	char err[CONFIG_ERROR_LEN];
	if (!config_parse_text(&config, (const char *)data, size, "fuzz.conf", err)) {
		FUZZ_CHECK(err[0] != '\0' && strlen(err) < CONFIG_ERROR_LEN);
		return 0;
	}
	FUZZ_CHECK(config.min_cell >= DISCLOSURE_MIN_CELL_FLOOR);
	FUZZ_CHECK(config.refresh_s >= 1 && config.max_age_s >= 1);
	FUZZ_CHECK(config.fy_start_month >= 1 && config.fy_start_month <= 12);
	FUZZ_CHECK(config.listen_port >= 1 && config.listen_host[0] != '\0');
	FUZZ_CHECK(config.dp_epsilon > 0 && interval_confidence_valid(config.confidence));
	FUZZ_CHECK(config.http_threads >= 1 && config.http_connection_limit >= 1 &&
	           config.http_per_ip_limit >= 0 && config.http_timeout_s >= 1);
	FUZZ_CHECK(config.db != NULL && config.schema[0] != '\0' && config.timezone[0] != '\0' &&
	           config.state_dir[0] != '\0' && config.dashboard_dir[0] != '\0');
	config_free(&config);
	return 0;
}
