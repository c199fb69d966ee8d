#!/bin/sh
# Runs ws_test.mjs with @xmpp/client installed from the pinned package-lock.json (npm ci)
# into WORKDIR, outside the source tree. Node.js 18 or later and npm are Debian packages named
# in deploy/packages; without them the test fails (it does not skip): WebSocket support is part
# of what must be shown.
# Usage: run_ws_test.sh SRCDIR WORKDIR --waitlistd PATH
set -u
src=$1 work=$2
shift 2
fail() {
    echo "FAIL $1"
    echo "RESULT: 0 passed, 1 failed"
    exit 1
}
command -v node >/dev/null 2>&1 || fail "node is not installed (the test needs Node.js >= 18: deploy/install-deps test)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed (needed to install @xmpp/client: deploy/install-deps test)"
# @xmpp/client 0.14 declares Node >= 20.10 for its global WebSocket and crypto; on Debian 12's
# Node 18 ws_test.mjs provides both (the ws package, node:crypto), and npm ci only warns.
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
    fail "node $(node --version) is older than 18"

mkdir -p "$work" || fail "cannot create $work"
cp "$src/package.json" "$src/package-lock.json" "$src/ws_test.mjs" "$work/" || fail "cannot copy the test to $work"
# npm ci only when the lock changed since the last install: it deletes node_modules first.
if ! cmp -s "$work/package-lock.json" "$work/node_modules/.installed-lock" 2>/dev/null; then
    (cd "$work" && npm ci --no-audit --no-fund --loglevel=error --engine-strict=false) || fail "npm ci of @xmpp/client failed"
    cp "$work/package-lock.json" "$work/node_modules/.installed-lock"
fi
# Node 20 has the global WebSocket (which xmpp.js uses) only behind a flag.
flag=
node -e 'process.exit(typeof WebSocket === "undefined" ? 0 : 1)' && flag=--experimental-websocket
# Relative paths in the arguments stay relative to where we were started.
WL_TEST_CWD=$(pwd) && export WL_TEST_CWD
# The shared free-port tool stays in the source tree (the test runs from a copy).
WL_FREE_PORT=$(cd "$src/../../support" && pwd)/free_port.py && export WL_FREE_PORT
cd "$work" && exec node $flag ws_test.mjs "$@"
