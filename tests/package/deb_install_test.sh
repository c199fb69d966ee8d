#!/bin/bash
# The Debian package end to end: deploy/package builds it with dpkg-buildpackage; mmdebstrap
# installs it, with its dependencies from Debian 12's archive, into a clean root; there the
# installed configuration passes --check, the user, directories and files are in place, the
# installed waitlistd migrates a database as its own user, and the unit passes
# systemd-analyze verify. Purging removes the configuration and keeps the data.
#
# Needs root (mmdebstrap's root mode, chroot). The .debs and apt lists downloaded are kept
# in WL_DEB_CACHE (default /var/cache/waitlistd-test) for the next run; an empty cache only
# costs download time. WL_TEST_DEB=FILE checks that package instead of building one.
# Prints "RESULT: P passed, F failed".
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (mmdebstrap, chroot)"; exit 77; fi
cache=${WL_DEB_CACHE:-/var/cache/waitlistd-test}
mkdir -p "$cache/debs" "$cache/lists"
work=$(mktemp -d /var/tmp/wl-deb-test.XXXXXX)
root="$work/root"
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

check() {  # check NAME COMMAND...: one result line; the command's output on failure
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then
    echo "PASS $name"; passed=$((passed + 1))
  else
    echo "FAIL $name"; sed 's/^/  | /' "$work/out" | tail -n 40; failed=$((failed + 1))
  fi
}
finish() { echo "RESULT: $passed passed, $failed failed"; [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; exit $?; }
in_root() { chroot "$root" "$@"; }
t0=$SECONDS

if [ -n "${WL_TEST_DEB:-}" ]; then
  # A package built already (deploy/package): the checks below, without the build's minutes.
  deb=$(realpath "$WL_TEST_DEB")
elif ! deb=$("$src/deploy/package" "$work/debs" | head -n 1); then
  echo "FAIL the package builds with dpkg-buildpackage"; failed=$((failed + 1)); finish
else
  echo "PASS the package builds with dpkg-buildpackage ($(basename "$deb"), $((SECONDS - t0)) s)"; passed=$((passed + 1))
fi
t1=$SECONDS

# A clean Debian 12 (essential packages, apt, and systemd as on any Debian server) and our
# package with what it depends on, installed by the root's own apt (a local .deb given to
# --include is not visible from inside the chroot).
# force-unsafe-io: no fsync per unpacked file; the root is thrown away anyway.
mirrors=("deb http://deb.debian.org/debian bookworm main"
         "deb http://deb.debian.org/debian bookworm-updates main"
         "deb http://deb.debian.org/debian-security bookworm-security main")
if mmdebstrap --variant=apt --mode=root --skip=essential/unlink --dpkgopt=force-unsafe-io \
     --aptopt='Acquire::Languages "none"' \
     --setup-hook='mkdir -p "$1"/var/cache/apt/archives/ "$1"/var/lib/apt/lists/' \
     --setup-hook="sync-in $cache/debs /var/cache/apt/archives/" \
     --setup-hook="sync-in $cache/lists /var/lib/apt/lists/" \
     --customize-hook="copy-in $deb /tmp" \
     --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/$(basename "$deb")" \
     --customize-hook="sync-out /var/cache/apt/archives $cache/debs" \
     --customize-hook="sync-out /var/lib/apt/lists $cache/lists" \
     --include=systemd \
     bookworm "$root" "${mirrors[@]}" >"$work/mmdebstrap.log" 2>&1; then
  echo "PASS the package installs with its dependencies into a clean Debian 12 root ($((SECONDS - t1)) s)"
  passed=$((passed + 1))
else
  echo "FAIL the package installs with its dependencies into a clean Debian 12 root"; tail -n 40 "$work/mmdebstrap.log"
  failed=$((failed + 1)); finish
fi

config=/etc/waitlistd/waitlistd.toml
check "the installed configuration passes waitlistd --check" in_root /usr/sbin/waitlistd --check --config $config
check "the configuration was written with a fresh dialback secret and admin token" \
  grep -Eq '^dialback_secret = "[0-9a-f]{64}"' "$root$config"
# Names as the root sees them: the host has no user waitlistd.
check "the configuration is readable by root and the waitlistd group only" \
  test "$(in_root stat -c '%U:%G %a' $config)" = "root:waitlistd 640"
check "waitlistd is a system user without a login shell, at home in /var/lib/waitlistd" \
  bash -c "in_root() { chroot '$root' \"\$@\"; }; entry=\$(in_root getent passwd waitlistd) &&
           uid=\$(echo \"\$entry\" | cut -d: -f3) && [ \"\$uid\" -lt 1000 ] &&
           [ \"\$(echo \"\$entry\" | cut -d: -f6)\" = /var/lib/waitlistd ] &&
           [ \"\$(echo \"\$entry\" | cut -d: -f7)\" = /usr/sbin/nologin ]"
check "programs, template, migrations, unit and guide are in their FHS places" \
  bash -c "cd '$root' && test -x usr/sbin/waitlistd && test -x usr/bin/waitlistctl &&
           test -f usr/share/waitlistd/waitlistd.toml && test -f usr/lib/sysusers.d/waitlistd.conf &&
           ls usr/share/waitlistd/migrations/sqlite/0001_*.sql usr/share/waitlistd/migrations/postgresql/0001_*.sql &&
           { test -f lib/systemd/system/waitlistd.service || test -f usr/lib/systemd/system/waitlistd.service; } &&
           { test -f usr/share/doc/waitlistd/OPERATING.md || test -f usr/share/doc/waitlistd/OPERATING.md.gz; } ||
           { find usr/share/doc/waitlistd lib/systemd/system usr/lib/systemd/system -name '*waitlistd*' -o -name 'OPERATING*' 2>/dev/null; false; }"
check "the service is enabled for multi-user.target" \
  test -L "$root/etc/systemd/system/multi-user.target.wants/waitlistd.service"
latest=$(ls "$src"/storage/migrations/sqlite/[0-9][0-9][0-9][0-9]_*.sql | wc -l)
check "the installed waitlistd migrates its database as the waitlistd user" \
  bash -c "out=\$(chroot '$root' runuser -u waitlistd -- /usr/sbin/waitlistd --migrate --config $config) &&
           echo \"\$out\" && [ \"\$out\" = 'database schema at version $latest' ] &&
           [ \"\$(chroot '$root' stat -c %U /var/lib/waitlistd/waitlistd.db)\" = waitlistd ]"
check "waitlistctl backup copies the installed database" \
  bash -c "chroot '$root' /usr/bin/waitlistctl --config $config backup /var/tmp/copy.db && test -s '$root/var/tmp/copy.db'"
# The host's systemd-analyze on the root's files: the chroot has no /proc or running manager.
check "the unit passes systemd-analyze verify" \
  bash -c "out=\$(systemd-analyze verify --man=no --root='$root' waitlistd.service 2>&1); rc=\$?;
           echo \"\$out\"; [ \$rc -eq 0 ] && ! echo \"\$out\" | grep -q ."
check "the unit is hardened (systemd-analyze security: exposure at most 2.5)" \
  bash -c "out=\$(systemd-analyze security --offline=yes --root='$root' waitlistd.service 2>&1);
           echo \"\$out\" | tail -n 3; score=\$(echo \"\$out\" | sed -n 's/.*Overall exposure level for waitlistd.service: \([0-9.]*\).*/\1/p');
           [ -n \"\$score\" ] && awk -v s=\"\$score\" 'BEGIN { exit !(s <= 2.5) }'"
check "purging removes the configuration and keeps the database" \
  bash -c "chroot '$root' dpkg --purge waitlistd && test ! -e '$root$config' && test -f '$root/var/lib/waitlistd/waitlistd.db'"
echo "(whole test: $((SECONDS - t0)) s)"
finish
