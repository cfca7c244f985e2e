/**
 * One benchmark run, as a function: for each scenario, its own world (stubs,
 * manifest, runtimes), latency measured and the world stopped; throughput in
 * the healthy world; the crawler's other names in the origin-refusing world;
 * then the build. Returns the report; writes nothing.
 */
import { binMainWasmBytes, measureBuild } from './build.ts';
import { measureLatency, pagesNeeded } from './latency.ts';
import { machineInfo } from './machine.ts';
import { addNamePages, measureNames, type NamesReport } from './names.ts';
import { makePages } from './pages.ts';
import { evaluateTargets, scenarioReport, throughputReport, type Report, type ScenarioReport, type ThroughputReport } from './report.ts';
import type { Scenario } from './scenarios.ts';
import type { Settings } from './settings.ts';
import { measureThroughput } from './throughput.ts';
import { startWorld } from './world.ts';

export interface RunOptions {
  readonly mode: 'full' | 'quick';
  readonly command: string;
  readonly scenarios: readonly Scenario[];
  readonly settings: Settings;
  /** Measure throughput (in the healthy scenario's world; needs that scenario). */
  readonly throughput: boolean;
  /** Measure the crawler's other names (in the refusing scenario's world; needs that scenario). */
  readonly names?: boolean;
  readonly progress?: (line: string) => void;
}

export async function runBenchmark(options: RunOptions): Promise<Report> {
  const { settings } = options;
  const say = options.progress ?? (() => undefined);
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const pages = await makePages(Math.max(pagesNeeded(settings.sequential), pagesNeeded(settings.staggered)));
  const scenarios: ScenarioReport[] = [];
  let throughput: ThroughputReport | null = null;
  let names: NamesReport | null = null;
  try {
    if (options.names) await addNamePages(pages, settings.names.warmup + settings.names.requests);
    for (const scenario of options.scenarios) {
      say(`${scenario.title}: starting stubs and runtimes`);
      const world = await startWorld(scenario, pages.root);
      try {
        const plan = scenario.pacing.kind === 'sequential' ? settings.sequential : settings.staggered;
        const latency = await measureLatency(scenario, world, plan);
        const report = scenarioReport(scenario, latency);
        scenarios.push(report);
        say(`${scenario.title}: ${report.service.total.n} answers, ${report.service.errors} errors, total p50 ${report.service.total.p50} ms in ${(report.wallMs / 1000).toFixed(1)} s`);
        if (options.throughput && scenario.id === 'healthy') {
          say(`throughput at concurrency ${settings.throughput.concurrency}`);
          throughput = throughputReport(settings.throughput, await measureThroughput(world, settings.throughput));
        }
        if (options.names && scenario.id === 'refuse') {
          say('the crawler\'s other names: first-name hit, second-name hit, full miss');
          names = await measureNames(world.service.url, settings.names);
        }
      } finally {
        await world.close();
      }
    }
  } finally {
    await pages.cleanup();
  }
  let build: Report['build'] = null;
  if (settings.build) {
    say('building the wasm (js-compute-runtime)');
    build = await measureBuild();
  } else {
    build = { ran: false, command: 'not run (quick mode or --skip-build)', ok: false, ms: null, wasmBytes: null, binMainWasmBytes: await binMainWasmBytes() };
  }
  return {
    schema: 1,
    mode: options.mode,
    command: options.command,
    startedAt,
    wallMs: Math.round(performance.now() - started),
    machine,
    settings: { ...settings },
    scenarios,
    throughput,
    names,
    build,
    targets: evaluateTargets(scenarios),
  };
}
