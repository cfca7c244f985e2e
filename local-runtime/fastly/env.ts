/**
 * `fastly:env`: the values Viceroy gives a service (its own stand-ins for
 * the POP, service and customer), and nothing at init time, where js-compute
 * has no environment yet.
 */
import { randomUUID } from 'node:crypto';
import { currentScope } from '../context.ts';

const VICEROY_ENV: Readonly<Record<string, string>> = {
  FASTLY_CACHE_GENERATION: '0',
  FASTLY_CUSTOMER_ID: '0000000000000000000000',
  FASTLY_POP: 'XXX',
  FASTLY_REGION: 'Somewhere',
  FASTLY_SERVICE_ID: '0000000000000000000000',
  FASTLY_SERVICE_VERSION: '0',
  FASTLY_HOSTNAME: 'localhost',
  FASTLY_IS_STAGING: '0',
};

export function env(name: string): string | undefined {
  const scope = currentScope();
  if (!scope || scope.phase !== 'request') return undefined;
  const key = String(name);
  if (key === 'FASTLY_TRACE_ID') {
    scope.traceId ??= randomUUID().replaceAll('-', '');
    return scope.traceId;
  }
  return Object.hasOwn(VICEROY_ENV, key) ? VICEROY_ENV[key] : undefined;
}
