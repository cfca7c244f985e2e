/// <reference types="@fastly/js-compute" />
/**
 * govuk-failover: keeps www.gov.uk answering when its origin is down.
 * The entry point warms the core up at build time and hands each request to the adapter.
 */
import { answerFetchEvent } from './adapter/handler.ts';
import { warmUp, warmUpServe } from './adapter/warm-up.ts';

// At build time (Wizer), so that requests start from compiled code.
warmUp();
void warmUpServe();

addEventListener('fetch', answerFetchEvent);
