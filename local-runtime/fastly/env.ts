/** `fastly:env` — the values Viceroy gives a service, as documented for local testing. */
import { randomUUID } from 'node:crypto';
import { currentScope } from '../context.ts';

export function env(name: string): string | undefined {
  switch (String(name)) {
    case 'FASTLY_HOSTNAME':
      return 'localhost';
    case 'FASTLY_TRACE_ID': {
      const scope = currentScope();
      if (scope && scope.phase === 'request') {
        scope.traceId ??= randomUUID().replaceAll('-', '');
        return scope.traceId;
      }
      return randomUUID().replaceAll('-', '');
    }
    default:
      return undefined;
  }
}
