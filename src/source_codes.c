/*
 * source_codes.c — the contract's code lists (SPEC §2: sex, race_ethnicity,
 * discharge reason, placement setting, screen result) and their recoding
 * to small ids as the pull parses each row (model_raw_code), so the raw rows
 * carry one byte per code. Declared in casa/model.h, whose enums they index;
 * they live in the source stage, which reads them first (arrows run one way:
 * model and metrics use them, nothing here uses a later stage).
 */
#include "casa/model.h"

#include <string.h>

#include "casa/common.h"

const char *const model_sex_codes[SEX_COUNT] = {"female", "male", "other", "unknown"};

const char *const model_race_codes[RACE_COUNT] = {"aian", "asian", "black",       "hispanic",
                                                  "nhpi", "white", "multiracial", "unknown"};

const char *const model_reason_codes[REASON_COUNT] = {
    "reunification", "relative", "adoption", "guardianship", "emancipation",
    "transfer",      "runaway",  "death",    "other",        ""};

const char *const model_setting_codes[SETTING_COUNT] = {
    "relative_home",    "foster_home", "pre_adoptive_home",
    "group_home",       "institution", "supervised_independent_living",
    "trial_home_visit", "runaway",     "respite",
    "hospital",         "detention"};

/* Not exported: the contract's screen_result codes (SPEC §2), enum order
 * from SCREEN_POSITIVE. */
static const char *const screen_codes[] = {"positive", "negative", "inconclusive"};

/* Index of text in codes[0..n), or -1. */
static int code_index(const char *const *codes, int n, const char *text)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(codes[i], text) == 0)
			return i;
	}
	return -1;
}

bool model_setting_parse(const char *code, enum setting *out)
{
	int i = code_index(model_setting_codes, SETTING_COUNT, code);
	if (i < 0)
		return false;
	*out = (enum setting)i;
	return true;
}

uint8_t model_raw_code(enum model_code_list list, const char *text)
{
	const char *const *codes = model_sex_codes;
	int n = SEX_COUNT;
	switch (list) {
	case MODEL_CODES_SEX:
		break;
	case MODEL_CODES_RACE:
		codes = model_race_codes;
		n = RACE_COUNT;
		break;
	case MODEL_CODES_REASON:
		codes = model_reason_codes;
		n = REASON_OTHER + 1;
		break;
	case MODEL_CODES_SETTING:
		codes = model_setting_codes;
		n = SETTING_COUNT;
		break;
	case MODEL_CODES_SCREEN:
		codes = screen_codes;
		n = (int)CASA_ARRAY_LEN(screen_codes);
		break;
	}
	if (text[0] == '\0')
		return MODEL_RAW_CODE_NULL;
	int i = code_index(codes, n, text);
	return i < 0 ? MODEL_RAW_CODE_UNKNOWN : (uint8_t)(i + 1);
}
