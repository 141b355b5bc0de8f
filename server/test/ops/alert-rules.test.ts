// The alert rules pass `promtool check rules`, and every alert passes its unit cases from
// ops/prometheus/alerts.cases.yml under `promtool test rules`: it fires on the bad series (with
// the labels and annotations expected) and stays quiet on the good ones. Each alert has a
// severity, a summary, a description and a runbook link to a section that exists.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type AlertRule, alertsOf, OPS_DIR, RULES_FILE, readRules } from '../../../scripts/ops/rules.ts';

type Series = Record<string, string>;
type Case = { at: string; fires: Array<{ series: Series; labels: Record<string, string> }>; quiet: Series };

const promtool = spawnSync('promtool', ['--version']).status === 0;
const alerts = alertsOf(readRules());
const cases = parse(readFileSync(path.join(OPS_DIR, 'prometheus/alerts.cases.yml'), 'utf8')) as Record<
  string,
  Case
>;
const runbook = readFileSync(path.join(OPS_DIR, '../docs/runbook.md'), 'utf8');

/** Adds job and (unless given) instance to a series selector. */
function withTarget(selector: string): string {
  const [name, rest] = selector.includes('{') ? selector.split('{', 2) : [selector, '}'];
  const labels = rest!.slice(0, -1);
  const extra = [
    'job="sertantai"',
    ...(labels.includes('instance=') ? [] : ['instance="app:4000"']),
    ...(labels ? [labels] : []),
  ];
  return `${name}{${extra.join(',')}}`;
}

const inputSeries = (series: Series) =>
  Object.entries(series).map(([selector, values]) => ({ series: withTarget(selector), values }));

/** Annotations as Prometheus renders them for an alert with these labels. */
function expand(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}

function promtoolTests(rule: AlertRule, c: Case) {
  const firing = c.fires.map((fire) => ({
    interval: '15s',
    input_series: inputSeries(fire.series),
    alert_rule_test: [
      {
        eval_time: c.at,
        alertname: rule.alert,
        exp_alerts: [
          {
            exp_labels: { ...rule.labels, ...fire.labels },
            exp_annotations: Object.fromEntries(
              Object.entries(rule.annotations).map(([key, value]) => [key, expand(value, fire.labels)]),
            ),
          },
        ],
      },
    ],
  }));
  const quiet = {
    interval: '15s',
    input_series: inputSeries(c.quiet),
    alert_rule_test: [{ eval_time: c.at, alertname: rule.alert, exp_alerts: [] }],
  };
  return [...firing, quiet];
}

function runPromtool(args: string[]) {
  const result = spawnSync('promtool', args, { encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

describe.skipIf(!promtool)('alert rules under promtool (install Debian package prometheus)', () => {
  it('pass promtool check rules', () => {
    const result = runPromtool(['check', 'rules', RULES_FILE]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok, result.output).toBe(true);
  });

  it.each(alerts.map((rule) => [rule.alert, rule] as const))(
    '%s fires on its bad series and only then',
    (_name, rule) => {
      const c = cases[rule.alert];
      expect(c, `alerts.cases.yml has no case for ${rule.alert}`).toBeDefined();
      const dir = mkdtempSync(path.join(tmpdir(), 'sertantai-rules-'));
      const file = path.join(dir, `${rule.alert}.test.yml`);
      writeFileSync(
        file,
        stringify({ rule_files: [RULES_FILE], evaluation_interval: '15s', tests: promtoolTests(rule, c!) }),
      );
      const result = runPromtool(['test', 'rules', file]);
      expect(result.ok, result.output).toBe(true);
    },
  );
});

describe('alert rules as written', () => {
  it('each has a severity, a summary, a description and a runbook section that exists', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(15);
    for (const rule of alerts) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.description, rule.alert).toBeTruthy();
      const anchor = rule.annotations.runbook_url?.match(/^docs\/runbook\.md#([a-z0-9-]+)$/)?.[1];
      expect(anchor, `${rule.alert} runbook_url`).toBeDefined();
      const headings = [...runbook.matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replaceAll(' ', '-'),
      );
      expect(headings, `docs/runbook.md has no section #${anchor}`).toContain(anchor);
    }
  });

  it('every case belongs to an alert', () => {
    expect(Object.keys(cases).sort()).toEqual(alerts.map((rule) => rule.alert).sort());
  });
});
