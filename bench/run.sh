#!/usr/bin/env bash
# bench/run.sh — Joule against the raw echo limit, on this machine, now.
#
# Builds joule, the echo server and the load generator, then for every
# scenario runs the echo server and Joule back to back (each fresh, pinned to
# SERVER_CPU) under the same load (pinned to LOAD_CPU) and prints a table of
# Joule / echo ratios. Results are ratios within one run: the machine is
# shared and absolute numbers move.
#
# Usage: bench/run.sh            (from anywhere in the repository)
# Environment (defaults):
#   DURATION=10s  CHARGERS=1000  IDLE_CHARGERS=19500  STORM_CHARGERS=5000
#   DIAL_CONC=500  RATE=1000  ROUNDS=1 (best of N per target)
#   IDLE_SETTLE=5s (wait after connecting before reading RSS)  IDLE_HOLD=6s
#   PROBE_CHARGERS=10000  PROBE_RATE=1000 (probe scenario: background load,
#   one MeterValues per charger every 10 s; Joule only, the echo has no API)
#   PROBE_WARMUP=10s (the probe run loads this long before it measures: the
#   10,000 chargers' boot follow-ups settle first; the storm row measures
#   connecting, this row the steady state)
#   SCENARIOS="mv-closed hb-closed mv-rate storm idle probe" (a subset runs only those)
#   SERVER_CPU=0  LOAD_CPU=1  BASE_PORT=19100  KEEP=0 (keep the temp dir)
#   BENCH_POSTGRES=URL (a PostgreSQL database the bench may create schemas in):
#   the MeterValues and Heartbeat rows also run Joule on PostgreSQL (target
#   joule-pg, a fresh schema each run; PostgreSQL itself is not pinned)
set -euo pipefail

DURATION=${DURATION:-10s}
CHARGERS=${CHARGERS:-1000}
IDLE_CHARGERS=${IDLE_CHARGERS:-19500}
STORM_CHARGERS=${STORM_CHARGERS:-5000}
DIAL_CONC=${DIAL_CONC:-500}
RATE=${RATE:-1000}
IDLE_SETTLE=${IDLE_SETTLE:-5s}
IDLE_HOLD=${IDLE_HOLD:-6s}
ROUNDS=${ROUNDS:-1}
PROBE_CHARGERS=${PROBE_CHARGERS:-10000}
PROBE_RATE=${PROBE_RATE:-$((PROBE_CHARGERS / 10))}
PROBE_DURATION=${PROBE_DURATION:-30s}
PROBE_WARMUP=${PROBE_WARMUP:-10s}
SCENARIOS=${SCENARIOS:-mv-closed hb-closed mv-rate storm idle probe}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
port=${BASE_PORT:-19100}

root=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/joule-bench.XXXXXX")
server_pid=""

# pg_url URL SCHEMA: the URL with its search_path set to SCHEMA.
pg_url() {
	if [[ $1 == *\?* ]]; then echo "$1&search_path=$2"; else echo "$1?search_path=$2"; fi
}

cleanup() {
	if [[ -s $TMP/pg-schemas ]]; then
		while read -r schema; do psql -q "$BENCH_POSTGRES" -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1 || true; done <"$TMP/pg-schemas"
	fi
	if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [[ ${KEEP:-0} == 1 ]]; then
		echo "kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n "$(ulimit -Hn)"
command -v taskset >/dev/null || { echo "taskset is required (util-linux)" >&2; exit 1; }

echo "building into $TMP ..." >&2
(cd "$root" && go build -o "$TMP/joule" ./cmd/joule && go build -o "$TMP/echo" ./bench/echo && go build -o "$TMP/loadgen" ./bench/loadgen)

wait_port() { # port pid
	local i
	for ((i = 0; i < 200; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

start_server() { # target
	port=$((port + 1))
	case $1 in
	echo) taskset -c "$SERVER_CPU" "$TMP/echo" --addr "127.0.0.1:$port" 2>>"$TMP/echo.log" & ;;
	joule)
		rm -rf "$TMP/data"
		mkdir -p "$TMP/data"
		# --max-connect-rate 0: the connect storm measures raw accept throughput (the rate limit would refuse most of it with 503).
		taskset -c "$SERVER_CPU" "$TMP/joule" serve --addr "127.0.0.1:$port" --data "$TMP/data" --log-level warn --max-strangers-per-ip -1 --max-connect-rate 0 2>>"$TMP/joule.log" &
		;;
	joule-pg)
		local schema="bench_${port}_$$"
		psql -q "$BENCH_POSTGRES" -c "CREATE SCHEMA $schema" >/dev/null
		echo "$schema" >>"$TMP/pg-schemas"
		rm -rf "$TMP/data"
		mkdir -p "$TMP/data"
		JOULE_POSTGRES="$(pg_url "$BENCH_POSTGRES" "$schema")" taskset -c "$SERVER_CPU" "$TMP/joule" serve --addr "127.0.0.1:$port" --data "$TMP/data" --log-level warn --max-strangers-per-ip -1 --max-connect-rate 0 2>>"$TMP/joule-pg.log" &
		;;
	esac
	server_pid=$!
	if ! wait_port "$port" "$server_pid"; then
		echo "$1 did not start on port $port; log:" >&2
		tail -20 "$TMP/$1.log" >&2
		exit 1
	fi
}

stop_server() {
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
}

# scenario NAME LOADGEN-ARGS...: runs echo and joule ROUNDS times each and
# keeps every JSON line in $TMP/NAME.<target>. TARGETS overrides the pair.
scenario() {
	local name=$1 round target
	shift
	[[ " $SCENARIOS " == *" $name "* ]] || return 0
	for ((round = 1; round <= ROUNDS; round++)); do
		for target in ${TARGETS:-echo joule}; do
			start_server "$target"
			echo "  $name: $target (round $round) ..." >&2
			taskset -c "$LOAD_CPU" "$TMP/loadgen" --url "ws://127.0.0.1:$port/ocpp" --target "$target" \
				--server-pid "$server_pid" --id-prefix "${name}-r$round-" "$@" | tee -a "$TMP/$name.$target" >&2 ||
				echo '{}' >>"$TMP/$name.$target"
			stop_server
		done
	done
}

echo "running (each scenario: echo, then joule; duration $DURATION) ..." >&2
PAIR="echo joule${BENCH_POSTGRES:+ joule-pg}"
TARGETS=$PAIR scenario mv-closed --mode closed --action MeterValues --chargers "$CHARGERS" --duration "$DURATION"
TARGETS=$PAIR scenario hb-closed --mode closed --action Heartbeat --chargers "$CHARGERS" --duration "$DURATION"
scenario mv-rate --mode rate --action MeterValues --chargers "$CHARGERS" --rate "$RATE" --duration "$DURATION"
scenario storm --mode idle --chargers "$STORM_CHARGERS" --dial-concurrency "$DIAL_CONC" --duration 1s --settle 0s
TARGETS=joule scenario probe --mode rate --action MeterValues --chargers "$PROBE_CHARGERS" --rate "$PROBE_RATE" \
	--token-file "$TMP/data/admin-token" \
	--duration "$PROBE_DURATION" --warmup "$PROBE_WARMUP" --probe --probe-interval 100ms
scenario idle --mode idle --chargers "$IDLE_CHARGERS" --dial-concurrency "$DIAL_CONC" --duration "$IDLE_HOLD" --settle "$IDLE_SETTLE"

# field FILE KEY BEST: the best value of KEY over the rounds (max or min).
field() {
	sed -n "s/.*\"$2\":\([-0-9.e]*\).*/\1/p" "$1" | awk -v best="$3" '
		NR == 1 || (best == "max" && $1 > v) || (best == "min" && $1 < v) { v = $1 }
		END { if (NR) print v; else print "NaN" }'
}
errors() { [[ -s $1 ]] || return 0; sed -n 's/.*"errors":\([0-9]*\).*"callErrors":\([0-9]*\).*/\1+\2/p' "$1" | paste -sd' '; }

row() { # label scenario key best unit target-text
	local e j
	local jt=${JOULE:-joule}
	[[ -s $TMP/$2.echo && -s $TMP/$2.$jt ]] || return 0
	e=$(field "$TMP/$2.echo" "$3" "$4")
	j=$(field "$TMP/$2.$jt" "$3" "$4")
	awk -v l="$1" -v e="$e" -v j="$j" -v u="$5" -v t="$6" 'BEGIN {
		r = (e + 0 > 0) ? sprintf("%.2f", j / e) : "n/a"
		printf "| %-46s | %12s | %12s | %6s | %-14s |\n", l " (" u ")", e, j, r, t }'
}

echo
echo "Joule vs raw echo — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, server on CPU $SERVER_CPU, load on CPU $LOAD_CPU, best of $ROUNDS"
echo
printf "| %-46s | %12s | %12s | %6s | %-14s |\n" "scenario" "echo" "joule" "ratio" "target"
echo "|------------------------------------------------|--------------|--------------|--------|----------------|"
row "MeterValues closed, $CHARGERS ch" mv-closed msgsPerS max "msgs/s" "≥ 0.5×"
row "Heartbeat closed, $CHARGERS ch" hb-closed msgsPerS max "msgs/s" "≥ 0.8×"
if [[ -n ${BENCH_POSTGRES:-} ]]; then
	JOULE=joule-pg row "MeterValues closed, $CHARGERS ch, PostgreSQL" mv-closed msgsPerS max "msgs/s" "≥ 0.5×"
	JOULE=joule-pg row "Heartbeat closed, $CHARGERS ch, PostgreSQL" hb-closed msgsPerS max "msgs/s" "≥ 0.8×"
fi
row "MeterValues p99 at $RATE msgs/s" mv-rate p99 min "ms" "—"
row "Connect storm, $STORM_CHARGERS ch/$DIAL_CONC dials" storm connectPerS max "conn+boot/s" "≥ 0.7×"
row "Idle memory, $IDLE_CHARGERS ch" idle kbPerCharger min "KB/charger" "≤ 12 KB"
row "Idle server RSS, $IDLE_CHARGERS ch" idle serverRssKB min "KB" "—"
if [[ -s $TMP/probe.joule ]]; then
	# probe FIELD QUANTILE: the best round's value of .probe.FIELD.QUANTILE
	probe() { sed -n "s/.*\"probe\":.*\"$1\":{[^}]*\"$2\":\([-0-9.e]*\).*/\1/p" "$TMP/probe.joule" | sort -g | head -1; }
	printf "| %-46s | %12s | %12s | %6s | %-14s |\n" "App start → RemoteStart p50/p99 (ms)" "—" "$(probe startMs p50)/$(probe startMs p99)" "—" "p99 ≤ 5 ms"
	printf "| %-46s | %12s | %12s | %6s | %-14s |\n" "MeterValues → SSE p50/p99 (ms)" "—" "$(probe sseMs p50)/$(probe sseMs p99)" "—" "p99 ≤ 50 ms"
	echo "  (probe: $PROBE_CHARGERS chargers, $PROBE_RATE MeterValues/s in the background)"
fi
echo
for s in $SCENARIOS; do
	echo "errors+callErrors  $s: echo [$(errors "$TMP/$s.echo")]  joule [$(errors "$TMP/$s.joule")]"
done
echo
echo "raw JSON lines:"
for s in $SCENARIOS; do cat "$TMP/$s.echo" "$TMP/$s.joule" 2>/dev/null || true; done
