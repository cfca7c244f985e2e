/**
 * `npm run bench` — what users feel when the origin fails, against the
 * physical limits, in one run. Everything runs on 127.0.0.1 (stub backends,
 * the service on the local runtime); the run stops by itself. Three parts:
 * the loopback scenarios, the world with real round trips (round-trip.ts),
 * and the outage timeline (timeline.ts).
 *
 *   npm run bench                      full run (< 3 min), updates BENCHMARKS.md
 *   npm run bench -- --quick           every part with few requests
 *   npm run bench -- --engine viceroy  bin/main.wasm in Viceroy against a forward-only wasm (the real runtime's floor)
 *   options: --skip-build  --no-md  --scenarios healthy,refuse,round-trips,timeline  --out <dir>
 *
 * Writes <out>/<mode>/report.json, table.txt and chart.svg, and
 * round-trips.json, timeline.json, timeline.svg (out defaults to
 * bench-results/, which is not committed) and prints the tables. A full run
 * of everything also writes bench/outage-timeline.svg, which BENCHMARKS.md shows.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chartSvg } from './chart.ts';
import { execFileSync } from 'node:child_process';
import { locateViceroy } from '../viceroy/locate.ts';
import { startViceroy } from '../viceroy/server.ts';
import { machineInfo } from './machine.ts';
import { EDGE_BEGIN, EDGE_END, edgeSafetySection, replaceSection, ROUND_TRIP_BEGIN, ROUND_TRIP_END, roundTripSection, updateBenchmarksMd } from './markdown.ts';
import { measureMissFlood, type MissFloodReport } from './miss-flood.ts';
import { measureSiege, type SiegeReport, siegePages } from './siege.ts';
import { makePageBucket } from './pages.ts';
import { type Build, buildFloorWasm, OUTAGE_MEMORY_OFF, PROBED_CACHE_API, measureRealRuntime, REAL_BEGIN, type RealRuntimeSetup, REAL_END, REAL_RUNTIME_FULL, REAL_RUNTIME_QUICK, realRuntimeSection, realRuntimeTable } from './real-runtime.ts';
import { measureRoundTrips, type RoundTripReport, roundTripPages } from './round-trip.ts';
import type { ServiceRunner } from './round-trip-world.ts';
import { runBenchmark } from './measure.ts';
import type { Report } from './report.ts';
import { SCENARIOS, scenarioById } from './scenarios.ts';
import { FULL, QUICK } from './settings.ts';
import { latencyTable, missFloodTable, namesTable, otherTable, roundTripTable, siegeTable, targetTable, timelineTable } from './report-tables.ts';
import { renderText } from './table.ts';
import { timelineChartSvg } from './timeline-chart.ts';
import { measureTimeline, type TimelineReport, timelinePages } from './timeline.ts';

const REPO = resolve(import.meta.dirname, '..');
/** The whole run is abandoned (exit 2) past this, whatever hangs. */
const WATCHDOG_MS = { full: 240_000, quick: 120_000 };
/** The parts besides the loopback scenarios, as `--scenarios` names them. */
const PARTS = ['round-trips', 'timeline', 'siege', 'miss-flood'] as const;
/** Where a full run puts the timeline chart that BENCHMARKS.md shows. */
const TIMELINE_CHART = 'bench/outage-timeline.svg';

interface Args {
  engine: 'local-runtime' | 'viceroy';
  /** With viceroy: other builds of the service measured in the same rounds (`label=path.wasm`, repeatable). */
  compare: Build[];
  keepAlive: boolean;
  /** With viceroy: how its processes are run (real-runtime.ts). */
  setup: RealRuntimeSetup;
  quick: boolean;
  skipBuild: boolean;
  noMd: boolean;
  scenarios: string[] | undefined;
  /** With viceroy: measured requests per build, scenario and page size, and the page sizes in KiB (defaults: the plan's). */
  requests: number | undefined;
  pagesKiB: number[] | undefined;
  out: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { engine: 'local-runtime', compare: [], keepAlive: false, setup: 'lean', quick: false, skipBuild: false, noMd: false, scenarios: undefined, requests: undefined, pagesKiB: undefined, out: join(REPO, 'bench-results') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--engine' && argv[i + 1]) {
      const engine = argv[++i]!;
      if (engine !== 'local-runtime' && engine !== 'viceroy') throw new Error(`--engine ${engine}: use local-runtime or viceroy`);
      args.engine = engine;
    } else if (a === '--compare' && argv[i + 1]) {
      const value = argv[++i]!;
      const [label, wasm] = value.includes('=') ? [value.slice(0, value.indexOf('=')), value.slice(value.indexOf('=') + 1)] : ['compared', value];
      args.compare.push({ label: label!, wasm: resolve(wasm!) });
    } else if (a === '--setup' && argv[i + 1]) {
      const setup = argv[++i]!;
      if (setup !== 'lean' && setup !== 'palindrome') throw new Error(`--setup ${setup}: use lean or palindrome`);
      args.setup = setup;
    } else if (a === '--keep-alive') args.keepAlive = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--skip-build') args.skipBuild = true;
    else if (a === '--no-md') args.noMd = true;
    else if (a === '--scenarios' && argv[i + 1]) args.scenarios = argv[++i]!.split(',');
    else if (a === '--out' && argv[i + 1]) args.out = resolve(argv[++i]!);
    else if (a === '--requests' && argv[i + 1]) args.requests = positiveInteger(a, argv[++i]!);
    else if (a === '--pages' && argv[i + 1]) args.pagesKiB = argv[++i]!.split(',').map((kib) => positiveInteger(a, kib));
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: npm run bench -- [--engine local-runtime|viceroy] [--quick] [--skip-build] [--no-md] [--scenarios id,id] [--out dir]\n  ids: ${[...SCENARIOS.map((x) => x.id), ...PARTS].join(', ')}\n  with --engine viceroy also: [--compare label=other.wasm] [--setup lean|palindrome] [--keep-alive] [--requests N] [--pages KiB,KiB]\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  return args;
}

function positiveInteger(option: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${option} ${value}: a whole number from 1 is needed`);
  return n;
}

export function printReport(report: Report): string {
  return [
    `govuk-failover benchmark (${report.mode}), ${report.startedAt}`,
    `machine: ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}, load ${report.machine.loadAverage1m}`,
    '',
    renderText(latencyTable(report.scenarios)),
    '',
    renderText(targetTable(report.targets)),
    '',
    ...(report.names ? [renderText(namesTable(report.names)), ''] : []),
    renderText(otherTable(report)),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.engine === 'viceroy') return mainRealRuntime(args);
  const mode = args.quick ? 'quick' : 'full';
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${WATCHDOG_MS[mode] / 1000} s, giving up\n`);
    process.exit(2);
  }, WATCHDOG_MS[mode]);
  watchdog.unref();

  const wanted = (id: string) => args.scenarios === undefined || args.scenarios.includes(id);
  const scenarios = args.scenarios ? args.scenarios.filter((id) => !(PARTS as readonly string[]).includes(id)).map(scenarioById) : SCENARIOS;
  const settings = { ...(args.quick ? QUICK : FULL), ...(args.skipBuild ? { build: false } : {}) };
  const extra = process.argv.slice(2).join(' ');
  const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const report = await runBenchmark({
    mode,
    command: `npm run bench${extra ? ` -- ${extra}` : ''}`,
    scenarios,
    settings,
    throughput: scenarios.some((s) => s.id === 'healthy'),
    names: scenarios.some((s) => s.id === 'refuse'),
    progress: say,
  });
  const { roundTrips, timeline, siege, missFlood } = await runRoundTripWorlds(settings, wanted, say);

  const text = printReport(report) + roundTripText(roundTrips, timeline, siege, missFlood);
  process.stdout.write(`\n${text}`);
  const dir = join(args.out, mode);
  await mkdir(join(args.out, 'history'), { recursive: true });
  await mkdir(dir, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await writeFile(join(dir, 'report.json'), json);
  await writeFile(join(args.out, 'history', `${report.startedAt.replace(/[:.]/g, '-')}-${mode}.json`), json);
  await writeFile(join(dir, 'table.txt'), text);
  await writeFile(join(dir, 'chart.svg'), chartSvg(report));
  if (roundTrips) await writeFile(join(dir, 'round-trips.json'), `${JSON.stringify(roundTrips, null, 2)}\n`);
  const chartTitle = `govuk-failover: an outage at 20 requests a second (${mode} run, ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC)`;
  const timelineSvg = timeline ? timelineChartSvg(timeline, chartTitle) : undefined;
  if (timeline) {
    await writeFile(join(dir, 'timeline.json'), `${JSON.stringify(timeline, null, 2)}\n`);
    await writeFile(join(dir, 'timeline.svg'), timelineSvg!);
  }
  if (siege) await writeFile(join(dir, 'siege.json'), `${JSON.stringify(siege, null, 2)}\n`);
  if (missFlood) await writeFile(join(dir, 'miss-flood.json'), `${JSON.stringify(missFlood, null, 2)}\n`);
  process.stdout.write(`results: ${dir}/report.json, table.txt, chart.svg${roundTrips ? ', round-trips.json' : ''}${timeline ? ', timeline.json, timeline.svg' : ''}\n`);
  // Only a full run of every scenario is "the latest table".
  if (mode === 'full' && !args.noMd && !args.scenarios) {
    await updateBenchmarksMd(join(REPO, 'BENCHMARKS.md'), report);
    const m = report.machine;
    const machine = `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}, load average ${m.loadAverage1m} at the start`;
    if (roundTrips && timeline) {
      await writeFile(join(REPO, TIMELINE_CHART), timelineSvg!);
      await replaceSection(join(REPO, 'BENCHMARKS.md'), ROUND_TRIP_BEGIN, ROUND_TRIP_END, roundTripSection(roundTrips, timeline, { startedAt: report.startedAt, command: report.command, machine, chart: TIMELINE_CHART }));
    }
    if (siege && missFlood) {
      await replaceSection(join(REPO, 'BENCHMARKS.md'), EDGE_BEGIN, EDGE_END, edgeSafetySection(siege, missFlood, { startedAt: report.startedAt, command: report.command, machine }));
    }
    process.stdout.write(`BENCHMARKS.md updated (generated sections), and ${TIMELINE_CHART}\n`);
  }
  clearTimeout(watchdog);
}

/** The worlds with real round trips (failover, the outage timeline, the siege, the miss flood), each when wanted, on one bucket of pages. */
async function runRoundTripWorlds(
  settings: typeof FULL,
  wanted: (id: string) => boolean,
  say: (line: string) => void,
): Promise<{ roundTrips?: RoundTripReport; timeline?: TimelineReport; siege?: SiegeReport; missFlood?: MissFloodReport }> {
  const doRoundTrips = wanted('round-trips');
  const doTimeline = wanted('timeline');
  const doSiege = wanted('siege');
  const doMissFlood = wanted('miss-flood');
  if (!doRoundTrips && !doTimeline && !doSiege && !doMissFlood) return {};
  const bucket = await makePageBucket([
    ...(doRoundTrips ? roundTripPages(settings.roundTrip) : []),
    ...(doTimeline ? timelinePages(settings.timeline) : []),
    ...(doSiege ? siegePages(settings.siege) : []),
    // The miss flood's page is in no bucket; one page keeps the bucket non-empty.
    '/bench/page-0',
  ]);
  try {
    const roundTrips = doRoundTrips ? await measureRoundTrips(settings.roundTrip, bucket.root, say) : undefined;
    const timeline = doTimeline ? await measureTimeline(settings.timeline, bucket.root, say) : undefined;
    const siege = doSiege ? await measureSiege(settings.siege, bucket.root, say) : undefined;
    const missFlood = doMissFlood ? await measureMissFlood(settings.missFlood, bucket.root, say) : undefined;
    return { roundTrips, timeline, siege, missFlood };
  } finally {
    await bucket.cleanup();
  }
}

function roundTripText(roundTrips: RoundTripReport | undefined, timeline: TimelineReport | undefined, siege: SiegeReport | undefined, missFlood: MissFloodReport | undefined): string {
  const parts: string[] = [];
  if (roundTrips) parts.push(`With real round trips (origin ${roundTrips.roundTripsMs.origin} ms, S3 ${roundTrips.roundTripsMs.mirrorS3} ms, GCS ${roundTrips.roundTripsMs.mirrorGCS} ms):`, '', renderText(roundTripTable(roundTrips)), '');
  if (timeline) parts.push(`The outage timeline (times scaled by 1/${timeline.scale}):`, '', renderText(timelineTable(timeline)), '');
  if (siege) parts.push(`The siege (times scaled by 1/${siege.scale}):`, '', renderText(siegeTable(siege)), '');
  if (missFlood) parts.push(`A flood for a page no mirror holds (${missFlood.path}), origin refusing:`, '', renderText(missFloodTable(missFlood)), '');
  return parts.join('\n');
}

/** `--engine viceroy`: the service's wasm against the forward-only wasm, both in Viceroy. */
async function mainRealRuntime(args: Args): Promise<void> {
  const mode = args.quick ? 'quick' : 'full';
  const viceroy = locateViceroy();
  if (!viceroy.found) throw new Error(`--engine viceroy: ${viceroy.reason}`);
  if (!args.skipBuild) {
    process.stderr.write('bench: building bin/main.wasm (npm run build)\n');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const classic = args.scenarios?.filter((id) => !(PARTS as readonly string[]).includes(id));
  const base = args.quick ? REAL_RUNTIME_QUICK : REAL_RUNTIME_FULL;
  const report = await measureRealRuntime({
    viceroy: viceroy.path,
    viceroyVersion: viceroy.version,
    // Without --compare, the service is also measured with the cache API probed per request (as where the config
    // does not say), and with the outage memory off (on a healthy origin; the failover rows have it off anyway, so
    // there the two rows of the same configuration show how far apart identical measurements land).
    builds: [
      { label: 'service', wasm: join(REPO, 'bin/main.wasm') },
      ...(args.compare.length === 0
        ? [
            { label: 'service, cache API probed', wasm: join(REPO, 'bin/main.wasm'), config: PROBED_CACHE_API },
            { label: 'service, outage memory off', wasm: join(REPO, 'bin/main.wasm'), config: OUTAGE_MEMORY_OFF },
          ]
        : args.compare),
    ],
    plan: {
      ...base,
      ...(classic ? { scenarios: classic.map((id) => scenarioById(id).id) } : {}),
      ...(args.requests ? { requests: args.requests } : {}),
      ...(args.pagesKiB ? { pageBytes: args.pagesKiB.map((kib) => kib * 1024) } : {}),
    },
    keepAlive: args.keepAlive,
    setup: args.setup,
    progress: say,
  });
  const roundTrips =
    args.compare.length === 0 && !args.keepAlive && (args.scenarios === undefined || args.scenarios.includes('round-trips'))
      ? await roundTripsOnViceroy(viceroy.path, args.quick ? QUICK : FULL, say)
      : undefined;
  const text = [
    renderText(realRuntimeTable(report)),
    ...(report.names ? ['', renderText(namesTable(report.names))] : []),
    ...(roundTrips ? ['', 'With real round trips, in Viceroy:', '', renderText(roundTripTable(roundTrips))] : []),
  ].join('\n');
  process.stdout.write(`\ngovuk-failover on the real runtime (viceroy ${report.viceroyVersion}), ${mode}, ${startedAt}\n\n${text}\n`);
  const dir = join(args.out, `viceroy-${mode}${args.keepAlive ? '-keep-alive' : ''}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'report.json'), `${JSON.stringify({ startedAt, machine, ...report, roundTrips }, null, 2)}\n`);
  await writeFile(join(dir, 'table.txt'), `${text}\n`);
  process.stdout.write(`results: ${dir}/report.json, table.txt\n`);
  if (mode === 'full' && !args.noMd && !args.scenarios && args.compare.length === 0 && !args.keepAlive && !args.requests && !args.pagesKiB) {
    const extra = process.argv.slice(2).join(' ');
    const machineLine = `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}, load average ${machine.loadAverage1m} at the start`;
    await replaceSection(join(REPO, 'BENCHMARKS.md'), REAL_BEGIN, REAL_END, realRuntimeSection(report, startedAt, `npm run bench -- ${extra}`, machineLine, roundTrips));
    process.stdout.write('BENCHMARKS.md updated (real-runtime section)\n');
  }
}

/** The world with real round trips, the service and the floor each compiled to wasm and run in Viceroy. */
async function roundTripsOnViceroy(viceroy: string, settings: typeof FULL, say: (line: string) => void): Promise<RoundTripReport> {
  const dir = await mkdtemp(join(tmpdir(), 'govuk-failover-rtt-viceroy-'));
  const bucket = await makePageBucket(roundTripPages(settings.roundTrip));
  try {
    say('round trips in Viceroy: compiling the forward-only service');
    const floorWasm = await buildFloorWasm(dir);
    const runner: ServiceRunner = async (manifest, which) => {
      const server = await startViceroy({ viceroy, wasm: which === 'service' ? join(REPO, 'bin/main.wasm') : floorWasm, manifest, dropOutputOnceListening: true });
      return { url: server.url, stop: () => server.close() };
    };
    return await measureRoundTrips(settings.roundTrip, bucket.root, say, runner);
  } finally {
    await bucket.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
