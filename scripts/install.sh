#!/bin/sh
# Installs what Flint needs on a Debian/Ubuntu machine, then its npm dependencies.
# - bubblewrap, slirp4netns: the isolated sandbox driver and its outbound network; runc: the
#   cold-start reference; socat: the Runtime API relay fallback; libc6-dev + gcc: the sandbox init;
#   g++, cmake, autoconf, automake, libtool: to build the official aws-lambda-ric (native) for its tests.
# - awscli, python3-boto3, curl: the real AWS clients (and plain HTTP for function URLs) the
#   compatibility tests drive; rabbitmq-server: the broker the RabbitMQ event source tests start.
# - chromium: the real browser the web console's tests drive (playwright-core, test/console).
# - postgresql, iproute2: cluster mode's database (tests start throwaway servers) and the
#   network namespaces and cuts the cluster's fault tests build.
# Without root or apt it installs only the npm side and says what is missing; Flint then falls
# back to the unisolated `process` sandbox and prints why.
set -eu
cd "$(dirname "$0")/.."
PKGS="curl bubblewrap slirp4netns libc6-dev gcc runc socat g++ make cmake autoconf automake libtool awscli python3-boto3 rabbitmq-server chromium postgresql iproute2"
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  missing=""
  for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "install: apt-get install$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
else
  echo "install: not root or no apt-get; skipping system packages ($PKGS)" >&2
fi
# npm ci's prepare step compiles the server (tsc) and builds the web console (vite → dist/web-console).
npm ci --no-audit --no-fund
