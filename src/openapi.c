/*
 * openapi.c — the OpenAPI 3.1 document served at /api/v1/openapi.json
 * (SPEC §6). Enum lists (metric ids, period types, breakdowns) come from
 * metrics_catalog[], so the document cannot drift from what the server
 * accepts.
 */
#include <string.h>

#include "casa/date.h"
#include "casa/metrics.h"
#include "snapshot_internal.h"

#ifndef CASA_VERSION
#define CASA_VERSION "0.0.0"
#endif

static void enum_metrics(struct buf *buf)
{
	buf_puts(buf, "[");
	for (int m = 0; m < METRIC_COUNT; m++)
		buf_printf(buf, "%s\"%s\"", m ? "," : "", metrics_catalog[m].id);
	buf_puts(buf, "]");
}

static void enum_period_types(struct buf *buf)
{
	buf_puts(buf, "[");
	for (int p = 0; p < PERIOD_TYPE_COUNT; p++)
		buf_printf(buf, "%s\"%s\"", p ? "," : "", period_type_name((enum period_type)p));
	buf_puts(buf, "]");
}

static void enum_dims(struct buf *buf)
{
	buf_puts(buf, "[");
	for (int d = 0; d < DIM_COUNT; d++)
		buf_printf(buf, "%s\"%s\"", d ? "," : "", metrics_dim_name((enum dim)d));
	buf_puts(buf, "]");
}

/* Shared response objects. */
static const char error_ref[] =
    "{\"description\":\"%s\",\"content\":{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}}";

static void response_error(struct buf *buf, const char *code, const char *what, bool comma)
{
	buf_printf(buf, "%s\"%s\":", comma ? "," : "", code);
	buf_printf(buf, error_ref, what);
}

static void json_ok(struct buf *buf, const char *description, const char *schema)
{
	buf_printf(buf,
	           "\"200\":{\"description\":\"%s\",\"headers\":{\"ETag\":{\"schema\":"
	           "{\"type\":\"string\"}},\"Cache-Control\":{\"schema\":{\"type\":"
	           "\"string\"}}},\"content\":{\"application/json\":{\"schema\":{\"$ref\":"
	           "\"#/components/schemas/%s\"}}}},\"304\":{\"description\":\"Not modified "
	           "(If-None-Match matched the ETag)\"}",
	           description, schema);
}

static void simple_get(struct buf *buf, const char *path, const char *summary, const char *schema,
                       bool api)
{
	buf_printf(buf, ",\"%s\":{\"get\":{\"summary\":\"%s\",\"responses\":{", path, summary);
	json_ok(buf, summary, schema);
	if (api) {
		response_error(buf, "401", "Missing or wrong bearer token (when tokens are set)",
		               true);
		response_error(buf, "503", "No snapshot computed yet", true);
	}
	buf_puts(buf, "}}}");
}

void snapshot_openapi_render(struct buf *buf)
{
	buf_puts(buf, "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"casa-metricsd\","
	              "\"version\":\"" CASA_VERSION "\","
	              "\"description\":\"Runaway (missing-from-care) and placement-"
	              "stability metrics, protected by disclosure control (small cells "
	              "suppressed).\"},");
	buf_puts(buf, "\"components\":{\"securitySchemes\":{\"bearer\":{\"type\":\"http\","
	              "\"scheme\":\"bearer\"}},\"schemas\":{");
	buf_puts(
	    buf,
	    "\"Error\":{\"type\":\"object\",\"required\":[\"error\"],\"properties\":{\"error\":"
	    "{\"type\":\"object\",\"required\":[\"status\",\"message\"],\"properties\":{"
	    "\"status\":{\"type\":\"integer\"},\"message\":{\"type\":\"string\"},\"allowed\":"
	    "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}}},");
	buf_puts(
	    buf,
	    "\"SnapshotMeta\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
	    "\"generated_at\":{\"type\":\"string\",\"format\":\"date-time\"},\"as_of\":"
	    "{\"type\":\"string\",\"format\":\"date\"}}},");
	buf_puts(buf, "\"Disclosure\":{\"type\":\"object\",\"properties\":{\"mode\":{\"enum\":"
	              "[\"suppress\",\"dp\"]},\"min_cell\":{\"type\":\"integer\"},"
	              "\"suppression_year\":{\"enum\":[\"fiscal_year\",\"year\"]},"
	              "\"epsilon\":{\"type\":\"number\"}}},");
	buf_puts(
	    buf,
	    "\"Row\":{\"type\":\"object\",\"description\":\"One cell. When a breakdown is asked "
	    "for, the row also has a property named after it (for example county) holding the "
	    "group.\",\"required\":[\"period\",\"period_start\",\"period_end\",\"partial\","
	    "\"value\",\"numerator\",\"denominator\",\"suppressed\"],\"properties\":{\"period\":"
	    "{\"type\":\"string\"},\"period_start\":{\"type\":\"string\",\"format\":\"date\"},"
	    "\"period_end\":{\"type\":\"string\",\"format\":\"date\"},\"partial\":{\"type\":"
	    "\"boolean\"},\"value\":{\"type\":[\"number\",\"null\"]},\"numerator\":{\"type\":"
	    "[\"integer\",\"null\"]},\"denominator\":{\"type\":[\"integer\",\"null\"]},"
	    "\"suppressed\":{\"type\":\"boolean\"}},\"additionalProperties\":{\"type\":"
	    "\"string\"}},");
	buf_puts(buf, "\"Table\":{\"type\":\"object\",\"properties\":{\"metric\":{\"enum\":");
	enum_metrics(buf);
	buf_puts(buf, "},\"title\":{\"type\":\"string\"},\"period_type\":{\"enum\":");
	enum_period_types(buf);
	buf_puts(buf, "},\"by\":{\"type\":[\"string\",\"null\"]},\"unit\":{\"type\":"
	              "\"string\"},\"snapshot\":{\"$ref\":\"#/components/schemas/"
	              "SnapshotMeta\"},\"disclosure\":{\"$ref\":\"#/components/schemas/"
	              "Disclosure\"},\"rows\":{\"type\":\"array\",\"items\":{\"$ref\":"
	              "\"#/components/schemas/Row\"}}}},");
	buf_puts(
	    buf,
	    "\"Catalog\":{\"type\":\"object\",\"properties\":{\"metrics\":{\"type\":\"array\","
	    "\"items\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
	    "\"title\":{\"type\":\"string\"},\"unit\":{\"type\":\"string\"},\"kind\":{\"enum\":"
	    "[\"rate\",\"percent\",\"quantile\",\"count\"]},\"definition\":{\"type\":"
	    "\"string\"},\"by\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	    "\"period_types\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	    "\"child_based\":{\"type\":\"boolean\"},\"higher_is_better\":{\"type\":"
	    "\"boolean\"}}}},\"disclosure\":{\"$ref\":\"#/components/schemas/Disclosure\"},"
	    "\"snapshot\":{\"$ref\":\"#/components/schemas/SnapshotMeta\"}}},");
	buf_puts(buf,
	         "\"Summary\":{\"type\":\"object\",\"properties\":{\"snapshot\":{\"$ref\":"
	         "\"#/components/schemas/SnapshotMeta\"},\"disclosure\":{\"$ref\":"
	         "\"#/components/schemas/Disclosure\"},\"metrics\":{\"type\":\"array\",\"items\":"
	         "{\"type\":\"object\"}}}},");
	buf_puts(buf,
	         "\"Quality\":{\"type\":\"object\",\"properties\":{\"snapshot\":{\"$ref\":"
	         "\"#/components/schemas/SnapshotMeta\"},\"rows_read\":{\"type\":\"object\","
	         "\"additionalProperties\":{\"type\":\"integer\"}},\"rows_kept\":{\"type\":"
	         "\"object\",\"additionalProperties\":{\"type\":\"integer\"}},\"rules\":{\"type\":"
	         "\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"rule\":{\"type\":"
	         "\"string\"},\"description\":{\"type\":\"string\"},\"action\":{\"enum\":"
	         "[\"dropped\",\"kept\",\"ignored\"]},\"count\":{\"type\":\"integer\"}}}}}},");
	buf_puts(buf,
	         "\"Ready\":{\"type\":\"object\",\"properties\":{\"ready\":{\"type\":\"boolean\"},"
	         "\"stale\":{\"type\":\"boolean\"},\"snapshot\":{\"oneOf\":[{\"$ref\":"
	         "\"#/components/schemas/SnapshotMeta\"},{\"type\":\"null\"}]},\"last_success\":"
	         "{\"type\":[\"string\",\"null\"]},\"refresh_failures\":{\"type\":\"integer\"},"
	         "\"db_up\":{\"type\":\"boolean\"}}},");
	buf_puts(buf, "\"Health\":{\"type\":\"object\",\"properties\":{\"status\":"
	              "{\"const\":\"ok\"}}}");
	buf_puts(buf, "}},\"security\":[{\"bearer\":[]},{}],\"paths\":{");

	/* the table route, with every parameter and its allowed values */
	buf_puts(buf, "\"/api/v1/metrics/{id}\":{\"get\":{\"summary\":\"One metric "
	              "table\",\"parameters\":[{\"name\":\"id\",\"in\":\"path\","
	              "\"required\":true,\"schema\":{\"enum\":");
	enum_metrics(buf);
	buf_puts(buf, "}},{\"name\":\"period_type\",\"in\":\"query\",\"description\":"
	              "\"Default year; the catalog lists the types each metric allows\","
	              "\"schema\":{\"default\":\"year\",\"enum\":");
	enum_period_types(buf);
	buf_puts(buf, "}},{\"name\":\"by\",\"in\":\"query\",\"description\":\"Breakdown; "
	              "absent or total for none; the catalog lists those each metric "
	              "allows\",\"schema\":{\"default\":\"total\",\"enum\":");
	enum_dims(buf);
	buf_puts(
	    buf,
	    "}},{\"name\":\"from\",\"in\":\"query\",\"description\":\"First period, inclusive, "
	    "as a label of the period type: 2025-03 (month), 2025-Q1 (quarter), 2025 "
	    "(year), FY2025 (fiscal_year)\",\"schema\":{\"type\":\"string\"}},{\"name\":"
	    "\"to\",\"in\":\"query\",\"description\":\"Last period, inclusive, same format "
	    "as from\",\"schema\":{\"type\":\"string\"}},{\"name\":\"format\",\"in\":\"query\","
	    "\"description\":\"Wins over the Accept header\",\"schema\":{\"enum\":[\"json\","
	    "\"csv\"]}}],\"responses\":{\"200\":{\"description\":\"The table\",\"headers\":"
	    "{\"ETag\":{\"schema\":{\"type\":\"string\"}},\"Cache-Control\":{\"schema\":"
	    "{\"type\":\"string\"}},\"Last-Modified\":{\"schema\":{\"type\":\"string\"}}},"
	    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/"
	    "Table\"}},\"text/csv\":{\"schema\":{\"type\":\"string\"}}}},\"304\":"
	    "{\"description\":\"Not modified\"}");
	response_error(buf, "400", "Bad parameter; the message and allowed list name the values",
	               true);
	response_error(buf, "401", "Missing or wrong bearer token (when tokens are set)", true);
	response_error(buf, "404", "Unknown metric; allowed lists the ids", true);
	response_error(buf, "414", "URL too long", true);
	response_error(buf, "503", "No snapshot computed yet", true);
	buf_puts(buf, "}}}");

	simple_get(buf, "/api/v1/metrics", "Catalog of metrics", "Catalog", true);
	simple_get(buf, "/api/v1/summary", "Headline values of the last complete period", "Summary",
	           true);
	simple_get(buf, "/api/v1/quality", "Data-quality counts per rule", "Quality", true);
	buf_puts(buf, ",\"/api/v1/openapi.json\":{\"get\":{\"summary\":\"This document\","
	              "\"responses\":{\"200\":{\"description\":\"OpenAPI 3.1\"}}}}");
	buf_puts(buf, ",\"/healthz\":{\"get\":{\"summary\":\"Process alive\",\"security\":"
	              "[],\"responses\":{\"200\":{\"description\":\"Alive\",\"content\":"
	              "{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/"
	              "Health\"}}}}}}}");
	buf_puts(buf, ",\"/readyz\":{\"get\":{\"summary\":\"Serving a snapshot\","
	              "\"security\":[],\"responses\":{\"200\":{\"description\":\"Ready\","
	              "\"content\":{\"application/json\":{\"schema\":{\"$ref\":"
	              "\"#/components/schemas/Ready\"}}}},\"503\":{\"description\":\"No "
	              "snapshot yet\",\"content\":{\"application/json\":{\"schema\":"
	              "{\"$ref\":\"#/components/schemas/Ready\"}}}}}}}");
	buf_puts(buf, ",\"/metrics\":{\"get\":{\"summary\":\"Prometheus metrics (text "
	              "format 0.0.4)\",\"responses\":{\"200\":{\"description\":\"Metrics\","
	              "\"content\":{\"text/plain\":{\"schema\":{\"type\":\"string\"}}}}");
	response_error(buf, "401", "Missing or wrong bearer token (when tokens are set)", true);
	buf_puts(buf, "}}}");
	buf_puts(buf, ",\"/\":{\"get\":{\"summary\":\"The dashboard (index.html; other "
	              "plain file names of the dashboard directory are served at "
	              "/<file>)\",\"security\":[],\"responses\":{\"200\":{\"description\":"
	              "\"HTML\",\"content\":{\"text/html\":{}}},\"404\":{\"description\":"
	              "\"No dashboard installed\"}}}}");
	buf_puts(buf, "}}\n");
}
