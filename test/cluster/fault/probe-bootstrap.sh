#!/bin/sh
# The fault tests' probe as a custom runtime in sh and curl: a few MB per environment where a Node
# runtime takes ~40 MB, so that S5's 1,000 concurrent first invokes fit in this machine's memory.
# Reports {id, fn, version, env, worker, start, end} like the Node probe (harness.ts).
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
worker=$(ip -4 -o addr show eth0 2>/dev/null | awk '{ split($4, a, "/"); print a[1] }')
[ -n "$worker" ] || worker=unknown
env="sh-$$-$(date +%s%N)"
hdr="${TMPDIR:-/tmp}/probe-$$.headers"
while :; do
  event=$(curl -sS -D "$hdr" "$api/invocation/next") || { sleep 0.1; continue; }
  rid=$(sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *\([A-Za-z0-9-]*\).*/\1/p' "$hdr")
  start=$(date +%s%3N)
  id=$(printf '%s' "$event" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
  ms=$(printf '%s' "$event" | sed -n 's/.*"sleepMs":\([0-9]*\).*/\1/p')
  [ -z "$ms" ] || sleep "$(awk "BEGIN { print $ms / 1000 }")"
  end=$(date +%s%3N)
  rec="{\"id\":\"$id\",\"fn\":\"$AWS_LAMBDA_FUNCTION_NAME\",\"version\":\"$AWS_LAMBDA_FUNCTION_VERSION\",\"env\":\"$env\",\"worker\":\"$worker\",\"start\":$start,\"end\":$end}"
  printf '%s\n' "$rec" >> "$REPORT_FILE"
  curl -sS -o /dev/null -X POST --data-binary "$rec" "$api/invocation/$rid/response"
done
