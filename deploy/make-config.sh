#!/bin/sh
# Writes waitlistd's configuration from the installed template with a fresh dialback
# secret and admin token, unless the file exists already (an operator's file is never
# touched). Prints "created FILE" when it wrote one.
#   make-config.sh [TEMPLATE [FILE]]
set -eu
template=${1:-/usr/share/waitlistd/waitlistd.toml}
out=${2:-/etc/waitlistd/waitlistd.toml}
[ -e "$out" ] && exit 0
secret() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
mkdir -p "$(dirname "$out")"
umask 027
sed -e "s|^dialback_secret = \"\"|dialback_secret = \"$(secret)\"|" \
    -e "s|^admin_token = \"\"|admin_token = \"$(secret)\"|" "$template" > "$out.new"
grep -q '^dialback_secret = "[0-9a-f]\{64\}"' "$out.new" && grep -q '^admin_token = "[0-9a-f]\{64\}"' "$out.new" ||
  { rm -f "$out.new"; echo "make-config.sh: $template has no empty dialback_secret/admin_token to fill" >&2; exit 1; }
mv "$out.new" "$out"
echo "created $out"
