/** One JSON line per request to the configured log endpoint. */
import { Logger } from 'fastly:logger';
import type { LogRecord } from '../core/diagnostics.ts';

export function writeLog(endpoint: string, record: LogRecord): void {
  const line = JSON.stringify(record);
  try {
    new Logger(endpoint).log(line);
  } catch {
    // No such endpoint: fall back to stdout, which `fastly log-tail` shows.
    console.log(`${endpoint} :: ${line}`);
  }
}
