// Owns reading ops/prometheus/alerts.yml for the tools around it: the alert list, a drill copy
// with short `for:` durations and range windows, and the metric names a PromQL expression uses.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';

export const OPS_DIR = path.resolve(import.meta.dirname, '../../ops');
export const RULES_FILE = path.join(OPS_DIR, 'prometheus/alerts.yml');

export type AlertRule = {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
};
type RuleFile = { groups: Array<{ name: string; rules: AlertRule[] }> };

export function readRules(file = RULES_FILE): RuleFile {
  return parse(readFileSync(file, 'utf8')) as RuleFile;
}

export function alertsOf(rules: RuleFile): AlertRule[] {
  return rules.groups.flatMap((group) => group.rules);
}

/** The rules with every `for:` set to `forDuration` and every [5m] window set to `window`. */
export function drillRules(rules: RuleFile, forDuration: string, window: string): string {
  const copy: RuleFile = structuredClone(rules);
  for (const rule of alertsOf(copy)) {
    if (rule.for !== undefined) rule.for = forDuration;
    rule.expr = rule.expr.replaceAll('[5m]', `[${window}]`);
  }
  return stringify(copy);
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'and',
  'or',
  'unless',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** Metric names an expression selects (functions, keywords, labels and strings left out). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range windows
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)) {
    const [, name, call] = match;
    if (!name || call || PROMQL_WORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}
