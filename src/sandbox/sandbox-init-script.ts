/**
 * The shell init: the fallback for hosts without a C compiler to build flint-sandbox-init
 * (init/flint-sandbox-init.c does the same in one exec, measured ~60 ms faster on a busy host).
 * The first program inside a bwrap sandbox (run by /bin/sh, which is dash on Debian). It
 * 1. caps open files at 1024 (Lambda's nofile limit; the sandbox user cannot raise it again),
 * 2. starts the Runtime API relay: a TCP listener on the sandbox's own 127.0.0.1:9001 forwarding
 *    each connection to a unix socket the host serves (unix sockets on a bind mount cross network
 *    namespaces; TCP to the host's loopback does not). The relay is double-forked so the sandbox's
 *    pid 1 (bwrap's reaper), not the runtime, reaps it,
 *    The same for Flint's own API: 127.0.0.1:9002 to the API socket (FLINT_API_PORT below),
 * 3. waits until both listeners are up (reading /proc/net/tcp with shell builtins only), so the
 *    runtime's first request never races the relay,
 * 4. execs the runtime, which keeps pid 2 and gets the sandbox's stdout/stderr.
 */
export const RELAY_PORT = 9001;
export const SANDBOX_API_SOCKET = '/run/flint/runtime-api.sock';
/**
 * Flint's own API (its AWS front door) inside every bwrap sandbox: AWS_ENDPOINT_URL is
 * `http://127.0.0.1:9002`. A fixed port next to the Runtime API's 9001 (Lambda's), so the two
 * ports a function must leave alone sit together; 9000, the other neighbour, is php-fpm's default.
 */
export const FLINT_API_PORT = 9002;
/** The sandbox's API relay socket (beside the Runtime API's; the host pipes it to Flint's front door only). */
export const SANDBOX_FLINT_API_SOCKET = '/run/flint/flint-api.sock';
/** Lambda's open-files limit. */
export const NOFILE = 1024;

const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');

export const SANDBOX_INIT_SCRIPT = [
  `ulimit -n ${NOFILE} || exit 125`,
  ...([[RELAY_PORT, SANDBOX_API_SOCKET], [FLINT_API_PORT, SANDBOX_FLINT_API_SOCKET]] as const).map(([port, socket]) =>
    `( /usr/bin/socat TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,backlog=128,nodelay UNIX-CONNECT:${socket} </dev/null >/dev/null 2>&1 & )`),
  `up() { while read -r _ a _ s _; do [ "$a $s" = "0100007F:$1 0A" ] && return 0; done </proc/net/tcp; return 1; }`,
  'n=0',
  `until up ${hex(RELAY_PORT)} && up ${hex(FLINT_API_PORT)}; do n=$((n+1)); [ $n -lt 200000 ] || { echo "flint: the Runtime API relay did not start" >&2; exit 125; }; done`,
  'exec "$@"',
].join('\n');

/**
 * argv that becomes `uid` (setpriv: real, effective and saved ids, no supplementary groups, every
 * capability set emptied, including the bounding set) and then runs `command` through the init
 * script. bwrap has already set no_new_privs and installed the seccomp filter.
 */
export function withSandboxInit(uid: number, command: readonly string[]): string[] {
  return [
    '/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--',
    '/bin/sh', '-c', SANDBOX_INIT_SCRIPT, 'flint-init', ...command,
  ];
}
