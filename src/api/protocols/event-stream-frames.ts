import { EventStreamCodec } from '@smithy/core/event-streams';

/**
 * AWS event-stream messages (`application/vnd.amazon.eventstream`), framed — prelude, headers,
 * payload and both CRC32s — by Smithy's codec, the one the AWS SDKs decode with. Each event is
 * `:message-type: event`, `:event-type: <member name>` and a `:content-type` for its payload, as
 * Lambda's InvokeWithResponseStream sends them.
 */
export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

const codec = new EventStreamCodec((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'), (s) => Buffer.from(s, 'utf8'));

export function eventFrame(eventType: string, contentType: string, body: Uint8Array): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: contentType },
      ':message-type': { type: 'string', value: 'event' },
    },
    body,
  });
}
