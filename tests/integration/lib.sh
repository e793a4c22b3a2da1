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
	# run.sh collects every record of the suite for test-catalog-render.sh: the json lines of
	# the test's output files.
	if [ -n "${VAKT_TEST_RECORDS:-}" ] && [ -d "$VAKT_TEST_RECORDS" ]; then
		find "$T" -type f \( -name '*.json' -o -name '*.out' \) -exec grep -h '^{"' {} + \
			>>"$VAKT_TEST_RECORDS/$(basename "$0").$$.json" 2>/dev/null || true
	fi
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

# systemd-journald 252 switches kernel auditing off when it starts (it has no Audit= setting yet):
# a test that starts one calls this first, and the machine's audit state is put back at exit,
# whatever happens. Only 0 or 1 are ever written.
keep_audit_state() {
	command -v auditctl >/dev/null || return 0
	local was
	was=$(auditctl -s 2>/dev/null | awk '$1 == "enabled" { print $2 }')
	case "$was" in
	0 | 1) at_exit "auditctl -e $was >/dev/null" ;;
	esac
}

# Processes a test started and has not reaped: started PID records one, `at_exit stop_running`
# stops them by PID at exit. A reaped PID is forgotten at once (stop_one, or unset), so a PID the
# system has reused is never signalled.
declare -A RUNNING=()
started() { RUNNING[$1]=1; }
stop_one() { stop_pid "$1"; unset "RUNNING[$1]"; }
stop_running() { local p; for p in "${!RUNNING[@]}"; do stop_one "$p"; done; }

# Whether json log FILE holds at least N records of event EVENT: has_events EVENT N FILE
has_events() { [ "$(grep -c "\"VAKT_EVENT\":\"$1\"" "$3" 2>/dev/null)" -ge "$2" ]; }

# A private system bus in $T/bus (TESTING.md, "logind through dbusmock"): exports
# DBUS_SYSTEM_BUS_ADDRESS and BUS_PID, and stops the bus at exit. start_system_bus
start_system_bus() {
	command -v dbus-daemon >/dev/null || skip "needs dbus-daemon (package dbus)"
	mkdir -p "$T/bus"
	cat >"$T/bus/system.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$T/bus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
	dbus-daemon --config-file="$T/bus/system.conf" --fork --nopidfile \
		--print-pid=3 --print-address=4 3>"$T/bus/pid" 4>"$T/bus/address" ||
		fail "cannot start a private system bus"
	BUS_PID=$(head -1 "$T/bus/pid")
	at_exit "kill $BUS_PID 2>/dev/null"
	DBUS_SYSTEM_BUS_ADDRESS=$(head -1 "$T/bus/address")
	export DBUS_SYSTEM_BUS_ADDRESS
}

# python3-dbusmock's logind template on the bus of start_system_bus; sets LOGIND_PID and stops
# the mock at exit. start_logind_mock
start_logind_mock() {
	/usr/bin/python3 -c 'import dbusmock' 2>/dev/null || skip "needs python3-dbusmock"
	/usr/bin/python3 -m dbusmock --system --template logind >"$T/bus/logind.log" 2>&1 &
	LOGIND_PID=$!
	at_exit "stop_pid $LOGIND_PID"
	WAIT_S=10 wait_for gdbus introspect --system -d org.freedesktop.login1 \
		-o /org/freedesktop/login1 || fail "the logind mock did not come up"
}

# A test user vakt-test-PREFIX$$ allowed to run /usr/bin/id as root without a password, removed
# (with its sudoers drop-in) at exit. Sets $user, $uid and $tag. make_sudo_user PREFIX
make_sudo_user() {
	tag=$$
	user=vakt-test-$1$tag
	useradd -m -s /bin/bash "$user"
	at_exit "userdel -r $user >/dev/null 2>&1"
	uid=$(id -u "$user")
	printf '%s ALL=(root) NOPASSWD: /usr/bin/id\n' "$user" >"/etc/sudoers.d/vakt-test-$tag"
	chmod 0440 "/etc/sudoers.d/vakt-test-$tag"
	at_exit "rm -f /etc/sudoers.d/vakt-test-$tag"
	visudo -cq -f "/etc/sudoers.d/vakt-test-$tag" || fail "sudoers drop-in invalid"
}

# A policy with only the audit part, which loads no rules: write_audit_only_conf PATH
write_audit_only_conf() {
	write_conf "$1" <<'C'
[storage]
mode = off
[idle]
mode = off
[audit]
ensure_rules = no
C
}
