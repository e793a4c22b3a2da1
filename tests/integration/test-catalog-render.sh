#!/bin/bash
# Every event's catalog entry, rendered by "journalctl -x" with REAL records of the real vaktd:
# run.sh runs this test last and hands it (VAKT_TEST_RECORDS) every record the daemon wrote in
# the other integration tests. For each event of lib/events.c:
#   - every record of it has every @FIELD@ its entry uses (checked on all records, not one);
#   - one record per distinct set of fields goes into a private systemd-journald, and
#     "journalctl -x" shows the entry with no @FIELD@ left unsubstituted;
#   - an event with no record here is named in NOT_PRODUCED below with the reason, or the test
#     fails.
# Run alone (no VAKT_TEST_RECORDS) it skips: it has nothing to render.
#
# Needs root: journald and the catalog database have fixed paths, so the test runs in a private
# mount namespace (as test-journal.sh) where they are directories under $T.

if [ -z "${VAKT_TEST_MOUNT_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 77; }
	command -v unshare >/dev/null || { echo "needs unshare (util-linux)" >&2; exit 77; }
	unshare --mount --propagation private true 2>/dev/null ||
		{ echo "cannot create a mount namespace here" >&2; exit 77; }
	VAKT_TEST_MOUNT_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"

[ -n "${VAKT_TEST_RECORDS:-}" ] && [ -d "$VAKT_TEST_RECORDS" ] ||
	skip "no VAKT_TEST_RECORDS: run by tests/integration/run.sh after the tests that make records"

# Events no integration test here can produce, with the reason. Keep this list short.
declare -A NOT_PRODUCED=(
	[privilege.pkexec]="pkexec is not installed here (Debian: pkexec, polkitd) and no audit log of it is captured"
)

keep_audit_state

JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] || skip "no $JOURNALD"
command -v journalctl >/dev/null || skip "no journalctl"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3"

jpid=
at_exit '[ -z "$jpid" ] || stop_pid "$jpid"'

# Private journal locations and catalog database, visible only inside this mount namespace.
mkdir -p "$T/run-log" "$T/var-log-journal" "$T/journald.conf.d" \
	"$T/root/usr/lib/systemd/catalog" "$T/root/var/lib/systemd/catalog"
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

# Only vakt's catalog: an entry of another package cannot hide a missing one.
cp "$SRC_DIR/systemd/vakt.catalog" "$T/root/usr/lib/systemd/catalog/"
journalctl --root="$T/root" --update-catalog 2>"$T/update.err" ||
	fail "--update-catalog: $(cat "$T/update.err")"
[ ! -s "$T/update.err" ] || fail "--update-catalog complained: $(cat "$T/update.err")"
mkdir -p /var/lib/systemd/catalog
mount --bind "$T/root/var/lib/systemd/catalog" /var/lib/systemd/catalog

# Without CAP_AUDIT_CONTROL journald cannot switch kernel auditing off (252 does at start), so
# the audit tests of other runs on this machine keep working while this one runs.
setpriv --bounding-set -audit_control --inh-caps -audit_control "$JOURNALD" >"$T/journald.log" 2>&1 &
jpid=$!
wait_for test -S /run/systemd/journal/socket || fail "journald did not start: $(cat "$T/journald.log")"

# The audit events no live test here makes (su, mount, module, setuid programs) come from the
# real vaktd replaying the kernel audit records captured in tests/data/audit.
mkdir -p "$T/replay"
write_conf "$T/vakt.conf" <<C
[storage]
mode = off
[idle]
mode = off
[audit]
ensure_rules = no
failed_auth_burst = 3/5min
watch = /etc/passwd, /etc/shadow, /etc/group, /etc/gshadow, /etc/sudoers, /etc/sudoers.d, /tmp/vakt-test-a13/watched
C
for f in "$SRC_DIR"/tests/data/audit/*.log; do
	"$VAKTD" --config "$T/vakt.conf" --log-target json --replay-audit "$f" \
		>"$T/replay/$(basename "$f" .log).json" 2>"$T/replay.err" ||
		fail "replay of $f failed: $(cat "$T/replay.err")"
done

missing=$(for e in "${!NOT_PRODUCED[@]}"; do printf '%s\t%s\n' "$e" "${NOT_PRODUCED[$e]}"; done)
NOT_PRODUCED_LIST=$missing "$PY" - "$SRC_DIR" "$VAKT_TEST_RECORDS" "$JDIR" "$T/replay" <<'PY' ||
import glob, json, os, re, socket, subprocess, sys, time

src, records_dir, jdir, replay_dir = sys.argv[1:5]
not_produced = dict(l.split('\t', 1) for l in os.environ['NOT_PRODUCED_LIST'].splitlines() if l)

# The events and their IDs, from lib/events.c.
text = open(os.path.join(src, 'lib/events.c')).read()
events = dict(re.findall(r'\.name = "([a-z_.]+)",\s*\.message_id = "([0-9a-f]{32})"', text))
if len(events) < 30:
    sys.exit('found only %d events in lib/events.c' % len(events))

# The catalog entries by ID, and the @FIELD@s each uses.
entries, cur = {}, None
for line in open(os.path.join(src, 'systemd/vakt.catalog')):
    m = re.match(r'^-- ([0-9a-f]{32})$', line)
    if m:
        cur = m.group(1)
        entries[cur] = ''
    elif cur is not None:
        entries[cur] += line
uses = {mid: sorted(set(re.findall(r'@([A-Z0-9_]+)@', t))) for mid, t in entries.items()}

# Every field an entry names in its prose exists: the daemon writes it somewhere (a field only
# some records have, such as VAKT_REMOTE_HOST, cannot be asked of every record). VAKT_DEVICE_*
# names the family.
written = set()
for path in glob.glob(os.path.join(src, 'daemon', '*.c')):
    written |= set(re.findall(r'"(VAKT_[A-Z0-9_]+)"', open(path).read()))
named_bad = []
for name, mid in sorted(events.items()):
    if mid not in entries or name in not_produced:
        continue
    for f in sorted(set(re.findall(r'VAKT_[A-Z0-9_]*[A-Z0-9](?:_\*)?', entries[mid]))):
        if f.endswith('_*'):
            ok = any(w.startswith(f[:-1]) for w in written)
        else:
            ok = f in written
        if not ok:
            named_bad.append('%s: entry names %s, which vaktd never writes' % (name, f))

records = {}
for path in sorted(glob.glob(os.path.join(records_dir, '*.json')) +
                   glob.glob(os.path.join(replay_dir, '*.json'))):
    for line in open(path, errors='replace'):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if isinstance(r, dict) and 'VAKT_EVENT' in r:
            records.setdefault(r['VAKT_EVENT'], []).append((os.path.basename(path), r))

bad = named_bad
samples = []
for name, mid in sorted(events.items()):
    if mid not in entries:
        bad.append('%s: no catalog entry for %s' % (name, mid))
        continue
    recs = records.get(name, [])
    if not recs:
        if name not in not_produced:
            bad.append('%s: no record in any integration test (did the test that makes it fail '
                       'above?), and not in NOT_PRODUCED' % name)
        else:
            print('not produced here: %s (%s)' % (name, not_produced[name]))
        continue
    if name in not_produced:
        bad.append('%s: has records now; take it out of NOT_PRODUCED' % name)
    seen = set()
    for test, r in recs:
        if r.get('MESSAGE_ID') != mid:
            bad.append('%s (%s): MESSAGE_ID %s, lib/events.c says %s' % (name, test, r.get('MESSAGE_ID'), mid))
        absent = [f for f in uses[mid] if f not in r]
        key = (frozenset(r), tuple(absent))
        if absent and key not in seen:
            bad.append('%s: entry uses @%s@, but a record from %s has no such field: %s' % (
                name, '@, @'.join(absent), test, json.dumps(r)[:400]))
        if key not in seen:
            seen.add(key)
            samples.append((name, mid, test, r))
    print('%s: %d records, %d shapes, entry uses %s' % (name, len(recs), len(seen), ' '.join(uses[mid]) or '-'))

# Into the private journald through its native protocol, each sample tagged to find it again.
def send(fields):
    out = b''
    for k, v in fields.items():
        v = str(v).encode()
        if b'\n' in v:
            out += k.encode() + b'\n' + len(v).to_bytes(8, 'little') + v + b'\n'
        else:
            out += k.encode() + b'=' + v + b'\n'
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(out, '/run/systemd/journal/socket')
    s.close()

for i, (name, mid, test, r) in enumerate(samples):
    f = {k: v for k, v in r.items() if not k.startswith('_') and isinstance(v, str)}
    f['VAKT_TEST_SAMPLE'] = str(i)
    send(f)

# README's help-desk sample is a real rendering of the current catalog: the record with its
# MESSAGE (test directories aside) goes in too, and its rendering must equal README's.
def unshared(text):
    return re.sub(r'/tmp/vakt-test\.[A-Za-z0-9_]+', '/tmp/vakt-test.X', text)

readme = open(os.path.join(src, 'README.md')).read()
m = re.search(r'^\$ journalctl -u vaktd -x VAKT_EVENT=storage\.blocked\n(.*?)^```', readme, re.M | re.S)
readme_i = None
if not m:
    bad.append('README.md: no journalctl -x sample of a blocked stick')
else:
    lines = m.group(1).splitlines()
    readme_msg = unshared(lines[0].split(': ', 1)[1])
    readme_text = [l.rstrip() for l in lines[1:]]
    for test, r in records.get('storage.blocked', []):
        if unshared(r.get('MESSAGE', '')) == readme_msg:
            readme_i = len(samples)
            f = {k: v for k, v in r.items() if isinstance(v, str)}
            f['VAKT_TEST_SAMPLE'] = str(readme_i)
            send(f)
            samples.append(('storage.blocked', events['storage.blocked'], test, r))
            break
    else:
        bad.append('README.md: no record of this run has the sample\'s MESSAGE: ' + readme_msg)

def rendered(i):
    return subprocess.run(['journalctl', '--directory=' + jdir, '-x', '--no-pager', '-o', 'short',
                           'VAKT_TEST_SAMPLE=%d' % i], capture_output=True, text=True).stdout

deadline = time.monotonic() + 60
while not rendered(len(samples) - 1).strip() and time.monotonic() < deadline:
    time.sleep(0.2)

out_dir = os.path.join(records_dir, 'rendered')
os.makedirs(out_dir, exist_ok=True)
for i, (name, mid, test, r) in enumerate(samples):
    out = rendered(i)
    subject = re.search(r'^Subject: (.*)$', entries[mid], re.M).group(1)
    subject_re = '.*'.join(re.escape(p) for p in re.split(r'@[A-Z0-9_]+@', subject))
    if not re.search(r'^░░ Subject: ' + subject_re + '$', out, re.M):
        bad.append('%s (%s): journalctl -x shows no catalog entry: %s' % (name, test, out[:600]))
        continue
    left = sorted(set(re.findall(r'@[A-Z0-9_]+@', out)))
    if left:
        bad.append('%s (%s): left unsubstituted: %s' % (name, test, ' '.join(left)))
    with open(os.path.join(out_dir, '%s.%d.txt' % (name, i)), 'w') as fh:
        fh.write(out)
if readme_i is not None and m:
    got = [l.rstrip() for l in unshared(rendered(readme_i)).splitlines()[1:]]
    if got != [unshared(l) for l in readme_text]:
        bad.append('README.md: the blocked-stick sample is not what journalctl -x shows now:\n' +
                   '\n'.join(got))
print('rendered %d records of %d events through journalctl -x' % (len(samples), len(records)))

if bad:
    print('\n'.join(bad), file=sys.stderr)
    sys.exit(1)
PY
	fail "catalog and records disagree"
echo "catalog render: ok"
