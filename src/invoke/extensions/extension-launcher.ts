/** The byte that brackets the tag in front of each extension output line (ASCII record separator). */
export const TAG_MARK = '\x1e';

/**
 * The launcher: a POSIX sh script (dash on Debian) run as the sandbox's main process in front of
 * the runtime when the layers carry external extensions. It
 * 1. starts each extension in the background (double-forked, so the sandbox's reaper collects it),
 *    its stdout and stderr piped through `sed -u` that prefixes each line with
 *    `<TAG_MARK><tag>:<name><TAG_MARK>` — the sandbox has one stdout, and Lambda reports extension
 *    output on the Telemetry API's `extension` stream, not `function`; Flint strips the prefix
 *    before the line reaches CloudWatch. When an extension exits, its exit code is POSTed to
 *    Flint's `exitedPath` (Extension.Crash during Init, a reset of the environment after it);
 * 2. runs the runtime as its child (not exec: when the runtime ends at shutdown the extensions
 *    must keep their window, and the sandbox ends with its main process). SIGTERM is forwarded to
 *    the runtime (Lambda's graceful shutdown), SIGUSR1 becomes SIGKILL to the runtime alone (its
 *    share of the window is over). A runtime that ends without a SIGTERM ends the launcher the same
 *    way (its exit code, or the same signal), so a crash still ends the environment.
 */
export function launcherScript(names: readonly string[], optDir: string, tag: string, exitedPath: string): string {
  const report = (query: string, nameHeader: string) =>
    `/usr/bin/curl -s -o /dev/null -X POST ${nameHeader}"http://$AWS_LAMBDA_RUNTIME_API${exitedPath}?${query}" || true`;
  return [
    // The exit is reported from the pipeline's left side, as soon as the extension exits (a child
    // it left behind may hold the pipe to sed open for much longer).
    `ext() { { "$1/extensions/$2" </dev/null 2>&1; c=$?; ${report('code=$c', '-H "Lambda-Extension-Name: $2" ')}; } | /usr/bin/sed -u "s/^/${TAG_MARK}${tag}:$2${TAG_MARK}/"; }`,
    ...names.map((n) => `( ext '${optDir}' '${n}' & )`),
    '"$@" & rt=$!',
    't=0',
    `trap 't=1; kill -TERM $rt 2>/dev/null' TERM`,
    `trap 'kill -KILL $rt 2>/dev/null' USR1`,
    // wait returns early when a trapped signal arrives: wait again until the runtime is gone.
    'while :; do wait $rt; c=$?; kill -0 $rt 2>/dev/null || break; done',
    `if [ $t = 1 ]; then ${report('runtime=1&code=$c', '')}; exec /usr/bin/sleep 60; fi`,
    'trap - TERM USR1',
    '[ $c -gt 128 ] && kill -s "$(kill -l $c)" $$',
    'exit $c',
  ].join('\n');
}

/** Splits a tagged extension line into its extension's name and text (undefined: not an extension's line). */
export function extensionLine(text: string, tag: string): { name: string; text: string } | undefined {
  if (!text.startsWith(TAG_MARK)) return undefined;
  const end = text.indexOf(TAG_MARK, 1);
  if (end < 0) return undefined;
  const head = text.slice(1, end);
  const colon = head.indexOf(':');
  if (colon < 0 || head.slice(0, colon) !== tag) return undefined;
  return { name: head.slice(colon + 1), text: text.slice(end + 1) };
}
