#!/usr/bin/env node
/*
 * Real-browser test of the dashboard served by casa-metricsd at /.
 *
 *   CASA_BASE_URL=http://127.0.0.1:PORT/ node dashboard.test.js
 *
 * Drives Debian's /usr/bin/chromium (headless) with playwright-core. The
 * expected numbers come from the daemon's API, fetched here by node: the test
 * checks that what a person reads on the page is what the API publishes.
 * Optional: CASA_DOCS_SCREENSHOT=path copies the laptop screenshot there.
 *
 *   CASA_BASE_URL=... node dashboard.test.js --stale
 *
 * checks only the stale state: a daemon serving its persisted snapshot while
 * the database is unreachable must be shown as stale in the banner.
 *
 *   CASA_BASE_URL=... CASA_TOKEN=... node dashboard.test.js --token
 *
 * checks a daemon with bearer tokens: the page asks for the token, refuses a
 * wrong one, then shows the data and downloads a CSV with the token.
 * Exits 1 with a message on the first failure.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = (process.env.CASA_BASE_URL || '').replace(/\/?$/, '/');
const ARTIFACTS = path.join(__dirname, 'artifacts');
const CHROMIUM = process.env.CASA_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT_MS = 30000;

let checks = 0;
let step = 'start';
let failurePage = null; /* screenshot taken when a check fails */
function ok(cond, msg) {
	checks++;
	if (!cond)
		throw new Error(msg);
}

async function api(p) {
	const headers = { Accept: 'application/json' };
	if (TOKEN)
		headers.Authorization = 'Bearer ' + TOKEN;
	const res = await fetch(BASE + p, { headers });
	if (!res.ok)
		throw new Error(`API ${p}: HTTP ${res.status}`);
	return res.json();
}
function tableQuery(metric, pt, by, from, to) {
	const q = new URLSearchParams({ period_type: pt });
	if (by)
		q.set('by', by);
	if (from)
		q.set('from', from);
	if (to)
		q.set('to', to);
	return `api/v1/metrics/${metric}?${q}`;
}

/* Reads a displayed number ("13,225", "4.3%", "4.31") back to a number. */
function parseShown(text) {
	const t = text.replace(/[,%\s]/g, '').replace('−', '-');
	return t === '' || t === '—' ? null : Number(t);
}

/* Decimals shown on a tile, by unit: percents and days to 0.1, rates per
 * 1,000 days to 0.01, children as whole numbers. A shown value is right when
 * the API value rounds to it: |shown − api| <= half a unit in the last place. */
function tileTolerance(unit) {
	if (unit === 'children')
		return 0.5;
	if (unit && unit.startsWith('per'))
		return 0.005 + 1e-9;
	return 0.05 + 1e-9;
}

async function waitReady(page) {
	failurePage = page;
	await page.waitForFunction(() => document.body.getAttribute('data-state') === 'error' ||
		(document.body.getAttribute('data-state') === 'ready' &&
		 !document.querySelector('.card[aria-busy="true"]')), null, { timeout: TIMEOUT_MS });
	const state = await page.getAttribute('body', 'data-state');
	if (state === 'error')
		throw new Error('the page reports an error: ' + await page.textContent('#banner'));
}

/* Compares the rows of the table inside a card with the API's rows. */
async function compareTable(page, cardSel, body, what) {
	const shown = await page.$$eval(`${cardSel} table.data tbody tr`, (trs) => trs.map((tr) => ({
		period: tr.querySelector('th.period').textContent,
		group: tr.querySelector('td.group') ? tr.querySelector('td.group').textContent : null,
		value: tr.querySelector('td.value').textContent,
		numerator: tr.querySelector('td.numerator').textContent,
		denominator: tr.querySelector('td.denominator').textContent,
	})));
	ok(shown.length === body.rows.length,
		`${what}: the table shows ${shown.length} rows, the API has ${body.rows.length}`);
	const k = body.disclosure.min_cell;
	body.rows.forEach((r, i) => {
		const s = shown[i];
		const where = `${what}, row ${i + 1} (${r.period}${body.by ? ' ' + r[body.by] : ''})`;
		ok(s.period === r.period, `${where}: period shown ${s.period}`);
		if (body.by)
			ok(s.group === r[body.by], `${where}: group shown ${s.group}`);
		if (r.suppressed) {
			ok(new RegExp(`suppressed.*fewer than ${k} children`, 'i').test(s.value),
				`${where}: a suppressed cell reads "${s.value}", not "suppressed (fewer than ${k} children)"`);
			ok(!/\d/.test(s.numerator) && !/\d/.test(s.denominator),
				`${where}: a suppressed cell shows a number`);
			return;
		}
		if (r.value === null)
			ok(/no data/.test(s.value), `${where}: a null value reads "${s.value}"`);
		else
			ok(Math.abs(parseShown(s.value) - r.value) < 1e-9, `${where}: value ${s.value} != API ${r.value}`);
		ok(parseShown(s.numerator) === r.numerator, `${where}: numerator ${s.numerator} != API ${r.numerator}`);
		ok(parseShown(s.denominator) === r.denominator,
			`${where}: denominator ${s.denominator} != API ${r.denominator}`);
	});
}

async function pickerState(page) {
	return page.evaluate(() => ({
		metric: document.querySelector('#pick-metric').value,
		periodType: document.querySelector('#pick-period-type').value,
		from: document.querySelector('#pick-from').value,
		to: document.querySelector('#pick-to').value,
		by: document.querySelector('#pick-by').value,
		fromOptions: [...document.querySelector('#pick-from').options].map((o) => o.value),
	}));
}

/* Checks the explorer card against the API for what the pickers say. */
async function checkExplorer(page, what) {
	const p = await pickerState(page);
	const body = await api(tableQuery(p.metric, p.periodType, p.by, p.from, p.to));
	ok(body.period_type === p.periodType && (body.by || '') === p.by,
		`${what}: the API answered period_type=${body.period_type} by=${body.by}`);
	const total = await api(tableQuery(p.metric, p.periodType));
	const periods = [...new Set(total.rows.map((r) => r.period))];
	ok(JSON.stringify(p.fromOptions) === JSON.stringify(periods),
		`${what}: the "From" picker lists ${p.fromOptions.length} periods, the API table has ${periods.length}`);
	/* Open the table as a person would. */
	await page.click('#card-explore details.table-toggle summary');
	await compareTable(page, '#card-explore', body, what);
	const csv = await page.getAttribute('#card-explore a.csv', 'href');
	const u = new URL(csv, BASE);
	ok(u.searchParams.get('format') === 'csv' && u.searchParams.get('from') === p.from &&
		u.searchParams.get('to') === p.to && u.searchParams.get('period_type') === p.periodType,
	`${what}: the CSV link ${csv} does not name format=csv, the period type and the range`);
	const res = await fetch(u);
	ok(res.ok && /text\/csv/.test(res.headers.get('content-type') || ''),
		`${what}: the CSV link answered ${res.status} ${res.headers.get('content-type')}`);
	const csvText = await res.text();
	const lines = csvText.trim().split(/\r?\n/).length;
	ok(lines === body.rows.length + 1, `${what}: the CSV has ${lines - 1} data lines, the JSON ${body.rows.length} rows`);
	const svgs = await page.$$eval('#card-explore svg.chart', (els) => els.length);
	ok(svgs === 1, `${what}: no chart drawn`);
	return body;
}

async function choose(page, sel, value) {
	await page.selectOption(sel, value);
	await waitReady(page);
}

/* Finds a table with a suppressed cell: first the breakdowns of the chosen
 * metric, then every metric of the catalog. */
async function findSuppressed(catalog) {
	for (const m of catalog.metrics) {
		for (const pt of ['fiscal_year', 'year', 'quarter']) {
			if (!m.period_types.includes(pt))
				continue;
			for (const by of m.by) {
				const body = await api(tableQuery(m.id, pt, by));
				if (body.rows.some((r) => r.suppressed))
					return { metric: m.id, pt, by, body };
			}
		}
	}
	return null;
}

const STALE_MODE = process.argv.includes('--stale');
const TOKEN_MODE = process.argv.includes('--token');
const TOKEN = process.env.CASA_TOKEN || '';

/* The stale banner (SPEC §7): /readyz says stale, the page must say so. */
async function checkStale(page) {
	at('stale banner');
	const ready = await (await fetch(BASE + 'readyz')).json();
	ok(ready.stale === true, `--stale: /readyz says stale=${ready.stale}; the daemon is not stale`);
	await page.goto(BASE, { waitUntil: 'load' });
	await waitReady(page);
	const cls = await page.getAttribute('#banner', 'class');
	const text = await page.textContent('#banner');
	ok(/warn/.test(cls) && /stale/i.test(text), `stale: the banner reads "${text}" (class ${cls})`);
	ok(text.includes(ready.snapshot.id.slice(0, 12)), `stale: the banner does not name snapshot ${ready.snapshot.id}`);
	const tiles = await page.$$eval('.tile', (els) => els.length);
	ok(tiles > 0, 'stale: the last snapshot\'s tiles are not shown');
	await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-stale.png') });
}

/* A daemon with api_tokens: the token prompt, then the data (SPEC §7). */
async function checkToken(page) {
	at('token prompt');
	ok(TOKEN, '--token needs CASA_TOKEN');
	await page.goto(BASE, { waitUntil: 'load' });
	await page.waitForFunction(() => document.body.getAttribute('data-state') === 'token', null,
		{ timeout: TIMEOUT_MS });
	await page.fill('#token-input', TOKEN + 'x');
	await page.click('#token-form button');
	await page.waitForFunction(() => document.body.getAttribute('data-state') === 'token' &&
		/not accepted/.test(document.querySelector('#banner').textContent), null, { timeout: TIMEOUT_MS });
	at('token accepted');
	await page.fill('#token-input', TOKEN);
	await page.click('#token-form button');
	await waitReady(page);
	const summary = await api('api/v1/summary');
	const e = summary.metrics.find((x) => x.metric === 'runaway_episodes_per_1000_days');
	const shown = await page.textContent('.tile[data-metric="runaway_episodes_per_1000_days"] [data-testid="tile-value"]');
	ok(e && (e.suppressed ? /suppressed/i.test(shown) : Math.abs(parseShown(shown.split(' ')[0]) - e.value) <= tileTolerance(e.unit)),
		`token: the runaway tile reads "${shown}", the API says ${e && e.value}`);
	const html = await page.content();
	ok(!html.includes(TOKEN), 'token: the token appears in the page');
	at('CSV download with the token');
	const p = await pickerState(page);
	const body = await api(tableQuery(p.metric, p.periodType, p.by, p.from, p.to));
	const [download] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT_MS }),
		page.click('#card-explore a.csv')]);
	const file = path.join(ARTIFACTS, 'token-download.csv');
	await download.saveAs(file);
	const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/).length;
	ok(lines === body.rows.length + 1, `token: the CSV download has ${lines - 1} data lines, the API ${body.rows.length} rows`);
}

async function main() {
	ok(BASE !== '/', 'CASA_BASE_URL is not set');
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	fs.rmSync(path.join(ARTIFACTS, 'failure.png'), { force: true });
	const [catalog, summary] = await Promise.all([api('api/v1/metrics'), api('api/v1/summary')]);
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	const problems = [];
	try {
		const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
		const page = await context.newPage();
		page.on('console', (m) => {
			if (m.type() === 'error')
				problems.push(`console error: ${m.text()}`);
		});
		page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
		page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
		page.on('response', (r) => {
			if (r.status() >= 400)
				problems.push(`HTTP ${r.status()} for ${r.url()}`);
		});
		page.on('request', (r) => {
			if (!r.url().startsWith(BASE) && !r.url().startsWith('data:'))
				problems.push(`external request: ${r.url()}`);
		});

		if (TOKEN_MODE) {
			await checkToken(page);
			/* The page's first calls are refused until it has the token. */
			const rest = problems.filter((x) => !/\b401\b/.test(x));
			ok(rest.length === 0, 'the page had errors:\n  ' + rest.join('\n  '));
			console.log(`browser (token): ${checks} checks passed`);
			return;
		}
		if (STALE_MODE) {
			await checkStale(page);
			ok(problems.length === 0, 'the page had errors:\n  ' + problems.join('\n  '));
			console.log(`browser (stale): ${checks} checks passed`);
			return;
		}
		at('load the page');
		await page.goto(BASE, { waitUntil: 'load' });
		await waitReady(page);

		/* Banner: freshness from the snapshot. */
		const banner = await page.textContent('#banner');
		ok(/Data through/.test(banner), `banner: "${banner}" does not say how fresh the data is`);
		const asOfShown = await page.textContent('[data-testid="as-of"]');
		const asOf = new Date(catalog.snapshot.as_of + 'T00:00:00Z');
		ok(new Date(asOfShown + ' UTC').getUTCDate() === asOf.getUTCDate() &&
			asOfShown.includes(String(asOf.getUTCFullYear())),
		`banner: as-of shown "${asOfShown}", the API says ${catalog.snapshot.as_of}`);

		at('tiles against /api/v1/summary');
		const tiles = await page.$$eval('.tile', (els) => els.map((el) => ({
			metric: el.getAttribute('data-metric'),
			value: el.querySelector('[data-testid="tile-value"]').textContent,
			num: el.querySelector('.tile-value .num') ? el.querySelector('.tile-value .num').textContent : null,
			period: el.querySelector('.tile-period').textContent,
			reference: el.querySelector('[data-testid="tile-reference"]') ?
				el.querySelector('[data-testid="tile-reference"] strong').textContent : null,
			change: el.querySelector('.tile-change').textContent,
		})));
		const wanted = ['runaway_episodes_per_1000_days', 'youth_with_runaway_pct', 'reported_ncmec_24h_pct',
			'screened_after_return_pct', 'placement_moves_per_1000_days', 'still_missing_count'];
		for (const id of wanted) {
			const e = summary.metrics.find((x) => x.metric === id);
			const t = tiles.find((x) => x.metric === id);
			ok(!e || t, `tile ${id}: in the summary but not on the page`);
			if (!e)
				continue;
			ok(t.period.includes(e.period), `tile ${id}: period "${t.period}", the API says ${e.period}`);
			if (e.suppressed) {
				ok(/suppressed/i.test(t.value), `tile ${id}: suppressed in the API, shows "${t.value}"`);
			} else if (e.value === null) {
				ok(/no data/i.test(t.value), `tile ${id}: null in the API, shows "${t.value}"`);
			} else {
				const shown = parseShown(t.num);
				ok(Math.abs(shown - e.value) <= tileTolerance(e.unit),
					`tile ${id}: shows ${t.num}, the API value is ${e.value}`);
			}
			if (e.reference !== undefined && e.reference !== null)
				ok(parseShown(t.reference) === e.reference, `tile ${id}: reference ${t.reference} != ${e.reference}`);
			if (e.change !== null && e.change !== undefined && e.change !== 0) {
				ok(t.change.includes(e.previous.period), `tile ${id}: change does not name ${e.previous.period}`);
				const better = (e.change > 0) === (e.higher_is_better === true);
				ok(t.change.includes(better ? 'better' : 'worse'),
					`tile ${id}: change ${e.change} (higher_is_better=${e.higher_is_better}) reads "${t.change}"`);
			}
		}

		/* The explorer as loaded, then as a person changes it. */
		at('explorer table against the API');
		await checkExplorer(page, 'explorer (initial)');
		const first = await pickerState(page);
		const m = catalog.metrics.find((x) => x.id === first.metric);
		const newType = m.period_types.find((p) => p !== first.periodType);
		ok(newType, `metric ${m.id} has one period type only`);
		at(`pick period type ${newType}`);
		await choose(page, '#pick-period-type', newType);
		const newBy = m.by.includes('county') ? 'county' : m.by[0];
		at(`pick breakdown ${newBy}`);
		await choose(page, '#pick-by', newBy);
		await page.click('#pick-apply');
		await waitReady(page);
		const after = await pickerState(page);
		ok(after.periodType === newType && after.by === newBy,
			`pickers: expected ${newType}/${newBy}, the page has ${after.periodType}/${after.by}`);
		const heading = await page.textContent('#card-explore h3');
		ok(heading.toLowerCase().includes((newBy === 'county' ? 'county' : newBy).replace('_', ' ')),
			`explorer heading "${heading}" does not follow the breakdown ${newBy}`);
		await checkExplorer(page, `explorer (${newType} by ${newBy})`);

		at('county card against the API');
		const countyCsv = new URL(await page.getAttribute('#card-county a.json', 'href'), BASE);
		const countyBody = await api(countyCsv.pathname.slice(1) + countyCsv.search);
		await page.click('#card-county details.table-toggle summary');
		await compareTable(page, '#card-county', countyBody, 'county card');
		/* Bars: every published county with its value; with many counties
		 * (the page's limit is 16) the suppressed ones are named in a list. */
		const bars = await page.$$eval('#card-county svg.chart g.bar', (els) => els.map((g) => ({
			county: g.getAttribute('data-group'),
			value: g.querySelector('text.value') ? g.querySelector('text.value').textContent : null,
			hatched: !!g.querySelector('[data-suppressed="true"]'),
		})));
		const published = countyBody.rows.filter((r) => !r.suppressed && r.value !== null);
		const supCounties = countyBody.rows.filter((r) => r.suppressed).map((r) => r.county);
		for (const r of published) {
			const bar = bars.find((x) => x.county === r.county);
			ok(bar && Math.abs(parseShown(bar.value) - r.value) <= tileTolerance(countyBody.unit),
				`county card: the bar of ${r.county} reads ${bar && bar.value}, the API value is ${r.value}`);
		}
		if (countyBody.rows.length > 16) {
			ok(bars.length === published.length, `county card: ${bars.length} bars for ${published.length} published counties`);
			if (supCounties.length) {
				const list = await page.textContent('#card-county [data-testid="suppressed-groups"]');
				ok(new RegExp(`fewer than ${countyBody.disclosure.min_cell} children`).test(list),
					`county card: the suppressed list says "${list.slice(0, 80)}"`);
				for (const c of supCounties)
					ok(list.includes(c), `county card: suppressed county ${c} is not listed as suppressed`);
			}
		} else {
			ok(bars.length === countyBody.rows.length, `county card: ${bars.length} bars for ${countyBody.rows.length} counties`);
			for (const c of supCounties)
				ok(bars.find((x) => x.county === c).hatched, `county card: suppressed county ${c} is not hatched`);
		}

		at('every metric of the catalog');
		for (const meta of catalog.metrics) {
			await choose(page, '#pick-metric', meta.id);
			const cardErrors = await page.$$eval('.card .error', (els) => els.map((e) => e.textContent));
			ok(cardErrors.length === 0, `metric ${meta.id}: ${cardErrors.join('; ')}`);
			const st = await pickerState(page);
			ok(meta.period_types.includes(st.periodType), `metric ${meta.id}: period type ${st.periodType} offered`);
			const body = await api(tableQuery(meta.id, st.periodType, st.by, st.from, st.to));
			await compareTable(page, '#card-explore', body, `metric ${meta.id}`);
		}
		/* Suppressed cells read as suppressed, in the table and in the chart. */
		at('suppressed cells');
		const sup = await findSuppressed(catalog);
		ok(sup, 'no table of the API has a suppressed cell (seed the test data with --small-counties)');
		await choose(page, '#pick-metric', sup.metric);
		await choose(page, '#pick-period-type', sup.pt);
		await choose(page, '#pick-by', sup.by);
		const opts = (await pickerState(page)).fromOptions;
		await choose(page, '#pick-from', opts[0]);
		await choose(page, '#pick-to', opts[opts.length - 1]);
		const supBody = await checkExplorer(page, `suppressed cells (${sup.metric} by ${sup.by}, ${sup.pt})`);
		ok(supBody.rows.some((r) => r.suppressed), 'the explorer table lost its suppressed cells');
		const marks = await page.$$eval('#card-explore svg.chart [data-suppressed="true"]', (els) => els.length);
		ok(marks > 0, 'the explorer chart draws no hatched marker for a suppressed cell');

		at('screenshots');
		await page.evaluate(() => window.scrollTo(0, 0));
		const laptop = path.join(ARTIFACTS, 'dashboard-laptop.png');
		await page.goto(BASE, { waitUntil: 'load' });
		await waitReady(page);
		await page.screenshot({ path: laptop, fullPage: true });
		await page.setViewportSize({ width: 390, height: 844 });
		await page.reload({ waitUntil: 'load' });
		await waitReady(page);
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
		ok(overflow <= 391, `phone: the page is ${overflow}px wide at 390px (horizontal scrolling)`);
		await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
		if (process.env.CASA_DOCS_SCREENSHOT)
			fs.copyFileSync(laptop, process.env.CASA_DOCS_SCREENSHOT);

		/* Keyboard: the pickers are reachable with Tab and show a focus ring. */
		await page.keyboard.press('Tab');
		await page.keyboard.press('Tab');
		const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
		ok(focused && focused !== 'BODY', 'keyboard: Tab does not move the focus');
		await page.focus('#pick-metric');
		await page.keyboard.press('Shift+Tab');
		await page.keyboard.press('Tab');
		const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
		ok(ring !== 'none', 'keyboard: the focused picker has no focus outline');
		/* Every chart is an image with a title and a description. */
		const charts = await page.$$eval('svg.chart', (els) => els.map((e) => ({
			role: e.getAttribute('role'),
			title: e.querySelector('title') ? e.querySelector('title').textContent : '',
			desc: e.querySelector('desc') ? e.querySelector('desc').textContent : '',
		})));
		ok(charts.length >= 6, `only ${charts.length} charts on the page`);
		for (const c of charts)
			ok(c.role === 'img' && c.title && c.desc, `a chart lacks role=img, <title> or <desc>: ${JSON.stringify(c)}`);

		ok(problems.length === 0, 'the page had errors:\n  ' + problems.join('\n  '));
	} catch (e) {
		if (failurePage) {
			await failurePage.screenshot({ path: path.join(ARTIFACTS, 'failure.png'), fullPage: true })
				.catch(() => {});
			console.error(`browser: page state at failure saved to ${path.join(ARTIFACTS, 'failure.png')}`);
		}
		if (problems.length)
			console.error('browser: page errors so far:\n  ' + problems.join('\n  '));
		throw e;
	} finally {
		await browser.close();
	}
	console.log(`browser: ${checks} checks passed; screenshots in ${ARTIFACTS}`);
}

function at(name) {
	step = name;
	console.log(`browser: ${name}`);
}

main().catch(async (e) => {
	console.error(`browser test FAILED at "${step}": ${e.message}`);
	process.exit(1);
});
