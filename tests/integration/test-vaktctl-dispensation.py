# Written dispensations granted and revoked with vaktctl over the control socket (issue 14 item
# 3), against the real vaktd (umockdev USB stick, dbusmock logind, real local accounts; vaktctl
# run with real non-root uids by setpriv). Shows: a blocked stick is let in once an administrator
# (a member of admin_groups) grants its user a dispensation, and the records name the
# administrator, ticket and reason; `vaktctl dispensations` (table and --json) shows all to an
# administrator and only their own to anyone else; a plain user can neither grant nor revoke;
# every bad grant (unknown user, past or too distant expiry, bad device, empty ticket or reason)
# is refused with exit code 1 and a sentence, also as raw packets on the socket; the dispensation
# survives a restart; a revoke blocks the stick again (dispensation.revoked); a short --for
# expires (dispensation.expired) and blocks it again; with the storage part off both refuse.
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import storage_testbed as st

ADM_GROUP = 'vakt-test-gadm'
ALICE, BOB, CAROL = 'vakt-test-galice', 'vakt-test-gbob', 'vakt-test-gcarol'
BUILD = os.environ.get('BUILD') or os.path.join(st.SRC, 'build')
VAKTCTL = os.path.join(BUILD, 'vaktctl')
REASON = 'copies the lab measurements for the audit'


def ctl(v, args, user=None, expect=0):
    """Runs vaktctl with args as user (name; None = root)."""
    cmd = [VAKTCTL, '--socket', os.path.join(v.run_dir, 'control')] + list(args)
    if user:
        cmd = ['setpriv', '--reuid', user, '--regid', user, '--init-groups'] + cmd
    env = dict(os.environ)
    env.pop('LD_PRELOAD', None)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=30)
    out, err = r.stdout.decode(), r.stderr.decode()
    st.check(r.returncode == expect,
             '%s as %s: exit %d, expected %d\nstdout: %s\nstderr: %s'
             % (' '.join(args), user or 'root', r.returncode, expect, out, err), v)
    return out, err


def ctl_json(v, args, user=None):
    out, _ = ctl(v, list(args) + ['--json'], user)
    try:
        return json.loads(out)
    except ValueError as e:
        st.fail('%s --json is not JSON (%s): %r' % (' '.join(args), e, out))


def raw(v, data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(os.path.join(v.run_dir, 'control'))
    s.send(data)
    out = b''
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return out.decode()


def grant_args(user, *extra, ticket='HD-4711', reason=REASON):
    return ['grant', 'storage', '--user', user, '--ticket', ticket, '--reason', reason] + \
        list(extra)


def run():
    accounts = st.LocalAccounts()
    bus = logind = v = None
    state = tempfile.mkdtemp(prefix='vakt-test-state.')
    rc = 0
    try:
        accounts.group(ADM_GROUP)
        alice = accounts.user(ALICE, [ADM_GROUP])
        bob = accounts.user(BOB, [])
        carol = accounts.user(CAROL, [])
        bus = st.SystemBus()
        logind = st.Logind(bus)
        logind.add_seat('seat0')
        logind.add_session('c1', 'seat0', bob, BOB)
        env = {'DBUS_SYSTEM_BUS_ADDRESS': bus.address}
        text = '[vakt]\nadmin_groups = %s\n' % ADM_GROUP + st.conf(default='block')

        tb = st.Testbed()
        hub = tb.add_root_hub()
        v = st.Vaktd(tb, text, env, state_dir=state)
        v.ready()
        v.wait_logind()
        stick = tb.add_device('stick', hub, '1-1')
        v.wait_event('storage.blocked', stick, VAKT_USER=BOB)
        out, _ = ctl(v, ['dispensations'])
        st.check('No dispensation.' in out, 'dispensations at the start:\n' + out, v)

        # ---- who may grant: not the person at the seat, not another plain user
        for who in (BOB, CAROL):
            _, err = ctl(v, grant_args(BOB, '--for', '8h'), who, expect=1)
            st.check('only root and members of admin_groups may grant' in err, err, v)
        st.check(not v.events('dispensation.granted'), 'a refused grant was recorded', v)

        # ---- an administrator grants bob his stick: it is let in at once
        n = len(v.records)
        out, _ = ctl(v, grant_args(BOB, '--device', '0951:1666', '--for', '8h'), ALICE)
        m = re.match(r'Granted (d-[0-9a-f]{8}): %s read-write USB storage \(0951:1666\) until '
                     r'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ' % BOB, out)
        st.check(m, 'grant output:\n' + out, v)
        did = m.group(1)
        st.check('vaktctl revoke ' + did in out, 'grant output lacks the revoke hint:\n' + out, v)
        r = v.wait_event('dispensation.granted', since=n, VAKT_DISPENSATION_ID=did)
        want = {'VAKT_USER': ALICE, 'VAKT_UID': str(alice), 'VAKT_GRANTED_BY': ALICE,
                'VAKT_GRANTED_BY_UID': str(alice), 'VAKT_TARGET_USER': BOB,
                'VAKT_TARGET_UID': str(bob), 'VAKT_TICKET': 'HD-4711',
                'VAKT_DISPENSATION_REASON': REASON, 'VAKT_DECISION': 'allow',
                'VAKT_DISPENSATION_DEVICE': '0951:1666'}
        for k, val in want.items():
            st.check(r.get(k) == val, 'granted: %s %r, expected %r' % (k, r.get(k), val), v)
        until = int(r['VAKT_NOT_AFTER_USEC']) // 1000000
        st.check(abs(until - (time.time() + 8 * 3600)) < 120, 'not_after %d' % until, v)
        st.check(time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(until)) == m.group(2),
                 'printed expiry %s, stored %d' % (m.group(2), until), v)
        rule = 'dispensation %s (ticket HD-4711, granted by %s)' % (did, ALICE)
        r = v.wait_event('storage.allowed', stick, since=n, VAKT_DECISION='allow')
        st.check(r.get('VAKT_RULE') == rule, 'rule %r' % r.get('VAKT_RULE'), v)
        st.check(tb.wait_attr(stick, 'authorized', '1'), 'stick not authorised', v)

        # root grants carol (not at any seat) read-only use of any stick until a date, --json.
        tomorrow = time.strftime('%Y-%m-%d', time.localtime(time.time() + 86400))
        j = ctl_json(v, grant_args(CAROL, '--until', tomorrow, '--mode', 'read-only',
                                   ticket='4712', reason='reads the manual'))
        cid = j['id']
        st.check(re.fullmatch(r'd-[0-9a-f]{8}', cid) and j['device'] == 'any' and
                 j['mode'] == 'read-only' and j['ticket'] == '4712' and
                 j['granted_by'] == 'root' and j['user'] == CAROL, 'grant --json %r' % j, v)
        end_of_day = time.mktime(time.strptime(tomorrow, '%Y-%m-%d')) + 86400
        st.check(j['until'] == int(end_of_day), 'until %r, expected %d' % (j['until'],
                                                                            end_of_day), v)
        r = v.wait_event('dispensation.granted', VAKT_DISPENSATION_ID=cid)
        st.check(r.get('VAKT_GRANTED_BY') == 'root' and r.get('VAKT_UID') == '0', repr(r), v)
        # ISO 8601 with an offset: the same instant whatever the local zone.
        j = ctl_json(v, grant_args(CAROL, '--until', time.strftime(
            '%Y-%m-%dT%H:%M:%S+00:00', time.gmtime(time.time() + 7200)), ticket='HD-9'))
        st.check(abs(j['until'] - (time.time() + 7200)) < 60, 'iso until %r' % j, v)
        v.wait_event('dispensation.granted', VAKT_DISPENSATION_ID=j['id'])
        ctl(v, ['revoke', j['id']])
        v.wait_event('dispensation.revoked', VAKT_DISPENSATION_ID=j['id'], VAKT_USER='root')

        # ---- listing: all for an administrator, one's own for anyone else
        out, _ = ctl(v, ['dispensations'])
        for want in ('ID', 'GRANTED BY', did, cid, BOB, CAROL, '0951:1666', 'any', 'read-only',
                     'HD-4711', REASON, ALICE, 'root'):
            st.check(want in out, 'dispensations lacks %r:\n%s' % (want, out), v)
        j = ctl_json(v, ['dispensations'])
        ds = {d['id']: d for d in j['dispensations']}
        st.check(set(ds) == {did, cid} and j['scope'] == 'all', 'dispensations %r' % j, v)
        d = ds[did]
        st.check(d['user'] == BOB and d['uid'] == bob and d['device'] == '0951:1666' and
                 d['mode'] == 'allow' and d['until'] == until and d['ticket'] == 'HD-4711' and
                 d['granted_by'] == ALICE and d['granted_by_uid'] == alice and
                 d['reason'] == REASON, 'dispensation %r' % d, v)
        st.check([d['id'] for d in ctl_json(v, ['dispensations'], BOB)['dispensations']] ==
                 [did], 'bob sees more than his own', v)
        st.check([d['id'] for d in ctl_json(v, ['dispensations'], CAROL)['dispensations']] ==
                 [cid], 'carol sees more than her own', v)
        st.check(len(ctl_json(v, ['dispensations'], ALICE)['dispensations']) == 2,
                 'the administrator does not see all', v)

        # ---- bad grants: exit 1 and a sentence, nothing granted
        yesterday = time.strftime('%Y-%m-%d %H:%M', time.localtime(time.time() - 86400))
        far = time.strftime('%Y-%m-%d', time.localtime(time.time() + 200 * 86400))
        for args, want in (
                (grant_args('vakt-test-nosuchuser', '--for', '8h'),
                 'there is no user vakt-test-nosuchuser'),
                (grant_args(BOB, '--until', yesterday), 'the expiry is in the past'),
                (grant_args(BOB, '--until', far), 'longer than the limit of 90 days'),
                (grant_args(BOB, '--until', '31.12.2026'), 'a date is YYYY-MM-DD'),
                (grant_args(BOB, '--for', '91d'), 'limit of 90 days'),
                (grant_args(BOB, '--for', '8'), 'needs a unit'),
                (grant_args(BOB, '--for', '8h', '--until', tomorrow), 'exactly one of'),
                (grant_args(BOB), 'exactly one of'),
                (grant_args(BOB, '--for', '8h', '--device', '0951'), 'VID:PID'),
                (grant_args(BOB, '--for', '8h', '--device', '0951:16g6'), 'VID:PID'),
                (grant_args(BOB, '--for', '8h', '--mode', 'block'), 'allow or read-only'),
                (grant_args(BOB, '--for', '8h', ticket=''), "needs a non-empty 'ticket'"),
                (grant_args(BOB, '--for', '8h', reason='   '), 'the reason is empty'),
                (grant_args(BOB, '--for', '8h', reason='a\nb'), 'control characters'),
                (['grant', '--user', BOB, '--for', '8h'], 'vaktctl grant storage'),
                (['grant', 'network', '--user', BOB, '--for', '8h'], 'vaktctl grant storage'),
                (['revoke'], 'exactly one ID'),
                (['revoke', 'd-12'], 'not a dispensation id'),
                (['revoke', 'd-0000beef'], 'There is no dispensation d-0000beef')):
            _, err = ctl(v, args, expect=1)
            st.check(want in err, '%r: %r lacks %r' % (args, err, want), v)
        v.settle()
        st.check(len(v.events('dispensation.granted')) == 3, 'a bad grant was recorded', v)

        # ---- hostile requests on the socket
        g = 'verb=grant\nuser=%s\nticket=T\nreason=R\n' % BOB
        for data, code, want in (
                (g + 'for=8h\nuntil=%d\n' % (time.time() + 60), 'usage', 'exactly one of'),
                (g + 'until=%d\n' % (time.time() - 10), 'usage', 'expiry is in the past'),
                (g + 'until=99999999999999999999\n', 'usage', 'seconds since the epoch'),
                (g + 'until=1e9\n', 'usage', 'seconds since the epoch'),
                (g + 'for=-8h\n', 'usage', 'a duration is'),
                (g + 'for=8h\nmode=block\n', 'usage', 'allow or read-only'),
                (g + 'for=8h\ndevice=\\x01\n', 'usage', 'VID:PID'),
                (g + 'for=8h\ngranted_by=root\n', 'usage', "grant takes no field 'granted_by'"),
                (g + 'for=8h\nuser=%s\n' % CAROL, 'usage', "field 'user' given twice"),
                ('verb=grant\nuser=nosuch-vakt-user\nticket=T\nreason=R\nfor=1h\n', 'not-found',
                 'there is no user'),
                ('verb=revoke\nid=../../etc/passwd\n', 'usage', 'not a dispensation id'),
                ('verb=revoke\nid=d-0000beef\n', 'not-found', 'no dispensation d-0000beef'),
                ('verb=dispensations\nuser=%s\n' % BOB, 'usage', 'takes no field')):
            rep = raw(v, data.encode())
            st.check(rep.startswith('status=error\ncode=%s\n' % code) and want in rep,
                     'reply to %r: %r' % (data, rep), v)
        v.settle()
        st.check(len(v.events('dispensation.granted')) == 3, 'a raw bad grant was recorded', v)

        # ---- who may revoke: not bob, not even his own
        _, err = ctl(v, ['revoke', did], BOB, expect=1)
        st.check('only root and members of admin_groups may revoke' in err, err, v)

        # ---- a restart keeps them: the stick is let in again by the same dispensation
        rc = v.stop()
        st.check(rc == 0, 'vaktd exit code %s' % rc)
        v = st.Vaktd(tb, text, env, state_dir=state)
        v.ready()
        v.wait_logind()
        r = v.wait_event('storage.allowed', stick, VAKT_DECISION='allow')
        st.check(r.get('VAKT_RULE') == rule, 'rule after restart %r' % r.get('VAKT_RULE'), v)
        st.check({d['id'] for d in ctl_json(v, ['dispensations'])['dispensations']} ==
                 {did, cid}, 'dispensations lost in the restart', v)

        # ---- revoke: blocked again, recorded with who revoked it
        n = len(v.records)
        out, _ = ctl(v, ['revoke', did], ALICE)
        st.check(out == 'Revoked %s.\n' % did, 'revoke output %r' % out, v)
        r = v.wait_event('dispensation.revoked', since=n, VAKT_DISPENSATION_ID=did)
        for k, val in {'VAKT_USER': ALICE, 'VAKT_UID': str(alice), 'VAKT_GRANTED_BY': ALICE,
                       'VAKT_TARGET_USER': BOB, 'VAKT_TICKET': 'HD-4711',
                       'VAKT_DISPENSATION_REASON': REASON}.items():
            st.check(r.get(k) == val, 'revoked: %s %r, expected %r' % (k, r.get(k), val), v)
        r = v.wait_event('storage.blocked', stick, since=n, VAKT_DECISION='block')
        st.check(r.get('VAKT_RULE', '').startswith('default '), 'rule %r' % r.get('VAKT_RULE'), v)
        st.check(tb.wait_attr(stick, 'authorized', '0'), 'revoked stick still authorised', v)
        _, err = ctl(v, ['revoke', did], expect=1)
        st.check('There is no dispensation ' + did in err, err, v)
        j = ctl_json(v, ['revoke', cid])
        st.check(j['id'] == cid, 'revoke --json %r' % j, v)
        out, _ = ctl(v, ['dispensations'], BOB)
        st.check('No dispensation for you.' in out, out, v)

        # ---- a short --for expires on time and blocks the stick again
        n = len(v.records)
        j = ctl_json(v, grant_args(BOB, '--for', '3s', '--device', '0951:1666:1C6F654E5A',
                                   ticket='HD-4800'))
        sid = j['id']
        v.wait_event('storage.allowed', stick, since=n, VAKT_DECISION='allow')
        r = v.wait_event('dispensation.expired', timeout=15, since=n,
                         VAKT_DISPENSATION_ID=sid)
        st.check(r.get('VAKT_GRANTED_BY') == 'root' and r.get('VAKT_TICKET') == 'HD-4800',
                 'expired %r' % r, v)
        v.wait_event('storage.blocked', stick, since=n, VAKT_DECISION='block')
        st.check(tb.wait_attr(stick, 'authorized', '0'), 'expired stick still authorised', v)
        st.check(ctl_json(v, ['dispensations']).get('dispensations', []) == [],
                 'an expired dispensation is still listed', v)
        rc = v.stop()
        st.check(rc == 0, 'vaktd exit code %s' % rc)

        # ---- storage part off: nothing to grant or revoke, and vaktctl says so
        v = st.Vaktd(tb, '[vakt]\nadmin_groups = %s\n' % ADM_GROUP + st.conf(mode='off'), env,
                     state_dir=state)
        v.ready()
        _, err = ctl(v, grant_args(BOB, '--for', '8h'), ALICE, expect=1)
        st.check('the storage part is off' in err, err, v)
        rep = raw(v, ('verb=revoke\nid=%s\n' % did).encode())
        st.check(rep.startswith('status=error\ncode=unavailable\n'), 'revoke when off %r' % rep, v)
        out, _ = ctl(v, ['dispensations'])
        st.check('The storage part is off' in out, out, v)
    finally:
        rc = v.stop() if v else rc
        if logind:
            logind.stop()
        if bus:
            bus.stop()
        accounts.remove()
        shutil.rmtree(state, ignore_errors=True)
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
