/**
 * Prints, at the end of a run, how many tests ran on each engine: every test
 * under a suite named `on local-runtime …` or `on viceroy …` counts for that
 * engine. CI's output thereby shows that the Viceroy engine ran, and what it
 * skipped (only the cache scenarios, which need a readthrough cache).
 */
import type { Reporter, TestModule } from 'vitest/node';

const ENGINE = /(?:^| > )on '?(local-runtime|viceroy)\b/;

export default class EngineCountReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = new Map<string, Record<'passed' | 'failed' | 'skipped' | 'pending', number>>();
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const engine = ENGINE.exec(test.fullName)?.[1];
        if (!engine) continue;
        const row = counts.get(engine) ?? { passed: 0, failed: 0, skipped: 0, pending: 0 };
        row[test.result().state] += 1;
        counts.set(engine, row);
      }
    }
    if (counts.size === 0) return;
    const lines = [...counts].map(([engine, c]) => `  ${engine.padEnd(13)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
    process.stdout.write(`\n[engines] scenarios by engine:\n${lines.join('\n')}\n`);
  }
}
