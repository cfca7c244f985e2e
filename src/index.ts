/// <reference types="@fastly/js-compute" />
/**
 * govuk-failover: keeps www.gov.uk answering when its origin is down.
 * The entry point only hands each request to the adapter.
 */
import { handleFetchEvent } from './adapter/handler.ts';

addEventListener('fetch', (event) => event.respondWith(handleFetchEvent(event)));
