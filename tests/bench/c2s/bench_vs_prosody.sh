#!/bin/bash
# C2S benchmark of waitlistd against Prosody 0.12 (Debian), measured in the same run by the
# same client (bench_c2s) with the same TLS certificate, SCRAM-SHA-1 and domain:
# sessions held, server RSS per idle session, logins/s and pings/s, and their ratios.
#
#   tests/bench/c2s/bench_vs_prosody.sh [-n USERS] [-c LOGIN_CONCURRENCY] [-p PING_CONCURRENCY]
#       [-t PING_SECONDS] [-i IDLE_SECONDS] [-j CLIENT_THREADS] [-b BUILD_DIR] [-w WAITLISTD]
#       [-o REPORT_FILE] [-N]
#
# Defaults: 1000 users, login concurrency 50, ping concurrency 50, 10 s of pings, 5 s idle,
# 1 client thread, build dir "build", waitlistd = BUILD_DIR/server/waitlistd.
# Prosody runs with Nagle's algorithm off (network_settings.nagle = false): with its default
# (on) every login stalls on delayed ACKs, 56 ms instead of 7 ms for one login here, and the
# comparison would be with a crippled Prosody. -N keeps Prosody's default.
# Everything listens on 127.0.0.1 only, on free ports, in a temporary directory that is
# removed at exit together with the servers this script started. Run as root (Prosody is
# configured with run_as_root, as in CI).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
users=1000 login_conc=50 ping_conc=50 ping_seconds=10 idle_seconds=5 threads=1
build=build waitlistd="" report_file="" prosody_nagle=false
while getopts "n:c:p:t:i:j:b:w:o:Nh" opt; do
  case $opt in
    n) users=$OPTARG ;; c) login_conc=$OPTARG ;; p) ping_conc=$OPTARG ;;
    t) ping_seconds=$OPTARG ;; i) idle_seconds=$OPTARG ;; j) threads=$OPTARG ;;
    b) build=$OPTARG ;; w) waitlistd=$OPTARG ;; o) report_file=$OPTARG ;;
    N) prosody_nagle=true ;;
    *) sed -n '2,21p' "$0"; exit 2 ;;
  esac
done
case $build in /*) ;; *) build="$root/$build" ;; esac
[ -n "$waitlistd" ] || waitlistd="$build/server/waitlistd"
bench="$build/tests/bench/c2s/bench_c2s"
[ -x "$bench" ] || { echo "bench_c2s not built: $bench (ninja -C $build bench_c2s)" >&2; exit 2; }
command -v prosody >/dev/null || { echo "prosody is not installed (deploy/packages)" >&2; exit 2; }

domain=bench.test
password=bench-password-1
prefix=bench

# Each server and the client hold one descriptor per session, plus their own.
need_fds=$((users + 512))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need_fds" ]; then
  echo "ulimit -Hn is $hard; $users sessions need $need_fds descriptors" >&2; exit 2
fi
ulimit -Sn "$need_fds"

work=$(mktemp -d /tmp/bench-c2s.XXXXXX)
started_pids=()
cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do stop_pid "$pid"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Running and not a zombie: a reaped-late daemon still answers kill -0.
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [[ $s != Z* ]]; }

stop_pid() {
  local pid=$1 i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do alive "$pid" || return 0; sleep 0.1; done
  echo "pid $pid ignored SIGTERM for 10 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

free_port() {  # below the ephemeral range: see tests/support/free_port.py
  python3 "$root/tests/support/free_port.py"
}

# wait_port PORT PID: bounded wait for a listener, failing early if the server died.
wait_port() {
  local port=$1 pid=$2 i
  for i in $(seq 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

# One certificate for both servers, so that both pay for the same handshake.
mkdir -p "$work/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=$domain" -addext "subjectAltName=DNS:$domain" \
  -keyout "$work/certs/$domain.key" -out "$work/certs/$domain.crt" 2>/dev/null

# run_bench LABEL PORT PID: the measurement itself, bounded in time.
run_bench() {
  local label=$1 port=$2 pid=$3 limit rc=0
  limit=$((120 + users / 20 + ${ping_seconds%.*} + ${idle_seconds%.*}))
  # A one-user login first: a setup mistake then fails in a second, not after N timeouts.
  if ! timeout 30 "$bench" run --port "$port" --domain "$domain" --users 1 --password "$password" \
      --prefix "$prefix" --ping-seconds 0 --hold-seconds 0 --timeout 10 --label "$label-smoke" \
      >"$work/$label.smoke" 2>&1; then
    echo "$label: a single login failed:" >&2; cat "$work/$label.smoke" >&2; return 1
  fi
  timeout "$limit" "$bench" run --port "$port" --domain "$domain" --users "$users" \
    --password "$password" --prefix "$prefix" --login-concurrency "$login_conc" \
    --ping-concurrency "$ping_conc" --ping-seconds "$ping_seconds" --hold-seconds "$idle_seconds" \
    --threads "$threads" --server-pid "$pid" --label "$label" | tee "$work/$label.out" || rc=$?
  grep -q '^RESULT ' "$work/$label.out" || return 1
  [ "$rc" -eq 0 ] || { echo "$label: bench_c2s exit status $rc (failed sessions are listed above)" >&2; return 1; }
}

# ---------------------------------------------------------------------------------------
# Prosody: own config, data and pid file in $work/prosody; accounts written as files.
measure_prosody() {
  local dir=$work/prosody port pid
  port=$(free_port)
  mkdir -p "$dir/data/${domain//./%2e}/accounts"
  cat >"$dir/prosody.cfg.lua" <<CFG
-- throwaway instance of bench_vs_prosody.sh
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
certificates = "$work/certs"
log = { warn = "$dir/prosody.log"; }   -- debug logging would be what is measured
run_as_root = true
network_settings = { nagle = $prosody_nagle; }
interfaces = { "127.0.0.1" }
c2s_ports = { $port }
s2s_ports = {}
c2s_direct_tls_ports = {}
s2s_direct_tls_ports = {}
http_ports = {}
https_ports = {}
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "posix"; }
modules_disabled = { "offline"; "s2s"; }
authentication = "internal_hashed"
storage = "internal"
allow_registration = false
c2s_require_encryption = true
VirtualHost "$domain"
CFG
  # prosodyctl register costs ~30 ms a user; the same files written directly take seconds.
  local t0=$SECONDS
  "$bench" prosody-accounts --dir "$dir/data/${domain//./%2e}/accounts" --prefix "$prefix" \
    --count "$users" --password "$password" --iterations 4096
  echo "prosody: $users accounts written in $((SECONDS - t0)) s"

  setsid prosody -F --config "$dir/prosody.cfg.lua" >"$dir/stdout.log" 2>&1 </dev/null &
  pid=$!
  started_pids+=("$pid")
  if ! wait_port "$port" "$pid"; then
    echo "prosody did not start:" >&2; tail -20 "$dir/stdout.log" "$dir/prosody.log" >&2 2>/dev/null; return 1
  fi
  [ -s "$dir/prosody.pid" ] && pid=$(cat "$dir/prosody.pid")
  echo "prosody $(dpkg-query -W -f='${Version}' prosody 2>/dev/null || echo "?") pid $pid on 127.0.0.1:$port"
  if ! run_bench prosody "$port" "$pid"; then
    echo "prosody log (last lines):" >&2; tail -8 "$dir/prosody.log" >&2; stop_pid "$pid"; return 1
  fi
  stop_pid "$pid"
}

# ---------------------------------------------------------------------------------------
# waitlistd: its own configuration keys (docs/configuration.md); accounts through the admin API
# (POST /v1/accounts, what "waitlistctl account add" calls), all from one curl process
# over kept-alive connections: a waitlistctl process per user would cost 10 000 process
# starts. provision_waitlistd is the one place to change for another provisioning path;
# "bench_c2s credentials" prints ready SCRAM keys should a bulk import appear.
provision_waitlistd() {
  local http=$1 token=$2 list=$work/waitlistd/accounts.curl i codes
  for ((i = 1; i <= users; i++)); do
    printf 'url = "http://127.0.0.1:%s/v1/accounts"\nheader = "Authorization: Bearer %s"\n' "$http" "$token"
    printf 'header = "Content-Type: application/json"\noutput = "/dev/null"\nmax-time = 30\n'
    printf 'write-out = "%%{http_code}\\n"\n'
    printf 'data = "{\\"jid\\":\\"%s@%s\\",\\"password\\":\\"%s\\"}"\n' "$prefix$i" "$domain" "$password"
    [ "$i" -eq "$users" ] || echo next
  done >"$list"
  # Two at a time: the server derives SCRAM-SHA-1 and -256 keys per account, on both cores.
  codes=$(curl -sS --no-progress-meter --parallel --parallel-max 2 -K "$list") || true
  local created; created=$(grep -c '^201$' <<<"$codes" || true)
  if [ "$created" -ne "$users" ]; then
    echo "waitlistd: $created of $users accounts created; other answers:" >&2
    grep -v '^201$' <<<"$codes" | sort | uniq -c >&2
    return 1
  fi
}

measure_waitlistd() {
  local dir=$work/waitlistd port http pid
  if [ ! -x "$waitlistd" ]; then
    echo "waitlistd is not available ($waitlistd does not exist): measuring Prosody alone"
    return 2
  fi
  mkdir -p "$dir"
  port=$(free_port); http=$(free_port)
  local token; token="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
  cat >"$dir/waitlistd.toml" <<CFG
domain = "$domain"
[tls]
cert = "$work/certs/$domain.crt"
key = "$work/certs/$domain.key"
[storage]
backend = "sqlite"
path = "$dir/waitlistd.db"
[c2s]
listen = ["127.0.0.1:$port"]
direct_tls = []
require_tls = true
[s2s]
listen = []
[http]
listen = ["127.0.0.1:$http"]
admin_token = "$token"
# Every bench session comes from 127.0.0.1 and pings back to back: the per-address cap and
# the per-connection rate limits are lifted, as Prosody runs without mod_limits. Logging at
# warn, as Prosody's.
[limits]
max_connections_per_ip = $((users + 100))
rate_stanzas = 1000000
rate_stanzas_burst = 1000000
rate_bytes = 100000000
rate_bytes_burst = 100000000
[log]
level = "warn"
CFG
  local t0
  "$waitlistd" --config "$dir/waitlistd.toml" >"$dir/stdout.log" 2>&1 </dev/null &
  pid=$!
  started_pids+=("$pid")
  if ! wait_port "$port" "$pid"; then
    echo "waitlistd did not start:" >&2; tail -20 "$dir/stdout.log" >&2; return 1
  fi
  t0=$SECONDS
  wait_port "$http" "$pid" || { echo "waitlistd: no admin API on $http" >&2; stop_pid "$pid"; return 1; }
  provision_waitlistd "$http" "$token" || { stop_pid "$pid"; return 1; }
  echo "waitlistd: $users accounts created through the admin API in $((SECONDS - t0)) s"
  echo "waitlistd pid $pid on 127.0.0.1:$port"
  if ! run_bench waitlistd "$port" "$pid"; then
    echo "waitlistd log (last lines):" >&2; tail -8 "$dir/stdout.log" >&2; stop_pid "$pid"; return 1
  fi
  stop_pid "$pid"
}

# ---------------------------------------------------------------------------------------
# The table: one column per server, the ratio waitlistd/Prosody where both ran.
print_table() {
  local files=("$work"/*.out)
  awk '
    /^RESULT / {
      n = 0; split("", kv)
      for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
      col = kv["label"]; cols[col] = 1
      for (k in kv) v[col, k] = kv[k]
    }
    function row(name, key, better,    p, w) {
      p = ((("prosody", key) in v) ? v["prosody", key] : "-")
      w = ((("waitlistd", key) in v) ? v["waitlistd", key] : "-")
      r = (p != "-" && w != "-" && p + 0 > 0 && w + 0 >= 0) ? sprintf("%.2f", w / p) : "-"
      printf "%-34s %14s %14s %10s  %s\n", name, p, w, r, better
    }
    END {
      printf "%-34s %14s %14s %10s\n", "metric", "prosody", "waitlistd", "w/p"
      row("users requested", "users", "")
      row("sessions held", "held", "higher is better")
      row("logins/s", "logins_per_s", "higher is better")
      row("login p50 ms", "login_p50_ms", "lower is better")
      row("login p99 ms", "login_p99_ms", "lower is better")
      row("server CPU ms/login", "server_cpu_ms_per_login", "lower is better")
      row("client CPU ms/login", "client_cpu_ms_per_login", "same client")
      row("server RSS KiB before", "rss_before_kib", "")
      row("server RSS KiB idle, all held", "rss_idle_kib", "")
      row("server RSS KiB/session", "rss_kib_per_session", "lower is better")
      row("pings/s", "pings_per_s", "higher is better")
      row("ping p50 us", "ping_p50_us", "lower is better")
      row("ping p99 us", "ping_p99_us", "lower is better")
      row("server CPU us/ping", "server_cpu_us_per_ping", "lower is better")
      row("ping concurrency", "ping_concurrency", "")
      row("failed steps", "failures", "")
    }' "${files[@]}"
}

echo "bench_vs_prosody: $users users, login concurrency $login_conc, ping concurrency $ping_conc," \
  "$ping_seconds s of pings, $idle_seconds s idle, $threads client thread(s), $(nproc) cores," \
  "Prosody nagle=$prosody_nagle"
status=0
measure_prosody || status=1
wl_status=0
measure_waitlistd || wl_status=$?
[ "$wl_status" -eq 2 ] || [ "$wl_status" -eq 0 ] || status=1
echo
if compgen -G "$work/*.out" >/dev/null; then
  print_table | tee -a "${report_file:-/dev/null}"
else
  echo "no measurement completed" >&2; status=1
fi
exit $status
