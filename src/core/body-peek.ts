/**
 * Reading the start of an answer's body without losing it: the bytes read
 * come back with a response that still carries the whole body (the bytes
 * read, then the rest as it arrives), status and headers unchanged.
 */

export interface Peeked {
  /** Up to the bytes asked for (more when a chunk ran over), fewer when the body is shorter. */
  readonly head: Uint8Array;
  /** The same answer, whole. */
  readonly response: Response;
}

export async function peekBody(response: Response, maxBytes: number): Promise<Peeked> {
  if (response.body === null) return { head: new Uint8Array(0), response };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let ended = false;
  while (length < maxBytes) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    chunks.push(value);
    length += value.byteLength;
  }
  const head = concat(chunks, length);
  const init = { status: response.status, statusText: response.statusText, headers: response.headers };
  if (ended) return { head, response: new Response(head, init) };
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(head);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { head, response: new Response(rest, init) };
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
