#!/usr/bin/python3
"""Real-browser test of the dashboard served by casa-metricsd at /.

    CASA_BASE_URL=http://127.0.0.1:PORT/ python3 dashboard_test.py

Drives Debian's /usr/bin/chromium (headless) through /usr/bin/chromedriver
with python3-selenium: Debian packages only, nothing from a language
registry. The expected numbers come from the daemon's API, fetched here with
urllib: the test checks that what a person reads on the page is what the API
publishes. Optional: CASA_DOCS_SCREENSHOT=path copies the laptop screenshot
there.

    CASA_BASE_URL=... python3 dashboard_test.py --stale

checks only the stale state: a daemon serving its persisted snapshot while
the database is unreachable must be shown as stale in the banner.

    CASA_BASE_URL=... CASA_TOKEN=... python3 dashboard_test.py --token

checks a daemon with bearer tokens: the page asks for the token, refuses a
wrong one, then shows the data and downloads a CSV with the token.
Exits 1 with a message on the first failure.
"""

import base64
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    sys.exit('browser: the Python module selenium is missing: install the Debian package '
             'python3-selenium (scripts/deps.sh installs it)')

BASE = os.environ.get('CASA_BASE_URL', '').rstrip('/') + '/'
ORIGIN = BASE.rstrip('/')
ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'artifacts')
CHROMIUM = os.environ.get('CASA_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('CASA_CHROMEDRIVER', '/usr/bin/chromedriver')
TOKEN = os.environ.get('CASA_TOKEN', '')
TIMEOUT_S = 30

# Flags for a root user on a closed network: no sandbox (root), and every
# background service that would call home switched off (it would only be
# refused, and it is not the page's traffic). Scrollbars hidden as on a
# phone, so that the layout is 390 px wide at 390 px and the screenshots have
# the viewport's width.
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync',
                  '--hide-scrollbars', '--window-size=1366,900']


class Failure(Exception):
    """A check that did not hold; the message says what the page showed."""


class Run:
    """Where the test is, for the report: the step and the count of checks."""
    step = 'start'
    checks = 0


def ok(cond, msg):
    Run.checks += 1
    if not cond:
        raise Failure(msg)


def at(name):
    Run.step = name
    print(f'browser: {name}', flush=True)


def http_get(url, accept='application/json'):
    """GET with the token when there is one: (status, content type, text)."""
    headers = {'Accept': accept}
    if TOKEN:
        headers['Authorization'] = 'Bearer ' + TOKEN
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S) as res:
            return res.status, res.headers.get('Content-Type', ''), res.read().decode('utf-8')
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get('Content-Type', ''), ''


def api(path):
    status, _, text = http_get(BASE + path)
    if status != 200:
        raise Failure(f'API {path}: HTTP {status}')
    return json.loads(text)


def table_query(metric, pt, by=None, frm=None, to=None):
    q = {'period_type': pt}
    if by:
        q['by'] = by
    if frm:
        q['from'] = frm
    if to:
        q['to'] = to
    return f'api/v1/metrics/{metric}?{urllib.parse.urlencode(q)}'


def parse_shown(text):
    """Reads a displayed number ("13,225", "4.3%", "4.31") back to a number:
    None for an empty or dash cell, NaN for text that is no number."""
    t = re.sub(r'[,%\s]', '', text or '').replace('\u2212', '-')
    if t in ('', '\u2014'):
        return None
    try:
        return float(t)
    except ValueError:
        return math.nan


def near(shown, expected, tolerance):
    return shown is not None and expected is not None and abs(shown - expected) <= tolerance


def tile_tolerance(unit):
    """Decimals shown on a tile, by unit: percents and days to 0.1, rates per
    1,000 days to 0.01, children as whole numbers. A shown value is right when
    the API value rounds to it: |shown - api| <= half a unit in the last place."""
    if unit == 'children':
        return 0.5
    if unit and unit.startswith('per'):
        return 0.005 + 1e-9
    return 0.05 + 1e-9


class Page:
    """The one Chromium tab, with the page's console and network watched."""

    def __init__(self, profile_dir, download_dir):
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS + ['--user-data-dir=' + profile_dir]:
            opts.add_argument(flag)
        opts.add_experimental_option('prefs', {'download.default_directory': download_dir,
                                               'download.prompt_for_download': False})
        # Console messages, and the DevTools network events of the page.
        opts.set_capability('goog:loggingPrefs', {'browser': 'ALL', 'performance': 'ALL'})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.driver.execute_cdp_cmd('Browser.setDownloadBehavior',
                                    {'behavior': 'allow', 'downloadPath': download_dir})
        self.problems = []
        self.request_urls = {}
        # The start tab (Debian's default new-tab page of its search engine)
        # was loaded before the dashboard: its traffic is not the page's.
        self.driver.get_log('browser')
        self.driver.get_log('performance')
        self.set_viewport(1366, 900)

    def quit(self):
        self.driver.quit()

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def text(self, sel):
        return self.js('const e = document.querySelector(arguments[0]);'
                       'if (!e) throw new Error("no element " + arguments[0]); return e.textContent;', sel)

    def attr(self, sel, name):
        return self.js('const e = document.querySelector(arguments[0]);'
                       'if (!e) throw new Error("no element " + arguments[0]);'
                       'return e.getAttribute(arguments[1]);', sel, name)

    def find(self, sel):
        return self.driver.find_element(By.CSS_SELECTOR, sel)

    def click(self, sel):
        self.find(sel).click()

    def fill(self, sel, value):
        el = self.find(sel)
        el.clear()
        el.send_keys(value)

    def keys(self, *keys):
        ActionChains(self.driver).send_keys(*keys).perform()

    def shift_tab(self):
        ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()

    def goto(self, url):
        self.driver.get(url)  # returns after the load event

    def set_viewport(self, width, height):
        self.driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                                    {'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': False})
        shown = self.js('return [window.innerWidth, window.innerHeight]')
        ok(shown == [width, height], f'the viewport is {shown}, not {width}x{height}')

    def screenshot(self, path, full_page=False):
        params = {'format': 'png'}
        if full_page:
            size = self.driver.execute_cdp_cmd('Page.getLayoutMetrics', {})['cssContentSize']
            params['captureBeyondViewport'] = True
            params['clip'] = {'x': 0, 'y': 0, 'width': size['width'], 'height': size['height'], 'scale': 1}
        shot = self.driver.execute_cdp_cmd('Page.captureScreenshot', params)
        with open(path, 'wb') as f:
            f.write(base64.b64decode(shot['data']))

    def wait_for(self, script, what):
        try:
            WebDriverWait(self.driver, TIMEOUT_S, poll_frequency=0.05).until(lambda d: d.execute_script(script))
        except TimeoutException:
            state = self.js('return document.body && document.body.getAttribute("data-state")')
            raise Failure(f'{what}: not after {TIMEOUT_S} s (data-state={state})') from None

    def wait_ready(self):
        self.wait_for('const s = document.body.getAttribute("data-state");'
                      'return s === "error" || (s === "ready" && !document.querySelector(\'.card[aria-busy="true"]\'));',
                      'the page ready')
        self.collect()
        if self.attr('body', 'data-state') == 'error':
            raise Failure('the page reports an error: ' + self.text('#banner'))

    def choose(self, sel, value):
        Select(self.find(sel)).select_by_value(value)
        self.wait_ready()

    def collect(self):
        """Moves the console errors and the failed, refused or external
        requests logged since the last call into self.problems."""
        for e in self.driver.get_log('browser'):
            if e['level'] == 'SEVERE':
                self.problems.append(f'console error ({e["source"]}): {e["message"]}')
        for e in self.driver.get_log('performance'):
            msg = json.loads(e['message'])['message']
            method, params = msg['method'], msg.get('params', {})
            if method == 'Network.requestWillBeSent':
                url = params['request']['url']
                self.request_urls[params['requestId']] = url
                # data: and this origin's blob: URLs are the page's own.
                if not (url.startswith(BASE) or url.startswith('data:') or url.startswith('blob:' + ORIGIN + '/')):
                    self.problems.append(f'external request: {url}')
            elif method == 'Network.responseReceived':
                status = params['response']['status']
                if status >= 400:
                    self.problems.append(f'HTTP {status} for {params["response"]["url"]}')
            elif method == 'Network.loadingFailed':
                url = self.request_urls.get(params['requestId'], params['requestId'])
                self.problems.append(f'request failed: {url} {params.get("errorText")}')


def compare_table(page, card_sel, body, what):
    """Compares the rows of the table inside a card with the API's rows."""
    shown = page.js("""
        return [...document.querySelectorAll(arguments[0] + ' table.data tbody tr')].map((tr) => ({
            period: tr.querySelector('th.period').textContent,
            group: tr.querySelector('td.group') ? tr.querySelector('td.group').textContent : null,
            value: tr.querySelector('td.value').textContent,
            numerator: tr.querySelector('td.numerator').textContent,
            denominator: tr.querySelector('td.denominator').textContent,
            interval: tr.querySelector('td.interval') ? tr.querySelector('td.interval').textContent : null,
        }));""", card_sel)
    rows = body['rows']
    ok(len(shown) == len(rows), f'{what}: the table shows {len(shown)} rows, the API has {len(rows)}')
    k = body['disclosure']['min_cell']
    by = body.get('by')
    for i, (r, s) in enumerate(zip(rows, shown)):
        where = f'{what}, row {i + 1} ({r["period"]}{" " + r[by] if by else ""})'
        ok(s['period'] == r['period'], f'{where}: period shown {s["period"]}')
        if by:
            ok(s['group'] == r[by], f'{where}: group shown {s["group"]}')
        if r.get('suppressed'):
            ok(re.search(f'suppressed.*fewer than {k} children', s['value'], re.I),
               f'{where}: a suppressed cell reads "{s["value"]}", not "suppressed (fewer than {k} children)"')
            ok(not re.search(r'\d', s['numerator']) and not re.search(r'\d', s['denominator']),
               f'{where}: a suppressed cell shows a number')
            continue
        if r['value'] is None:
            ok('no data' in s['value'], f'{where}: a null value reads "{s["value"]}"')
        else:
            ok(near(parse_shown(s['value']), r['value'], 1e-9), f'{where}: value {s["value"]} != API {r["value"]}')
        ok(parse_shown(s['numerator']) == r['numerator'], f'{where}: numerator {s["numerator"]} != API {r["numerator"]}')
        ok(parse_shown(s['denominator']) == r['denominator'],
           f'{where}: denominator {s["denominator"]} != API {r["denominator"]}')
        check_interval_shown(where, s['interval'], r, body.get('unit'))


def picker_state(page):
    return page.js("""
        const v = (id) => document.querySelector(id).value;
        return { metric: v('#pick-metric'), periodType: v('#pick-period-type'), from: v('#pick-from'),
                 to: v('#pick-to'), by: v('#pick-by'),
                 fromOptions: [...document.querySelector('#pick-from').options].map((o) => o.value) };""")


def csv_lines(text):
    return len(re.split(r'\r?\n', text.strip()))


def check_explorer(page, what):
    """Checks the explorer card against the API for what the pickers say."""
    p = picker_state(page)
    body = api(table_query(p['metric'], p['periodType'], p['by'], p['from'], p['to']))
    ok(body['period_type'] == p['periodType'] and (body.get('by') or '') == p['by'],
       f'{what}: the API answered period_type={body["period_type"]} by={body.get("by")}')
    total = api(table_query(p['metric'], p['periodType']))
    periods = list(dict.fromkeys(r['period'] for r in total['rows']))
    ok(p['fromOptions'] == periods,
       f'{what}: the "From" picker lists {len(p["fromOptions"])} periods, the API table has {len(periods)}')
    # Open the table as a person would.
    page.click('#card-explore details.table-toggle summary')
    compare_table(page, '#card-explore', body, what)
    csv = page.attr('#card-explore a.csv', 'href')
    url = urllib.parse.urljoin(BASE, csv)
    q = {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}
    ok(q.get('format') == 'csv' and q.get('from') == p['from'] and q.get('to') == p['to'] and
       q.get('period_type') == p['periodType'],
       f'{what}: the CSV link {csv} does not name format=csv, the period type and the range')
    status, ctype, text = http_get(url, 'text/csv')
    ok(status == 200 and 'text/csv' in ctype, f'{what}: the CSV link answered {status} {ctype}')
    lines = csv_lines(text)
    ok(lines == len(body['rows']) + 1, f'{what}: the CSV has {lines - 1} data lines, the JSON {len(body["rows"])} rows')
    svgs = page.js('return document.querySelectorAll("#card-explore svg.chart").length')
    ok(svgs == 1, f'{what}: no chart drawn')
    return body


def find_suppressed(catalog):
    """A table with a suppressed cell: every breakdown of every metric."""
    for m in catalog['metrics']:
        for pt in ('fiscal_year', 'year', 'quarter'):
            for by in [b for b in m['published'].get(pt, []) if b != 'total']:
                body = api(table_query(m['id'], pt, by))
                if any(r.get('suppressed') for r in body['rows']):
                    return {'metric': m['id'], 'pt': pt, 'by': by, 'body': body}
    return None


def check_stale(page):
    """The stale banner (SPEC §7): /readyz says stale, the page must say so."""
    at('stale banner')
    ready = api('readyz')
    ok(ready.get('stale') is True, f'--stale: /readyz says stale={ready.get("stale")}; the daemon is not stale')
    page.goto(BASE)
    page.wait_ready()
    cls = page.attr('#banner', 'class') or ''
    text = page.text('#banner')
    ok('warn' in cls and re.search('stale', text, re.I), f'stale: the banner reads "{text}" (class {cls})')
    ok(ready['snapshot']['id'][:12] in text, f'stale: the banner does not name snapshot {ready["snapshot"]["id"]}')
    tiles = page.js('return document.querySelectorAll(".tile").length')
    ok(tiles > 0, "stale: the last snapshot's tiles are not shown")
    page.screenshot(os.path.join(ARTIFACTS, 'dashboard-stale.png'))


def wait_download(directory):
    """The one finished file Chromium saved into directory."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        names = os.listdir(directory)
        done = [n for n in names if not n.endswith('.crdownload')]
        if done and len(done) == len(names):
            return os.path.join(directory, done[0])
        time.sleep(0.1)
    raise Failure(f'no download finished within {TIMEOUT_S} s')


def check_token(page, download_dir):
    """A daemon with api_tokens: the token prompt, then the data (SPEC §7)."""
    at('token prompt')
    ok(TOKEN, '--token needs CASA_TOKEN')
    page.goto(BASE)
    page.wait_for('return document.body.getAttribute("data-state") === "token"', 'the token prompt')
    page.fill('#token-input', TOKEN + 'x')
    page.click('#token-form button')
    page.wait_for('return document.body.getAttribute("data-state") === "token" &&'
                  '/not accepted/.test(document.querySelector("#banner").textContent)', 'a wrong token refused')
    at('token accepted')
    page.fill('#token-input', TOKEN)
    page.click('#token-form button')
    page.wait_ready()
    summary = api('api/v1/summary')
    e = next((x for x in summary['metrics'] if x['metric'] == 'runaway_episodes_per_1000_days'), None)
    shown = page.text('.tile[data-metric="runaway_episodes_per_1000_days"] [data-testid="tile-value"]')
    ok(e and (re.search('suppressed', shown, re.I) if e.get('suppressed') else
              near(parse_shown(shown.split(' ')[0]), e['value'], tile_tolerance(e.get('unit')))),
       f'token: the runaway tile reads "{shown}", the API says {e and e["value"]}')
    ok(TOKEN not in page.driver.page_source, 'token: the token appears in the page')
    at('CSV download with the token')
    p = picker_state(page)
    body = api(table_query(p['metric'], p['periodType'], p['by'], p['from'], p['to']))
    page.click('#card-explore a.csv')
    saved = os.path.join(ARTIFACTS, 'token-download.csv')
    shutil.copyfile(wait_download(download_dir), saved)
    with open(saved, encoding='utf-8') as f:
        lines = csv_lines(f.read())
    ok(lines == len(body['rows']) + 1,
       f'token: the CSV download has {lines - 1} data lines, the API {len(body["rows"])} rows')


def check_tiles(page, summary):
    """Tiles against /api/v1/summary."""
    at('tiles against /api/v1/summary')
    tiles = page.js("""
        const t = (el, sel) => el.querySelector(sel) ? el.querySelector(sel).textContent : null;
        return [...document.querySelectorAll('.tile')].map((el) => ({
            metric: el.getAttribute('data-metric'),
            value: t(el, '[data-testid="tile-value"]'),
            num: t(el, '.tile-value .num'),
            period: t(el, '.tile-period'),
            reference: t(el, '[data-testid="tile-reference"] strong'),
            change: t(el, '.tile-change'),
            change_class: el.querySelector('.tile-change') ? el.querySelector('.tile-change').className : '',
            arrow: !!el.querySelector('.tile-change svg.arrow'),
            interval: t(el, '[data-testid="tile-interval"]'),
        }));""")
    wanted = ['runaway_episodes_per_1000_days', 'youth_with_runaway_pct', 'reported_ncmec_24h_pct',
              'screened_after_return_pct', 'placement_moves_per_1000_days', 'still_missing_count']
    for mid in wanted:
        e = next((x for x in summary['metrics'] if x['metric'] == mid), None)
        t = next((x for x in tiles if x['metric'] == mid), None)
        ok(not e or t, f'tile {mid}: in the summary but not on the page')
        if not e:
            continue
        ok(e['period'] in t['period'], f'tile {mid}: period "{t["period"]}", the API says {e["period"]}')
        if e.get('suppressed'):
            ok(re.search('suppressed', t['value'], re.I), f'tile {mid}: suppressed in the API, shows "{t["value"]}"')
        elif e['value'] is None:
            ok(re.search('no data', t['value'], re.I), f'tile {mid}: null in the API, shows "{t["value"]}"')
        else:
            ok(near(parse_shown(t['num']), e['value'], tile_tolerance(e.get('unit'))),
               f'tile {mid}: shows {t["num"]}, the API value is {e["value"]}')
        if e.get('reference') is not None:
            ok(t['reference'] is not None and parse_shown(t['reference']) == e['reference'],
               f'tile {mid}: reference {t["reference"]} != {e["reference"]}')
        check_tile_statistics(mid, e, t)
    # Issue 14: the test needs a tile whose change is within noise.
    quiet = [x['metric'] for x in summary['metrics'] if x['metric'] in wanted and not x.get('provisional') and
             (x.get('statistics') or {}).get('change_direction') == 'no_clear_change']
    ok(quiet, 'no headline tile has a change within noise (change_direction no_clear_change) to check')


def shown_number(text):
    """The number of a value shown with its unit ("12.3%", "4.31 per 1,000
    days in care", "1,234 children"): its first word."""
    return parse_shown((text or '').split(' ')[0])


def check_shown_value(where, shown, value, suppressed, unit):
    if suppressed:
        ok(re.search('suppressed', shown, re.I), f'{where}: suppressed in the API, shows "{shown}"')
    elif value is None:
        ok(re.search('no data', shown, re.I), f'{where}: null in the API, shows "{shown}"')
    else:
        ok(near(shown_number(shown), value, tile_tolerance(unit)), f'{where}: shows "{shown}", the API says {value}')


def check_summary_table(page, catalog, summary):
    """The table of every metric: one row per catalog metric, in catalog
    order, with the summary's period, value, counts and reference."""
    at('every metric against /api/v1/summary')
    rows = page.js("""
        const t = (el, sel) => el.querySelector(sel) ? el.querySelector(sel).textContent : null;
        return [...document.querySelectorAll('#summary-table tbody tr')].map((tr) => ({
            metric: tr.getAttribute('data-metric'), title: t(tr, 'th'), period: t(tr, 'td.period'),
            value: t(tr, 'td.value'), numerator: t(tr, 'td.numerator'),
            denominator: t(tr, 'td.denominator'), reference: t(tr, 'td.reference'),
            interval: t(tr, 'td.interval'),
        }));""")
    ids = [m['id'] for m in catalog['metrics']]
    ok([r['metric'] for r in rows] == ids,
       f'every metric: the table lists {len(rows)} metrics, the catalog {len(ids)}: {[r["metric"] for r in rows]}')
    for r, m in zip(rows, catalog['metrics']):
        where = f'every metric: {m["id"]}'
        ok(r['title'] == m['title'], f'{where}: title "{r["title"]}", the catalog says "{m["title"]}"')
        e = next((x for x in summary['metrics'] if x['metric'] == m['id']), None)
        ok(e, f'{where}: not in /api/v1/summary')
        ok(e['period'] is None or e['period'] in r['period'], f'{where}: period "{r["period"]}", the API says {e["period"]}')
        check_shown_value(where, r['value'], e['value'], e.get('suppressed'), e['unit'])
        if not e.get('suppressed'):
            ok(parse_shown(r['numerator']) == e['numerator'], f'{where}: numerator {r["numerator"]} != {e["numerator"]}')
            ok(parse_shown(r['denominator']) == e['denominator'],
               f'{where}: denominator {r["denominator"]} != {e["denominator"]}')
        if e.get('reference') is not None:
            ok(near(shown_number(r['reference']), e['reference'], tile_tolerance(e['unit'])),
               f'{where}: reference "{r["reference"]}", the API says {e["reference"]}')
        check_interval_shown(where, r['interval'], e.get('statistics') if not e.get('suppressed') else None,
                             e['unit'])


def check_gap_tile(page, catalog, summary):
    """The screening gap by sex: both values as the API's sex table for the
    summary's period, the catalog's references by sex, the gap in points."""
    at('screening gap tile against the API')
    mid = 'screened_after_return_pct'
    e = next(x for x in summary['metrics'] if x['metric'] == mid)
    m = next(x for x in catalog['metrics'] if x['id'] == mid)
    # issue 13: the latest closed quarter whose sex breakdown is published
    pt = page.attr('[data-testid="tile-screening-gap"]', 'data-period-type')
    period = page.attr('[data-testid="tile-screening-gap"]', 'data-period')
    want_pt = 'quarter' if 'sex' in m['published'].get('quarter', []) else e['period_type']
    ok(pt == want_pt, f'gap tile: by {pt}, the catalog publishes sex by {want_pt}')
    closed = [r['period'] for r in api(table_query(mid, pt, 'sex'))['rows'] if not r['provisional']]
    ok(closed and period == closed[-1], f'gap tile: period {period}, the latest closed one is {closed[-1:]}')
    body = api(table_query(mid, pt, 'sex', period, period))
    ok(body['rows'] and not any(r['provisional'] for r in body['rows']), f'gap tile: {period} is provisional')
    values = {}
    for sex in ('female', 'male'):
        r = next((x for x in body['rows'] if x['sex'] == sex), None)
        shown = page.text(f'[data-testid="tile-screening-gap"] dd[data-sex="{sex}"] .num')
        check_shown_value(f'gap tile ({sex})', shown, r and r['value'], r and r.get('suppressed'), m['unit'])
        values[sex] = None if not r or r.get('suppressed') else r['value']
        # issue 14: each value with the API's interval, none where it has none
        shown_iv = page.js('const x = document.querySelector(arguments[0]); return x ? x.textContent : "";',
                           f'[data-testid="tile-screening-gap"] dd[data-sex="{sex}"] .gap-interval')
        if values[sex] is not None and r.get('interval_low') is not None:
            got = re.search(r'interval\s+(\S+)\s+to\s+([^\s)]+)', shown_iv)
            tol = interval_tolerance(m['unit'])
            ok(got and near(parse_shown(got.group(1)), r['interval_low'], tol) and
               near(parse_shown(got.group(2)), r['interval_high'], tol),
               f'gap tile ({sex}): interval "{shown_iv}", the API says {r["interval_low"]} to {r["interval_high"]}')
        else:
            ok(not re.search(r'\d', shown_iv), f'gap tile ({sex}): no interval in the API, the tile shows "{shown_iv}"')
        ref = next((x for x in m['references'] if x.get('by') == 'sex' and x.get('group') == sex), None)
        if ref:
            shown_ref = page.text(f'[data-testid="tile-screening-gap"] dd[data-sex="{sex}"] .gap-ref')
            ok(near(parse_shown(re.sub(r'[^0-9.]', '', shown_ref)), ref['value'], 0.05 + 1e-9),
               f'gap tile ({sex}): reference "{shown_ref}", the catalog says {ref["value"]}')
    gap = page.text('[data-testid="tile-screening-gap"] [data-testid="gap"]')
    if values['female'] is not None and values['male'] is not None:
        want = abs(values['female'] - values['male'])
        got = re.search(r'([0-9.]+) pts', gap)
        ok(want == 0 or (got and near(float(got.group(1)), want, 0.005 + 1e-9)),
           f'gap tile: "{gap}", the API gives a gap of {want:.2f} points')
    else:
        ok('not shown' in gap, f'gap tile: a cell is suppressed or empty, yet "{gap}"')


def check_section_cards(page):
    """The permanency and reach cards: each table against the API body its
    JSON link names."""
    for card in ('card-permanency-entries', 'card-reentry', 'card-permanency-assignment',
                 'card-reach', 'card-days-to-assignment'):
        at(f'{card} against the API')
        link = urllib.parse.urlsplit(urllib.parse.urljoin(BASE, page.attr(f'#{card} a.json', 'href')))
        body = api(link.path[1:] + ('?' + link.query if link.query else ''))
        heading = page.text(f'#{card} h3')
        m = api('api/v1/metrics')
        title = next(x['title'] for x in m['metrics'] if x['id'] == body['metric'])
        ok(heading == title, f'{card}: heading "{heading}", the catalog title "{title}"')
        page.click(f'#{card} details.table-toggle summary')
        compare_table(page, f'#{card}', body, card)


def check_issue17(page, catalog, summary):
    at('issue 17 sections')
    page.wait_for('return document.body.getAttribute("data-sections") === "ready"', 'the issue-17 sections')
    check_summary_table(page, catalog, summary)
    check_gap_tile(page, catalog, summary)
    check_section_cards(page)
    at('issue 17 cards: error bars')
    check_chart_error_bars(page, ('#card-permanency-entries', '#card-reentry', '#card-permanency-assignment',
                                  '#card-reach', '#card-days-to-assignment'))

def check_tile_statistics(mid, e, t):
    """Issue 14: the interval under the value; an arrow, a colour and
    better/worse only for a change beyond noise, else "no clear change"."""
    st = e.get('statistics') or {}
    tol = tile_tolerance(e.get('unit'))
    if not e.get('suppressed') and st.get('interval_low') is not None:
        m = re.search(r'interval\s+(\S+)\s+to\s+(\S+)', t['interval'] or '')
        ok(m and near(parse_shown(m.group(1)), st['interval_low'], tol) and
           near(parse_shown(m.group(2)), st['interval_high'], tol),
           f'tile {mid}: interval reads "{t["interval"]}", the API says {st["interval_low"]} to {st["interval_high"]}')
    if e.get('change') is None:
        ok(not t['arrow'], f'tile {mid}: an arrow without a change')
        return
    if e.get('provisional'):
        # issue 13: a provisional value may still move: never a verdict
        ok(not t['arrow'] and 'better' not in t['change_class'] and 'worse' not in t['change_class'] and
           'provisional' in t['change'],
           f'tile {mid}: provisional period, change reads "{t["change"]}" (class "{t["change_class"]}")')
        return
    direction = st.get('change_direction')
    if direction in ('up', 'down'):
        ok(t['arrow'], f'tile {mid}: change {direction} beyond noise, but no arrow ("{t["change"]}")')
        ok(st['change_vs'] in t['change'], f'tile {mid}: change does not name {st["change_vs"]}')
        hib = e.get('higher_is_better')
        if hib is None:
            # the catalog gives no better direction: no verdict
            ok('better' not in t['change'] and 'worse' not in t['change'],
               f'tile {mid}: no better direction in the catalog, yet "{t["change"]}"')
        else:
            better = (direction == 'up') == hib
            ok(('better' if better else 'worse') in t['change'],
               f'tile {mid}: change {direction} (higher_is_better={hib}) reads "{t["change"]}"')
        return
    # within noise (or no interval, a count): no arrow, no verdict, no colour
    ok(not t['arrow'], f'tile {mid}: change within noise drawn with an arrow ("{t["change"]}")')
    ok('better' not in t['change'] and 'worse' not in t['change'] and
       'better' not in t['change_class'] and 'worse' not in t['change_class'],
       f'tile {mid}: change within noise reads "{t["change"]}" (class "{t["change_class"]}")')
    if direction == 'no_clear_change':
        ok(re.search('no clear change', t['change'], re.I) and st['change_vs'] in t['change'],
           f'tile {mid}: change within noise reads "{t["change"]}", not "no clear change from {st["change_vs"]}"')


def interval_tolerance(unit):
    """Decimals of an interval in a table: those of the charts (fmtValue)."""
    if unit and unit.startswith('per'):
        return 0.005 + 1e-9
    return 0.05 + 1e-9


def check_chart_error_bars(page, cards):
    """Every chart of these cards whose rows have intervals draws error bars."""
    for card in cards:
        link = urllib.parse.urlsplit(urllib.parse.urljoin(BASE, page.attr(card + ' a.json', 'href')))
        body = api(link.path[1:] + ('?' + link.query if link.query else ''))
        with_interval = [r for r in body['rows'] if not r.get('suppressed') and r.get('interval_low') is not None]
        bars = page.js('return document.querySelectorAll(arguments[0] + " svg.chart .error-bar").length', card)
        ok(not with_interval or bars > 0,
           f'{card}: {len(with_interval)} rows have an interval in the API, the chart draws no error bar')


def check_error_bars(page):
    """Issue 14: every chart whose rows have intervals draws error bars, and
    the explorer's table shows the API's intervals."""
    at('error bars and intervals')
    check_chart_error_bars(page, ('#card-explore', '#card-quarter', '#card-fy', '#card-county', '#card-advocate'))
    p = picker_state(page)
    body = api(table_query(p['metric'], p['periodType'], p['by'], p['from'], p['to']))
    shown = page.js("""return [...document.querySelectorAll('#card-explore table.data tbody tr td.interval')]
                         .map((td) => td.textContent);""")
    ok(len(shown) == len(body['rows']), f'explorer: {len(shown)} interval cells for {len(body["rows"])} rows')
    for r, s in zip(body['rows'], shown):
        check_interval_shown(f'explorer {r["period"]}', s, None if r.get('suppressed') else r, body.get('unit'))


def check_interval_shown(where, shown, r, unit):
    """An interval cell ("3.26 to 5.58", or a dash) against the API's
    interval_low and interval_high of row or statistics r (None: nothing
    published, so no number may show)."""
    ok(shown is not None, f'{where}: no interval cell')
    if r is None or r.get('interval_low') is None:
        ok(not re.search(r'\d', shown or ''), f'{where}: no interval in the API, the table shows "{shown}"')
        return
    tol = interval_tolerance(unit)
    m = re.match(r'\s*(\S+)\s+to\s+(\S+)', shown or '')
    ok(m and near(parse_shown(m.group(1)), r['interval_low'], tol) and
       near(parse_shown(m.group(2)), r['interval_high'], tol),
       f'{where}: interval "{shown}", the API says {r["interval_low"]} to {r["interval_high"]}')


def check_advocate_card(page):
    """Issue 14: the advocate view shows as measured and standardized side by
    side, explained in one line, and its standardized values are the API's."""
    at('advocate comparison against the API')
    link = urllib.parse.urlsplit(urllib.parse.urljoin(BASE, page.attr('#card-advocate a.json', 'href')))
    body = api(link.path[1:] + ('?' + link.query if link.query else ''))
    ok(any('standardized_value' in r for r in body['rows']),
       f'advocate card: the API table {link.query} has no standardized comparison')
    # issue 13: by quarter, closed quarters only (the default plan publishes
    # quarters by advocate; an unsettled quarter has its total only)
    q = urllib.parse.parse_qs(link.query)
    ok(q.get('period_type') == ['quarter'] and q.get('by') == ['advocate'],
       f'advocate card: the table is {link.query}, not quarters by advocate')
    ok(len({r['period'] for r in body['rows']}) >= 2 and not any(r['provisional'] for r in body['rows']),
       f'advocate card: {len(body["rows"])} rows, provisional ones among them')
    ok('closed' in page.text('#card-advocate .card-sub'), 'advocate card: the subtitle does not say closed periods')
    charts = page.js('return document.querySelectorAll("#card-advocate svg.chart").length')
    ok(charts == 2 and page.js('return !!document.querySelector(\'#card-advocate [data-testid="standardized-chart"]\')'),
       f'advocate card: {charts} charts, not as measured and standardized side by side')
    note = page.text('#card-advocate [data-testid="standardized-note"]')
    ok(re.search('ages and placement settings', note), f'advocate card: the explanation reads "{note}"')
    page.click('#card-advocate details.table-toggle summary')
    shown = page.js("""return [...document.querySelectorAll('#card-advocate table.data tbody tr')].map((tr) => ({
            period: tr.querySelector('th.period').textContent,
            group: tr.querySelector('td.group').textContent,
            standardized: tr.querySelector('td.standardized').textContent,
            expected: tr.querySelector('td.expected').textContent }));""")
    ok(len(shown) == len(body['rows']), f'advocate card: {len(shown)} rows shown, the API has {len(body["rows"])}')
    published = 0
    for r, s in zip(body['rows'], shown):
        where = f'advocate card {r["period"]} {r["advocate"]}'
        ok(s['period'] == r['period'] and s['group'] == r['advocate'], f'{where}: the row shows {s}')
        for key, col in (('standardized_value', 'standardized'), ('expected', 'expected')):
            if r.get(key) is None:
                ok(not re.search(r'\d', s[col]), f'{where}: {key} null in the API, shows "{s[col]}"')
            else:
                ok(parse_shown(s[col]) == r[key], f'{where}: {key} shown {s[col]}, the API says {r[key]}')
        published += r.get('standardized_value') is not None
    ok(published > 0, 'advocate card: no standardized value published to compare')


def check_county_card(page):
    at('county card against the API')
    link = urllib.parse.urlsplit(urllib.parse.urljoin(BASE, page.attr('#card-county a.json', 'href')))
    body = api(link.path[1:] + ('?' + link.query if link.query else ''))
    page.click('#card-county details.table-toggle summary')
    compare_table(page, '#card-county', body, 'county card')
    # Bars: every published county with its value; with many counties (the
    # page's limit is 16) the suppressed ones are named in a list.
    bars = page.js("""
        return [...document.querySelectorAll('#card-county svg.chart g.bar')].map((g) => ({
            county: g.getAttribute('data-group'),
            value: g.querySelector('text.value') ? g.querySelector('text.value').textContent : null,
            hatched: !!g.querySelector('[data-suppressed="true"]'),
        }));""")
    published = [r for r in body['rows'] if not r.get('suppressed') and r['value'] is not None]
    suppressed = [r['county'] for r in body['rows'] if r.get('suppressed')]
    for r in published:
        bar = next((b for b in bars if b['county'] == r['county']), None)
        ok(bar and near(parse_shown(bar['value']), r['value'], tile_tolerance(body.get('unit'))),
           f'county card: the bar of {r["county"]} reads {bar and bar["value"]}, the API value is {r["value"]}')
    if len(body['rows']) > 16:
        ok(len(bars) == len(published), f'county card: {len(bars)} bars for {len(published)} published counties')
        if suppressed:
            listed = page.text('#card-county [data-testid="suppressed-groups"]')
            k = body['disclosure']['min_cell']
            ok(f'fewer than {k} children' in listed, f'county card: the suppressed list says "{listed[:80]}"')
            for c in suppressed:
                ok(c in listed, f'county card: suppressed county {c} is not listed as suppressed')
    else:
        ok(len(bars) == len(body['rows']), f'county card: {len(bars)} bars for {len(body["rows"])} counties')
        for c in suppressed:
            bar = next((b for b in bars if b['county'] == c), None)
            ok(bar and bar['hatched'], f'county card: suppressed county {c} is not hatched')


def check_keyboard_and_charts(page):
    # Keyboard: the pickers are reachable with Tab and show a focus ring.
    page.keys(Keys.TAB)
    page.keys(Keys.TAB)
    focused = page.js('return document.activeElement && document.activeElement.tagName')
    ok(focused and focused != 'BODY', 'keyboard: Tab does not move the focus')
    page.js('document.querySelector("#pick-metric").focus()')
    page.shift_tab()
    page.keys(Keys.TAB)
    ring = page.js('return getComputedStyle(document.activeElement).outlineStyle')
    ok(ring != 'none', 'keyboard: the focused picker has no focus outline')
    # Every chart is an image with a title and a description.
    charts = page.js("""
        return [...document.querySelectorAll('svg.chart')].map((e) => ({
            role: e.getAttribute('role'),
            title: e.querySelector('title') ? e.querySelector('title').textContent : '',
            desc: e.querySelector('desc') ? e.querySelector('desc').textContent : '',
        }));""")
    ok(len(charts) >= 6, f'only {len(charts)} charts on the page')
    for c in charts:
        ok(c['role'] == 'img' and c['title'] and c['desc'], f'a chart lacks role=img, <title> or <desc>: {c}')


def check_published_pickers(page, m):
    """Issue 13: the pickers offer only the tables the catalog says are
    published. Under the default plan a month has its total only: with
    months picked, the breakdown picker offers "Total" alone."""
    at('pickers offer published tables only')
    ok(m['published'].get('month') in (None, ['total']),
       f'metric {m["id"]}: the default plan publishes month totals only, the catalog says {m["published"]}')
    offered = page.js('return [...document.querySelectorAll("#pick-period-type option")].map((o) => o.value)')
    ok(offered == [t for t in m['period_types'] if t in m['published']],
       f'period type picker offers {offered}, the catalog publishes {list(m["published"])}')
    if 'month' in offered:
        page.choose('#pick-period-type', 'month')
        bys = page.js('return [...document.querySelectorAll("#pick-by option")].map((o) => o.value)')
        ok(bys == [''], f'months picked: the breakdown picker offers {bys}, only the total is published')
        page.choose('#pick-period-type', 'quarter' if 'quarter' in offered else offered[-1])
    pt = picker_state(page)['periodType']
    bys = page.js('return [...document.querySelectorAll("#pick-by option")].map((o) => o.value)')
    ok(bys == [''] + [b for b in m['published'][pt] if b != 'total'],
       f'{pt}: the breakdown picker offers {bys}, the catalog publishes {m["published"][pt]}')


def check_provisional(page):
    """Issue 13: the current period's total is drawn marked provisional.
    The explorer opens on quarters; as_of is 2025-06-30 (test_browser.sh),
    so 2025-Q2 ends on as_of, 30 settle days after it are still to come:
    its total is provisional (the API must say so too), and no breakdown of
    it is published."""
    at('the current period is marked provisional')
    p = picker_state(page)
    ok(p['periodType'] == 'quarter' and p['by'] == '' and p['to'] == '2025-Q2',
       f'the explorer opens on {p}, not the quarterly total through 2025-Q2')
    body = api(table_query(p['metric'], 'quarter', None, p['from'], p['to']))
    last = body['rows'][-1]
    ok(last['period'] == '2025-Q2' and last['provisional'] is True,
       f'the API row of 2025-Q2 is {last.get("period")} provisional={last.get("provisional")}')
    ok(all(not r['provisional'] for r in body['rows'][:-1]), 'a quarter before 2025-Q2 is provisional in the API')
    ok(not [r for r in api(table_query(p['metric'], 'quarter', 'advocate'))['rows'] if r['period'] == '2025-Q2'],
       'the API publishes 2025-Q2 by advocate before it settles')
    page.click('#card-explore details.table-toggle summary')
    marked = page.js("""return [...document.querySelectorAll('#card-explore table.data tbody tr[data-provisional="true"]')]
        .map((tr) => tr.getAttribute('data-period'));""")
    ok(marked == ['2025-Q2'], f'explorer table: rows marked provisional {marked}, expected 2025-Q2 only')
    note = page.text('#card-explore table.data tbody tr[data-period="2025-Q2"] td.note')
    ok('provisional' in note, f'explorer table: the 2025-Q2 note reads "{note}"')
    drawn = page.js("""return [...document.querySelectorAll('#card-explore svg.chart circle[data-provisional="true"]')]
        .map((c) => c.querySelector('title').textContent);""")
    ok(len(drawn) == (0 if last['suppressed'] or last['value'] is None else 1) and
       all('2025-Q2' in t and 'provisional' in t for t in drawn),
       f'explorer chart: provisional points {drawn}, expected the 2025-Q2 one')
    key = page.js('const k = document.querySelector(\'#card-explore [data-testid="key-provisional"]\');'
                  'return k ? k.textContent : "";')
    ok('provisional' in key, f'explorer legend: no provisional key ("{key}")')
    page.click('#card-explore details.table-toggle summary')  # closed again, as check_explorer expects


def check_no_refused_requests(page, what):
    """Issue 13: the page asks only for published tables: no request of it
    answered 400 or 404 (DevTools network events, Page.collect), and it did
    ask the API for tables (so the check is not vacuous)."""
    at(f'no refused request: {what}')
    page.collect()
    refused = [x for x in page.problems if re.match(r'HTTP (400|404) ', x)]
    ok(not refused, f'{what}: the page asked for tables the API refuses:\n  ' + '\n  '.join(refused))
    tables = [u for u in page.request_urls.values() if '/api/v1/metrics/' in u]
    ok(len(tables) > 0, f'{what}: the page requested no table at all')


def check_dashboard(page, catalog, summary):
    at('load the page')
    page.goto(BASE)
    page.wait_ready()

    # Banner: freshness from the snapshot.
    banner = page.text('#banner')
    ok('Data through' in banner, f'banner: "{banner}" does not say how fresh the data is')
    as_of_shown = page.text('[data-testid="as-of"]')
    try:
        shown_date = datetime.strptime(as_of_shown.strip(), '%b %d, %Y').date()
    except ValueError:
        shown_date = None
    ok(shown_date == date.fromisoformat(catalog['snapshot']['as_of']),
       f'banner: as-of shown "{as_of_shown}", the API says {catalog["snapshot"]["as_of"]}')

    check_tiles(page, summary)
    check_issue17(page, catalog, summary)
    check_provisional(page)
    check_no_refused_requests(page, 'the page as loaded')

    # The explorer as loaded, then as a person changes it.
    at('explorer table against the API')
    check_explorer(page, 'explorer (initial)')
    first = picker_state(page)
    m = next(x for x in catalog['metrics'] if x['id'] == first['metric'])
    check_published_pickers(page, m)
    new_type = next((t for t in m['period_types'] if t != first['periodType'] and
                     len(m['published'].get(t, [])) > 1), None)
    ok(new_type, f'metric {m["id"]} publishes breakdowns for one period type only')
    at(f'pick period type {new_type}')
    page.choose('#pick-period-type', new_type)
    bys = [b for b in m['published'][new_type] if b != 'total']
    # a few groups: a line per group over the whole range (county draws the
    # last period only, which under the plan may have no interval to draw)
    new_by = 'sex' if 'sex' in bys else bys[0]
    at(f'pick breakdown {new_by}')
    page.choose('#pick-by', new_by)
    page.click('#pick-apply')
    page.wait_ready()
    after = picker_state(page)
    ok(after['periodType'] == new_type and after['by'] == new_by,
       f'pickers: expected {new_type}/{new_by}, the page has {after["periodType"]}/{after["by"]}')
    heading = page.text('#card-explore h3')
    ok(new_by.replace('_', ' ', 1) in heading.lower(),
       f'explorer heading "{heading}" does not follow the breakdown {new_by}')
    check_explorer(page, f'explorer ({new_type} by {new_by})')

    check_county_card(page)
    check_advocate_card(page)
    check_error_bars(page)

    at('every metric of the catalog')
    for meta in catalog['metrics']:
        page.choose('#pick-metric', meta['id'])
        errors = page.js('return [...document.querySelectorAll(".card .error")].map((e) => e.textContent)')
        ok(not errors, f'metric {meta["id"]}: {"; ".join(errors)}')
        st = picker_state(page)
        ok(st['periodType'] in meta['period_types'], f'metric {meta["id"]}: period type {st["periodType"]} offered')
        body = api(table_query(meta['id'], st['periodType'], st['by'], st['from'], st['to']))
        compare_table(page, '#card-explore', body, f'metric {meta["id"]}')

    # Suppressed cells read as suppressed, in the table and in the chart.
    at('suppressed cells')
    sup = find_suppressed(catalog)
    ok(sup, 'no table of the API has a suppressed cell (seed the test data with --small-counties)')
    page.choose('#pick-metric', sup['metric'])
    page.choose('#pick-period-type', sup['pt'])
    page.choose('#pick-by', sup['by'])
    opts = picker_state(page)['fromOptions']
    page.choose('#pick-from', opts[0])
    page.choose('#pick-to', opts[-1])
    sup_body = check_explorer(page, f'suppressed cells ({sup["metric"]} by {sup["by"]}, {sup["pt"]})')
    ok(any(r.get('suppressed') for r in sup_body['rows']), 'the explorer table lost its suppressed cells')
    marks = page.js('return document.querySelectorAll(\'#card-explore svg.chart [data-suppressed="true"]\').length')
    ok(marks > 0, 'the explorer chart draws no hatched marker for a suppressed cell')
    check_no_refused_requests(page, 'every metric and picker')

    at('screenshots')
    laptop = os.path.join(ARTIFACTS, 'dashboard-laptop.png')
    page.goto(BASE)
    page.wait_ready()
    page.screenshot(laptop, full_page=True)
    page.set_viewport(390, 844)
    page.driver.refresh()
    page.wait_ready()
    width = page.js('return document.documentElement.scrollWidth')
    ok(width <= 391, f'phone: the page is {width}px wide at 390px (horizontal scrolling)')
    page.screenshot(os.path.join(ARTIFACTS, 'dashboard-phone.png'), full_page=True)
    if os.environ.get('CASA_DOCS_SCREENSHOT'):
        shutil.copyfile(laptop, os.environ['CASA_DOCS_SCREENSHOT'])

    check_keyboard_and_charts(page)


def run(page, download_dir, mode):
    if mode == '--token':
        check_token(page, download_dir)
        page.collect()
        # The page's first calls are refused until it has the token.
        rest = [x for x in page.problems if not re.search(r'\b401\b', x)]
        ok(not rest, 'the page had errors:\n  ' + '\n  '.join(rest))
        return
    if mode == '--stale':
        check_stale(page)
    else:
        catalog, summary = api('api/v1/metrics'), api('api/v1/summary')
        check_dashboard(page, catalog, summary)
    page.collect()
    ok(not page.problems, 'the page had errors:\n  ' + '\n  '.join(page.problems))


def main():
    mode = next((a for a in sys.argv[1:] if a in ('--stale', '--token')), '')
    ok(BASE != '/', 'CASA_BASE_URL is not set')
    os.makedirs(ARTIFACTS, exist_ok=True)
    failure_shot = os.path.join(ARTIFACTS, 'failure.png')
    if os.path.exists(failure_shot):
        os.remove(failure_shot)
    scratch = tempfile.mkdtemp(prefix='casa-chromium.')
    download_dir = os.path.join(scratch, 'downloads')
    os.mkdir(download_dir)
    page = None
    try:
        page = Page(os.path.join(scratch, 'profile'), download_dir)
        run(page, download_dir, mode)
    except Exception:
        if page:
            try:
                page.screenshot(failure_shot, full_page=True)
                print(f'browser: page state at failure saved to {failure_shot}', file=sys.stderr)
                page.collect()
            except WebDriverException:
                pass
            if page.problems:
                print('browser: page errors so far:\n  ' + '\n  '.join(page.problems), file=sys.stderr)
        raise
    finally:
        if page:
            page.quit()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f'browser{" (" + mode[2:] + ")" if mode else ""}: {Run.checks} checks passed; screenshots in {ARTIFACTS}')


if __name__ == '__main__':
    try:
        main()
    except (Failure, WebDriverException) as e:
        print(f'browser test FAILED at "{Run.step}": {e}', file=sys.stderr)
        sys.exit(1)
