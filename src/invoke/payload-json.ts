import { InvalidRequestContentException } from '../domain/errors.js';

const EXPECTED = "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
const PREFIX = 'Could not parse request body into json: Could not parse payload into json: ';

/**
 * Invoke accepts any JSON document (or nothing) as payload. Anything else is 400
 * InvalidRequestContentException with the wording of Lambda's Jackson parser (recorded in
 * test_lambda.snapshot.json, test_lambda_invoke_payload_encoding_error): the first unexpected
 * character described as Jackson describes it, invalid UTF-8 by its byte, then the location.
 */
export function checkPayloadJson(payload: Buffer): void {
  if (payload.length === 0) return;
  let first = 0;
  while (first < payload.length && isSpace(payload[first]!)) first++;
  if (first === payload.length) return;
  const b = payload[first]!;
  if (isLetter(b)) {
    // Jackson reads a bare word whole (bytes of other scripts included) before judging it.
    let end = first;
    while (end < payload.length && isTokenByte(payload[end]!)) end++;
    const bad = firstInvalidUtf8(payload.subarray(0, end));
    if (bad !== undefined) fail(`Invalid UTF-8 start byte 0x${payload[bad]!.toString(16).padStart(2, '0')}`, payload, bad + 2);
    const token = payload.subarray(first, end).toString('utf8');
    if (token !== 'null' && token !== 'true' && token !== 'false') {
      fail(`Unrecognized token '${token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`, payload, end + 1);
    }
  } else if (!startsValue(b)) {
    fail(`Unexpected character (${describeChar(b)}): ${EXPECTED}`, payload, first + 1);
  }
  const bad = firstInvalidUtf8(payload);
  if (bad !== undefined) fail(`Invalid UTF-8 start byte 0x${payload[bad]!.toString(16).padStart(2, '0')}`, payload, bad + 2);
  try {
    JSON.parse(payload.toString('utf8'));
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    fail((err as Error).message.replace(/ in JSON at position \d+.*$/, ''), payload, m ? Number(m[1]) + 1 : payload.length);
  }
}

function fail(detail: string, payload: Buffer, byteColumn: number): never {
  const before = payload.subarray(0, Math.max(0, byteColumn - 1));
  const lineNo = before.toString('latin1').split('\n').length;
  const column = byteColumn - (before.lastIndexOf(0x0a) + 1);
  throw new InvalidRequestContentException(
    `${PREFIX}${detail}\n at [Source: REDACTED (\`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION\` disabled); line: ${lineNo}, column: ${column}]`,
  );
}

/** Jackson's _getCharDesc: ISO control characters (incl. U+0080–U+009F) as CTRL-CHAR. */
function describeChar(b: number): string {
  if (b < 0x20 || (b >= 0x7f && b <= 0x9f)) return `(CTRL-CHAR, code ${b})`;
  return `'${String.fromCharCode(b)}' (code ${b})`;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function startsValue(b: number): boolean {
  return b === 0x7b || b === 0x5b || b === 0x22 || b === 0x2d || (b >= 0x30 && b <= 0x39);
}

function isLetter(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

function isTokenByte(b: number): boolean {
  return isLetter(b) || (b >= 0x30 && b <= 0x39) || b === 0x5f || b >= 0x80;
}

/** Offset of the first byte that does not start a valid UTF-8 sequence, if any. */
function firstInvalidUtf8(buf: Buffer): number | undefined {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= buf.length || (buf[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return undefined;
}
