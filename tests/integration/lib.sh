# Shared helpers for integration tests (bash). Source it: . "$(dirname "$0")/lib.sh"
set -euo pipefail

: "${VAKTD:?set VAKTD to the vaktd binary}"
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC_DIR=$(cd "$TESTS_DIR/.." && pwd)
T=$(mktemp -d /tmp/vakt-test.XXXXXX)
chmod 755 "$T"
CLEANUP=()

# Register a command to run at exit (in reverse order), also on failure.
at_exit() { CLEANUP+=("$*"); }
_run_cleanup() {
	local i
	for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[$i]}" || true; done
	rm -rf "$T"
}
trap _run_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*" >&2; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }

# Wait until command "$@" succeeds, at most $WAIT_S seconds (default 10).
wait_for() {
	local n=$(( ${WAIT_S:-10} * 20 ))
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.05
	done
}

# A config file owned by the caller, mode 0644, from stdin: write_conf PATH
write_conf() { mkdir -p "$(dirname "$1")"; cat >"$1"; chmod 0644 "$1"; }

# Kill a process we started, by PID, and reap it.
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# Whether json log FILE holds at least N records of event EVENT: has_events EVENT N FILE
has_events() { [ "$(grep -c "\"VAKT_EVENT\":\"$1\"" "$3" 2>/dev/null)" -ge "$2" ]; }
