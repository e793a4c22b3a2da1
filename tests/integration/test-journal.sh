#!/bin/bash
# --log-target journal against a real systemd-journald: the policy.loaded record comes back from
# the journal with SYSLOG_IDENTIFIER, MESSAGE, MESSAGE_ID (the one in lib/events.c), PRIORITY,
# VAKT_EVENT, and exactly the fields --log-target json prints for the same start.
#
# Needs root. Standalone journald has fixed paths (/run/systemd/journal, /run/log/journal,
# /var/log/journal) and no option to move them, so the test runs in a private mount namespace
# where those paths are a tmpfs or bind mounts of directories under $T: the host's /run and /var
# are never touched, and everything vanishes with the namespace. journald is stopped by PID.

if [ -z "${VAKT_TEST_MOUNT_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 77; }
	command -v unshare >/dev/null || { echo "needs unshare (util-linux)" >&2; exit 77; }
	unshare --mount --propagation private true 2>/dev/null ||
		{ echo "cannot create a mount namespace here" >&2; exit 77; }
	VAKT_TEST_MOUNT_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"

keep_audit_state

JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] || skip "no $JOURNALD"
command -v journalctl >/dev/null || skip "no journalctl"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3"

at_exit stop_running
# reap PID: waits for a process that was told to stop; fails with its exit code.
reap() { local rc=0; wait "$1" || rc=$?; unset "RUNNING[$1]"; return $rc; }

# Private journal locations, visible only inside this mount namespace.
mkdir -p "$T/run-log" "$T/var-log-journal" "$T/journald.conf.d"
if [ -d /run/systemd ] && [ -d /run/log ]; then
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd
	mount --bind "$T/run-log" /run/log
else
	# No mount points to cover: a private /run (this namespace only) gets them.
	mount -t tmpfs -o mode=0755 tmpfs /run
	mkdir -p /run/systemd /run/log
fi
[ ! -d /var/log/journal ] || mount --bind "$T/var-log-journal" /var/log/journal
# Volatile storage and no kernel messages, whatever the host's journald.conf says.
printf '[Journal]\nStorage=volatile\nReadKMsg=no\nForwardToWall=no\nForwardToSyslog=no\n' \
	>"$T/journald.conf"
[ ! -e /etc/systemd/journald.conf ] || mount --bind "$T/journald.conf" /etc/systemd/journald.conf
[ ! -d /etc/systemd/journald.conf.d ] || mount --bind "$T/journald.conf.d" /etc/systemd/journald.conf.d
JDIR=/run/log/journal

"$JOURNALD" >"$T/journald.log" 2>&1 &
jpid=$!
started $jpid
wait_for test -S /run/systemd/journal/socket || fail "journald did not start: $(cat "$T/journald.log")"

conf=$T/etc/vakt.conf
write_conf "$conf" <<'C'
[storage]
mode = observe
[audit]
mode = off
[idle]
mode = off
C
chown root:root "$conf"

# MESSAGE_ID of an event, from the table in lib/events.c.
message_id() { grep -A3 "\[$1\]" "$SRC_DIR/lib/events.c" | grep -oE '[0-9a-f]{32}'; }
loaded_id=$(message_id EVENT_POLICY_LOADED)
invalid_id=$(message_id EVENT_POLICY_INVALID)
if [ ${#loaded_id} -ne 32 ] || [ ${#invalid_id} -ne 32 ]; then
	fail "cannot find the MESSAGE_IDs in lib/events.c"
fi

# journalctl prints nothing until the record is there.
journal_has() {
	journalctl --directory="$JDIR" -o json -t vaktd VAKT_EVENT="$1" 2>/dev/null | grep -q .
}
json_has() { grep -q "\"VAKT_EVENT\":\"$2\"" "$1"; }

# A reload with two errors gives policy.invalid, whose VAKT_CONFIG_ERRORS has one line per error:
# a value with a newline, which the journal protocol carries differently from a plain one.
bad_dropin() {
	write_conf "$conf.d/50-bad.conf" <<'C'
[storage]
mode = sometimes
[nosuch]
C
}

# run TARGET N WAIT_FN: start vaktd, wait for policy.loaded, reload into a broken drop-in, wait for
# policy.invalid, stop it with SIGTERM; exit code 0 expected.
run() {
	local target=$1 n=$2 has=$3 pid
	mkdir -p "$T/state$n" "$T/run$n" "$conf.d"
	rm -f "$conf.d/50-bad.conf"
	"$VAKTD" --config "$conf" --log-target "$target" --state-dir "$T/state$n" \
		--runtime-dir "$T/run$n" >"$T/run$n.out" 2>"$T/run$n.err" &
	pid=$!
	started $pid
	wait_for "$has" "$T/run$n.out" policy.loaded ||
		fail "$target: no policy.loaded: $(cat "$T/run$n.err")"
	bad_dropin
	kill -HUP $pid
	wait_for "$has" "$T/run$n.out" policy.invalid ||
		fail "$target: no policy.invalid after SIGHUP: $(cat "$T/run$n.err")"
	kill -TERM $pid
	reap $pid || fail "$target: vaktd exited with $? after SIGTERM: $(cat "$T/run$n.err")"
}
journal_has_event() { journal_has "$2"; }

echo "--- vaktd --log-target journal"
run journal 1 journal_has_event
# With a working journal nothing goes to the console fallback.
[ ! -s "$T/run1.out" ] || fail "records on stdout with --log-target journal"
! grep -q "policy\.\|Cannot send records" "$T/run1.err" ||
	fail "records fell back to stderr: $(cat "$T/run1.err")"

echo "--- vaktd --log-target json, same config"
run json 2 json_has

echo "--- --replay-audit: never into the journal unless asked (issue 13 item 7)"
rconf=$T/etc/replay.conf
write_conf "$rconf" <<'C'
[storage]
mode = off
[idle]
mode = off
[audit]
ensure_rules = no
C
chown root:root "$rconf"
sample=$SRC_DIR/tests/data/audit/sudo-id.log
"$VAKTD" --config "$rconf" --replay-audit "$sample" >"$T/replay1.out" 2>"$T/replay1.err" ||
	fail "replay without --log-target failed: $(cat "$T/replay1.err")"
grep -q "VAKT_EVENT=privilege.sudo" "$T/replay1.out" ||
	fail "replay without --log-target printed no record: $(cat "$T/replay1.out" "$T/replay1.err")"
"$VAKTD" --config "$rconf" --log-target journal --replay-audit "$sample" >"$T/replay2.out" 2>"$T/replay2.err" ||
	fail "replay to the journal failed: $(cat "$T/replay2.err")"
[ ! -s "$T/replay2.out" ] || fail "records on stdout with --log-target journal: $(cat "$T/replay2.out")"

# Let journald write everything out, then stop it before reading its files.
stop_one $jpid
journalctl --directory="$JDIR" -o json -t vaktd >"$T/journal.json" ||
	fail "journalctl cannot read $JDIR"
grep -q . "$T/journal.json" || fail "no vaktd records in the journal"
# Exactly the one replay that asked for the journal is there, marked as replayed with its time.
replayed=$(jq -c 'select(.VAKT_EVENT == "privilege.sudo")' "$T/journal.json")
[ "$(grep -c . <<<"$replayed")" -eq 1 ] || fail "expected one replayed record in the journal: $replayed"
jq -e 'select(.VAKT_REPLAYED == "1" and .VAKT_AUDIT_TIME == "2026-11-23T12:58:34.323Z" and
	(.MESSAGE | startswith("Replayed event of 2026-11-23 12:58:34 UTC: ")))' <<<"$replayed" >/dev/null ||
	fail "replayed record not marked: $replayed"

echo "--- compare"
"$PY" - "$T/journal.json" "$T/run2.out" "$loaded_id" "$invalid_id" <<'PY' ||
import json, sys

def records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]

def only(recs, event):
    hits = [r for r in recs if r.get("VAKT_EVENT") == event]
    assert len(hits) == 1, f"expected one {event}, got {len(hits)}"
    return hits[0]

journal = records(sys.argv[1])
stdout = records(sys.argv[2])
ids = {"policy.loaded": (sys.argv[3], "6"), "policy.invalid": (sys.argv[4], "4")}

for event, (msg_id, prio) in ids.items():
    j = only(journal, event)
    # Fields the journal adds itself (trusted "_*" and "__*" addresses) are not vaktd's.
    mine = {k: v for k, v in j.items() if not k.startswith("_")}
    s = only(stdout, event)
    for k in ("SYSLOG_IDENTIFIER", "MESSAGE", "MESSAGE_ID", "PRIORITY", "VAKT_EVENT"):
        assert k in mine, f"{event}: journal record lacks {k}: {mine}"
    assert mine["SYSLOG_IDENTIFIER"] == "vaktd", mine
    assert mine["MESSAGE_ID"] == msg_id, f"{event}: MESSAGE_ID {mine['MESSAGE_ID']} != {msg_id}"
    assert mine["PRIORITY"] == prio, f"{event}: PRIORITY {mine['PRIORITY']} != {prio}"
    assert j.get("_TRANSPORT") == "journal", f"{event}: _TRANSPORT {j.get('_TRANSPORT')}"
    assert all(isinstance(v, str) for v in s.values()), f"{event}: json value not a string"
    if set(mine) != set(s):
        print(event, "only in journal:", sorted(set(mine) - set(s)))
        print(event, "only in json:   ", sorted(set(s) - set(mine)))
        sys.exit(1)
    diff = {k: (mine[k], s[k]) for k in mine if mine[k] != s[k]}
    assert not diff, f"{event}: values differ: {diff}"
    print(event, "fields:", " ".join(mine))

errors = only(journal, "policy.invalid").get("VAKT_CONFIG_ERRORS", "")
assert "\n" in errors, f"expected a multi-line VAKT_CONFIG_ERRORS, got {errors!r}"

# Every record of the run, not only the events, carries the same basics.
for r in journal:
    for k in ("SYSLOG_IDENTIFIER", "MESSAGE", "PRIORITY"):
        assert k in r, f"journal record without {k}: {r}"
PY
	fail "journal and json records differ"

echo "--- journalctl -x explains the record with the catalog, fields filled in"
# journalctl -x reads only /var/lib/systemd/catalog/database: build one from vakt.catalog alone
# under $T, and cover that directory in this namespace only.
mkdir -p "$T/croot/usr/lib/systemd/catalog" "$T/croot/var/lib/systemd/catalog"
cp "$SRC_DIR/systemd/vakt.catalog" "$T/croot/usr/lib/systemd/catalog/"
journalctl --root="$T/croot" --update-catalog || fail "journalctl --update-catalog failed"
if [ -d /var/lib/systemd/catalog ]; then
	mount --bind "$T/croot/var/lib/systemd/catalog" /var/lib/systemd/catalog
	journalctl --directory="$JDIR" -x -t vaktd VAKT_EVENT=policy.loaded >"$T/explained" ||
		fail "journalctl -x failed"
	grep -q "Subject: Security policy loaded" "$T/explained" ||
		fail "no catalog text: $(cat "$T/explained")"
	# The modes as this test's config sets them (VAKT_CONFIG_FILES is not substituted: the
	# built-in policy has no files).
	grep -q "Parts and modes: storage=observe idle=off audit=off" "$T/explained" ||
		fail "@VAKT_PARTS@ not filled in: $(cat "$T/explained")"
	sed 's/^/    /' "$T/explained"
else
	echo "no /var/lib/systemd/catalog to cover, not checked"
fi

echo "--- journald gone: --log-target journal says so once and writes to stderr"
rm -f /run/systemd/journal/socket
rm -f "$conf.d/50-bad.conf"
"$VAKTD" --config "$conf" --log-target journal --state-dir "$T/state1" --runtime-dir "$T/run1" \
	>"$T/run3.out" 2>"$T/run3.err" &
vpid=$!
started $vpid
wait_for grep -q "VAKT_EVENT=policy.loaded" "$T/run3.err" ||
	fail "policy.loaded not on stderr without journald: $(cat "$T/run3.err")"
kill -TERM $vpid
reap $vpid || fail "vaktd exited with $? after SIGTERM without journald"
[ "$(grep -c "Cannot send records to the journal" "$T/run3.err")" -eq 1 ] ||
	fail "expected one fallback warning: $(cat "$T/run3.err")"

echo "journal: policy.loaded and policy.invalid round-trip with the fields --log-target json prints"
