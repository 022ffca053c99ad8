import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, FilterSyntaxError, type FilterSubject } from '../../src/tracing/filter-expression.js';

const subject = (over: Partial<FilterSubject> = {}): FilterSubject => ({
  ok: true, error: false, fault: false, throttle: false, partial: false, responsetime: 0.25, duration: 0.3,
  http: { status: 200 }, annotations: new Map<string, Array<string | number | boolean>>([['ColdStart', [true]], ['tenant', ['blue']], ['n', [5]]]),
  services: new Set(['fn-a']), ...over,
});

test('filter: service(), annotations, response time and boolean keywords', () => {
  const s = subject();
  assert.equal(compileFilter('service("fn-a")')(s), true);
  assert.equal(compileFilter('service("fn-b")')(s), false);
  assert.equal(compileFilter('annotation.ColdStart = true')(s), true);
  assert.equal(compileFilter('annotation[tenant] = "blue"')(s), true);
  assert.equal(compileFilter('annotation.n >= 5 AND annotation.n < 6')(s), true);
  assert.equal(compileFilter('annotation.tenant BEGINSWITH "bl"')(s), true);
  assert.equal(compileFilter('responsetime > 0.2')(s), true);
  assert.equal(compileFilter('responsetime > 1')(s), false);
  assert.equal(compileFilter('ok')(s), true);
  assert.equal(compileFilter('fault')(s), false);
  assert.equal(compileFilter('fault = false')(s), true);
  assert.equal(compileFilter('http.status = 200')(s), true);
});

test('filter: AND binds tighter than OR; NOT, ! and parentheses', () => {
  const s = subject({ fault: true, ok: false });
  assert.equal(compileFilter('error OR fault AND service("fn-a")')(s), true);
  assert.equal(compileFilter('(error OR fault) AND service("nope")')(s), false);
  assert.equal(compileFilter('error || fault && service("nope")')(s), false);
  assert.equal(compileFilter('NOT ok')(s), true);
  assert.equal(compileFilter('!fault')(s), false);
});

test('filter: expressions outside the subset are refused', () => {
  for (const bad of ['service(', 'responsetime', 'responsetime > "x"', 'bogus = 1', 'fault = 3', 'annotation.x = ', 'ok ok', '"unterminated']) {
    assert.throws(() => compileFilter(bad), FilterSyntaxError, bad);
  }
});
