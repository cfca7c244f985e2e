/**
 * `fastly:logger` — like Viceroy, any endpoint name is accepted and each
 * line goes to stdout as `<endpoint> :: <line>` (the instance also keeps it).
 */
import { requestHost } from '../context.ts';

export class Logger {
  readonly #name: string;

  constructor(name: string) {
    this.#name = String(name);
    if (this.#name === '') throw new TypeError('Logger constructor: name can not be an empty string');
  }

  log(message: unknown): void {
    requestHost('The Logger builtin').log(this.#name, String(message));
  }
}

export function configureConsole(_options: { prefixing?: boolean; stderr?: boolean }): void {}
