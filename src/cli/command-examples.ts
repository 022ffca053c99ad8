/**
 * Examples for commands that do not carry their own (`--help` of every command ends with some);
 * keyed by the command's path. test/cli checks that every command has examples.
 */
export const COMMAND_EXAMPLES: Record<string, string[]> = {
  'flint server': ['flint server', 'flint server --port 9000 --data-dir /var/lib/flint', 'FLINT_SANDBOX=process flint server --port 0'],
  'flint env': ['eval "$(flint env)"   # then: aws lambda list-functions --endpoint-url "$AWS_ENDPOINT_URL"', 'flint env --data-dir /var/lib/flint'],
  'flint keys': ['flint keys status', 'flint keys rotate --wait'],
  'flint audit': ['flint audit verify', 'flint audit list --since 24h --attribute EventName=CreateFunction', 'flint audit public-key > audit.pem'],
  'flint audit verify': ['flint audit verify', 'flint audit verify --public-key audit.pem --json'],
  'flint audit list': ['flint audit list --since 24h', 'flint audit list --attribute Username=alice --limit 10'],
  'flint audit public-key': ['flint audit public-key > audit.pem'],
};
