# vaktctl against the real vaktd (umockdev USB devices, dbusmock logind, real local accounts):
# every verb in human and --json form, who may see what (setpriv with real non-root uids, a
# member of admin_groups and a plain user), `vaktctl rule` output that the config loader takes
# and that then lets the stick in, hostile clients (garbage, oversize, silent, too many) that
# leave vaktd answering, and exit code 2 once vaktd is gone. Needs root (useradd).
import json
import os
import signal
import socket
import subprocess
import time

import storage_testbed as st
import vaktlib

ADM_GROUP = 'vakt-test-cadm'
ALICE, BOB, CAROL = 'vakt-test-calice', 'vakt-test-cbob', 'vakt-test-ccarol'
BUILD = os.environ.get('BUILD') or os.path.join(st.SRC, 'build')
VAKTCTL = os.path.join(BUILD, 'vaktctl')


def ctl(v, args, user=None, expect=0):
    """Runs vaktctl with args as user (name; None = root, with --clear-groups otherwise)."""
    sock = os.path.join(v.run_dir, 'control')
    cmd = [VAKTCTL, '--socket', sock] + list(args)
    if user:
        cmd = ['setpriv', '--reuid', user, '--regid', user, '--clear-groups'] + cmd
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


def raw(path, data):
    """Sends data as one packet, returns the whole reply."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    s.send(data)
    out = b''
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return out.decode()


def run():
    accounts = st.LocalAccounts()
    bus = logind = v = None
    try:
        accounts.group(ADM_GROUP)
        alice = accounts.user(ALICE, [ADM_GROUP])
        bob = accounts.user(BOB, [])
        carol = accounts.user(CAROL, [])
        bus = st.SystemBus()
        logind = st.Logind(bus)
        logind.add_seat('seat0')
        logind.add_session('c1', 'seat0', bob, BOB)
        logind.add_session('c2', '', alice, ALICE, Type='tty', TTY='pts/3',
                           Remote=True, RemoteHost='10.0.0.9')

        text = '[vakt]\nadmin_groups = %s\n' % ADM_GROUP + st.conf(default='block')
        tb = st.Testbed()
        hub = tb.add_root_hub()
        v = st.Vaktd(tb, text, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        v.wait_logind()
        # admin_groups is a real setting now: no "has no effect" warning.
        v.stderr.seek(0)
        st.check('admin_groups has no effect' not in v.stderr.read(), 'admin_groups warned', v)
        stick = tb.add_device('stick', hub, '1-1')
        v.wait_event('storage.blocked', stick)
        kbd = tb.add_device('keyboard', hub, '1-2')
        st.check(tb.wait_attr(kbd, 'authorized', '1'), 'keyboard not authorised', v)
        default_place = '%s:%d' % (v.conf, st.conf_line(text, 'default ='))

        # ---- status
        out, _ = ctl(v, ['status'])
        for want in ('vaktd 0.1', 'storage enforce', 'idle off', 'audit off', v.conf,
                     'usb1 closed'):
            st.check(want in out, 'status lacks %r:\n%s' % (want, out), v)
        j = ctl_json(v, ['status'])
        st.check(j['version'] == '0.1' and j['pid'] == v.proc.pid, 'status json %r' % j, v)
        st.check(j['policy_files'] == [v.conf] and j['policy_origin'] == 'config', repr(j), v)
        st.check({(p['name'], p['mode'], p['running']) for p in j['parts']} ==
                 {('storage', 'enforce', True), ('idle', 'off', False),
                  ('audit', 'off', False)}, 'parts %r' % j['parts'], v)
        st.check(j['controllers'] == [{'name': 'usb1', 'door': 'closed'}],
                 'controllers %r' % j.get('controllers'), v)
        st.check(j['n_devices'] == 2 and j['n_sessions'] == 2 and j['admin'] is True, repr(j),
                 v)
        # Anyone may ask for the daemon's health.
        j = ctl_json(v, ['status'], CAROL)
        st.check(j['admin'] is False and j['version'] == '0.1', repr(j), v)

        # ---- devices
        out, _ = ctl(v, ['devices'])
        st.check('0951:1666' in out and default_place in out and 'DataTraveler 3.0' in out,
                 'devices:\n' + out, v)
        j = ctl_json(v, ['devices'])
        devs = {d['sysname']: d for d in j['devices']}
        st.check(set(devs) == {'1-1', '1-2'}, 'devices %r' % devs, v)
        d = devs['1-1']
        st.check(d['decision'] == 'block' and d['enforced'] == 'block' and
                 d['rule'] == 'default' and d['place'] == default_place and
                 d['user'] == BOB and d['serial'] == '1C6F654E5A' and d['storage'] is True,
                 'stick %r' % d, v)
        st.check(devs['1-2']['rule'] == 'non-storage' and devs['1-2']['decision'] == 'allow',
                 'keyboard %r' % devs['1-2'], v)
        # bob is at the seat: both were decided for him. carol sees none; alice is an admin.
        st.check({d['sysname'] for d in ctl_json(v, ['devices'], BOB)['devices']} ==
                 {'1-1', '1-2'}, 'bob devices', v)
        j = ctl_json(v, ['devices'], CAROL)
        st.check(j.get('devices', []) == [] and j['scope'] == 'own', 'carol sees %r' % j, v)
        out, _ = ctl(v, ['devices'], CAROL)
        st.check('No USB device decided for you' in out, out, v)
        st.check(len(ctl_json(v, ['devices'], ALICE)['devices']) == 2, 'alice devices', v)

        # ---- sessions
        out, _ = ctl(v, ['sessions'])
        st.check(BOB in out and ALICE in out and 'pts/3' in out, 'sessions:\n' + out, v)
        j = ctl_json(v, ['sessions'])
        ss = {s['id']: s for s in j['sessions']}
        st.check(set(ss) == {'c1', 'c2'}, repr(ss), v)
        st.check(ss['c1']['user'] == BOB and ss['c1']['uid'] == bob and
                 ss['c1']['seat'] == 'seat0' and ss['c1']['locked'] is False, repr(ss['c1']), v)
        st.check(ss['c2']['tty'] == 'pts/3' and ss['c2']['remote_host'] == '10.0.0.9',
                 repr(ss['c2']), v)
        st.check([s['id'] for s in ctl_json(v, ['sessions'], BOB)['sessions']] == ['c1'],
                 'bob sees another session', v)
        st.check(ctl_json(v, ['sessions'], CAROL).get('sessions', []) == [],
                 'carol sees sessions', v)
        st.check({s['id'] for s in ctl_json(v, ['sessions'], ALICE)['sessions']} ==
                 {'c1', 'c2'}, 'alice (admin) does not see all sessions', v)
        logind.set_locked('c1', True)
        end = time.monotonic() + 5
        while ctl_json(v, ['sessions'], BOB)['sessions'][0]['locked'] is not True:
            st.check(time.monotonic() < end, 'locked state never shown', v)
            time.sleep(0.1)
        logind.set_locked('c1', False)

        # ---- explain
        for spec in ('1-1', stick, '0951:1666', '0951:1666:1C6F654E5A'):
            j = ctl_json(v, ['explain', spec])
            st.check(j['syspath'] == stick and j['decision'] == 'block' and
                     j['rule'] == 'default' and j['user'] == BOB, 'explain %s %r' % (spec, j),
                     v)
        steps = [(s['name'], s['applies'], s['decided']) for s in j['steps']]
        st.check(steps == [('harmless_classes', False, False), ('non-storage', False, False),
                           ('while_locked', False, False), ('rule', False, False),
                           ('read_write_groups', False, False),
                           ('read_only_groups', False, False), ('default', True, True),
                           ('dispensation', False, False)],
                 'steps %r' % steps, v)
        out, _ = ctl(v, ['explain', '1-1'])
        st.check('> default' in out and 'Decision: block by default' in out, out, v)
        j = ctl_json(v, ['explain', '1-1', '--user', ALICE])
        st.check(j['user'] == ALICE and j['for'] == 'asked', repr(j), v)
        # A plain user: their own devices, not another person's, and never "for" someone else.
        ctl(v, ['explain', '1-1'], BOB)
        _, err = ctl(v, ['explain', '1-1'], CAROL, expect=1)
        st.check('no present USB device 1-1' in err, err, v)
        _, err = ctl(v, ['explain', '1-1', '--user', CAROL], BOB, expect=1)
        st.check('only root and members of admin_groups' in err, err, v)
        _, err = ctl(v, ['explain', '9-9'], expect=1)
        st.check('no present USB device 9-9' in err, err, v)
        ctl(v, ['explain'], expect=1)

        # ---- rule: its snippet is a valid drop-in, and with it the stick is allowed.
        out, _ = ctl(v, ['rule', '1-1'])
        st.check('[storage.allow "usb-0951-1666-1C6F654E5A"]' in out and
                 'serial = 1C6F654E5A' in out and 'mode = allow' in out, 'rule:\n' + out, v)
        j = ctl_json(v, ['rule', '0951:1666'])
        st.check(j['snippet'] == out, 'rule --json %r' % j, v)
        v.write_dropin('50-stick.conf', out)
        r = subprocess.run([vaktlib.VAKTD, '--check-config', '--config', v.conf],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        st.check(r.returncode == 0 and b'2 files read' in r.stdout,
                 'the snippet is not a valid drop-in: %r' % r.stdout, v)
        v.proc.send_signal(signal.SIGHUP)
        v.wait_event('storage.allowed', stick, VAKT_RULE='usb-0951-1666-1C6F654E5A %s:2'
                     % (v.conf + '.d/50-stick.conf'))
        j = ctl_json(v, ['explain', '1-1'])
        st.check(j['rule'] == 'usb-0951-1666-1C6F654E5A' and j['decision'] == 'allow', repr(j), v)

        # ---- usage
        ctl(v, ['--help'])
        ctl(v, ['nonsense'], expect=1)
        ctl(v, ['status', 'extra'], expect=1)
        ctl(v, ['devices', '--bogus'], expect=1)

        # ---- hostile clients
        sock = os.path.join(v.run_dir, 'control')
        for data, want in ((b'garbage', 'bad request: line 1'),
                           (b'verb=explain\ndevice=1-1\ndevice=1-2\n', 'given twice'),
                           (b'verb=status\nverb=status\n', 'takes no field'),
                           (b'verb=reboot\n', 'unknown verb'),
                           (b'verb=explain\n', 'needs a non-empty'),
                           (b'verb=status\nx=\\q\n', 'unknown escape'),
                           (b'verb=status\nx=\xff\n', 'not valid UTF-8'),
                           (b'verb=status\n' + b'a' * 5000 + b'\n', 'too large')):
            rep = raw(sock, data)
            st.check(rep.startswith('status=error\n') and want in rep,
                     'reply to %r: %r' % (data[:40], rep), v)
        # Silent clients, more than the cap: the one beyond it is told "busy"; once they are
        # dropped (timeout), vaktd answers again.
        silent = []
        for _ in range(40):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(sock)
            silent.append(s)
        busy = 0
        for s in silent[32:]:
            s.settimeout(5)
            if b'busy' in s.recv(4096):
                busy += 1
        st.check(busy > 0, 'no client was told busy', v)
        for s in silent[:32]:
            s.settimeout(20)
            st.check(s.recv(4096) == b'', 'a silent client was not dropped', v)
            s.close()
        ctl(v, ['status'])

        # ---- vaktd gone: exit 2
        v.proc.send_signal(signal.SIGTERM)
        v.proc.wait(10)
        _, err = ctl(v, ['status'], expect=2)
        st.check('cannot reach vaktd' in err, err, v)
        _, err = ctl(v, ['devices', '--json'], BOB, expect=2)
    finally:
        if v:
            v.stop()
        if logind:
            logind.stop()
        if bus:
            bus.stop()
        accounts.remove()


st.main(run)
