/*
 * openapi.c — the OpenAPI 3.1 document served at /api/v1/openapi.json
 * (SPEC §6). Enum lists (metric ids, period types, breakdowns) come from
 * metrics_catalog[], so the document cannot drift from what the server
 * accepts. Built with jansson: every key is inserted in the order it is
 * written here, so the bytes are the same on every build.
 */
#include <jansson.h>

#include "casa/date.h"
#include "casa/metrics.h"
#include "snapshot_internal.h"

#include "casa/version.h"

#define SCHEMAS "#/components/schemas/"

static json_t *enum_metrics(void)
{
	json_t *ids = json_array();
	for (int m = 0; m < METRIC_COUNT; m++)
		ids = buf_json_append(ids, json_string(metrics_catalog[m].id));
	return ids;
}

static json_t *enum_period_types(void)
{
	json_t *names = json_array();
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		names = buf_json_append(names, json_string(period_type_name((enum period_type)p)));
	return names;
}

static json_t *enum_dims(void)
{
	json_t *names = json_array();
	for (int d = 0; d < DIM_COUNT; d++)
		names = buf_json_append(names, json_string(metrics_dim_name((enum dim)d)));
	return names;
}

/* {"$ref": "#/components/schemas/<schema>"} */
static json_t *ref(const char *schema)
{
	return json_pack("{s:s+}", "$ref", SCHEMAS, schema);
}

/* {"schema": {"type": "string"}}, for headers and plain-text bodies. */
static json_t *string_schema(void)
{
	return json_pack("{s:{s:s}}", "schema", "type", "string");
}

/* A JSON response whose body is the schema's object. */
static json_t *json_response(const char *description, const char *schema)
{
	return json_pack("{s:s, s:{s:{s:o}}}", "description", description, "content",
	                 "application/json", "schema", ref(schema));
}

#define UNAUTHORIZED "Missing or wrong bearer token (when tokens are set)"
#define NO_SNAPSHOT  "No snapshot computed yet"

static json_t *error_response(const char *what)
{
	return json_response(what, "Error");
}

/* A cached API resource: 200 with ETag and Cache-Control, 304, 401, 503. */
static json_t *resource_get(const char *summary, const char *schema)
{
	json_t *responses =
	    json_pack("{s:{s:s, s:{s:o, s:o}, s:{s:{s:o}}}, s:{s:s}, s:o, s:o}", "200",
	              "description", summary, "headers", "ETag", string_schema(), "Cache-Control",
	              string_schema(), "content", "application/json", "schema", ref(schema), "304",
	              "description", "Not modified (If-None-Match matched the ETag)", "401",
	              error_response(UNAUTHORIZED), "503", error_response(NO_SNAPSHOT));
	return json_pack("{s:{s:s, s:o}}", "get", "summary", summary, "responses", responses);
}

/* {"type": ["number", "null"], "description": text} */
static json_t *nullable_number(const char *description)
{
	return json_pack("{s:[s,s], s:s}", "type", "number", "null", "description", description);
}

/* The interval and change members of a row and of a summary entry's
 * statistics (issue 14; docs/metrics.md and docs/methods.md say how each is
 * computed). */
static json_t *statistics_properties(void)
{
	return json_pack(
	    "{s:o, s:o, s:{s:[s,s], s:s}, s:o, s:o, s:o, s:{s:[s,s,s,n], s:s}}", "interval_low",
	    nullable_number("Lower end of the exact confidence interval of value (rates: Garwood "
	                    "Poisson; percentages: Clopper-Pearson; quantiles: order statistics); "
	                    "null when suppressed, the denominator is 0, a count, or too few "
	                    "values"),
	    "interval_high", nullable_number("Upper end of that interval"), "change_vs", "type",
	    "string", "null", "description",
	    "Label of the previous period of the same type compared with; null when either row "
	    "is suppressed or has a zero denominator, for the first period, quantiles and counts",
	    "change",
	    nullable_number("Rates: ratio current / previous; percentages: difference in "
	                    "percentage points; null with change_vs, when neither period had an "
	                    "event, or when the ratio is unbounded (no event before)"),
	    "change_low",
	    nullable_number("Lower end of the change's interval (rates: exact "
	                    "conditional; percentages: Newcombe's hybrid score)"),
	    "change_high", nullable_number("Upper end; null also when unbounded"),
	    "change_direction", "enum", "up", "down", "no_clear_change", "description",
	    "up or down only when the change's whole interval lies above or below no change "
	    "(ratio 1, difference 0); null with change_vs");
}

/* The standardized comparison of the advocate tables (issue 14). */
static json_t *standardized_properties(void)
{
	return json_pack(
	    "{s:o, s:o, s:o, s:o, s:o}", "expected",
	    nullable_number("Events the group would have had at the rates of all children of the "
	                    "same age band and placement setting, over its own days in care "
	                    "(advocate tables of runaway_episodes_per_1000_days and "
	                    "moves_per_1000_days_in_care, quarters and longer); null when "
	                    "suppressed or in dp mode"),
	    "smr", nullable_number("observed / expected; null when expected is 0"), "smr_low",
	    nullable_number("Lower end of the exact Poisson interval of observed, / expected"),
	    "smr_high", nullable_number("Upper end"), "standardized_value",
	    nullable_number("smr x the rate of all children in the period; null when the total "
	                    "row is not published"));
}

static json_t *schemas(void)
{
	json_t *string = json_pack("{s:s}", "type", "string");
	json_t *date = json_pack("{s:s, s:s}", "type", "string", "format", "date");
	json_t *integer = json_pack("{s:s}", "type", "integer");
	json_t *boolean = json_pack("{s:s}", "type", "boolean");
	json_t *strings = json_pack("{s:s, s:O}", "type", "array", "items", string);
	json_t *counts = json_pack("{s:s, s:O}", "type", "object", "additionalProperties", integer);
	json_t *error = json_pack("{s:s, s:[s], s:{s:{s:s, s:[s,s], s:{s:O, s:O, s:O}}}}", "type",
	                          "object", "required", "error", "properties", "error", "type",
	                          "object", "required", "status", "message", "properties", "status",
	                          integer, "message", string, "allowed", strings);
	json_t *snapshot_meta = json_pack("{s:s, s:{s:O, s:{s:s, s:s}, s:O}}", "type", "object",
	                                  "properties", "id", string, "generated_at", "type",
	                                  "string", "format", "date-time", "as_of", date);
	json_t *disclosure = json_pack(
	    "{s:s, s:[s,s,s,s], s:{s:{s:[s,s]}, s:O, s:{s:s, s:s}, s:O, s:{s:s}, "
	    "s:{s:s, s:s}, s:O}}",
	    "type", "object", "required", "mode", "min_cell", "publish", "settle_days",
	    "properties", "mode", "enum", "suppress", "dp", "min_cell", integer, "publish", "type",
	    "string", "description", "the publication plan: period_type:total|all, space separated",
	    "settle_days", integer, "epsilon", "type", "number", "intervals_include_noise", "type",
	    "boolean", "description",
	    "dp mode: false, the rows' intervals are computed from the noisy counts",
	    "interval_note", string);
	json_t *row_properties = json_pack(
	    "{s:O, s:O, s:O, s:O, s:O, s:{s:[s,s]}, s:{s:[s,s]}, s:{s:[s,s]}, s:O}", "period",
	    string, "period_start", date, "period_end", date, "partial", boolean, "provisional",
	    boolean, "value", "type", "number", "null", "numerator", "type", "integer", "null",
	    "denominator", "type", "integer", "null", "suppressed", boolean);
	/* _new: the row's members take the two objects' references */
	if (json_object_update_new(row_properties, statistics_properties()) != 0 ||
	    json_object_update_new(row_properties, standardized_properties()) != 0) {
		json_decref(row_properties);
		row_properties = NULL; /* out of memory: json_pack below fails */
	}
	json_t *row = json_pack(
	    "{s:s, s:s, s:[s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s], s:o, s:O}", "type", "object",
	    "description",
	    "One cell. When a breakdown is asked for, the row also has a property named after it "
	    "(for example county) holding the group. Rows of the advocate tables of the two "
	    "day-based rates (quarters and longer) also have expected, smr, smr_low, smr_high "
	    "and standardized_value. CSV has the same columns in the same order.",
	    "required", "period", "period_start", "period_end", "partial", "provisional", "value",
	    "numerator", "denominator", "suppressed", "interval_low", "interval_high", "change_vs",
	    "change", "change_low", "change_high", "change_direction", "properties", row_properties,
	    "additionalProperties", string);
	json_t *table =
	    json_pack("{s:s, s:{s:{s:o}, s:O, s:{s:o}, s:{s:[s,s]}, s:O, s:{s:s, s:s}, s:o, s:o, "
	              "s:{s:s, s:o}}}",
	              "type", "object", "properties", "metric", "enum", enum_metrics(), "title",
	              string, "period_type", "enum", enum_period_types(), "by", "type", "string",
	              "null", "unit", string, "confidence", "type", "number", "description",
	              "Level of every interval in the rows (config key confidence)", "snapshot",
	              ref("SnapshotMeta"), "disclosure", ref("Disclosure"), "rows", "type", "array",
	              "items", ref("Row"));
	/* A published figure to read a metric against; by and group only for
	 * one group of a breakdown. */
	json_t *reference =
	    json_pack("{s:s, s:{s:{s:s}, s:O, s:O, s:O}}", "type", "object", "properties", "value",
	              "type", "number", "source", string, "by", string, "group", string);
	json_t *equal_count =
	    json_pack("{s:s, s:{s:{s:[s,s]}, s:O, s:{s:[s,s]}, s:O}}", "type", "object",
	              "properties", "count", "enum", "numerator", "denominator", "metric", string,
	              "its_count", "enum", "numerator", "denominator", "where", string);
	json_t *metric_entry = json_pack(
	    "{s:s, s:{s:O, s:O, s:O, s:{s:[s,s,s,s]}, s:O, s:O, s:O, s:O, s:{s:[s,s], s:s}, "
	    "s:{s:[o,{s:s}]}, s:{s:s, s:o}, s:{s:s, s:{s:O, s:O}}, s:{s:s, s:{s:O, "
	    "s:{s:[s,s,s]}}}, "
	    "s:{s:[{s:s},{s:[s]}]}, s:{s:s, s:o}, s:{s:[s,s]}, s:{s:s, s:s, s:O}}}",
	    "type", "object", "properties", "id", string, "title", string, "unit", string, "kind",
	    "enum", "rate", "percent", "quantile", "count", "definition", string, "by", strings,
	    "period_types", strings, "child_based", boolean, "higher_is_better", "type", "boolean",
	    "null", "description", "null where neither direction is better", "reference", "oneOf",
	    json_incref(reference), "type", "null", "references", "type", "array", "items",
	    reference, "time_additive", "type", "object", "properties", "numerator", boolean,
	    "denominator", boolean, "summary", "type", "object", "properties", "period_type",
	    string, "row", "enum", "last_complete", "latest", "last_settled",
	    "observation_lag_days", "oneOf", "type", "integer", "enum", "screening_window",
	    "equal_counts", "type", "array", "items", equal_count, "requires_table", "type",
	    "string", "null", "published", "type", "object", "description",
	    "The tables /api/v1/metrics/{id} serves: per period type (a key only for those with "
	    "any), \"total\" and the breakdowns of the publication plan (disclosure.publish) that "
	    "the metric allows; any other answers 404",
	    "additionalProperties", strings);
	json_t *catalog =
	    json_pack("{s:s, s:{s:{s:s, s:o}, s:o, s:o}}", "type", "object", "properties",
	              "metrics", "type", "array", "items", metric_entry, "disclosure",
	              ref("Disclosure"), "snapshot", ref("SnapshotMeta"));
	json_t *statistics =
	    json_pack("{s:[s,s], s:s, s:o}", "type", "object", "null", "description",
	              "The row's interval and change, as in Row (change outside "
	              "this object is the difference of the two values)",
	              "properties", statistics_properties());
	json_t *summary =
	    json_pack("{s:s, s:{s:o, s:o, s:{s:s}, s:{s:s, s:{s:s, s:{s:o, s:{s:[s,s]}}}}}}",
	              "type", "object", "properties", "snapshot", ref("SnapshotMeta"), "disclosure",
	              ref("Disclosure"), "confidence", "type", "number", "metrics", "type", "array",
	              "items", "type", "object", "properties", "statistics", statistics,
	              "higher_is_better", "type", "boolean", "null");
	json_t *quality =
	    json_pack("{s:s, s:{s:o, s:O, s:O, s:{s:s, s:{s:s, s:{s:O, s:O, s:{s:[s,s,s]}, "
	              "s:O}}}}}",
	              "type", "object", "properties", "snapshot", ref("SnapshotMeta"), "rows_read",
	              counts, "rows_kept", counts, "rules", "type", "array", "items", "type",
	              "object", "properties", "rule", string, "description", string, "action",
	              "enum", "dropped", "kept", "ignored", "count", integer);
	json_t *ready =
	    json_pack("{s:s, s:{s:O, s:O, s:{s:[o,{s:s}]}, s:{s:[s,s]}, s:O, s:O}}", "type",
	              "object", "properties", "ready", boolean, "stale", boolean, "snapshot",
	              "oneOf", ref("SnapshotMeta"), "type", "null", "last_success", "type",
	              "string", "null", "refresh_failures", integer, "db_up", boolean);
	json_t *health = json_pack("{s:s, s:{s:{s:s}}}", "type", "object", "properties", "status",
	                           "const", "ok");
	json_t *all = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "Error",
	                        error, "SnapshotMeta", snapshot_meta, "Disclosure", disclosure,
	                        "Row", row, "Table", table, "Catalog", catalog, "Summary", summary,
	                        "Quality", quality, "Ready", ready, "Health", health);
	json_decref(string);
	json_decref(date);
	json_decref(integer);
	json_decref(boolean);
	json_decref(strings);
	json_decref(counts);
	return all;
}

/* The table route, with every parameter and its allowed values. */
static json_t *table_get(void)
{
	json_t *parameters = json_pack(
	    "[{s:s, s:s, s:b, s:{s:o}}, {s:s, s:s, s:s, s:{s:s, s:o}}, "
	    "{s:s, s:s, s:s, s:{s:s, s:o}}, {s:s, s:s, s:s, s:o}, {s:s, s:s, s:s, s:o}, "
	    "{s:s, s:s, s:s, s:{s:[s,s]}}]",
	    "name", "id", "in", "path", "required", 1, "schema", "enum", enum_metrics(), "name",
	    "period_type", "in", "query", "description",
	    "Default year; the catalog lists the types each metric allows", "schema", "default",
	    "year", "enum", enum_period_types(), "name", "by", "in", "query", "description",
	    "Breakdown; absent or total for none; the catalog lists those each metric allows",
	    "schema", "default", "total", "enum", enum_dims(), "name", "from", "in", "query",
	    "description",
	    "First period, inclusive, as a label of the period type: 2025-03 (month), 2025-Q1 "
	    "(quarter), 2025 (year), FY2025 (fiscal_year)",
	    "schema", json_pack("{s:s}", "type", "string"), "name", "to", "in", "query",
	    "description", "Last period, inclusive, same format as from", "schema",
	    json_pack("{s:s}", "type", "string"), "name", "format", "in", "query", "description",
	    "Wins over the Accept header", "schema", "enum", "json", "csv");
	json_t *responses = json_pack(
	    "{s:{s:s, s:{s:o, s:o, s:o}, s:{s:{s:o}, s:o}}, s:{s:s}, s:o, s:o, s:o, s:o, s:o}",
	    "200", "description", "The table", "headers", "ETag", string_schema(), "Cache-Control",
	    string_schema(), "Last-Modified", string_schema(), "content", "application/json",
	    "schema", ref("Table"), "text/csv", string_schema(), "304", "description",
	    "Not modified", "400",
	    error_response("Bad parameter; the message and allowed list name the values"), "401",
	    error_response(UNAUTHORIZED), "404",
	    error_response("Unknown metric; allowed lists the ids"), "414",
	    error_response("URL too long"), "503", error_response(NO_SNAPSHOT));
	return json_pack("{s:{s:s, s:o, s:o}}", "get", "summary", "One metric table", "parameters",
	                 parameters, "responses", responses);
}

static json_t *paths(void)
{
	json_t *openapi = json_pack("{s:{s:s, s:{s:{s:s}}}}", "get", "summary", "This document",
	                            "responses", "200", "description", "OpenAPI 3.1");
	json_t *healthz =
	    json_pack("{s:{s:s, s:[], s:{s:o}}}", "get", "summary", "Process alive", "security",
	              "responses", "200", json_response("Alive", "Health"));
	json_t *readyz =
	    json_pack("{s:{s:s, s:[], s:{s:o, s:o}}}", "get", "summary", "Serving a snapshot",
	              "security", "responses", "200", json_response("Ready", "Ready"), "503",
	              json_response("No snapshot yet", "Ready"));
	json_t *metrics = json_pack("{s:{s:s, s:{s:{s:s, s:{s:o}}, s:o}}}", "get", "summary",
	                            "Prometheus metrics (text format 0.0.4)", "responses", "200",
	                            "description", "Metrics", "content", "text/plain",
	                            string_schema(), "401", error_response(UNAUTHORIZED));
	json_t *dashboard = json_pack(
	    "{s:{s:s, s:[], s:{s:{s:s, s:{s:{}}}, s:{s:s}}}}", "get", "summary",
	    "The dashboard (index.html; other plain file names of the dashboard directory are "
	    "served at /<file>)",
	    "security", "responses", "200", "description", "HTML", "content", "text/html", "404",
	    "description", "No dashboard installed");
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "/api/v1/metrics/{id}",
	                 table_get(), "/api/v1/metrics",
	                 resource_get("Catalog of metrics", "Catalog"), "/api/v1/summary",
	                 resource_get("Headline values of the last complete period", "Summary"),
	                 "/api/v1/quality", resource_get("Data-quality counts per rule", "Quality"),
	                 "/api/v1/openapi.json", openapi, "/healthz", healthz, "/readyz", readyz,
	                 "/metrics", metrics, "/", dashboard);
}

json_t *snapshot_openapi_document(void)
{
	return json_pack("{s:s, s:{s:s, s:s, s:s}, s:{s:{s:{s:s, s:s}}, s:o}, s:[{s:[]}, {}], "
	                 "s:o}",
	                 "openapi", "3.1.0", "info", "title", "casa-metricsd", "version",
	                 CASA_VERSION, "description",
	                 "Runaway (missing-from-care) and placement-stability metrics, protected "
	                 "by disclosure control (small cells suppressed).",
	                 "components", "securitySchemes", "bearer", "type", "http", "scheme",
	                 "bearer", "schemas", schemas(), "security", "bearer", "paths", paths());
}
