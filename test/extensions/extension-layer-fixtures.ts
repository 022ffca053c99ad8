import { PublishLayerVersionCommand } from '@aws-sdk/client-lambda';
import { makeZip } from '../helpers/zip.js';
import type { Harness } from '../helpers/flint-harness.js';

const EXECUTABLE = 0o100755;

/**
 * An extension in POSIX sh with curl, as many real ones are written: registers for INVOKE and
 * SHUTDOWN, records each event in $TMPDIR (the function reads it back) and prints it to the log.
 */
export const SHELL_EXTENSION = `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2020-01-01/extension"
ID=$(curl -s -D - -o /dev/null -X POST -H 'Lambda-Extension-Name: shell-ext' -d '{"events":["INVOKE","SHUTDOWN"]}' "$API/register" | tr -d '\\r' | sed -n 's/^[Ll]ambda-[Ee]xtension-[Ii]dentifier: //p')
while true; do
  EV=$(curl -s -H "Lambda-Extension-Identifier: $ID" "$API/event/next")
  echo "$EV" >> "\${TMPDIR:-/tmp}/shell-ext.log"
  echo "EXT shell-ext $EV"
  case "$EV" in *SHUTDOWN*) exit 0;; esac
done
`;

/** The same in Node (fetch), asking for the account id feature; `mode` selects a misbehaviour. */
export function nodeExtension(mode: 'good' | 'never-next-again' | 'slow' = 'good'): string {
  return `#!/usr/bin/env node
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2020-01-01/extension';
const fs = require('node:fs');
const os = require('node:os');
(async () => {
  const r = await fetch(api + '/register', { method: 'POST', headers: { 'Lambda-Extension-Name': 'node-ext', 'Lambda-Extension-Accept-Feature': 'accountId' }, body: JSON.stringify({ events: ['INVOKE', 'SHUTDOWN'] }) });
  const id = r.headers.get('lambda-extension-identifier');
  fs.appendFileSync(os.tmpdir() + '/node-ext.log', JSON.stringify({ registered: await r.json() }) + '\\n');
  for (let n = 0; ; n++) {
    const ev = await (await fetch(api + '/event/next', { headers: { 'Lambda-Extension-Identifier': id } })).json();
    fs.appendFileSync(os.tmpdir() + '/node-ext.log', JSON.stringify(ev) + '\\n');
    console.log('EXT node-ext ' + JSON.stringify(ev));
    if (ev.eventType === 'SHUTDOWN') process.exit(0);
    // A timer keeps the process alive (an empty event loop would exit, which Lambda treats as a crash).
    if (${JSON.stringify(mode)} === 'never-next-again') await new Promise(() => setInterval(() => {}, 1e9));
    if (${JSON.stringify(mode)} === 'slow') await new Promise((r) => setTimeout(r, 300));
  }
})();
`;
}

/** An extension that dies before registering. */
export const CRASHING_EXTENSION = '#!/bin/sh\necho "EXT crashing: giving up"\nexit 3\n';

/** A layer holding `extensions/<name>` executables. */
export async function publishExtensionLayer(h: Harness, layerName: string, extensions: Record<string, string>): Promise<string> {
  const files: Record<string, { data: string; mode: number }> = {};
  for (const [name, data] of Object.entries(extensions)) files[`extensions/${name}`] = { data, mode: EXECUTABLE };
  const out = await h.client.send(new PublishLayerVersionCommand({ LayerName: layerName, Content: { ZipFile: await makeZip(files) } }));
  return out.LayerVersionArn!;
}

/** A Node function that returns the extensions' event records from $TMPDIR. */
export const READER_FUNCTION = `const fs = require('node:fs'); const os = require('node:os');
exports.handler = async () => {
  const read = (f) => { try { return fs.readFileSync(os.tmpdir() + '/' + f, 'utf8').trim().split('\\n').filter(Boolean).map((l) => JSON.parse(l)); } catch { return []; } };
  return { shell: read('shell-ext.log'), node: read('node-ext.log') };
};`;

/**
 * A Telemetry API subscriber in Node: listens on sandbox.localdomain:4243 (as AWS's examples do),
 * subscribes to the platform and function streams, appends every record to $TMPDIR/telemetry.log.
 */
export const TELEMETRY_EXTENSION = `#!/usr/bin/env node
const http = require('node:http'); const fs = require('node:fs'); const os = require('node:os'); const dns = require('node:dns');
const base = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API;
const out = os.tmpdir() + '/telemetry.log';
(async () => {
  const resolved = await new Promise((r) => dns.lookup('sandbox.localdomain', (err, a) => r(err ? 'unresolved' : a)));
  fs.appendFileSync(out, JSON.stringify({ type: 'test.resolved', record: resolved }) + '\\n');
  const server = http.createServer((req, res) => {
    let b = ''; req.on('data', (c) => (b += c));
    req.on('end', () => { for (const ev of JSON.parse(b)) fs.appendFileSync(out, JSON.stringify(ev) + '\\n'); res.end('OK'); });
  });
  await new Promise((r) => server.listen(4243, resolved === 'unresolved' ? '127.0.0.1' : 'sandbox.localdomain', r));
  const r = await fetch(base + '/2020-01-01/extension/register', { method: 'POST', headers: { 'Lambda-Extension-Name': 'telemetry-ext' }, body: JSON.stringify({ events: ['INVOKE', 'SHUTDOWN'] }) });
  const id = r.headers.get('lambda-extension-identifier');
  const s = await fetch(base + '/2022-07-01/telemetry', { method: 'PUT', headers: { 'Lambda-Extension-Identifier': id }, body: JSON.stringify({
    schemaVersion: '2022-12-13', destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:4243/telemetry' },
    types: ['platform', 'function'], buffering: { timeoutMs: 25 } }) });
  fs.appendFileSync(out, JSON.stringify({ type: 'test.subscribed', record: s.status }) + '\\n');
  for (;;) {
    const ev = await (await fetch(base + '/2020-01-01/extension/event/next', { headers: { 'Lambda-Extension-Identifier': id } })).json();
    if (ev.eventType === 'SHUTDOWN') process.exit(0);
  }
})();
`;

/** A Node function that logs a line, then returns the telemetry records once `waitFor`'s report arrived (or after 3 s). */
export const TELEMETRY_READER = `const fs = require('node:fs'); const os = require('node:os');
exports.handler = async (event) => {
  console.log('hello from the function');
  const read = () => { try { return fs.readFileSync(os.tmpdir() + '/telemetry.log', 'utf8').trim().split('\\n').filter(Boolean).map((l) => JSON.parse(l)); } catch { return []; } };
  for (let i = 0; i < 300 && event.waitFor && !read().some((e) => e.type === 'platform.report' && e.record.requestId === event.waitFor); i++) await new Promise((r) => setTimeout(r, 10));
  return read();
};`;
