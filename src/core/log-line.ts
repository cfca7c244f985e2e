/**
 * The log line: exactly `JSON.stringify(record)`, written by hand. On the
 * JavaScript runtime the first JSON.stringify, and the first number with a
 * fraction turned into text, each cost tens of microseconds in every request;
 * this writes the fixed shape of a LogRecord with template strings instead,
 * and numbers in tenths with whole-number arithmetic. Anything outside that
 * shape's usual values (a string that needs escaping, a number not in
 * tenths) goes through JSON.stringify as before. A property test holds the
 * two to the same output.
 */
import type { LogRecord } from './diagnostics.ts';
import { tenthsText } from './tenths.ts';

export function logLine(record: LogRecord): string {
  let line = `{"time":${text(record.time)},"request_id":${text(record.request_id)},"method":${text(record.method)},"path":${text(record.path)},"override":${record.override === null ? 'null' : text(record.override)},"attempts":[`;
  for (let i = 0; i < record.attempts.length; i++) {
    const a = record.attempts[i]!;
    line += `${i === 0 ? '' : ','}{"backend":${text(a.backend)},"outcome":${text(a.outcome)},"status":${a.status === null ? 'null' : number(a.status)},"start_ms":${number(a.start_ms)},"ms":${number(a.ms)}`;
    if (a.detail !== undefined) line += `,"detail":${text(a.detail)}`;
    if (a.objects !== undefined) line += `,"objects":${texts(a.objects)}`;
    line += '}';
  }
  line += `],"backend":${text(record.backend)},"status":${number(record.status)},"total_ms":${number(record.total_ms)}`;
  if (record.config_problems !== undefined) line += `,"config_problems":${texts(record.config_problems)}`;
  if (record.suspect_scope !== undefined) line += `,"suspect_scope":${text(record.suspect_scope)}`;
  if (record.outage_memory_error !== undefined) line += `,"outage_memory_error":${text(record.outage_memory_error)}`;
  if (record.error !== undefined) line += `,"error":${text(record.error)}`;
  return `${line}}`;
}

/** A JSON string: quoted as it is when nothing in it needs escaping (printable ASCII but `"` and `\`). */
function text(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) return JSON.stringify(value);
  }
  return `"${value}"`;
}

function texts(values: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) out += `${i === 0 ? '' : ','}${text(values[i]!)}`;
  return `${out}]`;
}

/** A JSON number: whole numbers and tenths (what the log's rounding gives) without general number printing. */
function number(value: number): string {
  return tenthsText(value) ?? JSON.stringify(value);
}
