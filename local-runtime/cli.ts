/**
 * Viceroy-like command line for the local runtime:
 *
 *   tsx local-runtime/cli.ts -C fastly.toml --addr 127.0.0.1:7676 [--entry src/index.ts] [--no-http-cache]
 *
 * Exit status: 2 for usage errors, 1 for manifest or service problems.
 */
import { LoadError, ManifestError, startLocalRuntime } from './index.ts';

const USAGE = `usage: local-runtime -C <fastly.toml> [--addr 127.0.0.1:<port>] [--entry <file>] [--no-http-cache] [--quiet-logs]

  -C, --config <file>   manifest to read (default: fastly.toml)
  --addr <addr>         address to listen on; only 127.0.0.1 (default: 127.0.0.1:7676)
  --entry <file>        service entry file (default: src/index.ts)
  --no-http-cache       behave like Viceroy: no readthrough cache, cache hooks throw
  --quiet-logs          do not print logging endpoint lines to stdout
  -h, --help            show this help`;

class UsageError extends Error {}

interface Args {
  config: string;
  port: number;
  entry: string;
  httpCache: boolean;
  echoLogs: boolean;
}

function parseArgs(argv: string[]): Args | 'help' {
  const args: Args = { config: 'fastly.toml', port: 7676, entry: 'src/index.ts', httpCache: true, echoLogs: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '-C':
      case '--config':
        args.config = value();
        break;
      case '--addr': {
        const addr = value();
        const m = /^127\.0\.0\.1:(\d{1,5})$/.exec(addr);
        if (!m || Number(m[1]) > 65535) throw new UsageError(`--addr must be 127.0.0.1:<port>, got '${addr}'`);
        args.port = Number(m[1]);
        break;
      }
      case '--entry':
        args.entry = value();
        break;
      case '--no-http-cache':
        args.httpCache = false;
        break;
      case '--quiet-logs':
        args.echoLogs = false;
        break;
      default:
        throw new UsageError(`unknown argument '${arg}'`);
    }
  }
  return args;
}

async function main(): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let runtime;
  try {
    runtime = await startLocalRuntime({
      manifestPath: args.config,
      entry: args.entry,
      port: args.port,
      httpCache: args.httpCache,
      echoLogs: args.echoLogs,
    });
  } catch (err) {
    if (err instanceof ManifestError || err instanceof LoadError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      process.stderr.write(`error: cannot listen on 127.0.0.1:${args.port}: ${e.code}\n`);
      return 1;
    }
    throw err;
  }

  const backends = [...runtime.manifest.backends.values()].map((b) => `${b.name} -> ${b.url.href}`);
  process.stdout.write(`Backends: ${backends.length ? backends.join(', ') : '(none)'}\n`);
  process.stdout.write(`HTTP cache: ${args.httpCache ? 'on (Fastly readthrough model)' : 'off (like Viceroy)'}\n`);
  process.stdout.write(`Listening on ${runtime.url}\n`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await runtime.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
