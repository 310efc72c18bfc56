#!/usr/bin/env bash
# Run Etäpäivä locally with the Microsoft 365 Agents Playground (a local Teams emulator).
#
# Starts `etapaiva serve` (local mode, embedded SQLite under ./var/ unless DATABASE_URL is set),
# waits for /healthz, starts the Playground from playground/ pointed at the bot, waits for it,
# and prints the URL to open. Ctrl-C (or SIGTERM) stops both. Called by `make run`.
#
# On a new database it loads the example organisation and plans (examples/*.yaml), so the
# Playground's people have their roles at once (EXAMPLE_DATA=0 skips this).
#
# Environment: AS (who you are in the Playground: instructor — Maija Virtanen, the default;
# client — Jari Mäkinen; coordinator — Anneli Korhonen), PORT (bot, default 3978),
# PLAYGROUND_PORT (default 56150), DATABASE_URL (default
# SQLite in var/etapaiva.db; a DATABASE_URL or MicrosoftAppId in .env is ignored here),
# ETAPAIVA_BIN (default .venv/bin/etapaiva), BOT_START_TIMEOUT / PLAYGROUND_START_TIMEOUT (s).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLAYGROUND_DIR="$ROOT/playground"
VAR_DIR="$ROOT/var"
ETAPAIVA_BIN="${ETAPAIVA_BIN:-$ROOT/.venv/bin/etapaiva}"
PLAYGROUND_PORT="${PLAYGROUND_PORT:-56150}"
BOT_START_TIMEOUT="${BOT_START_TIMEOUT:-60}"
PLAYGROUND_START_TIMEOUT="${PLAYGROUND_START_TIMEOUT:-60}"
AS="${AS:-instructor}"
EXAMPLE_DATA="${EXAMPLE_DATA:-1}"
export HOST="${HOST:-127.0.0.1}"
export PORT="${PORT:-3978}"
# The Playground sends no tokens, so the bot must run in local mode even if .env sets an app id,
# and `make run` uses the embedded SQLite database unless DATABASE_URL is set in the environment.
export MicrosoftAppId="" MicrosoftAppPassword=""
export DATABASE_URL="${DATABASE_URL:-sqlite+aiosqlite:///${ROOT}/var/etapaiva.db}"

BOT_LOG="$VAR_DIR/bot.log"
PLAYGROUND_OUT="$VAR_DIR/playground.out"
export M365_AGENTS_PLAYGROUND_LOGFILE="${M365_AGENTS_PLAYGROUND_LOGFILE:-$VAR_DIR/playground.log}"
export TEAMSAPPTESTER_BROWSER=none

BOT_PID=""
PLAYGROUND_PID=""
SLEEP_PID=""

say() { printf '%s\n' "$*"; }
die() {
	printf 'run-local: %s\n' "$*" >&2
	exit 1
}

# Each background job gets its own process group, so Ctrl-C reaches only this script and the
# trap below stops the whole tree of each child (npx -> sh -> node), leaving no orphans.
set -m

stop_group() { # pid name
	local pid="$1" name="$2" i
	[[ -n "$pid" ]] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	say "Stopping $name (pid $pid)..."
	kill -TERM -- "-$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 -- "-$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 -- "-$pid" 2>/dev/null; then
		say "$name did not stop in 5 s; killing it."
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	set +m # no job-status chatter while stopping
	[[ -z "$SLEEP_PID" ]] || kill "$SLEEP_PID" 2>/dev/null || true
	stop_group "$PLAYGROUND_PID" "the Playground"
	stop_group "$BOT_PID" "the bot"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

http_ok() { # url
	curl --silent --fail --max-time 2 --output /dev/null "$1"
}

port_in_use() { # port
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

show_log_tail() { # file name
	[[ -s "$1" ]] || return 0
	printf -- '--- last lines of %s (%s) ---\n' "$2" "$1" >&2
	tail -n 40 "$1" >&2
	printf -- '---\n' >&2
}

command -v curl >/dev/null || die "curl is needed to check that the bot and the Playground are up."
command -v npm >/dev/null || die "Node.js (npm, npx) is needed for the Agents Playground: install Node 20 or newer."
[[ -x "$ETAPAIVA_BIN" ]] || die "$ETAPAIVA_BIN not found; run 'make run' (or 'make venv') to create .venv."
case "$AS" in
instructor) PLAYGROUND_CONFIG="$PLAYGROUND_DIR/.m365agentsplayground.yml" ;;
client | coordinator) PLAYGROUND_CONFIG="$PLAYGROUND_DIR/as-$AS.yml" ;;
*) die "AS=$AS: say AS=instructor (Maija Virtanen), AS=client (Jari Mäkinen) or AS=coordinator (Anneli Korhonen)." ;;
esac
export M365_AGENTS_PLAYGROUND_CONFIG_PATH="$PLAYGROUND_CONFIG"
port_in_use "$PORT" && die "port $PORT is already in use (another bot running?); set PORT to use another."
port_in_use "$PLAYGROUND_PORT" &&
	die "port $PLAYGROUND_PORT is already in use (another Playground?); set PLAYGROUND_PORT to use another."

mkdir -p "$VAR_DIR"

if [[ ! -x "$PLAYGROUND_DIR/node_modules/.bin/agentsplayground" ]]; then
	say "Installing the Agents Playground into playground/node_modules (npm ci)..."
	(cd "$PLAYGROUND_DIR" && npm ci --no-audit --no-fund) || die "npm ci failed in $PLAYGROUND_DIR"
fi

sqlite_file="${DATABASE_URL#sqlite+aiosqlite:///}"
if [[ "$EXAMPLE_DATA" != 0 && "$sqlite_file" != "$DATABASE_URL" && ! -e "$sqlite_file" ]]; then
	say "A new database: loading the example organisation and plans (examples/*.yaml)..."
	(cd "$ROOT" && "$ETAPAIVA_BIN" db upgrade && "$ETAPAIVA_BIN" org import examples/org.example.yaml &&
		"$ETAPAIVA_BIN" plans import examples/plans.example.yaml) >>"$BOT_LOG" 2>&1 ||
		die "loading the example data failed; see $BOT_LOG"
fi

say "Starting the bot on http://$HOST:$PORT (log: $BOT_LOG)..."
(cd "$ROOT" && exec "$ETAPAIVA_BIN" serve) >>"$BOT_LOG" 2>&1 &
BOT_PID=$!

deadline=$((SECONDS + BOT_START_TIMEOUT))
until http_ok "http://127.0.0.1:$PORT/healthz"; do
	if ! kill -0 "$BOT_PID" 2>/dev/null; then
		show_log_tail "$BOT_LOG" "bot log"
		die "the bot exited before answering /healthz; see $BOT_LOG"
	fi
	((SECONDS < deadline)) || {
		show_log_tail "$BOT_LOG" "bot log"
		die "the bot did not answer http://127.0.0.1:$PORT/healthz within ${BOT_START_TIMEOUT}s"
	}
	sleep 0.2
done

say "Starting the Agents Playground on port $PLAYGROUND_PORT (log: $M365_AGENTS_PLAYGROUND_LOGFILE)..."
: >"$PLAYGROUND_OUT"
(cd "$PLAYGROUND_DIR" && exec npx --no -- agentsplayground \
	-e "http://127.0.0.1:$PORT/api/messages" -c msteams --dt -p "$PLAYGROUND_PORT") \
	>>"$PLAYGROUND_OUT" 2>&1 &
PLAYGROUND_PID=$!

deadline=$((SECONDS + PLAYGROUND_START_TIMEOUT))
# It answers /_debug/ping before it has read its mock data, and exits if that is invalid:
# wait for both the ping and the loaded test configuration.
until http_ok "http://127.0.0.1:$PLAYGROUND_PORT/_debug/ping" &&
	http_ok "http://127.0.0.1:$PLAYGROUND_PORT/_internal/v1/testConfig"; do
	if ! kill -0 "$PLAYGROUND_PID" 2>/dev/null; then
		show_log_tail "$PLAYGROUND_OUT" "Playground output"
		show_log_tail "$M365_AGENTS_PLAYGROUND_LOGFILE" "Playground log"
		die "the Playground exited before it was ready (an invalid playground/.m365agentsplayground.yml also does this)"
	fi
	((SECONDS < deadline)) || {
		show_log_tail "$M365_AGENTS_PLAYGROUND_LOGFILE" "Playground log"
		die "the Playground did not answer /_debug/ping within ${PLAYGROUND_START_TIMEOUT}s"
	}
	sleep 0.2
done

cat <<EOF

  Etäpäivä is running in local mode with the Microsoft 365 Agents Playground.

  Open http://localhost:$PLAYGROUND_PORT in your browser

  Bot:         http://127.0.0.1:$PORT/api/messages (local mode, database: $DATABASE_URL)
  Logs:        $BOT_LOG
               $M365_AGENTS_PLAYGROUND_LOGFILE (Playground; errors show up only here)
  You are:     $(case "$AS" in client) echo "Jari Mäkinen, a client" ;; coordinator) echo "Anneli Korhonen, a coordinator" ;; *) echo "Maija Virtanen, an instructor" ;; esac) (AS=instructor|client|coordinator)
  Mock users:  ${PLAYGROUND_CONFIG#"$ROOT"/}
  In the group chat, start a message with @Etäpäivä (pick it from the list), e.g. "@Etäpäivä apua".

  Note: the Playground listens on all network interfaces (it cannot be limited to localhost)
  and the bot runs without authentication; use this only on a trusted network.

  Press Ctrl-C to stop both.

EOF

while true; do
	if ! kill -0 "$BOT_PID" 2>/dev/null; then
		show_log_tail "$BOT_LOG" "bot log"
		die "the bot stopped unexpectedly; see $BOT_LOG"
	fi
	if ! kill -0 "$PLAYGROUND_PID" 2>/dev/null; then
		show_log_tail "$M365_AGENTS_PLAYGROUND_LOGFILE" "Playground log"
		die "the Playground stopped unexpectedly; see $M365_AGENTS_PLAYGROUND_LOGFILE"
	fi
	# sleep in the background and wait for it, so a signal runs the trap at once
	sleep 1 &
	SLEEP_PID=$!
	wait "$SLEEP_PID" || true
done
