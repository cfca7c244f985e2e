/** One JSON line per request to the configured log endpoint, and what the POP tells of the client for it. */
import { env } from 'fastly:env';
import { Logger } from 'fastly:logger';
import type { EdgeFacts, LogRecord } from '../core/log-line.ts';

export function writeLog(endpoint: string, record: LogRecord): void {
  const line = JSON.stringify(record);
  try {
    new Logger(endpoint).log(line);
  } catch {
    // No such endpoint: fall back to stdout, which `fastly log-tail` shows.
    console.log(`${endpoint} :: ${line}`);
  }
}

/**
 * The POP and the client's TLS connection; a value the runtime cannot give is
 * null, never an error. The JA3 fingerprint is read only when it will be logged.
 */
export function edgeFacts(client: ClientInfo, withPersonalData: boolean): EdgeFacts {
  return {
    dataCentre: read(() => env('FASTLY_POP')),
    tlsProtocol: read(() => client.tlsProtocol),
    tlsCipher: read(() => client.tlsCipherOpensslName),
    ja3: withPersonalData ? read(() => client.tlsJA3MD5) : null,
  };
}

function read(value: () => string | null | undefined): string | null {
  try {
    const got = value();
    return typeof got === 'string' && got.length > 0 ? got : null;
  } catch {
    return null;
  }
}
