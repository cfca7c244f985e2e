// Runs a WebAssembly program built for WASI (GOOS=wasip1 GOARCH=wasm) on this
// process's stdin, stdout and stderr, with no directories and no environment,
// and exits with its exit code:
//
//   node --no-warnings tools/crawler-key/run-wasi.mjs crawler-key.wasm < paths.txt > keys.txt
//
// Use files, not pipes: WASI reads and writes a pipe without blocking, and a Go
// program stops with EAGAIN ("try again") when the pipe is not ready.
//
// With no directories opened, Go's mime package finds no system MIME tables,
// exactly as in the crawler's image.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const [wasmPath, ...args] = process.argv.slice(2);
if (wasmPath === undefined) {
  console.error('usage: node run-wasi.mjs <program.wasm> [args...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [wasmPath, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
