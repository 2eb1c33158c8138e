#!/usr/bin/python3
"""Checks dashboards/grafana/casa-metricsd.json against a running daemon.

The JSON parses, it declares the Infinity data-source input and the api_base
variable, and every API path a panel reads exists (metric id in the catalog,
period_type and by allowed for it, from/to among the table's periods),
answers 200 with the root the panel selects, and every metric a summary panel
filters on is in the summary.

    CASA_BASE_URL=http://127.0.0.1:PORT/ python3 grafana_check.py FILE
"""

import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

BASE = os.environ.get('CASA_BASE_URL', '').rstrip('/')


class Checks:
    """Every failed check is kept, so one run lists them all."""

    def __init__(self):
        self.count = 0
        self.errors = []

    def __call__(self, cond, msg):
        self.count += 1
        if not cond:
            self.errors.append(msg)


def get(path):
    """(status, parsed body or None) of a GET on the daemon."""
    req = urllib.request.Request(BASE + path, headers={'Accept': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.load(res)
    except urllib.error.HTTPError as e:
        return e.code, None


def substitute(url, variables):
    """The URL with the dashboard's text variables at their defaults."""
    url = url.replace('${api_base}', '')
    return re.sub(r'\$\{(\w+)\}', lambda m: variables[m.group(1)]['current']['value']
                  if m.group(1) in variables else f'<unknown variable {m.group(1)}>', url)


def check_table_target(check, where, target, path, query, meta):
    """A panel reading /api/v1/metrics/<id>: allowed parameters, known periods."""
    metric = path.rsplit('/', 1)[1]
    pt = query.get('period_type')
    by = query.get('by')
    check(pt in meta['period_types'], f'{where}: period_type {pt} not allowed for {metric}')
    check(not by or by in meta['by'], f'{where}: by={by} not allowed for {metric}')
    check(target.get('root_selector') == 'rows',
          f'{where}: root selector {target.get("root_selector")}, tables are under "rows"')
    _, whole = get(f'{path}?{urllib.parse.urlencode({"period_type": pt})}')
    periods = [r['period'] for r in whole['rows']] if whole else []
    for k in ('from', 'to'):
        if query.get(k):
            check(query[k] in periods, f'{where}: {k}={query[k]} is not a period of {metric}')


def check_summary_target(check, where, target, path, panel, summary):
    """A panel reading /api/v1/summary: the metrics it filters on exist."""
    check(path == '/api/v1/summary', f'{where}: unknown API path {path}')
    check(target.get('root_selector') == 'metrics', f'{where}: the summary lists its entries under "metrics"')
    for tr in panel.get('transformations') or []:
        for f in (tr.get('options') or {}).get('filters') or []:
            v = f['config']['options']['value']
            check(f.get('fieldName') != 'metric' or any(e['metric'] == v for e in summary['metrics']),
                  f'{where}: filters on metric {v}, not in /api/v1/summary')
    if target.get('filterExpression'):
        m = re.fullmatch(r"metric == '([a-z0-9_]+)'", target['filterExpression'])
        check(m and any(e['metric'] == m.group(1) for e in summary['metrics']),
              f'{where}: filter {target["filterExpression"]} names no metric of /api/v1/summary')


def check_config_from_data(check, panel):
    """Names, units and references come from a config query of the panel:
    it exists, and every field it maps is one of its columns."""
    targets = {t.get('refId'): t for t in panel.get('targets') or []}
    for tr in panel.get('transformations') or []:
        if tr.get('id') != 'configFromData':
            continue
        where = f'panel "{panel.get("title")}" configFromData'
        config = targets.get(tr['options'].get('configRefId'))
        check(config, f'{where}: no query {tr["options"].get("configRefId")}')
        columns = {c['text'] for c in (config or {}).get('columns') or []}
        for mapping in tr['options'].get('mappings') or []:
            check(mapping['fieldName'] in columns, f'{where}: maps {mapping["fieldName"]}, not a column')


def main():
    if not BASE or len(sys.argv) != 2:
        sys.exit('usage: CASA_BASE_URL=... python3 grafana_check.py FILE')
    with open(sys.argv[1], encoding='utf-8') as f:
        dash = json.load(f)
    check = Checks()
    variables = {v['name']: v for v in dash['templating']['list']}
    check(any(i.get('name') == 'DS_INFINITY' and i.get('pluginId') == 'yesoreyeram-infinity-datasource'
              for i in dash.get('__inputs', [])), 'no DS_INFINITY input for the Infinity data source')
    check(variables.get('api_base', {}).get('type') == 'textbox', 'no text variable api_base')
    _, catalog = get('/api/v1/metrics')
    _, summary = get('/api/v1/summary')
    if not catalog or not summary:
        sys.exit('grafana check FAILED: the daemon does not answer /api/v1/metrics and /api/v1/summary')
    metrics = {m['id']: m for m in catalog['metrics']}
    panels = [q for p in dash['panels'] for q in ([p] + p['panels'] if 'panels' in p else [p])]
    check(len(panels) >= 6, f'only {len(panels)} panels')
    for p in panels:
        check_config_from_data(check, p)
        for t in p.get('targets') or []:
            where = f'panel "{p.get("title")}" query {t.get("refId")}'
            check((t.get('datasource') or {}).get('uid') == '${DS_INFINITY}', f'{where}: not on ${{DS_INFINITY}}')
            check(t['url'].startswith('${api_base}/'), f'{where}: URL {t["url"]} does not start with ${{api_base}}/')
            u = urllib.parse.urlsplit(substitute(t['url'], variables))
            query = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
            m = re.fullmatch(r'/api/v1/metrics/([a-z0-9_]+)', u.path)
            if m:
                meta = metrics.get(m.group(1))
                check(meta, f'{where}: metric {m.group(1)} is not in the catalog')
                if not meta:
                    continue
                check_table_target(check, where, t, u.path, query, meta)
            else:
                check_summary_target(check, where, t, u.path, p, summary)
            path = u.path + ('?' + u.query if u.query else '')
            status, body = get(path)
            check(status == 200, f'{where}: GET {path} answered {status}')
            if body:
                root = body.get(t.get('root_selector'))
                check(isinstance(root, list) and len(root) > 0, f'{where}: no "{t.get("root_selector")}" rows')
                for c in t.get('columns') or []:
                    check(isinstance(root, list) and root and c['selector'] in root[0],
                          f'{where}: column {c["selector"]} not in the rows')
    if check.errors:
        sys.exit('grafana check FAILED:\n  ' + '\n  '.join(check.errors))
    print(f'grafana: {check.count} checks passed')


if __name__ == '__main__':
    main()
