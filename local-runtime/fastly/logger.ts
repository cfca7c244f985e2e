/**
 * `fastly:logger` — like Viceroy, any endpoint name is accepted and each
 * line goes to stdout as `<endpoint> :: <line>` (the instance also keeps it).
 * A Logger may be made at init time; logging then traps the build, as on
 * js-compute (the endpoint is looked up at the first line).
 */
import { requestHostOrTrap } from '../context.ts';

export class Logger {
  readonly #name: string;

  constructor(name: string) {
    this.#name = String(name);
    if (this.#name === '') throw new TypeError('Logger constructor: name can not be an empty string');
  }

  log(message: unknown): void {
    requestHostOrTrap(['fastly_log', 'endpoint_get']).log(this.#name, String(message));
  }
}

export function configureConsole(_options: { prefixing?: boolean; stderr?: boolean }): void {}
