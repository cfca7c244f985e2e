/**
 * The on-call CLI: `govuk-failover check <path-or-url>`, `govuk-failover
 * drift` and `govuk-failover freshness`. `main` returns the exit code; everything it
 * touches outside itself comes in through `Io`, so tests run it in-process.
 */
import { MIRRORS } from '../src/core/backends.ts';
import { CHECK_REQUESTS, runCheck } from './check.ts';
import { checkJson, checkText } from './check-report.ts';
import { runDrift } from './drift.ts';
import { driftJson, driftText } from './drift-report.ts';
import { runFreshness } from './freshness.ts';
import { freshnessJson, freshnessText } from './freshness-report.ts';
import { runLag } from './freshness-sample.ts';
import { lagJson, lagText } from './lag-report.ts';
import { type CheckName, checkMetrics, driftMetrics, lagMetrics, markerMetrics } from './mirror-metrics.ts';
import { type Command, type Output, parseCommand } from './options.ts';
import { exposition, type MetricFamily } from './prometheus.ts';
import { pushMetrics } from './pushgateway.ts';
import type { Failure } from './failure.ts';
import { type Progress, startProgress, startProgressBar } from './progress.ts';
import { EXIT, USAGE, UsageError } from './usage.ts';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** A terminal gets a spinner; a pipe gets plain progress lines. */
  readonly stderrIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  now(): Date;
}

export const OVERRIDE_TOKEN_ENV = 'GOVUK_FAILOVER_OVERRIDE_TOKEN';

export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    now: () => new Date(),
  };
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`govuk-failover: ${error.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const progressOut = { write: io.stderr, isTTY: io.stderrIsTTY };
  const overrideToken = io.env[OVERRIDE_TOKEN_ENV] || undefined;

  switch (command.name) {
    case 'help':
      io.stdout(USAGE);
      return EXIT.ok;
    case 'check': {
      const progress = startProgress(progressOut, `checking ${command.target.url.href}`, CHECK_REQUESTS.length);
      const report = await runCheck(command.target, { layout: command.layout, timeoutMs: command.timeoutMs, overrideToken }, progress);
      const noAnswer = report.rows.every((r) => r.failure !== null);
      const metrics = checkMetrics(report, io.now());
      if (command.format === 'json') io.stdout(checkJson(report));
      else if (command.format === 'prometheus') io.stdout(exposition(metrics));
      else if (!noAnswer) io.stdout(checkText(report));
      if (noAnswer) io.stderr(`govuk-failover: ${report.rows[0]?.failure?.message ?? 'no request was answered.'}\n`);
      const pushed = await push(io, command, 'check', metrics, command.timeoutMs);
      return report.ok && pushed ? EXIT.ok : EXIT.problem;
    }
    case 'drift': {
      const run = await runDrift(command.source, { ...command, overrideToken }, progressBar(io, command.format !== 'text', 'comparing pages'));
      return printRun(io, command, 'drift', run, driftJson, driftText, driftMetrics);
    }
    case 'lag': {
      const run = await runLag({ ...command, overrideToken, now: io.now }, progressBar(io, command.format !== 'text', 'comparing sampled pages'));
      return printRun(io, command, 'freshness', run, lagJson, lagText, lagMetrics);
    }
    case 'freshness': {
      const progress = startProgress(progressOut, `reading ${command.url.href} from each mirror`, MIRRORS.length);
      const report = await runFreshness({ ...command, overrideToken, now: io.now }, progress);
      return printReport(io, command, 'freshness', report, freshnessJson, freshnessText, markerMetrics);
    }
  }
}

/** A progress bar on a terminal, unless the output is for a program (JSON, metrics). */
function progressBar(io: Io, forProgram: boolean, what: string): (total: number) => Progress {
  return (total) => startProgressBar({ write: io.stderr, isTTY: io.stderrIsTTY && !forProgram }, what, total);
}

/** With --push, the metrics to the Pushgateway; false (said on stderr) when it did not take them. */
async function push(io: Io, output: Output, check: CheckName, metrics: readonly MetricFamily[], timeoutMs: number): Promise<boolean> {
  if (output.push === undefined) return true;
  const problem = await pushMetrics(output.push, check, exposition(metrics), timeoutMs);
  if (problem) io.stderr(`govuk-failover: ${problem}\n`);
  return problem === undefined;
}

/** The report of a run that compared pages, in the format asked, or the one line saying why there is none. */
async function printRun<R extends { readonly ok: boolean }>(
  io: Io,
  output: Output & { readonly timeoutMs: number },
  check: CheckName,
  run: { readonly ok: true; readonly report: R } | { readonly ok: false; readonly problem: string; readonly failure: Failure | null },
  json: (report: R) => string,
  text: (report: R) => string,
  toMetrics: (report: R, at: Date) => MetricFamily[],
): Promise<number> {
  if (!run.ok) {
    io.stderr(`govuk-failover: ${run.failure?.message ?? run.problem}\n`);
    return EXIT.problem;
  }
  return printReport(io, output, check, run.report, json, text, toMetrics);
}

/** A report in the format asked, pushed with --push; exit 0 when it found nothing wrong and the push (if any) was taken. */
async function printReport<R extends { readonly ok: boolean }>(
  io: Io,
  output: Output & { readonly timeoutMs: number },
  check: CheckName,
  report: R,
  json: (report: R) => string,
  text: (report: R) => string,
  toMetrics: (report: R, at: Date) => MetricFamily[],
): Promise<number> {
  const metrics = toMetrics(report, io.now());
  io.stdout(output.format === 'json' ? json(report) : output.format === 'prometheus' ? exposition(metrics) : text(report));
  const pushed = await push(io, output, check, metrics, output.timeoutMs);
  return report.ok && pushed ? EXIT.ok : EXIT.problem;
}
