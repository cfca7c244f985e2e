import { describe, expect, it } from 'vitest';
import { queryOf, withoutQueries } from '../../src/core/log-line.ts';

describe('withoutQueries: free text fit for a log line without personal data', () => {
  it.each([
    ['a URL quoted with its query', 'URL constructor: https://www.gov.uk/a?email=me%40example.com is not a valid URL.', '?email=me%40example.com', 'URL constructor: https://www.gov.uk/a?… is not a valid URL.'],
    ['the query quoted decoded, spaces and all', 'bad header value: q=my name, from /a', '?q=my+name', 'bad header value: …, from /a'],
    ['the query quoted without its ?', 'cannot parse email=me%40example.com', '?email=me%40example.com', 'cannot parse …'],
    ['another query quoted', 'fetch https://origin/x?token=abc failed', '', 'fetch https://origin/x?… failed'],
    ['a short query is cut only after a ?', 'at a?b and ab', '?b', 'at a?… and ab'],
    ['nothing to cut', 'NetworkError when attempting to fetch resource.', '?email=x%40y', 'NetworkError when attempting to fetch resource.'],
  ])('%s', (_name, text, query, expected) => {
    expect(withoutQueries(text, false, query)).toBe(expected);
  });

  it('leaves everything with log_personal_data = true', () => {
    expect(withoutQueries('https://www.gov.uk/a?email=me%40example.com', true, '?email=me%40example.com')).toBe('https://www.gov.uk/a?email=me%40example.com');
  });

  it('takes the query as sent, without the fragment', () => {
    expect([queryOf('https://www.gov.uk/a?b=c#d?e'), queryOf('https://www.gov.uk/a#d?e'), queryOf('https://www.gov.uk/a')]).toEqual(['?b=c', '', '']);
  });
});
