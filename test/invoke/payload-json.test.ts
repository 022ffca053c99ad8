import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPayloadJson } from '../../src/invoke/payload-json.js';

const LOC = (line: number, column: number) => `\n at [Source: REDACTED (\`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION\` disabled); line: ${line}, column: ${column}]`;

function rejects(bytes: Buffer, message: string): void {
  assert.throws(() => checkPayloadJson(bytes), (err: any) => {
    assert.equal(err.name, 'InvalidRequestContentException');
    assert.equal(err.message, message);
    return true;
  });
}

test('payload: any JSON document or nothing at all is accepted', () => {
  for (const p of ['', '{}', '[1,2]', '"text"', '42', 'null', ' true ', '{"nested":{"a":[1,{"b":null}]}}', '"ünïcödé ✓"']) checkPayloadJson(Buffer.from(p));
});

test("payload: invalid UTF-8 is rejected with Lambda's Jackson wording (recorded)", () => {
  rejects(Buffer.from('6e87729ee9b5d749ee9b6d74', 'hex'), `Could not parse request body into json: Could not parse payload into json: Invalid UTF-8 start byte 0x87${LOC(1, 3)}`);
});

test("payload: a control character where a value starts is rejected as Jackson words it (recorded)", () => {
  rejects(
    Buffer.from('99eb2c6a07a17a5968', 'hex'),
    `Could not parse request body into json: Could not parse payload into json: Unexpected character ((CTRL-CHAR, code 153)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')${LOC(1, 1)}`,
  );
});

test('payload: bare words and truncated documents are rejected', () => {
  rejects(Buffer.from('hello'), `Could not parse request body into json: Could not parse payload into json: Unrecognized token 'hello': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')${LOC(1, 6)}`);
  assert.throws(() => checkPayloadJson(Buffer.from('{"a":')), (err: any) => err.name === 'InvalidRequestContentException' && err.message.startsWith('Could not parse request body into json: Could not parse payload into json: '));
});
