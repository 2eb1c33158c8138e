/*
 * casa-metricsd dashboard — the program director's page served at /.
 *
 * Reads only the public API (SPEC §6): /api/v1/metrics (catalog),
 * /api/v1/metrics/{id} (tables), /api/v1/summary (tiles) and /readyz
 * (freshness). No library, no external request: charts are hand-written SVG.
 * Every value read from the API is put in the page with textContent or
 * setAttribute, never as HTML.
 */
'use strict';

(function () {
	const API = 'api/v1/'; /* relative: works behind a reverse proxy prefix */
	const SVGNS = 'http://www.w3.org/2000/svg';
	/* Okabe–Ito palette: distinguishable with the common colour-vision
	 * deficiencies (Okabe & Ito 2008). Yellow last: weak on white. */
	const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9',
		'#000000', '#F0E442'];
	/* Past 8 series colours repeat with a dash pattern, so lines stay apart. */
	const DASHES = ['', '7 3', '2 3', '9 3 2 3'];
	const GOOD = '#009E73';
	const BAD = '#D55E00';
	const NEUTRAL = '#555555'; /* a change within noise is never coloured */
	const POLL_MS = 60000; /* freshness poll; bodies are served from memory */
	const PRINT_WIDTH = 680; /* px: A4 portrait less 12 mm margins, at 96 dpi */
	/* The headline tiles, in the order a director reads them. Titles,
	 * units, references and directions come from the API (the catalog is
	 * their one home). */
	const TILES = ['runaway_episodes_per_1000_days', 'youth_with_runaway_pct',
		'reported_ncmec_24h_pct', 'screened_after_return_pct', 'placement_moves_per_1000_days',
		'still_missing_count'];
	const PERIOD_TYPE_LABEL = {
		month: 'Month', quarter: 'Quarter', year: 'Calendar year', fiscal_year: 'Fiscal year',
	};
	/* Default span of the explorer's range: two years of months or quarters. */
	const DEFAULT_SPAN = { month: 24, quarter: 8, year: 0, fiscal_year: 0 };
	const BY_LABEL = {
		county: 'County', age_band: 'Age band', sex: 'Sex', race_ethnicity: 'Race/ethnicity',
		advocate: 'CASA advocate', setting: 'Placement setting', los_band: 'Time in care',
	};
	const GROUP_LABEL = {
		assigned: 'Advocate assigned', not_assigned: 'No advocate',
		lt12m: 'Under 12 months', '12to24m': '12 to 24 months', '24mplus': '24 months or more',
		female: 'Female', male: 'Male', other: 'Other', unknown: 'Unknown',
		aian: 'American Indian / Alaska Native', asian: 'Asian', black: 'Black',
		hispanic: 'Hispanic', nhpi: 'Native Hawaiian / Pacific Islander', white: 'White',
		multiracial: 'Multiracial',
		relative_home: 'Relative home', foster_home: 'Foster home',
		pre_adoptive_home: 'Pre-adoptive home', group_home: 'Group home',
		institution: 'Institution', supervised_independent_living: 'Supervised independent living',
		trial_home_visit: 'Trial home visit', runaway: 'Runaway (as placement)',
		respite: 'Respite', hospital: 'Hospital', detention: 'Detention',
		no_placement: 'No placement recorded',
	};

	const state = {
		catalog: null,      /* GET /api/v1/metrics */
		snapshotId: null,   /* id of the snapshot the page shows */
		staleHeader: false, /* an API response carried X-Casa-Stale */
		ready: null,        /* last /readyz body */
		k: 11,              /* disclosure.min_cell (SPEC §5 default) */
		confidence: 0.95,   /* level of the API's intervals (summary.confidence) */
		cache: new Map(),   /* URL -> table body, for the current snapshot */
		metric: null, periodType: null, from: null, to: null, by: '',
		periods: [],        /* period labels of the explorer's period type */
		seq: 0,             /* render generation: late answers are dropped */
		printWidth: 0,      /* chart width while printing (A4), 0 on screen */
		token: readToken(), /* bearer token when the daemon has api_tokens */
		polling: null,      /* interval id of the freshness poll */
	};
	let uid = 0;
	let sectionsGen = 0; /* draws of the issue-17 sections, the last one wins */

	/* The token lives in this tab's sessionStorage only: it is gone when the
	 * tab closes and never sits in a URL, a link or the page. */
	function readToken() {
		try {
			return sessionStorage.getItem('casa-metricsd-token') || '';
		} catch (e) {
			return '';
		}
	}
	function saveToken(token) {
		try {
			if (token)
				sessionStorage.setItem('casa-metricsd-token', token);
			else
				sessionStorage.removeItem('casa-metricsd-token');
		} catch (e) {
			/* storage disabled: the token lasts until the page reloads */
		}
		state.token = token;
	}
	class AuthError extends Error {}

	/* ---- DOM helpers (text only, never innerHTML with API data) ---- */
	function h(tag, attrs, ...kids) {
		const el = document.createElement(tag);
		setAttrs(el, attrs);
		append(el, kids);
		return el;
	}
	function s(tag, attrs, ...kids) {
		const el = document.createElementNS(SVGNS, tag);
		setAttrs(el, attrs);
		append(el, kids);
		return el;
	}
	function setAttrs(el, attrs) {
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v !== null && v !== undefined && v !== false)
				el.setAttribute(k, v === true ? '' : String(v));
		}
	}
	function append(el, kids) {
		for (const kid of kids.flat()) {
			if (kid === null || kid === undefined || kid === false)
				continue;
			el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
		}
	}
	const $ = (sel) => document.querySelector(sel);

	/* ---- formatting ---- */
	const nf = (digits) => new Intl.NumberFormat('en-US', { maximumFractionDigits: digits });
	const fmtExact = nf(4); /* tables: the API's value, up to its 4 decimals */
	const fmtInt = nf(0);
	function unitDigits(unit) {
		if (unit === 'children')
			return 0;
		if (unit && unit.startsWith('per'))
			return 2;
		return 1;
	}
	function fmtValue(v, unit) {
		if (v === null || v === undefined)
			return '—';
		const t = nf(unitDigits(unit)).format(v);
		return unit === 'percent' ? t + '%' : t;
	}
	function unitSuffix(unit) {
		if (unit === 'percent')
			return '';
		return unit || '';
	}
	function groupLabel(g) {
		return Object.prototype.hasOwnProperty.call(GROUP_LABEL, g) ? GROUP_LABEL[g] : g;
	}
	function suppressedText() {
		return `suppressed (fewer than ${state.k} children)`;
	}
	function fmtDate(iso) {
		const d = new Date(iso + 'T00:00:00Z');
		if (isNaN(d))
			return iso;
		return d.toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
	}
	function fmtTimestamp(t) {
		if (t === null || t === undefined)
			return 'unknown';
		const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
		if (isNaN(d))
			return String(t);
		return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
	}
	function metricById(id) {
		return state.catalog.metrics.find((m) => m.id === id) || null;
	}

	/* ---- API ---- */
	/* The tables the API publishes for metric m (the catalog's published,
	 * issue 13): per period type "total" and the breakdowns of the
	 * publication plan. The page asks for no other, so it never meets the
	 * 404 of an unpublished table. A catalog without the list (an older
	 * daemon) publishes everything it allows. */
	function publishedTables(m, periodType) {
		if (!m.published)
			return m.period_types.includes(periodType) ? ['total', ...m.by] : [];
		return m.published[periodType] || [];
	}
	function publishedPeriodTypes(m) {
		return m.period_types.filter((p) => publishedTables(m, p).length > 0);
	}
	function publishes(m, periodType, by) {
		return publishedTables(m, periodType).includes(by || 'total');
	}
	/* The first of the period types whose `by` table m publishes. */
	function periodTypeWith(m, by, preferred) {
		return preferred.find((p) => publishes(m, p, by)) || null;
	}
	/* A period not closed and settled (SPEC §5): its total may still move
	 * and its breakdowns are not published; a partial one is too. */
	function isProvisional(r) {
		return !!r && (r.provisional === true || r.partial === true);
	}

	function tableUrl(metric, params, csv) {
		const q = new URLSearchParams();
		q.set('period_type', params.periodType);
		if (params.by)
			q.set('by', params.by);
		if (params.from)
			q.set('from', params.from);
		if (params.to)
			q.set('to', params.to);
		if (csv)
			q.set('format', 'csv');
		return API + 'metrics/' + encodeURIComponent(metric) + '?' + q.toString();
	}
	function apiHeaders(accept) {
		const headers = { Accept: accept };
		if (state.token)
			headers.Authorization = 'Bearer ' + state.token;
		return headers;
	}
	async function getJson(url, allowError) {
		const res = await fetch(url, { headers: apiHeaders('application/json') });
		if (res.status === 401)
			throw new AuthError('this daemon requires an access token');
		if (res.headers.get('X-Casa-Stale') !== null &&
		    res.headers.get('X-Casa-Stale') !== '0' &&
		    res.headers.get('X-Casa-Stale') !== 'false')
			state.staleHeader = true;
		let body = null;
		try {
			body = await res.json();
		} catch (e) {
			body = null;
		}
		if (!res.ok && !allowError) {
			const msg = body && body.error && body.error.message ? body.error.message : res.statusText;
			throw new Error(`${res.status} ${msg}`);
		}
		return { status: res.status, body };
	}
	async function getTable(metric, params) {
		const url = tableUrl(metric, params, false);
		if (!state.cache.has(url))
			state.cache.set(url, getJson(url).then((r) => r.body));
		try {
			return await state.cache.get(url);
		} catch (e) {
			state.cache.delete(url);
			throw e;
		}
	}

	/* ---- banner: freshness and the stale state (SPEC §7) ---- */
	function renderBanner() {
		const b = $('#banner');
		b.replaceChildren();
		const ready = state.ready;
		const snap = (ready && ready.snapshot) || (state.catalog && state.catalog.snapshot);
		const stale = state.staleHeader || (ready && ready.stale === true);
		if (!snap) {
			b.className = 'banner warn';
			b.append(h('strong', null, 'No data yet. '),
				'The daemon has not computed its first snapshot; this page will fill in once it has.');
			return;
		}
		b.className = stale ? 'banner warn' : 'banner ok';
		if (stale) {
			b.append(h('strong', null, 'Stale data. '),
				'The last refresh failed or the database is unreachable; the figures below are from the last good snapshot. ');
		}
		b.append('Data through ', h('strong', { 'data-testid': 'as-of' }, fmtDate(snap.as_of)),
			' · current since ', h('span', { 'data-testid': 'generated-at' }, fmtTimestamp(snap.generated_at)),
			' · snapshot ', h('code', null, String(snap.id).slice(0, 12)));
		if (stale && ready && ready.last_success)
			b.append(' · last successful refresh ', fmtTimestamp(ready.last_success));
	}

	async function pollReady() {
		try {
			const r = await getJson('readyz', true);
			state.ready = r.body;
			renderBanner();
			const id = r.body && r.body.snapshot ? r.body.snapshot.id : null;
			if (id && state.snapshotId && id !== state.snapshotId) {
				/* A new snapshot: everything on the page is re-read. */
				state.cache.clear();
				state.staleHeader = false;
				await loadAll();
			}
		} catch (e) {
			if (e instanceof AuthError) {
				askToken();
				return;
			}
			const b = $('#banner');
			b.className = 'banner warn';
			b.textContent = 'The dashboard cannot reach the daemon: ' + e.message;
		}
	}

	/* ---- headline tiles (GET /api/v1/summary) ---- */
	function renderTiles(summary) {
		const box = $('#tiles');
		box.replaceChildren();
		for (const id of TILES) {
			const e = summary.metrics.find((m) => m.metric === id);
			if (e)
				box.append(tile(e));
		}
	}
	/* One headline: value, reference, period and change of a summary entry. */
	function tile(e) {
		const el = h('article', { class: 'tile', 'data-metric': e.metric });
		el.append(h('h3', null, e.title));
		if (e.suppressed) {
			el.append(h('p', { class: 'tile-value suppressed', 'data-testid': 'tile-value' },
				'Suppressed'),
			h('p', { class: 'tile-note' }, `fewer than ${state.k} children`));
		} else if (e.value === null || e.value === undefined) {
			el.append(h('p', { class: 'tile-value nodata', 'data-testid': 'tile-value' }, 'No data'));
		} else {
			el.append(h('p', { class: 'tile-value', 'data-testid': 'tile-value' },
				h('span', { class: 'num' }, fmtValue(e.value, e.unit)),
				' ', h('span', { class: 'unit' }, unitSuffix(e.unit))));
		}
		const m = metricById(e.metric);
		if (e.reference !== undefined && e.reference !== null) {
			el.append(h('p', { class: 'tile-ref', 'data-testid': 'tile-reference',
				title: m && m.reference ? m.reference.source : '' },
			'Reference: ', h('strong', null, fmtValue(e.reference, e.unit)),
			e.value !== null && !e.suppressed ? versus(e.value, e.reference, e.higher_is_better) : ''));
		}
		el.append(h('p', { class: 'tile-period' },
			`${e.period}${periodNote(e)} · ${fmtDate(e.period_start)} – ${fmtDate(e.period_end)}`));
		const iv = tileInterval(e);
		if (iv)
			el.append(iv);
		el.append(changeLine(e));
		return el;
	}
	/* " (partial)" or " (provisional)" after a period label. */
	function periodNote(r) {
		return r.partial ? ' (partial)' : isProvisional(r) ? ' (provisional)' : '';
	}
	/* A value read against a reference, in the metric's better direction
	 * (none: no verdict). */
	function versus(value, ref, higherIsBetter) {
		if (higherIsBetter === null || higherIsBetter === undefined)
			return value === ref ? ' — at the reference' : value > ref ? ' — above the reference' : ' — below the reference';
		if (value === ref)
			return ' — at the reference';
		const better = (value > ref) === (higherIsBetter === true);
		return better ? ' — better than the reference' : ' — worse than the reference';
	}
	/* The change from the previous period (issue 14): an arrow, a colour
	 * and "better" or "worse" only when the API says the change is beyond
	 * noise (change_direction up or down); otherwise "no clear change", in
	 * the neutral text colour. */
	function changeLine(e) {
		const p = h('p', { class: 'tile-change', 'data-testid': 'tile-change' });
		const st = e.statistics || {};
		if (!e.previous) {
			p.textContent = 'No previous period';
			return p;
		}
		if (e.change === null || e.change === undefined) {
			p.textContent = `Change from ${e.previous.period} not shown` +
				(e.previous.suppressed || e.suppressed ? ' (suppressed)' : '');
			return p;
		}
		const diff = `${e.change > 0 ? '+' : e.change < 0 ? '−' : '±'}${changeText(Math.abs(e.change), e.unit)}`;
		const dir = st.change_direction;
		if (isProvisional(e)) {
			/* a provisional value may still move: never a coloured verdict */
			p.classList.add('neutral', 'provisional');
			p.setAttribute('data-provisional', 'true');
			p.textContent = `${diff} from ${e.previous.period} (provisional: the period is not settled)`;
			return p;
		}
		if (dir !== 'up' && dir !== 'down') {
			p.classList.add('neutral');
			/* a count has no interval, so no verdict either */
			p.textContent = st.change_vs ? `No clear change from ${st.change_vs} (${diff}, within chance)`
				: `${diff} from ${e.previous.period}`;
			return p;
		}
		const up = dir === 'up';
		const better = e.higher_is_better === true ? up : e.higher_is_better === false ? !up : null;
		const verdict = better === null ? null : better ? 'better' : 'worse';
		if (verdict)
			p.classList.add(verdict);
		p.append(arrow(up, verdict === 'better' ? GOOD : verdict === 'worse' ? BAD : NEUTRAL),
			` ${diff} from ${st.change_vs} `,
			verdict ? h('span', { class: 'verdict' }, `(${verdict})`) : '');
		p.title = changeIntervalText(st, e.unit);
		return p;
	}
	/* "95% interval 3.26 to 5.58" under a tile's value. */
	function tileInterval(e) {
		const st = e.statistics;
		if (e.suppressed || !st || st.interval_low === null || st.interval_low === undefined)
			return null;
		return h('p', { class: 'tile-interval', 'data-testid': 'tile-interval' },
			`${confidenceText()} interval ${intervalText(st, e.unit)}`);
	}
	/* ---- issue 17: the screening gap, permanency, the program's reach and
	 * every metric's latest value. Titles, units and references are the
	 * catalog's; the numbers are the API's. ---- */

	/* A value as a tile or the summary table shows it. */
	function shownValue(v, suppressed, unit) {
		if (suppressed)
			return 'Suppressed';
		if (v === null || v === undefined)
			return 'No data';
		const suffix = unitSuffix(unit);
		return fmtValue(v, unit) + (suffix ? ' ' + suffix : '');
	}

	/* The screening gap by sex (the HHS OIG found it in 2022) of
	 * screened_after_return_pct, girls against boys, each with the
	 * catalog's reference for that sex: the latest closed quarter (issue
	 * 13: breakdowns are published for closed, settled periods only), or
	 * the latest closed period of the summary's type when quarters by sex
	 * are not published. */
	async function gapTile(summary) {
		const id = 'screened_after_return_pct';
		const m = metricById(id);
		const e = summary.metrics.find((x) => x.metric === id);
		if (!m || !e || !m.by.includes('sex'))
			return null;
		const pt = periodTypeWith(m, 'sex', ['quarter', e.period_type, 'year', 'fiscal_year']);
		if (!pt)
			return null;
		const closed = (await getTable(id, { periodType: pt, by: 'sex' })).rows.filter((r) => !isProvisional(r));
		const period = closed.length ? closed[closed.length - 1].period : null;
		if (!period)
			return null;
		const body = { rows: closed.filter((r) => r.period === period) };
		const el = h('article', { class: 'tile gap', 'data-testid': 'tile-screening-gap', 'data-period': period,
			'data-period-type': pt });
		el.append(h('h3', null, `${m.title}: the gap by sex`));
		const refs = new Map((m.references || []).filter((r) => r.by === 'sex').map((r) => [r.group, r]));
		const cells = {};
		const list = h('dl', { class: 'gap-values' });
		for (const sex of ['female', 'male']) {
			const r = body.rows.find((x) => x.sex === sex) || null;
			cells[sex] = r && !r.suppressed && r.value !== null ? r.value : null;
			const ref = refs.get(sex);
			list.append(h('dt', null, groupLabel(sex)),
				h('dd', { 'data-sex': sex },
					h('span', { class: 'num' }, r ? shownValue(r.value, r.suppressed, m.unit) : 'No data'),
					hasInterval(r) ? h('span', { class: 'gap-interval', 'data-testid': 'gap-interval' },
						` (${confidenceText()} interval ${intervalText(r, m.unit)})`) : null,
					ref ? h('span', { class: 'gap-ref', title: ref.source, 'data-testid': 'gap-reference' },
						` (reference ${fmtValue(ref.value, m.unit)})`) : null));
		}
		el.append(list);
		if (cells.female !== null && cells.male !== null) {
			const gap = cells.female - cells.male;
			el.append(h('p', { class: 'tile-change', 'data-testid': 'gap' },
				gap === 0 ? 'No gap between girls and boys'
					: `Gap: ${changeText(Math.abs(gap), m.unit)}, ${gap > 0 ? 'girls' : 'boys'} screened more`));
		} else {
			el.append(h('p', { class: 'tile-note', 'data-testid': 'gap' }, `Gap not shown: a cell has ${suppressedText()} or no data`));
		}
		const source = [...refs.values()].map((r) => r.source).find(Boolean);
		el.append(h('p', { class: 'tile-period' }, `${PERIOD_TYPE_LABEL[pt] || pt} ${period} (closed)`),
			source ? h('p', { class: 'tile-note gap-source' }, source) : null);
		return el;
	}

	/* A card of one metric's total by period, from the last `span` periods;
	 * gen: the sections' generation (a later one draws over it). */
	async function metricCard(el, id, periodType, span, gen) {
		const m = metricById(id);
		el.hidden = !m; /* not in this daemon's catalog */
		if (!m)
			return;
		const heading = m.title;
		el.setAttribute('aria-busy', 'true');
		loading(el, heading);
		try {
			const types = publishedPeriodTypes(m);
			const pt = types.includes(periodType) ? periodType : types[types.length - 1];
			const all = await getTable(id, { periodType: pt });
			const ps = periodsOf(all.rows).map((p) => p.period);
			const params = { periodType: pt, from: ps[Math.max(0, ps.length - span)], to: ps[ps.length - 1] };
			const body = ps.length ? await getTable(id, params) : all;
			if (gen === sectionsGen)
				trendCard(el, body, params, heading, { reference: m.reference ? m.reference.value : null,
					sub: `${PERIOD_TYPE_LABEL[pt] || pt} · ${m.unit}` });
		} catch (e) {
			if (gen === sectionsGen)
				cardError(el, heading, e);
		} finally {
			if (gen === sectionsGen)
				el.setAttribute('aria-busy', 'false');
		}
	}

	/* Every catalog metric with its summary entry: the page's table of
	 * headline values. */
	function renderSummaryTable(summary) {
		const t = $('#summary-table');
		t.replaceChildren(h('caption', null, 'Every metric of the catalog, its latest value in /api/v1/summary'),
			h('thead', null, h('tr', null, ...['Metric', 'Period', 'Value', `${confidenceText()} interval`, 'Numerator',
				'Denominator', 'Change', 'Reference']
				.map((c) => h('th', { scope: 'col' }, c)))));
		const tb = h('tbody');
		for (const m of state.catalog.metrics) {
			const e = summary.metrics.find((x) => x.metric === m.id);
			const tr = h('tr', { 'data-metric': m.id });
			tr.append(h('th', { scope: 'row', title: m.definition }, m.title));
			if (!e) {
				tr.append(h('td', { colspan: 7, class: 'note' }, 'not in the summary'));
				tb.append(tr);
				continue;
			}
			const count = (v) => (e.suppressed ? 'suppressed' : v === null || v === undefined ? '—' : fmtInt.format(v));
			tr.append(h('td', { class: 'period' }, e.period ? `${e.period}${periodNote(e)}` : '—'),
				h('td', { class: 'n value' }, shownValue(e.value, e.suppressed, e.unit)),
				h('td', { class: 'n interval' }, !e.suppressed && hasInterval(e.statistics) ? intervalText(e.statistics, e.unit) : '—'),
				h('td', { class: 'n numerator' }, count(e.numerator)),
				h('td', { class: 'n denominator' }, count(e.denominator)),
				h('td', { class: 'change' }, changeLine(e)),
				h('td', { class: 'n reference', title: m.reference ? m.reference.source : '' },
					e.reference !== undefined && e.reference !== null ? fmtValue(e.reference, e.unit) : ''));
			tb.append(tr);
		}
		t.append(tb);
	}

	/* The sections of issue 17; body[data-sections] says when they are
	 * drawn. */
	async function renderSections(summary) {
		const gen = ++sectionsGen;
		document.body.setAttribute('data-sections', 'loading');
		renderSummaryTable(summary);
		const jobs = [
			metricCard($('#card-permanency-entries'), 'permanency_12m_entries_pct', 'fiscal_year', 8, gen),
			metricCard($('#card-reentry'), 'reentry_12m_pct', 'fiscal_year', 8, gen),
			metricCard($('#card-permanency-assignment'), 'permanency_12m_after_assignment_pct', 'fiscal_year', 8, gen),
			metricCard($('#card-reach'), 'advocate_reach_pct', 'month', 24, gen),
			metricCard($('#card-days-to-assignment'), 'days_to_assignment_median', 'quarter', 16, gen),
			gapTile(summary).catch((e) => h('article', { class: 'tile gap', 'data-testid': 'tile-screening-gap' },
				h('p', { class: 'error', role: 'alert' }, 'Could not load the screening gap: ' + e.message)))
				.then((el) => {
					if (gen !== sectionsGen)
						return;
					const old = $('[data-testid="tile-screening-gap"]');
					if (old)
						old.remove();
					if (el)
						$('#tiles').append(el);
				}),
		];
		await Promise.all(jobs);
		if (gen === sectionsGen)
			document.body.setAttribute('data-sections', 'ready');
	}

	/* A change of a percentage is in percentage points, not percent. */
	function changeText(v, unit) {
		if (unit === 'percent')
			return nf(2).format(v) + ' pts';
		return fmtValue(v, unit);
	}
	function arrow(up, colour) {
		return s('svg', { viewBox: '0 0 10 10', width: 12, height: 12, 'aria-hidden': 'true', class: 'arrow' },
			s('path', { d: up ? 'M5 1 L9 8 L1 8 Z' : 'M5 9 L9 2 L1 2 Z', fill: colour }));
	}

	/* ---- how sure each number is (issue 14, docs/methods.md) ---- */
	function confidenceText() {
		return `${Math.round(state.confidence * 1000) / 10}%`;
	}
	function hasInterval(r) {
		return !!r && !r.suppressed && typeof r.interval_low === 'number' && typeof r.interval_high === 'number';
	}
	function intervalText(r, unit) {
		return hasInterval(r) ? `${fmtValue(r.interval_low, unit)} to ${fmtValue(r.interval_high, unit)}` : '';
	}
	/* The change with its interval, for a tooltip and the tables: a ratio
	 * for rates, a difference in points for percentages. */
	function changeIntervalText(r, unit) {
		if (!r || !r.change_vs)
			return '';
		const points = unit === 'percent';
		const f = (v) => (v === null || v === undefined ? 'no bound' : nf(2).format(v));
		const what = points ? 'difference in points' : 'ratio';
		const dir = r.change_direction === 'up' ? 'up' : r.change_direction === 'down' ? 'down' : 'no clear change';
		return `vs ${r.change_vs}: ${dir}; ${what} ${f(r.change)} (${confidenceText()} interval ${f(r.change_low)} to ${f(r.change_high)})`;
	}
	/* An error bar with caps: vertical at x = at from y1 to y2, or
	 * horizontal at y = at from x1 to x2. */
	function errorBar(vertical, at, from, to, label) {
		const c = 4;
		const d = vertical ? `M${at - c} ${from} H${at + c} M${at} ${from} V${to} M${at - c} ${to} H${at + c}`
			: `M${from} ${at - c} V${at + c} M${from} ${at} H${to} M${to} ${at - c} V${at + c}`;
		return s('path', { d, class: 'error-bar', 'data-testid': 'error-bar' }, s('title', null, label));
	}
	/* The value axis: the values, and the intervals up to twice the largest
	 * value (a wide interval of a small group must not flatten the rest;
	 * its bar is cut at the frame and its title gives it whole). */
	function axisMax(values, highs, extra) {
		const top = Math.max(0, ...values);
		return niceMax(Math.max(top, Math.min(Math.max(0, ...highs), 2 * top), extra || 0));
	}

	/* ---- charts ---- */
	function chartFrame(width, height, title, desc) {
		const n = ++uid;
		const svg = s('svg', {
			viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart',
			'aria-labelledby': `ct${n} cd${n}`, preserveAspectRatio: 'xMidYMid meet',
		});
		svg.append(s('title', { id: `ct${n}` }, title), s('desc', { id: `cd${n}` }, desc));
		/* Hatching marks a suppressed cell: visibly "not a value". */
		svg.append(s('defs', null,
			s('pattern', { id: `hatch${n}`, width: 6, height: 6, patternUnits: 'userSpaceOnUse',
				patternTransform: 'rotate(45)' },
			s('rect', { width: 6, height: 6, fill: '#ffffff' }),
			s('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#6b6b6b', 'stroke-width': 2 }))));
		return { svg, hatch: `url(#hatch${n})` };
	}
	/* Charts are drawn at the card's pixel width (and redrawn on resize), so
	 * text keeps its size from a phone to a wide screen. */
	function chartWidth(el) {
		if (state.printWidth)
			return state.printWidth;
		const cs = getComputedStyle(el);
		const w = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
		return Math.max(280, Math.round(w || 600));
	}
	function chartHeight(w) {
		return Math.round(Math.min(320, Math.max(220, w * 0.42)));
	}
	function niceMax(v) {
		if (!(v > 0))
			return 1;
		const p = Math.pow(10, Math.floor(Math.log10(v)));
		for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
			if (m * p >= v)
				return m * p;
		}
		return 10 * p;
	}
	function yAxis(svg, x0, x1, y0, y1, max, unit) {
		const ticks = 4;
		for (let i = 0; i <= ticks; i++) {
			const v = (max * i) / ticks;
			const y = y0 - ((y0 - y1) * i) / ticks;
			svg.append(s('line', { x1: x0, x2: x1, y1: y, y2: y, class: i ? 'grid' : 'axis' }),
				s('text', { x: x0 - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' },
					fmtValue(v, unit)));
		}
	}

	/* Lines over periods; one series per group (or the total). */
	function lineChart(opt) {
		const W = opt.width, H = chartHeight(W), L = 56, R = 30, T = 16, B = 46; /* R: half a period label */
		const { svg, hatch } = chartFrame(W, H, opt.title, opt.desc);
		const periods = opt.periods;
		const vals = [], highs = [];
		for (const se of opt.series) {
			for (const r of se.rows.values()) {
				if (r.value !== null && r.value !== undefined)
					vals.push(r.value);
				if (hasInterval(r))
					highs.push(r.interval_high);
			}
		}
		const max = axisMax(vals, highs, opt.reference);
		const x = (i) => (periods.length === 1 ? (L + W - R) / 2
			: L + ((W - R - L) * i) / (periods.length - 1));
		const y = (v) => H - B - ((H - B - T) * v) / max;
		yAxis(svg, L, W - R, H - B, T, max, opt.unit);
		/* Labels counted back from the latest period, about 70px apart. */
		const every = Math.max(1, Math.ceil(periods.length / Math.max(2, Math.floor((W - L - R) / 70))));
		periods.forEach((p, i) => {
			if ((periods.length - 1 - i) % every)
				return;
			svg.append(s('text', { x: x(i), y: H - B + 16, 'text-anchor': 'middle', class: 'tick' },
				p.period));
			if (p.provisional) {
				svg.append(s('text', { x: x(i), y: H - B + 30, 'text-anchor': 'middle', class: 'tick partial-label' },
					p.partial ? 'partial' : 'provisional'));
			}
		});
		if (opt.reference) {
			svg.append(s('line', { x1: L, x2: W - R, y1: y(opt.reference), y2: y(opt.reference), class: 'reference' }),
				s('text', { x: L + 6, y: y(opt.reference) - 5, class: 'tick reference-label' },
					`reference ${fmtValue(opt.reference, opt.unit)}`));
		}
		const single = opt.series.length === 1;
		opt.series.forEach((se, si) => {
			const colour = PALETTE[si % PALETTE.length];
			const dash = DASHES[Math.floor(si / PALETTE.length) % DASHES.length];
			const g = s('g', { class: 'series', 'data-series': se.key });
			let prev = null;
			periods.forEach((p, i) => {
				const r = se.rows.get(p.period);
				const label = `${se.label ? se.label + ', ' : ''}${p.period}`;
				if (!r || r.suppressed) {
					if (r && r.suppressed) {
						/* A labelled gap: the line stops, a hatched marker says why. */
						const w = 12;
						if (single) {
							g.append(s('rect', { x: x(i) - w / 2, y: T, width: w, height: H - B - T,
								fill: hatch, class: 'suppressed-mark', 'data-suppressed': 'true' },
							s('title', null, `${label}: ${suppressedText()}`)));
						} else {
							g.append(s('rect', { x: x(i) - 5, y: H - B - 12 - 11 * (si % 8), width: 10, height: 10,
								fill: hatch, stroke: colour, class: 'suppressed-mark', 'data-suppressed': 'true' },
							s('title', null, `${label}: ${suppressedText()}`)));
						}
					}
					prev = null;
					return;
				}
				if (r.value === null || r.value === undefined) {
					g.append(s('text', { x: x(i), y: H - B - 4, 'text-anchor': 'middle', class: 'tick nodata' }, '×',
						s('title', null, `${label}: no data`)));
					prev = null;
					return;
				}
				const pt = { x: x(i), y: y(r.value) };
				if (hasInterval(r)) {
					g.append(errorBar(true, pt.x, y(r.interval_low), Math.max(T, y(r.interval_high)),
						`${label}: ${confidenceText()} interval ${intervalText(r, opt.unit)}`));
				}
				if (prev) {
					g.append(s('line', { x1: prev.x, y1: prev.y, x2: pt.x, y2: pt.y, stroke: colour,
						'stroke-width': 2.5, 'stroke-dasharray': p.provisional ? '5 4' : dash || null,
						class: p.provisional ? 'partial' : null }));
				}
				g.append(s('circle', { cx: pt.x, cy: pt.y, r: 3.5, fill: p.provisional ? '#ffffff' : colour,
					stroke: colour, 'stroke-width': 2, class: p.provisional ? 'provisional' : null,
					'data-provisional': p.provisional ? 'true' : null },
				s('title', null, `${label}: ${fmtValue(r.value, opt.unit)} ${unitSuffix(opt.unit)}${provisionalText(p)}`)));
				prev = pt;
			});
			svg.append(g);
		});
		return svg;
	}

	/* Horizontal bars: one per group (county, setting). */
	function barChart(opt) {
		const W = opt.width, L = Math.min(220, Math.round(W * 0.4)), R = 64, T = 8, BAR = 22, GAP = 6;
		const maxChars = Math.floor((L - 10) / 6.6); /* 12px system font: about 6.6px a character */
		const rows = opt.rows;
		const H = T + rows.length * (BAR + GAP) + 24;
		const { svg, hatch } = chartFrame(W, H, opt.title, opt.desc);
		const max = axisMax(rows.filter((r) => r.value !== null).map((r) => r.value),
			rows.filter(hasInterval).map((r) => r.interval_high), opt.reference);
		const x = (v) => L + ((W - L - R) * v) / max;
		rows.forEach((r, i) => {
			const yy = T + i * (BAR + GAP);
			const g = s('g', { class: 'bar', 'data-group': r.key });
			const shortLabel = r.label.length > maxChars ? r.label.slice(0, maxChars - 1) + '…' : r.label;
			g.append(s('text', { x: L - 8, y: yy + BAR / 2 + 4, 'text-anchor': 'end', class: 'tick' }, shortLabel,
				s('title', null, r.label)));
			if (r.suppressed) {
				g.append(s('rect', { x: L, y: yy, width: W - L - R, height: BAR, fill: hatch, stroke: '#6b6b6b',
					class: 'suppressed-mark', 'data-suppressed': 'true' },
				s('title', null, `${r.label}: ${suppressedText()}`)),
				s('text', { x: L + 8, y: yy + BAR / 2 + 4, class: 'tick on-hatch' },
					W - L - R > 260 ? suppressedText() : 'suppressed'));
			} else if (r.value === null) {
				g.append(s('text', { x: L + 4, y: yy + BAR / 2 + 4, class: 'tick nodata' }, 'no data'));
			} else {
				g.append(s('rect', { x: L, y: yy, width: Math.max(1, x(r.value) - L), height: BAR,
					fill: opt.colour || PALETTE[0] },
				s('title', null, `${r.label}: ${fmtValue(r.value, opt.unit)} ${unitSuffix(opt.unit)}`)));
				let end = x(r.value);
				if (hasInterval(r)) {
					end = Math.min(W - R, x(r.interval_high));
					g.append(errorBar(false, yy + BAR / 2, x(r.interval_low), end,
						`${r.label}: ${confidenceText()} interval ${intervalText(r, opt.unit)}`));
				}
				g.append(s('text', { x: Math.min(end, W - R) + 6, y: yy + BAR / 2 + 4, class: 'tick value' },
					fmtValue(r.value, opt.unit)));
			}
			svg.append(g);
		});
		const axisY = T + rows.length * (BAR + GAP);
		svg.append(s('line', { x1: L, x2: W - R, y1: axisY, y2: axisY, class: 'axis' }),
			s('text', { x: L, y: axisY + 16, class: 'tick' }, fmtValue(0, opt.unit)),
			s('text', { x: W - R, y: axisY + 16, 'text-anchor': 'end', class: 'tick' }, fmtValue(max, opt.unit)));
		if (opt.reference) {
			svg.append(s('line', { x1: x(opt.reference), x2: x(opt.reference), y1: T, y2: axisY, class: 'reference' }));
		}
		return svg;
	}

	/* Vertical bars side by side: groups (advocate) within each period. */
	function groupedBars(opt) {
		const W = opt.width, H = chartHeight(W), L = 56, R = 30, T = 16, B = 46; /* R: half a period label */
		const { svg, hatch } = chartFrame(W, H, opt.title, opt.desc);
		const periods = opt.periods, groups = opt.groups;
		const vals = [], highs = [];
		for (const r of opt.cells.values()) {
			if (r.value !== null && r.value !== undefined)
				vals.push(r.value);
			if (hasInterval(r))
				highs.push(r.interval_high);
		}
		const max = opt.max || axisMax(vals, highs);
		const y = (v) => H - B - ((H - B - T) * v) / max;
		yAxis(svg, L, W - R, H - B, T, max, opt.unit);
		const band = (W - R - L) / Math.max(1, periods.length);
		const bw = Math.min(40, (band * 0.8) / groups.length);
		/* Labels counted back from the latest period, about 56px apart (a
		 * half-width chart has no room for every fiscal year). */
		const every = Math.max(1, Math.ceil(56 / band));
		periods.forEach((p, i) => {
			const cx = L + band * i + band / 2;
			if ((periods.length - 1 - i) % every === 0)
				svg.append(s('text', { x: cx, y: H - B + 16, 'text-anchor': 'middle', class: 'tick' }, p.period));
			if (p.provisional)
				svg.append(s('text', { x: cx, y: H - B + 30, 'text-anchor': 'middle', class: 'tick partial-label' },
					p.partial ? 'partial' : 'provisional'));
			groups.forEach((gk, gi) => {
				const r = opt.cells.get(p.period + '\u0000' + gk);
				const bx = cx - (bw * groups.length) / 2 + gi * bw;
				const colour = PALETTE[gi % PALETTE.length];
				const label = `${groupLabel(gk)}, ${p.period}`;
				if (!r)
					return;
				if (r.suppressed) {
					svg.append(s('rect', { x: bx + 1, y: T, width: bw - 2, height: H - B - T, fill: hatch,
						stroke: colour, class: 'suppressed-mark', 'data-suppressed': 'true' },
					s('title', null, `${label}: ${suppressedText()}`)));
				} else if (r.value === null) {
					svg.append(s('text', { x: bx + bw / 2, y: H - B - 4, 'text-anchor': 'middle', class: 'tick nodata' }, '×',
						s('title', null, `${label}: no data`)));
				} else {
					svg.append(s('rect', { x: bx + 1, y: y(r.value), width: bw - 2, height: H - B - y(r.value),
						fill: colour, 'fill-opacity': p.provisional ? 0.55 : 1, stroke: colour,
						'stroke-dasharray': p.provisional ? '4 3' : null, class: p.provisional ? 'provisional' : null,
						'data-provisional': p.provisional ? 'true' : null },
					s('title', null, `${label}: ${fmtValue(r.value, opt.unit)} ${unitSuffix(opt.unit)}${provisionalText(p)}`)));
					if (hasInterval(r)) {
						svg.append(errorBar(true, bx + bw / 2, y(r.interval_low), Math.max(T, y(r.interval_high)),
							`${label}: ${confidenceText()} interval ${intervalText(r, opt.unit)}`));
					}
				}
			});
		});
		return svg;
	}

	/* A tooltip's words for a provisional period. */
	function provisionalText(p) {
		return p.partial ? ' (partial period, provisional)' : p.provisional ? ' (provisional: not yet settled)' : '';
	}
	function legend(items, hasSuppressed, hasProvisional) {
		const ul = h('ul', { class: 'legend' });
		items.forEach((it, i) => {
			const colour = PALETTE[i % PALETTE.length];
			const dash = DASHES[Math.floor(i / PALETTE.length) % DASHES.length];
			ul.append(h('li', null, s('svg', { viewBox: '0 0 24 10', width: 24, height: 10, 'aria-hidden': 'true' },
				s('line', { x1: 1, y1: 5, x2: 23, y2: 5, stroke: colour, 'stroke-width': 3, 'stroke-dasharray': dash || null })),
			' ', it));
		});
		if (hasSuppressed)
			ul.append(h('li', { class: 'key-suppressed' }, h('span', { class: 'hatch-swatch', 'aria-hidden': 'true' }),
				' hatched: ' + suppressedText()));
		if (hasProvisional) {
			ul.append(h('li', { class: 'key-provisional', 'data-testid': 'key-provisional' },
				'dashed or pale: provisional — a partial or not yet settled period (measured through the as-of ' +
				'date; its value may still change, and only its total is published)'));
		}
		return ul;
	}

	/* ---- tables (the accessible alternative to every chart) ---- */
	function dataTable(body, caption) {
		const by = body.by || null;
		const unit = body.unit;
		const t = h('table', { class: 'data', 'data-testid': 'data-table' });
		t.append(h('caption', null, caption));
		const head = h('tr', null, h('th', { scope: 'col' }, 'Period'));
		if (by)
			head.append(h('th', { scope: 'col' }, BY_LABEL[by] || by));
		const standardized = body.rows.some((r) => 'standardized_value' in r);
		head.append(h('th', { scope: 'col', class: 'n' }, `Value (${unit})`),
			h('th', { scope: 'col', class: 'n' }, 'Numerator'),
			h('th', { scope: 'col', class: 'n' }, 'Denominator'),
			...statsHeads(standardized),
			h('th', { scope: 'col' }, 'Note'));
		t.append(h('thead', null, head));
		const tb = h('tbody');
		for (const r of body.rows) {
			const tr = h('tr', { 'data-period': r.period, 'data-group': by ? r[by] : null });
			tr.append(h('th', { scope: 'row', class: 'period' }, r.period));
			if (by)
				tr.append(h('td', { class: 'group', title: groupLabel(r[by]) }, r[by]));
			if (r.suppressed) {
				tr.append(h('td', { class: 'n value suppressed' }, suppressedText()),
					h('td', { class: 'n numerator suppressed' }, 'suppressed'),
					h('td', { class: 'n denominator suppressed' }, 'suppressed'));
			} else {
				tr.append(h('td', { class: 'n value' + (r.value === null ? ' nodata' : '') },
					r.value === null ? 'no data' : fmtExact.format(r.value)),
				h('td', { class: 'n numerator' }, r.numerator === null ? '—' : fmtInt.format(r.numerator)),
				h('td', { class: 'n denominator' }, r.denominator === null ? '—' : fmtInt.format(r.denominator)));
			}
			tr.append(...statsCells(r, unit, standardized));
			const notes = [];
			if (r.partial)
				notes.push(`partial: through ${state.catalog.snapshot ? state.catalog.snapshot.as_of : 'as-of date'}`);
			if (isProvisional(r)) {
				notes.push('provisional: may still change');
				tr.classList.add('provisional');
				tr.setAttribute('data-provisional', 'true');
			}
			if (!r.suppressed && r.value === null && r.denominator === 0)
				notes.push('no children or days in this cell');
			tr.append(h('td', { class: 'note' }, notes.join('; ')));
			tb.append(tr);
		}
		t.append(tb);
		return t;
	}

	/* The interval and change columns of a table (issue 14), and for the
	 * advocate tables of the two day-based rates the standardized ones. */
	function statsHeads(standardized) {
		const heads = [h('th', { scope: 'col', class: 'n' }, `${confidenceText()} interval`),
			h('th', { scope: 'col' }, 'Change from the previous period')];
		if (standardized) {
			heads.push(h('th', { scope: 'col', class: 'n' }, 'Expected'),
				h('th', { scope: 'col', class: 'n' }, 'Observed / expected'),
				h('th', { scope: 'col', class: 'n' }, 'Standardized'));
		}
		return heads;
	}
	function statsCells(r, unit, standardized) {
		const num = (v) => (v === null || v === undefined ? '—' : fmtExact.format(v));
		const cells = [h('td', { class: 'n interval' }, hasInterval(r) ? intervalText(r, unit) : '—'),
			h('td', { class: 'change' }, changeIntervalText(r, unit) || '—')];
		if (standardized) {
			const smr = r.smr === null || r.smr === undefined ? '—'
				: `${fmtExact.format(r.smr)} (${fmtExact.format(r.smr_low)} to ${fmtExact.format(r.smr_high)})`;
			cells.push(h('td', { class: 'n expected' }, num(r.expected)), h('td', { class: 'n smr' }, smr),
				h('td', { class: 'n standardized' }, num(r.standardized_value)));
		}
		return cells;
	}

	function periodsOf(rows) {
		const seen = new Map();
		for (const r of rows) {
			if (!seen.has(r.period))
				seen.set(r.period, { period: r.period, partial: r.partial === true, provisional: isProvisional(r),
					start: r.period_start });
		}
		return [...seen.values()];
	}

	/* One card: heading, chart, legend, table in a <details>, CSV link. */
	function fillCard(el, spec) {
		const wasOpen = !!el.querySelector('details.table-toggle[open]');
		el.replaceChildren();
		el.append(h('h3', null, spec.heading));
		if (spec.sub)
			el.append(h('p', { class: 'card-sub' }, spec.sub));
		if (spec.error) {
			el.append(h('p', { class: 'error', role: 'alert' }, spec.error));
			return;
		}
		const fig = h('figure', { class: 'figure' }, spec.chart);
		el.append(fig);
		if (spec.legend)
			el.append(spec.legend);
		const details = h('details', { class: 'table-toggle', open: wasOpen },
			h('summary', null, 'Show the table'),
			h('div', { class: 'table-scroll' }, dataTable(spec.body, spec.heading)));
		el.append(details);
		el.append(h('p', { class: 'downloads' },
			h('a', { href: spec.csv, download: `${spec.body.metric}-${spec.body.period_type}${spec.body.by ? '-by-' + spec.body.by : ''}.csv`,
				class: 'csv' }, 'Download CSV'),
			' · ', h('a', { href: spec.json, class: 'json' }, 'JSON')));
	}
	function cardError(el, heading, err) {
		fillCard(el, { heading, error: 'Could not load this chart: ' + err.message });
	}
	function loading(el, heading) {
		el.redraw = null;
		el.replaceChildren(h('h3', null, heading), h('p', { class: 'muted' }, 'Loading…'));
	}

	function describe(body, periods) {
		const first = periods.length ? periods[0].period : '';
		const last = periods.length ? periods[periods.length - 1].period : '';
		const nsup = body.rows.filter((r) => r.suppressed).length;
		return `${body.title || body.metric}, ${PERIOD_TYPE_LABEL[body.period_type] || body.period_type}` +
			`${body.by ? ' by ' + (BY_LABEL[body.by] || body.by) : ''}, ${first} to ${last}, in ${body.unit}. ` +
			`${nsup ? nsup + ' cells suppressed (fewer than ' + state.k + ' children). ' : ''}` +
			'The same numbers are in the table below the chart.';
	}

	/* Line chart (total or per group), or bars of the last period when a
	 * breakdown has too many groups for lines to stay readable. */
	function trendCard(el, body, params, heading, opts) {
		el.redraw = () => trendCard(el, body, params, heading, opts);
		const periods = periodsOf(body.rows);
		const by = body.by;
		const series = [];
		if (by) {
			const keys = [];
			for (const r of body.rows) {
				if (!keys.includes(r[by]))
					keys.push(r[by]);
			}
			for (const k of keys) {
				series.push({ key: k, label: groupLabel(k),
					rows: new Map(body.rows.filter((r) => r[by] === k).map((r) => [r.period, r])) });
			}
		} else {
			series.push({ key: 'total', label: '', rows: new Map(body.rows.map((r) => [r.period, r])) });
		}
		const nsup = body.rows.filter((r) => r.suppressed).length;
		const hasProvisional = periods.some((p) => p.provisional);
		let chart, leg;
		if (by && series.length > PALETTE.length) {
			const lastP = periods.length ? periods[periods.length - 1] : null;
			const rows = body.rows.filter((r) => lastP && r.period === lastP.period)
				.map((r) => ({ key: r[by], label: groupLabel(r[by]), value: r.suppressed ? null : r.value, suppressed: r.suppressed,
					interval_low: r.interval_low, interval_high: r.interval_high }));
			chart = barChart({ width: chartWidth(el), title: `${heading}: ${lastP ? lastP.period : ''}`, desc: describe(body, periods) +
				' The chart shows the last period of the range; the table has every period.', rows, unit: body.unit });
			leg = legend([], rows.some((r) => r.suppressed), lastP && lastP.provisional);
		} else {
			chart = lineChart({ width: chartWidth(el), title: heading, desc: describe(body, periods), periods, series, unit: body.unit,
				reference: opts && opts.reference, suppressedCount: nsup });
			leg = legend(by ? series.map((se) => se.label) : [], nsup > 0, hasProvisional);
		}
		fillCard(el, {
			heading, sub: opts && opts.sub, chart, legend: leg, body,
			csv: tableUrl(body.metric, withRange(params, periods), true),
			json: tableUrl(body.metric, withRange(params, periods), false),
		});
	}
	/* CSV links always name their range, so a download is reproducible. */
	function withRange(params, periods) {
		if (!periods.length)
			return params;
		return Object.assign({}, params, {
			from: params.from || periods[0].period,
			to: params.to || periods[periods.length - 1].period,
		});
	}

	/* Many groups (a state's counties, most of them small): bars for the
	 * published cells, largest first, and the suppressed and empty groups
	 * named in one line each, so the chart stays one screen tall. */
	const COMPACT_BARS = 16;
	function barsCard(el, body, params, heading, sub) {
		el.redraw = () => barsCard(el, body, params, heading, sub);
		const by = body.by;
		const periods = periodsOf(body.rows);
		let rows = body.rows.map((r) => ({ key: r[by], label: groupLabel(r[by]),
			value: r.suppressed ? null : r.value, suppressed: r.suppressed,
			interval_low: r.interval_low, interval_high: r.interval_high }));
		const notes = [];
		const anySuppressed = rows.some((r) => r.suppressed);
		if (rows.length > COMPACT_BARS) {
			const sup = rows.filter((r) => r.suppressed);
			const empty = rows.filter((r) => !r.suppressed && r.value === null);
			rows = rows.filter((r) => r.value !== null).sort((a, b) => b.value - a.value);
			if (sup.length) {
				notes.push(h('p', { class: 'group-list suppressed-list', 'data-testid': 'suppressed-groups' },
					h('span', { class: 'hatch-swatch', 'aria-hidden': 'true' }),
					` ${sup.length} ${sup.length === 1 ? 'group' : 'groups'} ${suppressedText()}: `,
					sup.map((r) => r.label).join(', ')));
			}
			if (empty.length) {
				notes.push(h('p', { class: 'group-list nodata-list', 'data-testid': 'nodata-groups' },
					`No data (nothing to count) in ${empty.length}: `, empty.map((r) => r.label).join(', ')));
			}
		}
		const chart = barChart({ width: chartWidth(el), title: heading, desc: describe(body, periods) +
			(notes.length ? ' Groups without a published value are listed below the chart.' : ''), rows, unit: body.unit });
		fillCard(el, { heading, sub, chart, body,
			legend: h('div', null, notes, legend([], anySuppressed && !notes.length, periods.some((p) => p.provisional))),
			csv: tableUrl(body.metric, withRange(params, periods), true),
			json: tableUrl(body.metric, withRange(params, periods), false) });
	}

	function sideBySideCard(el, body, params, heading, sub) {
		el.redraw = () => sideBySideCard(el, body, params, heading, sub);
		const by = body.by;
		const periods = periodsOf(body.rows);
		const groups = [];
		const cells = new Map();
		for (const r of body.rows) {
			if (!groups.includes(r[by]))
				groups.push(r[by]);
			cells.set(r.period + '\u0000' + r[by], r);
		}
		const standardized = body.rows.some((r) => 'standardized_value' in r);
		const chart = standardized ? standardizedPair(el, body, heading, periods, groups, cells)
			: groupedBars({ width: chartWidth(el), title: heading, desc: describe(body, periods), periods, groups, cells, unit: body.unit });
		fillCard(el, { heading, sub: standardized ? sub + ' · as measured, and standardized' : sub, chart, body,
			legend: legend(groups.map(groupLabel), body.rows.some((r) => r.suppressed), periods.some((p) => p.provisional)),
			csv: tableUrl(body.metric, withRange(params, periods), true),
			json: tableUrl(body.metric, withRange(params, periods), false) });
	}

	/* The advocate comparison (issue 14): as measured and standardized, side
	 * by side on one scale, with the one line that says what standardized
	 * means. A standardized bar's interval is the observed / expected
	 * interval times the rate of all children (standardized / smr). */
	function standardizedPair(el, body, heading, periods, groups, cells) {
		const std = new Map();
		for (const [key, r] of cells) {
			const v = r.suppressed ? null : r.standardized_value;
			const scale = v !== null && v !== undefined && r.smr > 0 ? v / r.smr : null;
			std.set(key, { suppressed: r.suppressed, value: v === undefined ? null : v,
				interval_low: scale === null ? null : r.smr_low * scale,
				interval_high: scale === null || r.smr_high === null ? null : r.smr_high * scale });
		}
		const all = [...cells.values(), ...std.values()];
		const max = axisMax(all.filter((r) => !r.suppressed && r.value !== null && r.value !== undefined).map((r) => r.value),
			all.filter(hasInterval).map((r) => r.interval_high));
		const full = chartWidth(el);
		const width = full >= 560 ? Math.floor((full - 16) / 2) : full;
		const desc = describe(body, periods);
		const raw = groupedBars({ width, title: `${heading}: as measured`, desc, periods, groups, cells, unit: body.unit, max });
		const adjusted = groupedBars({ width, title: `${heading}: standardized for age and placement setting`,
			desc: desc + ' Standardized values are in the table column "Standardized".', periods, groups, cells: std, unit: body.unit, max });
		adjusted.setAttribute('data-testid', 'standardized-chart');
		return h('div', { class: 'pair' },
			h('p', { class: 'standardized-note', 'data-testid': 'standardized-note' },
				'Standardized: each group\'s rate after accounting for its children\'s ages and placement settings ' +
				'(observed / expected × the rate of all children), so groups serving different children compare fairly.'),
			h('div', { class: 'pair-charts' },
				h('div', { class: 'pair-chart' }, h('p', { class: 'pair-title' }, 'As measured'), raw),
				h('div', { class: 'pair-chart' }, h('p', { class: 'pair-title' }, 'Standardized'), adjusted)));
	}

	/* ---- pickers ---- */
	function option(value, label, selected) {
		return h('option', { value, selected: selected || null }, label);
	}
	function fillMetricPicker() {
		const sel = $('#pick-metric');
		sel.replaceChildren(...state.catalog.metrics.map((m) => option(m.id, m.title, m.id === state.metric)));
	}
	/* Only published tables are offered: the period types with any, and
	 * the breakdowns published for the chosen period type (months have
	 * totals only under the default plan). */
	function fillPeriodTypePicker(m) {
		const types = publishedPeriodTypes(m);
		if (!types.includes(state.periodType))
			state.periodType = types.includes('quarter') ? 'quarter' : types[types.length - 1];
		$('#pick-period-type').replaceChildren(...types.map((p) =>
			option(p, PERIOD_TYPE_LABEL[p] || p, p === state.periodType)));
	}
	function fillByPicker(m) {
		const bys = m.by.filter((b) => publishes(m, state.periodType, b));
		if (state.by && !bys.includes(state.by))
			state.by = '';
		$('#pick-by').replaceChildren(option('', 'Total (no breakdown)', state.by === ''),
			...bys.map((b) => option(b, BY_LABEL[b] || b, b === state.by)));
	}
	async function fillRangePickers(m) {
		/* The periods a table has come from the table itself (total rows). */
		const total = await getTable(m.id, { periodType: state.periodType });
		state.periods = periodsOf(total.rows).map((p) => p.period);
		const n = state.periods.length;
		if (!state.periods.includes(state.to))
			state.to = n ? state.periods[n - 1] : null;
		if (!state.periods.includes(state.from)) {
			const span = DEFAULT_SPAN[state.periodType] || n;
			state.from = n ? state.periods[Math.max(0, n - span)] : null;
		}
		if (state.periods.indexOf(state.from) > state.periods.indexOf(state.to))
			[state.from, state.to] = [state.to, state.from];
		$('#pick-from').replaceChildren(...state.periods.map((p) => option(p, p, p === state.from)));
		$('#pick-to').replaceChildren(...state.periods.map((p) => option(p, p, p === state.to)));
	}
	function saveHash() {
		const q = new URLSearchParams({ metric: state.metric, period_type: state.periodType });
		if (state.by)
			q.set('by', state.by);
		if (state.from)
			q.set('from', state.from);
		if (state.to)
			q.set('to', state.to);
		history.replaceState(null, '', '#' + q.toString());
	}
	function readHash() {
		const q = new URLSearchParams(location.hash.slice(1));
		if (q.get('metric') && metricById(q.get('metric')))
			state.metric = q.get('metric');
		state.periodType = q.get('period_type') || state.periodType;
		state.by = q.get('by') || '';
		state.from = q.get('from') || null;
		state.to = q.get('to') || null;
	}

	/* ---- rendering the explorer and the overview ---- */
	async function renderExplorer(seq) {
		const m = metricById(state.metric);
		const el = $('#card-explore');
		const heading = `${m.title} by ${(PERIOD_TYPE_LABEL[state.periodType] || state.periodType).toLowerCase()}` +
			(state.by ? `, by ${(BY_LABEL[state.by] || state.by).toLowerCase()}` : '');
		el.setAttribute('aria-busy', 'true');
		loading(el, heading);
		const params = { periodType: state.periodType, by: state.by, from: state.from, to: state.to };
		try {
			const body = await getTable(m.id, params);
			if (seq !== state.seq)
				return;
			trendCard(el, body, params, heading, {
				sub: `${state.from} to ${state.to} · ${m.unit}`,
				reference: !state.by && m.reference ? m.reference.value : null,
			});
		} catch (e) {
			if (seq === state.seq)
				cardError(el, heading, e);
		} finally {
			if (seq === state.seq)
				el.setAttribute('aria-busy', 'false');
		}
	}

	/* The latest period whose `by` breakdown is published: closed and
	 * settled (its rows are absent, or provisional, until then). */
	async function lastClosed(id, periodType, by) {
		const done = (await getTable(id, { periodType, by })).rows.filter((r) => !isProvisional(r));
		return done.length ? done[done.length - 1].period : null;
	}
	/* The table parameters of m's `by` breakdown for its latest closed
	 * period, in the first of `preferred` period types that publishes it. */
	async function lastClosedParams(m, by, preferred) {
		const periodType = periodTypeWith(m, by, preferred);
		if (!periodType)
			throw new Error(`this metric publishes no ${BY_LABEL[by].toLowerCase()} breakdown`);
		const p = await lastClosed(m.id, periodType, by);
		if (!p)
			throw new Error(`no closed period has its ${BY_LABEL[by].toLowerCase()} breakdown published yet`);
		return { periodType, by, from: p, to: p };
	}

	async function overviewCard(el, heading, seq, build) {
		el.setAttribute('aria-busy', 'true');
		loading(el, heading);
		try {
			await build();
		} catch (e) {
			if (seq === state.seq)
				cardError(el, heading, e);
		} finally {
			if (seq === state.seq)
				el.setAttribute('aria-busy', 'false');
		}
	}

	async function renderOverview(seq) {
		const m = metricById(state.metric);
		$('#overview-metric').textContent = m.title;
		const ref = m.reference ? m.reference.value : null;
		const types = publishedPeriodTypes(m);
		const fyType = types.includes('fiscal_year') ? 'fiscal_year' : types[types.length - 1];
		const fyTotal = getTable(m.id, { periodType: fyType });
		const jobs = [];

		const qType = types.includes('quarter') ? 'quarter' : 'year';
		const qHeading = qType === 'quarter' ? 'Trend by quarter' : 'Trend by calendar year';
		jobs.push(overviewCard($('#card-quarter'), qHeading, seq, async () => {
			const all = await getTable(m.id, { periodType: qType });
			const ps = periodsOf(all.rows).map((p) => p.period);
			/* The last 16 quarters: four years on one laptop-width chart. */
			const params = { periodType: qType, from: ps[Math.max(0, ps.length - 16)], to: ps[ps.length - 1] };
			const body = ps.length ? await getTable(m.id, params) : all;
			if (seq !== state.seq)
				return;
			trendCard($('#card-quarter'), body, params, qHeading, { reference: ref,
				sub: qType === 'quarter' ? m.unit : `${m.unit} · this metric is published by year and fiscal year only` });
		}));

		const fyHeading = 'Trend by fiscal year';
		jobs.push(overviewCard($('#card-fy'), fyHeading, seq, async () => {
			const body = await fyTotal;
			if (seq !== state.seq)
				return;
			trendCard($('#card-fy'), body, { periodType: fyType }, fyHeading, { reference: ref, sub: m.unit });
		}));

		const cHeading = 'County comparison';
		jobs.push(overviewCard($('#card-county'), cHeading, seq, async () => {
			const params = await lastClosedParams(m, 'county', [fyType, 'year', 'quarter']);
			const p = params.from;
			const body = await getTable(m.id, params);
			if (seq !== state.seq)
				return;
			barsCard($('#card-county'), body, params, cHeading, `${p} · ${m.unit}`);
		}));

		const aHeading = 'CASA advocate assigned versus not';
		/* Issue 13: by quarter where the plan publishes it, closed quarters
		 * only (the breakdowns of an unsettled one are not published). */
		jobs.push(overviewCard($('#card-advocate'), aHeading, seq, async () => {
			const aType = periodTypeWith(m, 'advocate', ['quarter', fyType, 'year']);
			if (!aType)
				throw new Error('this metric publishes no advocate breakdown');
			const all = await getTable(m.id, { periodType: aType, by: 'advocate' });
			const ps = periodsOf(all.rows.filter((r) => !isProvisional(r))).map((p) => p.period);
			if (!ps.length)
				throw new Error('no closed period has its advocate breakdown published yet');
			/* the last 8 closed quarters: two years side by side */
			const params = { periodType: aType, by: 'advocate', from: ps[Math.max(0, ps.length - 8)], to: ps[ps.length - 1] };
			const body = await getTable(m.id, params);
			if (seq !== state.seq)
				return;
			sideBySideCard($('#card-advocate'), body, params, aHeading,
				`${PERIOD_TYPE_LABEL[aType]}, closed periods · ${m.unit}`);
		}));

		/* By setting: the chosen metric when it has that breakdown, else the
		 * runaway rate (the placement-setting question is about running away). */
		const sm = m.by.includes('setting') ? m : metricById('runaway_episodes_per_1000_days');
		const sHeading = sm ? `${sm.title} by placement setting` : 'By placement setting';
		jobs.push(overviewCard($('#card-setting'), sHeading, seq, async () => {
			if (!sm)
				throw new Error('no metric with a setting breakdown in the catalog');
			const params = await lastClosedParams(sm, 'setting', ['fiscal_year', 'year', 'quarter']);
			const p = params.from;
			const body = await getTable(sm.id, params);
			if (seq !== state.seq)
				return;
			barsCard($('#card-setting'), body, params, sHeading, `${p} · ${sm.unit}`);
		}));
		await Promise.all(jobs);
	}

	async function renderCharts(what) {
		const seq = ++state.seq;
		const m = metricById(state.metric);
		document.body.setAttribute('data-state', 'loading');
		$('#metric-definition').textContent = m.definition || '';
		fillPeriodTypePicker(m);
		fillByPicker(m);
		try {
			await fillRangePickers(m);
		} catch (e) {
			cardError($('#card-explore'), m.title, e);
			document.body.setAttribute('data-state', 'error');
			return;
		}
		if (seq !== state.seq)
			return;
		saveHash();
		const jobs = [renderExplorer(seq)];
		if (what === 'all')
			jobs.push(renderOverview(seq));
		try {
			await Promise.all(jobs);
		} catch (e) {
			/* Cards show their own errors; this is a bug in the page. */
			if (seq === state.seq) {
				document.body.setAttribute('data-state', 'error');
				$('#banner').className = 'banner warn';
				$('#banner').textContent = 'The dashboard failed to draw: ' + e.message;
			}
			throw e;
		}
		if (seq === state.seq) {
			renderBanner();
			document.body.setAttribute('data-state', 'ready');
		}
	}

	async function loadAll() {
		const [cat, sum, rdy] = await Promise.all([getJson(API + 'metrics'), getJson(API + 'summary'),
			getJson('readyz', true)]);
		state.catalog = cat.body;
		state.ready = rdy.body;
		state.snapshotId = cat.body.snapshot ? cat.body.snapshot.id : null;
		if (cat.body.disclosure && cat.body.disclosure.min_cell)
			state.k = cat.body.disclosure.min_cell;
		if (sum.body && typeof sum.body.confidence === 'number')
			state.confidence = sum.body.confidence;
		document.querySelectorAll('[data-k]').forEach((el) => { el.textContent = String(state.k); });
		if (!state.metric)
			readHash(); /* a shared link (#metric=...&period_type=...) */
		if (!state.metric || !metricById(state.metric)) {
			state.metric = metricById('runaway_episodes_per_1000_days') ? 'runaway_episodes_per_1000_days'
				: cat.body.metrics[0].id;
		}
		renderBanner();
		fillMetricPicker();
		renderTiles(sum.body);
		const sections = renderSections(sum.body);
		await renderCharts('all');
		await sections;
	}

	function wire() {
		$('#pick-metric').addEventListener('change', (ev) => {
			state.metric = ev.target.value;
			renderCharts('all').catch(() => {}); /* the banner says what failed */
		});
		$('#pick-period-type').addEventListener('change', (ev) => {
			state.periodType = ev.target.value;
			state.from = state.to = null;
			renderCharts('explore').catch(() => {}); /* the banner says what failed */
		});
		for (const [id, key] of [['#pick-from', 'from'], ['#pick-to', 'to'], ['#pick-by', 'by']]) {
			$(id).addEventListener('change', (ev) => {
				state[key] = ev.target.value;
				renderCharts('explore').catch(() => {}); /* the banner says what failed */
			});
		}
		$('#pickers').addEventListener('submit', (ev) => {
			ev.preventDefault();
			renderCharts('explore').catch(() => {}); /* the banner says what failed */
		});
		const redrawAll = () => document.querySelectorAll('.card').forEach((el) => {
			if (el.redraw)
				el.redraw();
		});
		let lastWidth = window.innerWidth;
		let timer = null;
		window.addEventListener('resize', () => {
			clearTimeout(timer);
			timer = setTimeout(() => {
				if (Math.abs(window.innerWidth - lastWidth) < 24)
					return;
				lastWidth = window.innerWidth;
				redrawAll();
			}, 150);
		});
		/* Printing: tables inside closed <details> would not print. */
		const opened = [];
		/* Charts are redrawn at the paper's width, then back. */
		window.addEventListener('beforeprint', () => {
			state.printWidth = PRINT_WIDTH;
			redrawAll();
			document.querySelectorAll('details:not([open])').forEach((d) => {
				d.open = true;
				opened.push(d);
			});
		});
		window.addEventListener('afterprint', () => {
			state.printWidth = 0;
			redrawAll();
			opened.splice(0).forEach((d) => { d.open = false; });
		});
	}

	/* The daemon has bearer tokens (SPEC §7) and ours is missing or wrong. */
	function askToken() {
		const b = $('#banner');
		b.className = 'banner warn';
		const input = h('input', { type: 'password', id: 'token-input', autocomplete: 'off',
			'aria-describedby': 'token-help', required: true });
		const form = h('form', { id: 'token-form', class: 'token-form' },
			h('label', { for: 'token-input' }, 'Access token '), input, ' ',
			h('button', { type: 'submit' }, 'Use token'));
		b.replaceChildren(h('p', { id: 'token-help' }, h('strong', null, 'Access token needed. '),
			state.token ? 'The token given was not accepted. ' : '',
			'This daemon serves its API to token holders only; ask its operator for one. ',
			'It is kept in this browser tab only.'), form);
		document.body.setAttribute('data-state', 'token');
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			saveToken(input.value.trim());
			b.replaceChildren('Loading data…');
			b.className = 'banner';
			waitReady();
		});
		input.focus();
	}

	/* With a token, a plain link cannot send it: fetch the CSV and save it. */
	async function downloadWithToken(ev) {
		const a = ev.target.closest('a.csv');
		if (!a || !state.token)
			return;
		ev.preventDefault();
		try {
			const res = await fetch(a.getAttribute('href'), { headers: apiHeaders('text/csv') });
			if (!res.ok)
				throw new Error(`${res.status} ${res.statusText}`);
			const url = URL.createObjectURL(await res.blob());
			const tmp = h('a', { href: url, download: a.getAttribute('download') });
			document.body.append(tmp);
			tmp.click();
			tmp.remove();
			setTimeout(() => URL.revokeObjectURL(url), 10000);
		} catch (e) {
			a.after(h('span', { class: 'error', role: 'alert' }, ' download failed: ' + e.message));
		}
	}

	/* Waits for the first snapshot (/readyz 503 until then), then loads. */
	async function waitReady() {
		try {
			const r = await getJson('readyz', true);
			state.ready = r.body;
			if (!r.body || !r.body.snapshot) {
				renderBanner();
				setTimeout(waitReady, 5000);
				return;
			}
		} catch (e) {
			$('#banner').className = 'banner warn';
			$('#banner').textContent = 'The dashboard cannot reach the daemon: ' + e.message;
			document.body.setAttribute('data-state', 'error');
			setTimeout(waitReady, 15000);
			return;
		}
		try {
			await loadAll();
		} catch (e) {
			if (e instanceof AuthError) {
				askToken();
				return;
			}
			$('#banner').className = 'banner warn';
			$('#banner').textContent = 'Could not load the metrics: ' + e.message;
			document.body.setAttribute('data-state', 'error');
			return;
		}
		if (!state.polling)
			state.polling = setInterval(pollReady, POLL_MS);
	}
	function start() {
		wire();
		document.addEventListener('click', downloadWithToken);
		waitReady();
	}

	document.addEventListener('DOMContentLoaded', start);
})();
