import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilterPattern } from '../../src/logs/filter-pattern.js';
import { FilterPatternError } from '../../src/logs/pattern-values.js';
import { fieldsOf } from '../../src/logs/space-delimited-pattern.js';

const matches = (pattern: string, message: string) => compileFilterPattern(pattern)(message);
const LAMBDA_LINE = '2026-12-04T10:00:00.000Z\t8f5e-req\tERROR\tInvalid request: missing field';
const JSON_LINE = JSON.stringify({ level: 'ERROR', latency: 120, user: { id: 'u-42', admin: false }, tags: ['a', 'b'], note: null, path: '/api/orders/17' });

test('filter pattern: an empty or blank pattern matches every event', () => {
  assert.equal(matches('', 'anything'), true);
  assert.equal(matches('   ', ''), true);
  assert.equal(matches('""', 'x'), true);
});

test('filter pattern: a term matches events containing it, case-sensitively', () => {
  assert.equal(matches('ERROR', LAMBDA_LINE), true);
  assert.equal(matches('error', LAMBDA_LINE), false);
  assert.equal(matches('WARN', LAMBDA_LINE), false);
  assert.equal(matches('Inval', LAMBDA_LINE), true, 'a term matches inside words too');
});

test('filter pattern: several terms must all occur, in any order', () => {
  assert.equal(matches('ERROR missing', LAMBDA_LINE), true);
  assert.equal(matches('missing ERROR', LAMBDA_LINE), true);
  assert.equal(matches('ERROR timeout', LAMBDA_LINE), false);
});

test('filter pattern: a quoted phrase matches exactly, spaces and punctuation included', () => {
  assert.equal(matches('"Invalid request: missing"', LAMBDA_LINE), true);
  assert.equal(matches('"request Invalid"', LAMBDA_LINE), false);
  assert.equal(matches('"say \\"hi\\""', 'they say "hi" here'), true);
});

test('filter pattern: -term excludes events containing it', () => {
  assert.equal(matches('ERROR -timeout', LAMBDA_LINE), true);
  assert.equal(matches('ERROR -missing', LAMBDA_LINE), false);
  assert.equal(matches('ERROR -"missing field"', LAMBDA_LINE), false);
});

test('filter pattern: ?term alternatives match when any one occurs', () => {
  assert.equal(matches('?WARN ?ERROR', LAMBDA_LINE), true);
  assert.equal(matches('?WARN ?FATAL', LAMBDA_LINE), false);
  assert.equal(matches('?"missing field" ?nothing', LAMBDA_LINE), true);
});

test('filter pattern: %regex% terms', () => {
  assert.equal(matches('%req[a-z]+st%', LAMBDA_LINE), true);
  assert.equal(matches('%^ERROR%', LAMBDA_LINE), false);
  assert.throws(() => compileFilterPattern('%(unclosed%'), FilterPatternError);
});

test('filter pattern: bad term syntax is refused', () => {
  assert.throws(() => compileFilterPattern('"unterminated'), FilterPatternError);
  assert.throws(() => compileFilterPattern('- term'), FilterPatternError);
  assert.throws(() => compileFilterPattern('a"b'), FilterPatternError);
});

test('filter pattern: JSON string equality, inequality and wildcards', () => {
  assert.equal(matches('{ $.level = "ERROR" }', JSON_LINE), true);
  assert.equal(matches('{ $.level = "WARN" }', JSON_LINE), false);
  assert.equal(matches('{ $.level != "WARN" }', JSON_LINE), true);
  assert.equal(matches('{ $.level = ERROR }', JSON_LINE), true, 'unquoted string values');
  assert.equal(matches('{ $.path = "/api/orders/*" }', JSON_LINE), true);
  assert.equal(matches('{ $.path = "*orders*" }', JSON_LINE), true);
  assert.equal(matches('{ $.path = "/api/users/*" }', JSON_LINE), false);
  assert.equal(matches('{ $.level = %ERR.R% }', JSON_LINE), true);
});

test('filter pattern: JSON numeric comparisons', () => {
  assert.equal(matches('{ $.latency > 100 }', JSON_LINE), true);
  assert.equal(matches('{ $.latency >= 120 }', JSON_LINE), true);
  assert.equal(matches('{ $.latency < 120 }', JSON_LINE), false);
  assert.equal(matches('{ $.latency <= 120 }', JSON_LINE), true);
  assert.equal(matches('{ $.latency = 120 }', JSON_LINE), true);
  assert.equal(matches('{ $.latency != 120 }', JSON_LINE), false);
  assert.equal(matches('{ $.latency = 1.2e2 }', JSON_LINE), true);
  assert.equal(matches('{ $.level > 1 }', JSON_LINE), false, 'a string field never compares as a number');
});

test('filter pattern: JSON nested fields, array indexes, && || and parentheses', () => {
  assert.equal(matches('{ $.user.id = "u-42" }', JSON_LINE), true);
  assert.equal(matches('{ $.tags[1] = "b" }', JSON_LINE), true);
  assert.equal(matches('{ $.tags[5] = "b" }', JSON_LINE), false);
  assert.equal(matches('{ $.level = "ERROR" && $.latency > 100 }', JSON_LINE), true);
  assert.equal(matches('{ $.level = "ERROR" && $.latency > 500 }', JSON_LINE), false);
  assert.equal(matches('{ $.level = "WARN" || $.latency > 100 }', JSON_LINE), true);
  assert.equal(matches('{ ($.level = "WARN" || $.level = "ERROR") && ($.user.id = "u-*") }', JSON_LINE), true);
  assert.equal(matches('{ ($.level = "WARN" || $.level = "INFO") && $.latency > 1 }', JSON_LINE), false);
});

test('filter pattern: JSON IS NULL, IS TRUE/FALSE, EXISTS, NOT EXISTS; a missing field fails comparisons, != too', () => {
  assert.equal(matches('{ $.note IS NULL }', JSON_LINE), true);
  assert.equal(matches('{ $.level IS NULL }', JSON_LINE), false);
  assert.equal(matches('{ $.user.admin IS FALSE }', JSON_LINE), true);
  assert.equal(matches('{ $.user.admin IS TRUE }', JSON_LINE), false);
  assert.equal(matches('{ $.missing NOT EXISTS }', JSON_LINE), true);
  assert.equal(matches('{ $.level NOT EXISTS }', JSON_LINE), false);
  assert.equal(matches('{ $.level EXISTS }', JSON_LINE), true);
  assert.equal(matches('{ $.missing != "x" }', JSON_LINE), false);
});

test('filter pattern: JSON patterns match JSON after a text prefix and never match non-JSON', () => {
  assert.equal(matches('{ $.level = "ERROR" }', `2026-12-04T10:00:00.000Z\treq\tINFO\t${JSON_LINE}`), true);
  assert.equal(matches('{ $.level = "ERROR" }', 'ERROR but not json'), false);
  assert.equal(matches('{ $.level = "ERROR" }', '[1,2]'), false);
});

test('filter pattern: malformed JSON patterns are refused', () => {
  for (const bad of ['{ $.level = "ERROR" ', '{ level = "x" }', '{ $.level }', '{ $.level ~ 1 }', '{ $.a > "x" }', '{ ($.a = 1 }', '{ $ = 1 }', '{ $.a = 1 extra }']) {
    assert.throws(() => compileFilterPattern(bad), FilterPatternError, bad);
  }
});

const ACCESS = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326';

test('filter pattern: a message splits into space-delimited fields, [..] and ".." runs whole', () => {
  assert.deepEqual(fieldsOf(ACCESS), ['127.0.0.1', '-', 'frank', '10/Oct/2000:13:25:15 -0700', 'GET /apache_pb.gif HTTP/1.0', '404', '2326']);
});

test('filter pattern: space-delimited fields with conditions and ellipsis', () => {
  assert.equal(matches('[ip, id, user, timestamp, request, status_code = 404, size]', ACCESS), true);
  assert.equal(matches('[ip, id, user, timestamp, request, status_code = 200, size]', ACCESS), false);
  assert.equal(matches('[ip, id, user, timestamp, request, status_code = 4*, size > 1000]', ACCESS), true);
  assert.equal(matches('[ip, id, user, timestamp, request = "GET *", ...]', ACCESS), true);
  assert.equal(matches('[..., status_code = 404, size]', ACCESS), true);
  assert.equal(matches('[ip = 127.0.0.*, ...]', ACCESS), true);
  assert.equal(matches('[ip, user]', ACCESS), false, 'without ... the field count must match');
  assert.equal(matches('[..., status_code = 500 || status_code = 404, size]', ACCESS), true);
  assert.equal(matches('[..., status_code >= 400 && status_code < 500, size]', ACCESS), true);
  assert.equal(matches('[ip, id, user != frank, ...]', ACCESS), false);
  assert.equal(matches('[ip, id, user = %^fr%, ...]', ACCESS), true);
});

test('filter pattern: malformed space-delimited patterns are refused', () => {
  for (const bad of ['[a, b', '[a,, b]', '[a b c]', '[a > x]']) assert.throws(() => compileFilterPattern(bad), FilterPatternError, bad);
});
