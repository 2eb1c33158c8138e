#!/usr/bin/env node
/*
 * Checks dashboards/grafana/casa-metricsd.json against a running daemon:
 * the JSON parses, it declares the Infinity data-source input and the
 * api_base variable, and every API path a panel reads exists (metric id in the
 * catalog, period_type and by allowed for it, from/to among the table's
 * periods), answers 200 with the root the panel selects, and every metric a
 * summary panel filters on is in the summary.
 *
 *   CASA_BASE_URL=http://127.0.0.1:PORT/ node grafana.check.js FILE
 */
'use strict';

const fs = require('fs');

const BASE = (process.env.CASA_BASE_URL || '').replace(/\/$/, '');
const file = process.argv[2];
const errors = [];
let checked = 0;

function check(cond, msg) {
	checked++;
	if (!cond)
		errors.push(msg);
}

async function get(path) {
	const res = await fetch(BASE + path, { headers: { Accept: 'application/json' } });
	return { status: res.status, body: res.ok ? await res.json() : null };
}

async function main() {
	if (!BASE || !file)
		throw new Error('usage: CASA_BASE_URL=... node grafana.check.js FILE');
	const dash = JSON.parse(fs.readFileSync(file, 'utf8'));
	const vars = Object.fromEntries(dash.templating.list.map((v) => [v.name, v]));
	check(dash.__inputs.some((i) => i.name === 'DS_INFINITY' && i.pluginId === 'yesoreyeram-infinity-datasource'),
		'no DS_INFINITY input for the Infinity data source');
	check(vars.api_base && vars.api_base.type === 'textbox', 'no text variable api_base');
	const catalog = (await get('/api/v1/metrics')).body;
	const summary = (await get('/api/v1/summary')).body;
	if (!catalog || !summary)
		throw new Error('the daemon does not answer /api/v1/metrics and /api/v1/summary');
	const metrics = new Map(catalog.metrics.map((m) => [m.id, m]));
	const panels = dash.panels.flatMap((p) => (p.panels ? [p, ...p.panels] : [p]));
	check(panels.length >= 6, `only ${panels.length} panels`);
	for (const p of panels) {
		for (const t of p.targets || []) {
			const where = `panel "${p.title}" query ${t.refId}`;
			check(t.datasource && t.datasource.uid === '${DS_INFINITY}', `${where}: not on \${DS_INFINITY}`);
			check(t.url.startsWith('${api_base}/'), `${where}: URL ${t.url} does not start with \${api_base}/`);
			/* Substitute the dashboard's text variables with their defaults. */
			const url = t.url.replace('${api_base}', '').replace(/\$\{(\w+)\}/g, (_, n) =>
				vars[n] ? vars[n].current.value : `<unknown variable ${n}>`);
			const u = new URL(url, 'http://x');
			const m = u.pathname.match(/^\/api\/v1\/metrics\/([a-z0-9_]+)$/);
			if (m) {
				const meta = metrics.get(m[1]);
				check(meta, `${where}: metric ${m[1]} is not in the catalog`);
				if (!meta)
					continue;
				const pt = u.searchParams.get('period_type');
				const by = u.searchParams.get('by');
				check(meta.period_types.includes(pt), `${where}: period_type ${pt} not allowed for ${m[1]}`);
				check(!by || meta.by.includes(by), `${where}: by=${by} not allowed for ${m[1]}`);
				check(t.root_selector === 'rows', `${where}: root selector ${t.root_selector}, tables are under "rows"`);
				const all = (await get(`${u.pathname}?period_type=${pt}`)).body;
				const periods = all ? all.rows.map((r) => r.period) : [];
				for (const k of ['from', 'to']) {
					if (u.searchParams.get(k))
						check(periods.includes(u.searchParams.get(k)),
							`${where}: ${k}=${u.searchParams.get(k)} is not a period of ${m[1]}`);
				}
			} else {
				check(u.pathname === '/api/v1/summary', `${where}: unknown API path ${u.pathname}`);
				check(t.root_selector === 'metrics', `${where}: the summary lists its entries under "metrics"`);
				for (const tr of p.transformations || []) {
					for (const f of (tr.options && tr.options.filters) || []) {
						const v = f.config.options.value;
						check(f.fieldName !== 'metric' || summary.metrics.some((e) => e.metric === v),
							`${where}: filters on metric ${v}, not in /api/v1/summary`);
					}
				}
			}
			const res = await get(u.pathname + u.search);
			check(res.status === 200, `${where}: GET ${u.pathname}${u.search} answered ${res.status}`);
			if (res.body) {
				const root = res.body[t.root_selector];
				check(Array.isArray(root) && root.length > 0, `${where}: no "${t.root_selector}" rows`);
				for (const c of t.columns || [])
					check(root && root.length && c.selector in root[0], `${where}: column ${c.selector} not in the rows`);
			}
		}
	}
	if (errors.length)
		throw new Error(errors.join('\n  '));
	console.log(`grafana: ${checked} checks passed`);
}

main().catch((e) => {
	console.error('grafana check FAILED:\n  ' + e.message);
	process.exit(1);
});
