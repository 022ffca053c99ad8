import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTraceHeader, newTraceRoot, otelTraceId, parseTraceHeader, xrayTraceId } from '../../src/domain/trace-header.js';

test('trace header: parses Root, Parent, Sampled, Lineage and keeps other fields in order', () => {
  const h = parseTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1;Foo=bar');
  assert.deepEqual(h, { root: '1-5759e988-bd862e3fe1be46a994272793', parent: '53995c3f42cd8ad8', sampled: true, lineage: 'a87bd80c:1', extra: [['Foo', 'bar']] });
  assert.equal(formatTraceHeader(h!), 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1;Foo=bar');
});

test('trace header: keys in any case, spaces around fields, Sampled=? or absent leaves the decision open', () => {
  assert.deepEqual(parseTraceHeader(' root=1-5759E988-BD862E3FE1BE46A994272793 ; sampled=? '), { root: '1-5759e988-bd862e3fe1be46a994272793', extra: [] });
  assert.equal(parseTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0')?.sampled, false);
  // Self= is a load balancer's own field, not passed on.
  assert.deepEqual(parseTraceHeader('Self=1-67891234-12456789abcdef012345678;Root=1-5759e988-bd862e3fe1be46a994272793')?.extra, []);
});

test('trace header: without a valid Root the header is ignored (Lambda does not fail the call)', () => {
  for (const bad of ['', 'garbage', 'Parent=53995c3f42cd8ad8;Sampled=1', 'Root=1-xyz-abc', 'Root=2-5759e988-bd862e3fe1be46a994272793', 'Root=1-5759e988-bd862e3fe1be46a99427279']) {
    assert.equal(parseTraceHeader(bad), undefined, bad);
  }
  // A malformed Parent is dropped, the rest kept.
  assert.equal(parseTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=nothex')?.parent, undefined);
});

test('trace id: X-Ray 1-<time>-<24 hex> maps to the 32-hex OpenTelemetry id by dropping the version and dash', () => {
  assert.equal(otelTraceId('1-5759e988-bd862e3fe1be46a994272793'), '5759e988bd862e3fe1be46a994272793');
  assert.equal(xrayTraceId('5759e988bd862e3fe1be46a994272793'), '1-5759e988-bd862e3fe1be46a994272793');
  assert.equal(newTraceRoot(0x5759e988 * 1000 + 999, 'bd862e3fe1be46a994272793'), '1-5759e988-bd862e3fe1be46a994272793');
});
