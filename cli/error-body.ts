/**
 * What an error answer says: the first line of a plain-text one (the
 * service's own words, e.g. why an override failed), or the code and message
 * of a bucket's XML error (`AccessDenied: Access Denied`: a private S3 bucket
 * answers 403 for a missing object).
 */
export function errorBodyMessage(headers: Headers, body: string): string | null {
  const type = headers.get('Content-Type') ?? '';
  let text = '';
  if (/^text\/plain\b/i.test(type)) text = body.trim().split('\n')[0]?.trim() ?? '';
  else if (/xml/i.test(type)) {
    const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
    if (code) text = message ? `${code}: ${message}` : code;
  }
  if (text === '') return null;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
