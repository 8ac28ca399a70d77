#!/usr/bin/env bash
# End-to-end benchmark: VConn's demo beside HAProxy, nginx, Spring Cloud Gateway and Vert.x,
# all in front of one private nginx origin on loopback. Writes docs/benchmarks.md and
# docs/benchmarks.svg. Run from anywhere; see --help.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: benchmarks/e2e/run.sh [options]

  --quick            2 short rounds and a shorter warm-up: about 5 minutes on 2 idle cores with
                     every target, against about 14 by default (builds not counted)
  --rounds N         interleaved rounds (default 3; --quick 2)
  --duration S       seconds per wrk run (default 5; --quick 2)
  --warmup S         most seconds of JIT warm-up per JVM target (VConn, Spring Cloud Gateway,
                     Vert.x) before the first round (default 56; --quick 24): 8 s cycles of
                     keep-alive, new-connection and 64 KiB load, at least three, until the CPU per
                     keep-alive and per new-connection request stayed within 10 % over three
                     cycles; then 100 MiB transfers until the CPU per transfer stayed within
                     10 % three times in a row (at most 24; --quick 8). Native targets get 2 s
                     and one transfer. Then every target moves 4 × 100 MiB at once. A JVM keeps
                     compiling for 30 to 90 s under load
  --seed N           seed of the per-round shuffle (default 9)
  --targets LIST     comma-separated subset of: direct,haproxy,haproxy-splice,nginx-stream,
                     scg,vertx,vconn-pass,vconn-conn,vconn-vio,vconn-tunnel (default all)
  --skip-build       reuse the demo and peer jars already built
  --out FILE         Markdown report (default docs/benchmarks.md; the chart goes beside it as .svg)
  --keep             keep the work directory (configs, logs, raw results)
  --shared           say in the report that other work ran on the machine (also said when the
                     cores were more than 20% busy in the 3 s before the harness started anything)

Installs haproxy, nginx (with its stream module), wrk and curl with apt-get when missing
(Debian; needs root or sudo). Builds the demo jar with the Maven wrapper (package, never install)
and the peers under benchmarks/e2e/peers/. Everything listens on 127.0.0.1 on ports the OS picked;
every process it starts is stopped by PID on exit.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E="$ROOT/benchmarks/e2e"
COMMAND="benchmarks/e2e/run.sh${*:+ $*}"
ALL_TARGETS="direct,haproxy,haproxy-splice,nginx-stream,scg,vertx,vconn-pass,vconn-conn,vconn-vio,vconn-tunnel"

QUICK=0 ROUNDS="" DURATION="" WARMUP="" SEED=9 TARGETS=$ALL_TARGETS SKIP_BUILD=0 KEEP=0 SHARED=0
OUT="$ROOT/docs/benchmarks.md"
while [ $# -gt 0 ]; do
	case "$1" in
		--quick) QUICK=1 ;;
		--rounds) ROUNDS=$2; shift ;;
		--duration) DURATION=$2; shift ;;
		--warmup) WARMUP=$2; shift ;;
		--seed) SEED=$2; shift ;;
		--targets) TARGETS=$2; shift ;;
		--skip-build) SKIP_BUILD=1 ;;
		--out) OUT=$(realpath -m "$2"); shift ;;
		--keep) KEEP=1 ;;
		--shared) SHARED=1 ;;
		-h|--help) usage; exit 0 ;;
		*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
if [ "$QUICK" = 1 ]; then
	: "${ROUNDS:=2}" "${DURATION:=2}" "${WARMUP:=24}"
	BULK_WARMUP_TRANSFERS=8
else
	: "${ROUNDS:=3}" "${DURATION:=5}" "${WARMUP:=56}"
	BULK_WARMUP_TRANSFERS=24
fi
WRK_THREADS=1 WRK_CONNECTIONS=32
IFS=, read -r -a TARGET_LIST <<<"$TARGETS"
for t in "${TARGET_LIST[@]}"; do
	case ",$ALL_TARGETS," in *",$t,"*) ;; *) echo "unknown target $t" >&2; exit 2 ;; esac
done
wants() { case ",$TARGETS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---- what the harness starts, and stops on exit ----

WORK=$(mktemp -d /tmp/vconn-e2e.XXXXXX)
chmod 755 "$WORK" # nginx workers read the origin's files as another user
declare -a STARTED=()
declare -A PID_OF=()

cleanup() {
	local pid
	for pid in "${STARTED[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${STARTED[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ "$KEEP" = 1 ]; then
		log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME COMMAND... : runs a server in the background, logs to $WORK/NAME.log
start() {
	local name=$1
	shift
	"$@" >"$WORK/$name.log" 2>&1 &
	STARTED+=("$!")
	PID_OF[$name]=$!
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# ---- tools ----

install_tools() {
	local missing=()
	command -v haproxy >/dev/null || missing+=(haproxy)
	command -v nginx >/dev/null || missing+=(nginx)
	[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || nginx -V 2>&1 | grep -q -- '--with-stream ' ||
		missing+=(libnginx-mod-stream)
	command -v wrk >/dev/null || missing+=(wrk)
	command -v curl >/dev/null || missing+=(curl)
	command -v python3 >/dev/null || missing+=(python3)
	[ ${#missing[@]} -eq 0 ] && return
	log "installing ${missing[*]}"
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ---- builds ----

DEMO_JAR="" GATEWAY_JAR="$E2E/peers/gateway/target/gateway-peer.jar" VERTX_JAR="$E2E/peers/vertx/target/vertx-peer.jar"

build() {
	if [ "$SKIP_BUILD" = 0 ]; then
		log "building the demo jar"
		(cd "$ROOT" && ./mvnw -q -B -pl demo-app -am package -DskipTests)
		if wants scg; then
			log "building the Spring Cloud Gateway peer"
			(cd "$ROOT" && ./mvnw -q -B -f benchmarks/e2e/peers/gateway/pom.xml package -DskipTests)
		fi
		if wants vertx; then
			log "building the Vert.x peer"
			(cd "$ROOT" && ./mvnw -q -B -f benchmarks/e2e/peers/vertx/pom.xml package -DskipTests)
		fi
	fi
	DEMO_JAR=$(ls "$ROOT"/demo-app/target/vconn-demo-app-*.jar | grep -v -- '-plain\.jar$' | head -n1)
	[ -f "$DEMO_JAR" ] || { echo "no demo jar in demo-app/target" >&2; exit 1; }
}

# ---- the origin and the proxies ----

ORIGIN_PORT=""
declare -A PORT_OF=()
BULK_BYTES=$((100 * 1024 * 1024))

start_origin() {
	mkdir -p "$WORK/www" "$WORK/tmp"
	head -c 1024 /dev/urandom >"$WORK/www/1k"
	head -c 65536 /dev/urandom >"$WORK/www/64k"
	head -c $BULK_BYTES /dev/urandom >"$WORK/www/100m"
	chmod -R a+rX "$WORK/www"
	ORIGIN_PORT=$(free_port)
	{
		nginx_preamble origin
		cat <<EOF
http {
	access_log off;
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 10000000;
	keepalive_timeout 65;
	client_body_temp_path $WORK/tmp/body;
	proxy_temp_path $WORK/tmp/proxy;
	fastcgi_temp_path $WORK/tmp/fastcgi;
	uwsgi_temp_path $WORK/tmp/uwsgi;
	scgi_temp_path $WORK/tmp/scgi;
	server {
		listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
		root $WORK/www;
	}
}
EOF
	} >"$WORK/origin.conf"
	start origin nginx -c "$WORK/origin.conf" -p "$WORK"
}

# the top of an nginx configuration: foreground, one worker, files under $WORK
nginx_preamble() {
	cat <<EOF
daemon off;
worker_processes 1;
pid $WORK/$1.pid;
error_log $WORK/$1-error.log warn;
events { worker_connections 8192; }
EOF
}

stream_module() {
	[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] && echo "load_module /usr/lib/nginx/modules/ngx_stream_module.so;"
	return 0
}

start_target() {
	local target=$1 port
	if [ "$target" = direct ]; then
		PORT_OF[direct]=$ORIGIN_PORT
		return
	fi
	port=$(free_port)
	PORT_OF[$target]=$port
	case "$target" in
		haproxy|haproxy-splice)
			{
				echo "global"
				echo "	nbthread 1"
				echo "	maxconn 4096"
				[ "$target" = haproxy ] && echo "	nosplice"
				echo "defaults"
				echo "	mode tcp"
				echo "	timeout connect 5s"
				echo "	timeout client 60s"
				echo "	timeout server 60s"
				if [ "$target" = haproxy-splice ]; then
					echo "	option splice-request"
					echo "	option splice-response"
				fi
				echo "listen proxy"
				echo "	bind 127.0.0.1:$port"
				echo "	server origin 127.0.0.1:$ORIGIN_PORT"
			} >"$WORK/$target.cfg"
			start "$target" haproxy -db -f "$WORK/$target.cfg"
			;;
		nginx-stream)
			{
				stream_module
				nginx_preamble stream
				cat <<EOF
stream {
	server {
		listen 127.0.0.1:$port backlog=4096;
		proxy_pass 127.0.0.1:$ORIGIN_PORT;
	}
}
EOF
			} >"$WORK/stream.conf"
			start "$target" nginx -c "$WORK/stream.conf" -p "$WORK"
			;;
		scg)
			start "$target" java -jar "$GATEWAY_JAR" --server.address=127.0.0.1 --server.port="$port" \
				--origin.url="http://127.0.0.1:$ORIGIN_PORT"
			;;
		vertx)
			start "$target" java -jar "$VERTX_JAR" "$port" "$ORIGIN_PORT"
			;;
		vconn-*)
			# the demo on its defaults (demo-app's application.yml), pointed at the nginx origin:
			# pass-through and connection mode send everything to the listener's origin,
			# the intercepts connect to demo.origin.address
			local args=(--server.address=127.0.0.1 --server.port="$(free_port)" --vconn.listener.port="$port"
				--demo.origin.embedded=false --demo.origin.address="127.0.0.1:$ORIGIN_PORT")
			case "$target" in
				vconn-pass) args+=(--demo.intercept.pass-through=/ --vconn.listener.origin="127.0.0.1:$ORIGIN_PORT") ;;
				vconn-conn) args+=(--demo.intercept.pass-through=/ --vconn.listener.origin="127.0.0.1:$ORIGIN_PORT"
					--vconn.listener.per-transaction=false --vconn.listener.splice=true) ;;
				vconn-vio) args+=(--demo.intercept.style=vio) ;;
				vconn-tunnel) args+=(--demo.intercept.style=tunnel) ;;
			esac
			start "$target" java -jar "$DEMO_JAR" "${args[@]}"
			;;
	esac
}

await_ready() {
	local target=$1 url="http://127.0.0.1:${PORT_OF[$1]}/1k"
	for _ in $(seq 240); do
		if curl -sf -o /dev/null --max-time 2 "$url"; then
			return 0
		fi
		if [ -n "${PID_OF[$target]:-}" ] && ! kill -0 "${PID_OF[$target]}" 2>/dev/null; then
			echo "$target exited while starting; its log:" >&2
			tail -n 40 "$WORK/$target.log" >&2
			exit 1
		fi
		sleep 0.5
	done
	echo "$target did not answer $url within 2 minutes" >&2
	exit 1
}

# ---- measuring ----

CLK_TCK=$(getconf CLK_TCK)

# the process and its descendants (nginx's master and worker)
pid_tree() {
	local pid=$1 child
	echo "$pid"
	for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
		pid_tree "$child"
	done
}

# CPU seconds (user + system) used so far by the target's processes; empty for direct
cpu_seconds() {
	local pid=${PID_OF[$1]:-}
	[ "$1" = direct ] && { echo ""; return; }
	local ticks=0 p
	for p in $(pid_tree "$pid"); do
		# fields 14 and 15 of /proc/PID/stat, counted after the command name in parentheses
		ticks=$((ticks + $(sed 's/^.*) //' /proc/"$p"/stat | awk '{print $12 + $13}')))
	done
	awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", t / hz }'
}

rss_kib() {
	local pid=${PID_OF[$1]:-}
	[ "$1" = direct ] && { echo ""; return; }
	local kib=0 p
	for p in $(pid_tree "$pid"); do
		kib=$((kib + $(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status)))
	done
	echo "$kib"
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# busy_percent S: how busy all cores were over the next S seconds, in percent (from /proc/stat)
busy_percent() {
	local a b
	a=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat)
	sleep "$1"
	b=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2];
		printf "%.0f", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}

cat >"$WORK/summary.lua" <<'EOF'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK %d %d %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
		summary.bytes, latency:percentile(50), latency:percentile(99),
		e.connect, e.read, e.write, e.status, e.timeout))
end
EOF

RESULTS="$WORK/results.tsv"
printf 'round\ttarget\tscenario\trequests\tbytes\tseconds\tp50_us\tp99_us\terrors\terror_detail\tcpu_s\trss_kib\tload_before\tload_after\n' >"$RESULTS"

# wrk_run TARGET PATH [HEADER]: prints "requests bytes seconds p50 p99 errors detail"
wrk_run() {
	local target=$1 path=$2 header=${3:-} duration=${4:-$DURATION}
	local args=(-t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${duration}s" -s "$WORK/summary.lua")
	[ -n "$header" ] && args+=(-H "$header")
	local line
	line=$(wrk "${args[@]}" "http://127.0.0.1:${PORT_OF[$target]}$path" 2>&1 | grep '^WRK ' || true)
	if [ -z "$line" ]; then
		echo "0 0 $duration 0 0 1 wrk-failed"
		return
	fi
	set -- $line
	local errors=$(($7 + $8 + $9 + ${10} + ${11}))
	echo "$2 $4 $(awk -v d="$3" 'BEGIN { printf "%.3f", d / 1e6 }') $5 $6 $errors connect=$7,read=$8,write=$9,status=${10},timeout=${11}"
}

# bulk_run TARGET STREAMS: prints "requests bytes seconds p50 p99 errors detail"
bulk_run() {
	local target=$1 streams=$2 url="http://127.0.0.1:${PORT_OF[$1]}/100m" i
	local t0 t1 bytes=0 errors=0 pids=()
	t0=$(date +%s.%N)
	for i in $(seq "$streams"); do
		curl -s -o /dev/null --max-time 120 -w '%{http_code} %{size_download}\n' "$url" >"$WORK/bulk.$i" 2>/dev/null &
		pids+=("$!")
	done
	wait "${pids[@]}" 2>/dev/null || true
	t1=$(date +%s.%N)
	for i in $(seq "$streams"); do
		local code size
		read -r code size <"$WORK/bulk.$i" || { code=000; size=0; }
		bytes=$((bytes + ${size%.*}))
		[ "$code" = 200 ] && [ "${size%.*}" = "$BULK_BYTES" ] || errors=$((errors + 1))
	done
	echo "$streams $bytes $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') 0 0 $errors incomplete=$errors"
}

# JIT warm-up. A JVM target cycles through keep-alive, new-connection and 64 KiB load (4, 2 and
# 2 s per cycle) until the JIT is done with it: until its CPU per keep-alive and per new-connection
# request each stayed within WARMUP_SETTLED percent over three cycles (compiling shows as CPU), for
# at most WARMUP seconds. A fixed time ends too early for a slow target and then measures
# its compiler. A native target only needs its caches warm: 1 s of each request load. Then the
# bulk paths, which the request loads never reach: a JVM target moves 100 MiB again and again
# until its CPU per transfer settles the same way (at most BULK_WARMUP_TRANSFERS; the VIO-style
# intercept takes about 20), a native one once; then every target moves 4 × 100 MiB at once.
# Each target's warm-up is recorded for the report.
WARMUP_SETTLED=10
warm_up() {
	# settled stays empty for a native target: it has no verdict
	local target=$1 served=0 seconds=0 cycles=0 settled="" n m ka="" close="" prev_ka="" prev_close=""
	local first_ka="" first_close=""
	if [[ "$(scenarios_of "$target")" == *ka-1k* ]]; then
		case "$target" in
			vconn-*|scg|vertx)
				settled=no
				while [ $((seconds + 8)) -le "$WARMUP" ] || [ "$cycles" -lt 3 ]; do
					read -r n ka < <(cpu_per_request "$target" /1k "" 4)
					served=$((served + n))
					read -r n close < <(cpu_per_request "$target" /1k "Connection: close" 2)
					served=$((served + n))
					read -r n _ < <(cpu_per_request "$target" /64k "" 2)
					served=$((served + n))
					seconds=$((seconds + 8)) cycles=$((cycles + 1))
					log "    $target warm-up cycle $cycles: $ka µs keep-alive, $close µs new connection per request"
					# settled when three cycles in a row agree: two can match by chance while compiling
					if [ -n "$first_ka" ] && within "$ka" "$prev_ka" && within "$close" "$prev_close" \
						&& within "$ka" "$first_ka" && within "$close" "$first_close"; then
						settled=yes
						break
					fi
					first_ka=$prev_ka first_close=$prev_close prev_ka=$ka prev_close=$close
				done
				;;
			*)
				read -r n _ < <(cpu_per_request "$target" /1k "" 1)
				read -r m _ < <(cpu_per_request "$target" /64k "" 1)
				served=$((n + m)) seconds=2
				;;
		esac
	fi
	local transfers bulk_settled
	read -r transfers bulk_settled < <(warm_up_bulk "$target")
	echo "warmed.$target=$seconds $settled" >>"$WORK/warmup.env"
	echo "warmed_bulk.$target=$transfers $bulk_settled" >>"$WORK/warmup.env"
	log "  warmed up $target: $served requests in ${seconds}s${settled:+, settled: $settled (last cycle: ${ka:-} µs keep-alive, ${close:-} µs new connection per request)}; $transfers bulk transfers${bulk_settled:+, settled: $bulk_settled}"
}

# warm_up_bulk TARGET: prints "transfers settled" (settled empty for a native target)
warm_up_bulk() {
	local target=$1 transfers=0 settled="" cpu0 cpu1 ms prev="" first=""
	case "$target" in
		vconn-*|scg|vertx)
			settled=no
			while [ "$transfers" -lt "$BULK_WARMUP_TRANSFERS" ]; do
				cpu0=$(cpu_seconds "$target")
				bulk_run "$target" 1 >/dev/null
				cpu1=$(cpu_seconds "$target")
				ms=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.0f", 1000 * (b - a) }')
				transfers=$((transfers + 1))
				if [ -n "$first" ] && within "$ms" "$prev" && within "$ms" "$first"; then
					settled=yes
					break
				fi
				first=$prev prev=$ms
			done
			;;
		*)
			bulk_run "$target" 1 >/dev/null
			transfers=1
			;;
	esac
	bulk_run "$target" 4 >/dev/null # and the parallel streams' paths once
	echo "$transfers $settled"
}

# cpu_per_request TARGET PATH HEADER SECONDS: a wrk run; prints "requests cpu_µs_per_request"
cpu_per_request() {
	local cpu0 cpu1 result
	cpu0=$(cpu_seconds "$1")
	result=$(wrk_run "$1" "$2" "$3" "$4")
	cpu1=$(cpu_seconds "$1")
	awk -v n="${result%% *}" -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%d %.0f\n", n, (n > 0) ? (b - a) * 1e6 / n : 0 }'
}

# within A B: whether A differs from B by less than WARMUP_SETTLED percent of B
within() {
	awk -v a="$1" -v b="$2" -v p="$WARMUP_SETTLED" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && 100 * d < p * b) }'
}

scenarios_of() {
	case "$1" in
		haproxy-splice) echo "bulk-1 bulk-4" ;;
		*) echo "ka-1k close-1k ka-64k bulk-1 bulk-4" ;;
	esac
}

measure() {
	local round=$1 target=$2 scenario=$3 before after cpu0 cpu1 cpu result
	before=$(load1)
	cpu0=$(cpu_seconds "$target")
	case "$scenario" in
		ka-1k) result=$(wrk_run "$target" /1k) ;;
		close-1k) result=$(wrk_run "$target" /1k "Connection: close") ;;
		ka-64k) result=$(wrk_run "$target" /64k) ;;
		bulk-1) result=$(bulk_run "$target" 1) ;;
		bulk-4) result=$(bulk_run "$target" 4) ;;
	esac
	cpu1=$(cpu_seconds "$target")
	cpu=""
	[ -n "$cpu0" ] && cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", b - a }')
	after=$(load1)
	read -r req bytes secs p50 p99 errors detail <<<"$result"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$target" "$scenario" "$req" "$bytes" \
		"$secs" "$p50" "$p99" "$errors" "$detail" "$cpu" "$(rss_kib "$target")" "$before" "$after" >>"$RESULTS"
	log "  $target $scenario: $req requests, $bytes bytes in ${secs}s, errors $errors"
}

# ---- main ----

mkdir -p "$(dirname "$OUT")"
install_tools
build
# Whether other work runs: measured before the harness starts anything (its own load keeps the
# load average high from the warm-up on, so that cannot tell)
BUSY_BEFORE=$(busy_percent 3)
T_START=$(date +%s)
log "work directory $WORK; cores ${BUSY_BEFORE}% busy before the start"
start_origin
for t in "${TARGET_LIST[@]}"; do start_target "$t"; done
await_ready direct
for t in "${TARGET_LIST[@]}"; do await_ready "$t"; done
log "all targets answer; warming up each (JVM targets until settled, at most ${WARMUP}s; native ones 2s; then one bulk transfer)"
for t in "${TARGET_LIST[@]}"; do
	warm_up "$t"
done

{
	echo "command=$COMMAND"
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc=$(nproc)"
	echo "cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "kernel=$(uname -r)"
	echo "jdk=$(java -version 2>&1 | head -n1)"
	echo "netty=$(python3 -c 'import re, sys, zipfile; print(next((m.group(1) for n in zipfile.ZipFile(sys.argv[1]).namelist() for m in [re.search(r"/netty-transport-(4[^/]*)\.jar$", n)] if m), "?"))' "$DEMO_JAR")"
	echo "haproxy=$(haproxy -v 2>/dev/null | head -n1 | awk '{print $3}')"
	echo "nginx=$(nginx -v 2>&1 | sed 's/.*nginx\///')"
	echo "wrk=wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${DURATION}s"
	echo "rounds=$ROUNDS"
	echo "seed=$SEED"
	echo "warmup=$WARMUP"
	echo "bulk_warmup=$BULK_WARMUP_TRANSFERS"
	echo "quick=$QUICK"
	echo "shared=$SHARED"
	echo "busy_before=$BUSY_BEFORE"
	echo "targets=$TARGETS"
	cat "$WORK/warmup.env"
} >"$WORK/meta.env"

for round in $(seq "$ROUNDS"); do
	order=$(python3 -c 'import random, sys; t = sys.argv[2].split(","); random.Random(int(sys.argv[1])).shuffle(t); print(" ".join(t))' \
		"$((SEED * 1000 + round))" "$TARGETS")
	echo "round $round load_before $(load1)" >>"$WORK/rounds.txt"
	log "round $round of $ROUNDS: $order"
	for t in $order; do
		for s in $(scenarios_of "$t"); do
			measure "$round" "$t" "$s"
		done
	done
	echo "round $round load_after $(load1)" >>"$WORK/rounds.txt"
done
echo "elapsed=$(($(date +%s) - T_START))" >>"$WORK/meta.env"

if ! python3 "$E2E/report.py" --results "$RESULTS" --meta "$WORK/meta.env" --rounds-log "$WORK/rounds.txt" \
	--out "$OUT" --chart "${OUT%.md}.svg"; then
	KEEP=1
	echo "the report failed; the raw results stay in $WORK" >&2
	exit 1
fi
log "wrote $OUT and ${OUT%.md}.svg"
