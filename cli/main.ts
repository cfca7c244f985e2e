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
import { type Command, parseCommand } from './options.ts';
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
      const report = await runCheck(command.target, { timeoutMs: command.timeoutMs, overrideToken }, progress);
      const noAnswer = report.rows.every((r) => r.failure !== null);
      if (command.json) io.stdout(checkJson(report));
      else if (!noAnswer) io.stdout(checkText(report));
      if (noAnswer) io.stderr(`govuk-failover: ${report.rows[0]?.failure?.message ?? 'no request was answered.'}\n`);
      return report.ok ? EXIT.ok : EXIT.problem;
    }
    case 'drift': {
      const run = await runDrift(command.source, { ...command, overrideToken }, progressBar(io, command.json, 'comparing pages'));
      return printRun(io, run, command.json ? driftJson : driftText);
    }
    case 'lag': {
      const run = await runLag({ ...command, overrideToken, now: io.now }, progressBar(io, command.json, 'comparing sampled pages'));
      return printRun(io, run, command.json ? lagJson : lagText);
    }
    case 'freshness': {
      const progress = startProgress(progressOut, `reading ${command.url.href} from each mirror`, MIRRORS.length);
      const report = await runFreshness({ ...command, overrideToken, now: io.now }, progress);
      io.stdout(command.json ? freshnessJson(report) : freshnessText(report));
      return report.ok ? EXIT.ok : EXIT.problem;
    }
  }
}

/** A progress bar on a terminal, unless the output is JSON. */
function progressBar(io: Io, json: boolean, what: string): (total: number) => Progress {
  return (total) => startProgressBar({ write: io.stderr, isTTY: io.stderrIsTTY && !json }, what, total);
}

/** The report of a run that compared pages, or the one line saying why there is none. */
function printRun<R extends { readonly ok: boolean }>(
  io: Io,
  run: { readonly ok: true; readonly report: R } | { readonly ok: false; readonly problem: string; readonly failure: Failure | null },
  render: (report: R) => string,
): number {
  if (!run.ok) {
    io.stderr(`govuk-failover: ${run.failure?.message ?? run.problem}\n`);
    return EXIT.problem;
  }
  io.stdout(render(run.report));
  return run.report.ok ? EXIT.ok : EXIT.problem;
}
