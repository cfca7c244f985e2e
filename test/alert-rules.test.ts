/**
 * The alerting rules GOV.UK would load for the mirror checks
 * (ops/prometheus/govuk-failover-alerts.yml): valid to Prometheus's own
 * checker, and firing when and only when their unit tests say
 * (`promtool test rules`). Needs the pinned promtool (npm run promtool:install);
 * without it the tests say why and skip, and with CI=true they fail.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPromtool, runPromtool } from './support/promtool.ts';

const RULES_DIR = resolve(import.meta.dirname, '../ops/prometheus');
const promtool = findPromtool();
const inCi = process.env.CI === 'true';
if (!promtool.available && !inCi) console.warn(`[alert rules] promtool checks skipped: ${promtool.reason}`);

describe.skipIf(!promtool.available && !inCi)('the alerting rules, by promtool', () => {
  const path = (): string => {
    if (!promtool.available) throw new Error(`CI=true and ${promtool.reason}`);
    return promtool.path;
  };

  it('promtool check rules: every rule is valid', () => {
    const { status, output } = runPromtool(path(), ['check', 'rules', join(RULES_DIR, 'govuk-failover-alerts.yml')]);
    expect(output).toContain('SUCCESS: 5 rules found');
    expect(status, output).toBe(0);
  });

  it('promtool test rules: each alert fires when it should, and only then', () => {
    const { status, output } = runPromtool(path(), ['test', 'rules', 'govuk-failover-alerts.test.yml'], { cwd: RULES_DIR });
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });
});
