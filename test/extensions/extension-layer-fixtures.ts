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

/**
 * A Logs API (or Telemetry API) subscriber in Node, as the AWS samples write one: listens on
 * sandbox.localdomain:4244, subscribes to all three streams (Logs API with schemaVersion
 * 2021-03-18, so platform.runtimeDone comes too), appends every record to $TMPDIR/records.log and
 * prints a line per event — its own output, which must arrive on the `extension` stream. At
 * SHUTDOWN it prints the reason and how long it was given, then exits.
 */
export function subscriberExtension(api: 'logs' | 'telemetry'): string {
  const path = api === 'logs' ? '/2020-08-15/logs' : '/2022-07-01/telemetry';
  const schema = api === 'logs' ? '2021-03-18' : '2022-12-13';
  return `#!/usr/bin/env node
const http = require('node:http'); const fs = require('node:fs'); const os = require('node:os'); const dns = require('node:dns');
const base = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API;
const out = os.tmpdir() + '/records.log';
(async () => {
  // The process driver's host may not resolve sandbox.localdomain (isolated sandboxes always do).
  const resolved = await new Promise((r) => dns.lookup('sandbox.localdomain', (err) => r(!err)));
  const server = http.createServer((req, res) => {
    let b = ''; req.on('data', (c) => (b += c));
    req.on('end', () => { for (const ev of JSON.parse(b)) fs.appendFileSync(out, JSON.stringify(ev) + '\\n'); res.end('OK'); });
  });
  await new Promise((r) => server.listen(4244, resolved ? 'sandbox.localdomain' : '127.0.0.1', r));
  const r = await fetch(base + '/2020-01-01/extension/register', { method: 'POST', headers: { 'Lambda-Extension-Name': 'subscriber-ext' }, body: JSON.stringify({ events: ['INVOKE', 'SHUTDOWN'] }) });
  const id = r.headers.get('lambda-extension-identifier');
  const s = await fetch(base + '${path}', { method: 'PUT', headers: { 'Lambda-Extension-Identifier': id }, body: JSON.stringify({
    schemaVersion: '${schema}', destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:4244/records' },
    types: ['platform', 'function', 'extension'], buffering: { timeoutMs: 25 } }) });
  fs.appendFileSync(out, JSON.stringify({ type: 'test.subscribed', record: s.status }) + '\\n');
  for (;;) {
    const ev = await (await fetch(base + '/2020-01-01/extension/event/next', { headers: { 'Lambda-Extension-Identifier': id } })).json();
    if (ev.eventType === 'SHUTDOWN') {
      console.log('EXT subscriber-ext SHUTDOWN ' + ev.shutdownReason + ' window ' + (ev.deadlineMs - Date.now()));
      process.exit(0);
    }
    console.log('EXT subscriber-ext got ' + ev.eventType);
  }
})();
`;
}

/**
 * A Node function that says when it gets SIGTERM (Lambda's graceful shutdown) and returns
 * $TMPDIR/records.log once `waitFor`'s platform.report arrived (or after 3 s), plus what an
 * AWS_LAMBDA_EXEC_WRAPPER's internal extension left in $TMPDIR.
 */
export const SIGTERM_READER = `const fs = require('node:fs'); const os = require('node:os');
process.on('SIGTERM', () => { console.log('[runtime] SIGTERM received'); process.exit(0); });
exports.handler = async (event) => {
  console.log('hello from the function');
  const lines = (f) => { try { return fs.readFileSync(os.tmpdir() + '/' + f, 'utf8').trim().split('\\n').filter(Boolean); } catch { return []; } };
  const read = () => lines('records.log').map((l) => JSON.parse(l));
  for (let i = 0; i < 300 && event.waitFor && !read().some((e) => e.type === 'platform.report' && e.record.requestId === event.waitFor); i++) await new Promise((r) => setTimeout(r, 10));
  return { records: read(), shutdownStatus: lines('shutdown-status').join(''), agent: lines('agent.log') };
};`;

/**
 * An AWS_LAMBDA_EXEC_WRAPPER script that registers an internal extension (its name is no file in
 * /opt/extensions) before it execs the runtime: first for INVOKE and SHUTDOWN (refused: internal
 * extensions cannot have SHUTDOWN), then for INVOKE alone, and polls next in the background.
 */
export const WRAPPER_WITH_AGENT = `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2020-01-01/extension"
T=\${TMPDIR:-/tmp}
curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Lambda-Extension-Name: wrapper-agent' -d '{"events":["INVOKE","SHUTDOWN"]}' "$API/register" > "$T/shutdown-status"
ID=$(curl -s -D - -o /dev/null -X POST -H 'Lambda-Extension-Name: wrapper-agent' -d '{"events":["INVOKE"]}' "$API/register" | tr -d '\\r' | sed -n 's/^[Ll]ambda-[Ee]xtension-[Ii]dentifier: //p')
( while true; do curl -s -H "Lambda-Extension-Identifier: $ID" "$API/event/next" >> "$T/agent.log"; echo >> "$T/agent.log"; done ) </dev/null >/dev/null 2>&1 &
exec "$@"
`;

/** An extension that crashes (exit 1) when its second INVOKE arrives, after Init; `reportFirst`: it posts exit/error before. */
export const crashOnSecondInvoke = (reportFirst = false) => `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2020-01-01/extension"
ID=$(curl -s -D - -o /dev/null -X POST -H 'Lambda-Extension-Name: crashy' -d '{"events":["INVOKE"]}' "$API/register" | tr -d '\\r' | sed -n 's/^[Ll]ambda-[Ee]xtension-[Ii]dentifier: //p')
n=0
while true; do
  curl -s -o /dev/null -H "Lambda-Extension-Identifier: $ID" "$API/event/next"
  n=$((n+1))
  if [ $n -ge 2 ]; then
    ${reportFirst ? `curl -s -o /dev/null -X POST -H "Lambda-Extension-Identifier: $ID" -H 'Lambda-Extension-Function-Error-Type: Extension.Fatal' -d '{"errorMessage":"giving up","errorType":"Fatal"}' "$API/exit/error"` : ':'}
    echo "EXT crashy: crashing"; exit 1
  fi
done
`;

/**
 * An extension that, after its first INVOKE, goes back to next from a child it leaves running
 * (which keeps its stdout open) and exits 1 itself: a crash while the environment is idle.
 */
export const CRASH_WHEN_IDLE = `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2020-01-01/extension"
ID=$(curl -s -D - -o /dev/null -X POST -H 'Lambda-Extension-Name: idle-crash' -d '{"events":["INVOKE"]}' "$API/register" | tr -d '\r' | sed -n 's/^[Ll]ambda-[Ee]xtension-[Ii]dentifier: //p')
curl -s -o /dev/null -H "Lambda-Extension-Identifier: $ID" "$API/event/next"
curl -s -o /dev/null -H "Lambda-Extension-Identifier: $ID" "$API/event/next" &
sleep 0.2
echo "EXT idle-crash: exiting"
exit 1
`;

/** A layer holding arbitrary files (mode 0755). */
export async function publishLayer(h: Harness, layerName: string, files: Record<string, string>): Promise<string> {
  const entries: Record<string, { data: string; mode: number }> = {};
  for (const [path, data] of Object.entries(files)) entries[path] = { data, mode: EXECUTABLE };
  const out = await h.client.send(new PublishLayerVersionCommand({ LayerName: layerName, Content: { ZipFile: await makeZip(entries) } }));
  return out.LayerVersionArn!;
}
