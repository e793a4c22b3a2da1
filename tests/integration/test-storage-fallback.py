# An invalid policy at start leaves no door open: vaktd starts anyway and enforces the last valid
# policy it saved under --state-dir, or its built-in default when there is none or the copy is
# unusable, and says so (policy.invalid, STATUS=). --check-config stays strict.
#
# The built-in default runs the audit part with ensure_rules = yes: vaktd runs here without
# CAP_AUDIT_CONTROL (setpriv), so that it cannot load audit rules into this machine's kernel.
import hashlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

import storage_testbed as st

NO_AUDIT_CONTROL = ['setpriv', '--bounding-set', '-audit_control']
RULE = """
[storage.allow "saved-stick"]
vendor = 0951
product = 1666
serial = SAVEDOK
mode = allow
"""
GOOD = st.conf(default='block', rules=RULE)
RULE_LINE = GOOD.splitlines().index('[storage.allow "saved-stick"]') + 1
DEFAULT_LINE = GOOD.splitlines().index('default = block') + 1
BROKEN = '[storage]\nmode = sometimes\n'


class Notify:
    """A notify socket, as systemd's: the STATUS= vaktd reports last."""

    def __init__(self, d):
        self.path = os.path.join(d, 'notify')
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.status = None

    def ready_status(self, v, timeout=10.0):
        """STATUS= of the READY=1 message."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                m = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            lines = m.split('\n')
            if 'READY=1' in lines:
                for line in lines:
                    if line.startswith('STATUS='):
                        return line[len('STATUS='):]
        st.fail('no READY=1 with STATUS=')

    def close(self):
        self.sock.close()


class Bed:
    """One umockdev test bed for every run (umockdev keeps one per process): a root hub with
    its door open again and no device before each run, as after a boot."""

    def __init__(self):
        self.tb = st.Testbed()
        self.hub = self.tb.add_root_hub()
        self.param = os.path.join(self.tb.sys, 'module', 'usbcore', 'parameters')
        os.makedirs(self.param, exist_ok=True)
        self.devices = []
        self.port = 0

    def boot(self):
        for d in self.devices:
            self.tb.remove(d)
        self.devices = []
        for attr in ('authorized_default', 'interface_authorized_default'):
            with open(self.tb.path(self.hub, attr), 'w') as f:
                f.write('1')
        # usbcore's parameter: the door of controllers added later.
        with open(os.path.join(self.param, 'authorized_default'), 'w') as f:
            f.write('1')
        return self.tb, self.hub

    def stick(self, serial):
        self.port += 1
        d = self.tb.add_device('stick', self.hub, '1-%d' % self.port, serial=serial)
        self.devices.append(d)
        return d


def usbcore_param(bed):
    with open(os.path.join(bed.param, 'authorized_default')) as f:
        return f.read().strip()


def builtin_default_when_nothing_was_saved(bed, work):
    tb, hub = bed.boot()
    notify = Notify(work)
    state = os.path.join(work, 'state-empty')
    v = st.Vaktd(tb, GOOD, extra_env={'NOTIFY_SOCKET': notify.path},
                 dropins={'50-broken.conf': BROKEN}, state_dir=state, prefix=NO_AUDIT_CONTROL)
    try:
        r = v.wait_event('policy.invalid', timeout=10)
        st.check(r.get('VAKT_POLICY_IN_FORCE') == 'built-in', 'policy in force: %s' % r, v)
        st.check(r.get('VAKT_CONFIG_ERRORS', '').startswith(v.conf + '.d/50-broken.conf:2: '),
                 'FILE:LINE of the problem', v)
        st.check('built-in default' in r.get('MESSAGE', '') and
                 'blocks all USB storage' in r.get('MESSAGE', ''), 'message', v)
        st.check('VAKT_SAVED_POLICY_ERRORS' not in r, 'no saved copy, no copy errors', v)
        r = v.wait_event('policy.loaded', VAKT_POLICY_IN_FORCE='built-in', timeout=10)
        st.check('storage' in r.get('VAKT_PARTS', ''), 'storage part runs', v)
        st.check(r.get('VAKT_POLICY_DIGEST') == hashlib.sha256(b'').hexdigest(),
                 'built-in default digest %s' % r, v)
        status = notify.ready_status(v)
        st.check('INVALID' in status and 'built-in default' in status, 'STATUS=%s' % status, v)

        st.check(tb.attr(hub, 'authorized_default') == '0', 'door open', v)
        st.check(tb.attr(hub, 'interface_authorized_default') == '0', 'interface door open', v)
        st.check(usbcore_param(bed) == '0', 'controllers added later are not born closed', v)
        stick = bed.stick('SAVEDOK')
        r = v.wait_event('storage.blocked', stick)
        st.check('built-in default' in r.get('VAKT_RULE', ''), 'rule %s' % r, v)
        v.settle(0.3)
        st.check(tb.attr(stick, 'authorized') == '0', 'stick authorised', v)
        st.check(not os.path.lexists(os.path.join(state, 'policy')), 'invalid policy saved', v)
    finally:
        rc = v.stop()
        notify.close()
    st.check(rc == 0, 'exit code %s after SIGTERM' % rc)


def policy_digest(files):
    """VAKT_POLICY_DIGEST as vaktd(8) defines it: label NUL length NUL content, per file."""
    h = hashlib.sha256()
    for label, text in files:
        data = text.encode()
        h.update(label.encode() + b'\0' + str(len(data)).encode() + b'\0' + data)
    return h.hexdigest()


def copy_of(state, rel):
    with open(os.path.join(state, 'policy', rel)) as f:
        return f.read()


def saved_policy_runs(bed, work):
    state = os.path.join(work, 'state')
    os.makedirs(state, mode=0o700)
    # What an interrupted save leaves behind: removed at the next save.
    os.makedirs(os.path.join(state, 'policy.junk01'))
    open(os.path.join(state, 'policy.junk01', 'vakt.conf'), 'w').close()

    tb, hub = bed.boot()
    v = st.Vaktd(tb, GOOD, dropins={'10-ok.conf': '[vakt]\nadmin_groups = sudo\n'},
                 state_dir=state)
    try:
        v.ready()
        # The digest of the files read (vaktd(8), VAKT_POLICY_DIGEST), computed here independently.
        first = v.wait_event('policy.loaded', VAKT_POLICY_IN_FORCE='config', timeout=10)
        digest = policy_digest([('vakt.conf', GOOD), ('10-ok.conf', '[vakt]\nadmin_groups = sudo\n')])
        st.check(first.get('VAKT_POLICY_DIGEST') == digest, 'digest %s, want %s' % (first, digest), v)
        st.check(copy_of(state, 'vakt.conf') == GOOD, 'copy of the main file differs', v)
        st.check(copy_of(state, 'vakt.conf.d/10-ok.conf').startswith('[vakt]'), 'drop-in', v)
        mode = stat.S_IMODE(os.stat(os.path.join(state, 'policy', 'vakt.conf')).st_mode)
        st.check(mode == 0o600, 'copy mode %o' % mode, v)
        st.check(os.path.islink(os.path.join(state, 'policy')), 'policy is no symlink', v)
        st.check(not os.path.exists(os.path.join(state, 'policy.junk01')), 'leftover kept', v)
    finally:
        st.check(v.stop() == 0, 'first run exit code')

    tb, hub = bed.boot()
    v = st.Vaktd(tb, GOOD, dropins={'50-broken.conf': BROKEN}, state_dir=state)
    copy = os.path.join(state, 'policy', 'vakt.conf')
    try:
        r = v.wait_event('policy.invalid', timeout=10)
        st.check(r.get('VAKT_POLICY_IN_FORCE') == 'saved', 'policy in force: %s' % r, v)
        st.check(copy in r.get('MESSAGE', ''), 'message names the copy', v)
        r = v.wait_event('policy.loaded', VAKT_POLICY_IN_FORCE='saved', timeout=10)
        st.check(r.get('VAKT_CONFIG_FILES', '').startswith(copy), 'files %s' % r, v)
        st.check(r.get('VAKT_POLICY_DIGEST') == digest, 'the saved copy has the digest of the '
                 'files it copies: %s' % r, v)
        st.check(tb.attr(hub, 'authorized_default') == '0', 'door open', v)

        # A rule of the saved policy still decides, and the record says where it is written.
        ok = bed.stick('SAVEDOK')
        r = v.wait_event('storage.allowed', ok)
        st.check(r.get('VAKT_RULE') == 'saved-stick %s:%d' % (copy, RULE_LINE), 'rule %s' % r, v)
        st.check(tb.wait_attr(ok, 'authorized', '1'), 'allowed stick not authorised', v)
        other = bed.stick('OTHER')
        r = v.wait_event('storage.blocked', other)
        st.check(r.get('VAKT_RULE') == 'default %s:%d' % (copy, DEFAULT_LINE), 'rule %s' % r, v)

        # Still broken: refused, the saved policy stays, the copy is unchanged.
        n = len(v.events('policy.invalid'))
        v.proc.send_signal(signal.SIGHUP)
        v.wait(lambda rec: rec.get('VAKT_EVENT') == 'policy.invalid' and
               rec.get('VAKT_POLICY_IN_FORCE') == 'previous', what='refused reload', since=0)
        st.check(len(v.events('policy.invalid')) == n + 1, 'one record per refusal', v)
        st.check(copy_of(state, 'vakt.conf') == GOOD, 'copy changed by a refused reload', v)

        # Fixed: the policy from --config runs again and is saved.
        os.unlink(v.conf + '.d/50-broken.conf')
        v.write_conf(GOOD.replace('default = block', 'default = read-only'))
        v.proc.send_signal(signal.SIGHUP)
        v.wait_event('policy.loaded', VAKT_POLICY_IN_FORCE='config', timeout=10)
        v.settle(0.3)
        st.check('default = read-only' in copy_of(state, 'vakt.conf'), 'reload not saved', v)
        copies = [n for n in os.listdir(state) if n.startswith('policy.')]
        st.check(len(copies) == 1, 'old copies left: %s' % copies, v)
        st.check(not os.path.exists(os.path.join(state, 'policy', 'vakt.conf.d')),
                 'a drop-in of the old policy was kept', v)
    finally:
        st.check(v.stop() == 0, 'second run exit code')
    return state


def corrupt_copy_is_reported(bed, work, state):
    copy = os.path.join(state, 'policy', 'vakt.conf')
    corruptions = [
        ('garbage', lambda: open(copy, 'wb').write(b'\x00\xff[storage\nmode = \x01\n'),
         copy + ':1: '),
        ('writable by others', lambda: os.chmod(copy, 0o666), 'writable by group or others'),
        ('copy gone', lambda: shutil.rmtree(os.path.realpath(os.path.join(state, 'policy'))),
         'cannot open'),
    ]
    for name, corrupt, expect in corruptions:
        corrupt()
        tb, hub = bed.boot()
        v = st.Vaktd(tb, GOOD, dropins={'50-broken.conf': BROKEN}, state_dir=state,
                     prefix=NO_AUDIT_CONTROL)
        try:
            r = v.wait_event('policy.invalid', timeout=10)
            st.check(r.get('VAKT_POLICY_IN_FORCE') == 'built-in', '%s: %s' % (name, r), v)
            st.check(expect in r.get('VAKT_SAVED_POLICY_ERRORS', ''), '%s: %s' % (name, r), v)
            st.check('unusable' in r.get('MESSAGE', ''), '%s: message' % name, v)
            v.wait_event('policy.loaded', VAKT_POLICY_IN_FORCE='built-in', timeout=10)
            stick = bed.stick('SAVEDOK')
            v.wait_event('storage.blocked', stick)
            st.check(tb.attr(hub, 'authorized_default') == '0', '%s: door open' % name, v)
        finally:
            rc = v.stop()
        st.check(rc == 0, '%s: exit code %s' % (name, rc))
        if name == 'garbage':
            with open(copy, 'w') as f:
                f.write(GOOD)
            os.chmod(copy, 0o600)


def check_config_stays_strict(work, state):
    d = os.path.join(work, 'etc')
    os.makedirs(d + '/vakt.conf.d')
    with open(d + '/vakt.conf', 'w') as f:
        f.write(GOOD)
    with open(d + '/vakt.conf.d/50-broken.conf', 'w') as f:
        f.write(BROKEN)
    for p in (d + '/vakt.conf', d + '/vakt.conf.d/50-broken.conf'):
        os.chmod(p, 0o644)
    env = {k: v for k, v in os.environ.items() if k not in ('LD_PRELOAD', 'UMOCKDEV_DIR')}
    p = subprocess.run([st.vaktlib.VAKTD, '--check-config', '--config', d + '/vakt.conf',
                        '--state-dir', state], env=env, capture_output=True, text=True)
    st.check(p.returncode == 1, '--check-config exit %d' % p.returncode)
    st.check(p.stderr.startswith(d + '/vakt.conf.d/50-broken.conf:2: '), p.stderr)


def run():
    if not shutil.which('setpriv'):
        print('setpriv (util-linux) is not installed')
        raise SystemExit(77)
    work = tempfile.mkdtemp(prefix='vakt-fallback.')
    os.chmod(work, 0o755)
    try:
        bed = Bed()
        builtin_default_when_nothing_was_saved(bed, work)
        state = saved_policy_runs(bed, work)
        corrupt_copy_is_reported(bed, work, state)
        check_config_stays_strict(work, state)
    finally:
        shutil.rmtree(work, ignore_errors=True)


st.main(run)
