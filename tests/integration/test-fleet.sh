#!/bin/bash
# The fleet path (README.md, "A fleet"): records vaktd really wrote into a journal travel with the
# real systemd-journal-upload to the real systemd-journal-remote on loopback, and on the collector
# every field arrives intact (VAKT_*, MESSAGE, MESSAGE_ID, PRIORITY, VAKT_POLICY_DIGEST, a
# multi-line VAKT_CONFIG_ERRORS), the sending machine is named (_HOSTNAME, _MACHINE_ID), and
# `journalctl -x --directory=` explains each record with vakt's catalog.
#
# Needs root: a private journald in a private mount namespace, as test-journal.sh (the host's
# journal, /run and /var are never touched). The collector's catalog is a private database bound
# over /var/lib/systemd/catalog inside the namespace only. Every process is stopped by PID.

if [ -z "${VAKT_TEST_MOUNT_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 77; }
	command -v unshare >/dev/null || { echo "needs unshare (util-linux)" >&2; exit 77; }
	unshare --mount --propagation private true 2>/dev/null ||
		{ echo "cannot create a mount namespace here" >&2; exit 77; }
	VAKT_TEST_MOUNT_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"

JOURNALD=/lib/systemd/systemd-journald
UPLOAD=/lib/systemd/systemd-journal-upload
REMOTE=/lib/systemd/systemd-journal-remote
for p in "$JOURNALD" "$UPLOAD" "$REMOTE"; do
	[ -x "$p" ] || fail "$p missing: make deps installs systemd-journal-remote (tests/tools/deps.sh)"
done
command -v jq >/dev/null || fail "jq missing (make deps)"

keep_audit_state

at_exit stop_running

# --- the workstation: a private journald and vaktd writing into it ---------------------------
mkdir -p "$T/run-log" "$T/var-log-journal" "$T/journald.conf.d"
if [ -d /run/systemd ] && [ -d /run/log ]; then
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd
	mount --bind "$T/run-log" /run/log
else
	mount -t tmpfs -o mode=0755 tmpfs /run
	mkdir -p /run/systemd /run/log
fi
[ ! -d /var/log/journal ] || mount --bind "$T/var-log-journal" /var/log/journal
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
write_conf "$conf.d/10-fleet.conf" <<'C'
[vakt]
admin_groups = root
C
chown -R root:root "$T/etc"

journal_has() { journalctl --directory="$JDIR" -o json -t vaktd VAKT_EVENT="$1" 2>/dev/null | grep -q .; }
mkdir -p "$T/state" "$T/run"
"$VAKTD" --config "$conf" --log-target journal --state-dir "$T/state" --runtime-dir "$T/run" \
	>"$T/vaktd.out" 2>"$T/vaktd.err" &
vpid=$!
started $vpid
wait_for journal_has policy.loaded || fail "no policy.loaded in the journal: $(cat "$T/vaktd.err")"
# A refused reload: policy.invalid with a two-line VAKT_CONFIG_ERRORS.
printf '[storage]\nmode = sometimes\n[nosuch]\n' >"$conf.d/50-bad.conf"
kill -HUP $vpid
wait_for journal_has policy.invalid || fail "no policy.invalid after SIGHUP: $(cat "$T/vaktd.err")"
kill -TERM $vpid
wait $vpid || fail "vaktd exited with $? after SIGTERM: $(cat "$T/vaktd.err")"
unset "RUNNING[$vpid]"
stop_one $jpid
journalctl --directory="$JDIR" -o json -t vaktd >"$T/sent.json" || fail "cannot read $JDIR"
[ "$(grep -c . "$T/sent.json")" -ge 3 ] || fail "expected policy.loaded, policy.invalid and vakt.stopped: $(cat "$T/sent.json")"

# --- the collector: systemd-journal-remote on loopback, fed by systemd-journal-upload --------
# Over HTTPS, as README sets it up: a CA of this test signs the collector's certificate (for
# 127.0.0.1), and the workstation trusts only that CA. Debian 12's systemd-journal-remote is built
# without GnuTLS client checks ("Option --trust is not available"): it cannot tell workstations
# apart by certificate, which README says; the workstation's side of the check is tested here.
command -v openssl >/dev/null || fail "openssl missing: make deps installs it (tests/tools/deps.sh)"
pki() {
	local d=$T/pki
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=vakt test CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || return 1
	local who
	for who in collector workstation; do
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$who" \
			-keyout "$d/$who.key" -out "$d/$who.csr" 2>/dev/null || return 1
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/$who.ext"
		openssl x509 -req -in "$d/$who.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days 1 -extfile "$d/$who.ext" -out "$d/$who.pem" 2>/dev/null ||
			return 1
	done
	# Another CA: a workstation that trusts only it must refuse this collector.
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=another CA" \
		-keyout "$d/other-ca.key" -out "$d/other-ca.pem" 2>/dev/null
}
pki || fail "cannot make the test certificates with openssl"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/collector"
"$REMOTE" --listen-https="127.0.0.1:$port" --key="$T/pki/collector.key" \
	--cert="$T/pki/collector.pem" \
	--output="$T/collector/" --split-mode=host >"$T/remote.log" 2>&1 &
rpid=$!
started $rpid
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
wait_for listening || fail "systemd-journal-remote does not listen: $(cat "$T/remote.log")"
# A workstation that does not trust the collector's CA sends nothing.
if "$UPLOAD" --url="https://127.0.0.1:$port" --key="$T/pki/workstation.key" \
	--cert="$T/pki/workstation.pem" --trust="$T/pki/other-ca.pem" --directory="$JDIR" \
	--follow=no --save-state="$T/stranger.state" >"$T/stranger.log" 2>&1; then
	fail "a workstation sent to a collector it does not trust: $(cat "$T/stranger.log")"
fi
grep -qi 'certificate' "$T/stranger.log" ||
	fail "the upload failed, but not on the collector's certificate: $(cat "$T/stranger.log")"
# --follow=no: upload what is there and exit, as the service does continuously.
"$UPLOAD" --url="https://127.0.0.1:$port" --key="$T/pki/workstation.key" \
	--cert="$T/pki/workstation.pem" --trust="$T/pki/ca.pem" --directory="$JDIR" --follow=no \
	--save-state="$T/upload.state" >"$T/upload.log" 2>&1 ||
	fail "systemd-journal-upload failed: $(cat "$T/upload.log")"
[ -s "$T/upload.state" ] || fail "systemd-journal-upload saved no cursor: $(cat "$T/upload.log")"
# SIGTERM: journal-remote closes its files.
stop_one $rpid
journalctl --directory="$T/collector" -o json -t vaktd >"$T/received.json" ||
	fail "cannot read the collector's journal in $T/collector: $(ls -l "$T/collector")"

/usr/bin/python3 - "$T/sent.json" "$T/received.json" <<'PY' || fail "records changed on the way"
import json, sys

def records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]

sent, received = records(sys.argv[1]), records(sys.argv[2])
assert len(received) == len(sent), f"{len(sent)} records sent, {len(received)} received"
by_time = {r["__REALTIME_TIMESTAMP"]: r for r in received}
events = set()
for s in sent:
    r = by_time.get(s["__REALTIME_TIMESTAMP"])
    assert r, f"record not received: {s}"
    # Everything vaktd wrote, and the journal's own name for the machine and process.
    # (vaktd's plain log lines have no VAKT_EVENT: they travel too.)
    name = s.get("VAKT_EVENT", s.get("MESSAGE"))
    keys = [k for k in s if not k.startswith("__")]
    for k in keys:
        assert k in r, f"{name}: {k} lost"
        assert r[k] == s[k], f"{name}: {k} {s[k]!r} arrived as {r[k]!r}"
    for k in ("_HOSTNAME", "_MACHINE_ID", "_BOOT_ID", "SYSLOG_IDENTIFIER", "MESSAGE", "PRIORITY"):
        assert r.get(k), f"{name}: no {k} on the collector"
    if "VAKT_EVENT" in s:
        assert r.get("MESSAGE_ID"), f"{name}: no MESSAGE_ID on the collector"
        events.add(s["VAKT_EVENT"])
assert {"policy.loaded", "policy.invalid", "vakt.stopped"} <= events, events
loaded = [r for r in received if r.get("VAKT_EVENT") == "policy.loaded"][0]
assert len(loaded.get("VAKT_POLICY_DIGEST", "")) == 64, loaded
invalid = [r for r in received if r.get("VAKT_EVENT") == "policy.invalid"][0]
assert "\n" in invalid["VAKT_CONFIG_ERRORS"], invalid
print("%d records, %d fields each on average, intact" % (len(received),
      sum(len(r) for r in received) // len(received)))
assert sum(1 for r in received if "VAKT_EVENT" in r) >= 3, "fewer than 3 vakt records"
PY

# --- the collector explains them: vakt's catalog in the collector's catalog database -----------
croot=$T/collector-root
mkdir -p "$croot/usr/lib/systemd/catalog" "$croot/var/lib/systemd/catalog"
cp "$SRC_DIR/systemd/vakt.catalog" "$croot/usr/lib/systemd/catalog/"
journalctl --root="$croot" --update-catalog || fail "--update-catalog failed"
mkdir -p /var/lib/systemd/catalog
mount --bind "$croot/var/lib/systemd/catalog" /var/lib/systemd/catalog
message_id() { grep -A3 "\[$1\]" "$SRC_DIR/lib/events.c" | grep -oE '[0-9a-f]{32}'; }
for ev in EVENT_POLICY_LOADED EVENT_POLICY_INVALID EVENT_VAKT_STOPPED; do
	id=$(message_id $ev)
	[ ${#id} -eq 32 ] || fail "no MESSAGE_ID for $ev in lib/events.c"
	subject=$(awk -v id="-- $id" '$0 == id { getline; sub(/^Subject: /, ""); print; exit }' \
		"$SRC_DIR/systemd/vakt.catalog")
	[ -n "$subject" ] || fail "no catalog entry for $ev ($id)"
	journalctl -x --no-pager --directory="$T/collector" MESSAGE_ID="$id" >"$T/explained" 2>&1 ||
		fail "journalctl -x on the collector: $(cat "$T/explained")"
	grep -qF "$subject" "$T/explained" ||
		fail "$ev not explained on the collector (wanted \"$subject\"): $(cat "$T/explained")"
done
echo ok
