/**
 * Child process entry: runs the service on the local runtime, so that the
 * system under test does not share an event loop with the load generator and
 * the stub backends. Arguments: the manifest path and the service entry. Tells the parent its URL
 * over IPC, closes everything on `close` and exits.
 */
import { resolve } from 'node:path';
import { startLocalRuntime } from '../local-runtime/index.ts';

const REPO = resolve(import.meta.dirname, '..');

async function main(): Promise<void> {
  const [manifestPath, entry] = process.argv.slice(2);
  if (!manifestPath || !entry || !process.send) throw new Error('usage: runtime-child.ts <manifest> <entry>, spawned by bench/runtime-process.ts');
  let runtimeErrors = 0;
  const runtime = await startLocalRuntime({
    manifestPath,
    entry: resolve(REPO, entry),
    port: 0,
    echoLogs: false,
    // Every refused or timed-out backend connection is reported here; count, do not print.
    errorLog: () => {
      runtimeErrors++;
    },
  });
  process.send({ type: 'ready', url: runtime.url });
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'close') return;
    void runtime.close().then(
      () => {
        process.send?.({ type: 'closed', logLines: runtime.logs.length, runtimeErrors }, () => process.exit(0));
      },
      () => process.exit(1),
    );
  });
  // Never outlive the parent.
  process.on('disconnect', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench runtime child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
