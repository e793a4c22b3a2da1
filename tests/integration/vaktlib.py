# Shared helpers for the integration tests written in Python: the real vaktd with its records
# read from --log-target json, a private system bus with python3-dbusmock's logind template, and
# real local test accounts. Tests with USB devices use storage_testbed.py, which adds umockdev.
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
VAKTD = os.environ.get('VAKTD') or os.path.join(SRC, 'build', 'vaktd')


def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


class Vaktd:
    """The real vaktd, records from --log-target json. base_env: the environment it starts
    from (os.environ when None); extra_env is applied on top."""

    def __init__(self, conf_text, extra_env=None, base_env=None, args=(), dropins=None,
                 state_dir=None, prefix=()):
        """dropins: {NAME: text} written to vakt.conf.d/NAME before the start; state_dir: the
        --state-dir (default: a fresh one removed with the rest); prefix: argv run before vaktd
        (e.g. setpriv)."""
        self.dir = tempfile.mkdtemp(prefix='vakt-test.')
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, 'vakt.conf')
        self.write_conf(conf_text)
        for name, text in (dropins or {}).items():
            self.write_dropin(name, text)
        self.run_dir = os.path.join(self.dir, 'run')
        self.state_dir = state_dir or os.path.join(self.dir, 'state')
        env = dict(os.environ if base_env is None else base_env)
        # No logind unless a test provides one: nobody is at the seat.
        env.setdefault('DBUS_SYSTEM_BUS_ADDRESS', 'unix:path=%s/no-bus' % self.dir)
        env['ASAN_OPTIONS'] = 'verify_asan_link_order=0'
        env.update(extra_env or {})
        self.records = []
        self.q = queue.Queue()
        self.stderr = open(os.path.join(self.dir, 'stderr'), 'w+')
        self.proc = subprocess.Popen(
            list(prefix) + [VAKTD, '--config', self.conf, '--log-target', 'json',
                            '--runtime-dir', self.run_dir, '--state-dir', self.state_dir]
            + list(args),
            stdout=subprocess.PIPE, stderr=self.stderr, env=env)
        threading.Thread(target=self._reader, daemon=True).start()

    def write_conf(self, text):
        with open(self.conf, 'w') as f:
            f.write(text)
        os.chmod(self.conf, 0o644)

    def write_dropin(self, name, text):
        d = self.conf + '.d'
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        with open(os.path.join(d, name), 'w') as f:
            f.write(text)
        os.chmod(os.path.join(d, name), 0o644)

    def _reader(self):
        # run.sh collects every record of the suite for test-catalog-render.sh (VAKT_TEST_RECORDS).
        keep = None
        if os.environ.get('VAKT_TEST_RECORDS'):
            keep = open(os.path.join(os.environ['VAKT_TEST_RECORDS'], '%s.%d.json' % (
                os.path.basename(sys.argv[0]), os.getpid())), 'ab')
        for line in self.proc.stdout:
            if keep:
                keep.write(line)
                keep.flush()
            try:
                rec = json.loads(line)
            except ValueError:
                rec = {'MESSAGE': line.decode(errors='replace'), 'VAKT_EVENT': '?'}
            self.q.put(rec)

    def _drain(self, timeout):
        try:
            rec = self.q.get(timeout=timeout)
        except queue.Empty:
            return False
        self.records.append(rec)
        return True

    def wait(self, pred, timeout=5.0, what='record', since=0):
        """The first record satisfying pred among those from index since on (0: old ones too),
        else fail."""
        end = time.monotonic() + timeout
        seen = since
        while True:
            for rec in self.records[seen:]:
                if pred(rec):
                    return rec
            seen = len(self.records)
            left = end - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and self.q.empty()):
                self.dump()
                fail('no %s within %.1fs' % (what, timeout))
            self._drain(min(left, 0.2))

    def wait_event(self, event, syspath=None, timeout=5.0, since=0, **fields):
        def pred(r):
            if r.get('VAKT_EVENT') != event:
                return False
            if syspath and r.get('VAKT_DEVICE_SYSPATH') != syspath:
                return False
            return all(r.get(k) == v for k, v in fields.items())
        return self.wait(pred, timeout, '%s %s %s' % (event, syspath or '', fields), since)

    def settle(self, t=0.3):
        end = time.monotonic() + t
        while time.monotonic() < end:
            self._drain(0.05)

    def events(self, event):
        return [r for r in self.records if r.get('VAKT_EVENT') == event]

    def wait_logind(self, timeout=10.0):
        """Until vaktd's copy of logind's table is complete (it says so once per start)."""
        return self.wait(lambda r: r.get('MESSAGE', '').startswith('logind answers'), timeout,
                         'logind table')

    def ready(self):
        self.wait_event('policy.loaded', timeout=10)

    def dump(self):
        for r in self.records:
            print('  record:', json.dumps(r), file=sys.stderr)
        self.stderr.seek(0)
        print('  stderr:', self.stderr.read()[-3000:], file=sys.stderr)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


def check(cond, msg, vaktd=None):
    if not cond:
        if vaktd:
            vaktd.dump()
        fail(msg)


def main(fn):
    """Runs fn(), turning exceptions into a failure with vaktd's output."""
    if not os.access(VAKTD, os.X_OK):
        print('no vaktd at %s' % VAKTD, file=sys.stderr)
        sys.exit(77)
    fn()
    print('ok')
    sys.exit(0)


# ---- the person at the seat: logind through python3-dbusmock on a private system bus -----------

BUS_CONF = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={dir}/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""

LOGIN1 = 'org.freedesktop.login1'
LOGIN1_PATH = '/org/freedesktop/login1'
MOCK_IFACE = 'org.freedesktop.DBus.Mock'
SESSION_IFACE = 'org.freedesktop.login1.Session'
SEAT_IFACE = 'org.freedesktop.login1.Seat'


def _plain_env():
    """The environment without the umockdev preload: the bus and the mock are real programs."""
    env = dict(os.environ)
    for k in ('LD_PRELOAD', 'UMOCKDEV_DIR'):
        env.pop(k, None)
    return env


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_pid_gone(pid, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            if not _pid_alive(pid):
                return True
        time.sleep(0.02)
    return False


class SystemBus:
    """A private dbus-daemon of type system; stop() ends exactly the PID it started."""

    def __init__(self, start=True):
        if not shutil.which('dbus-daemon'):
            print('dbus-daemon is not installed', file=sys.stderr)
            sys.exit(77)
        self.dir = tempfile.mkdtemp(prefix='vakt-bus.')
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, 'bus.conf')
        with open(self.conf, 'w') as f:
            f.write(BUS_CONF.format(dir=self.dir))
        self.pid = None
        self.address = 'unix:path=%s/system_bus_socket' % self.dir
        if start:
            self.start()

    def start(self):
        """Starts the daemon (again, at the same address after kill())."""
        out = subprocess.run(
            ['dbus-daemon', '--config-file=' + self.conf, '--fork', '--print-pid=1',
             '--print-address=2', '--nopidfile'],
            env=_plain_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10,
            check=True)
        self.pid = int(out.stdout.split()[0])
        self.address = out.stderr.decode().splitlines()[0].strip().split(',')[0]

    def kill(self):
        """Ends the daemon (its clients see the connection drop); start() brings it back."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGCONT)
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if not _wait_pid_gone(self.pid):
                os.kill(self.pid, signal.SIGKILL)
            self.pid = None
        try:
            os.unlink(os.path.join(self.dir, 'system_bus_socket'))
        except FileNotFoundError:
            pass

    def stop(self):
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGCONT)
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if not _wait_pid_gone(self.pid):
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.pid = None
        shutil.rmtree(self.dir, ignore_errors=True)


class Logind:
    """python3-dbusmock's logind template on bus (a SystemBus), driven over dbus-python.

    The template's AddSession makes the new session the seat's ActiveSession (emitting
    PropertiesChanged) but emits no SessionNew; GetSeat answers a path even for a seat that does
    not exist. Tests set what they need with UpdateProperties.
    """

    def __init__(self, bus):
        try:
            import dbus
        except ImportError:
            print('python3-dbus is not installed', file=sys.stderr)
            sys.exit(77)
        self.dbus = dbus
        self.bus = bus
        env = _plain_env()
        env['DBUS_SYSTEM_BUS_ADDRESS'] = bus.address
        self.log = os.path.join(bus.dir, 'logind-calls.log')
        self.stderr = open(os.path.join(bus.dir, 'logind-stderr'), 'w+')
        self.proc = subprocess.Popen(
            ['/usr/bin/python3', '-m', 'dbusmock', '--system', '--template', 'logind',
             '-l', self.log], env=env, stdout=subprocess.DEVNULL, stderr=self.stderr)
        self.conn = dbus.bus.BusConnection(bus.address)
        end = time.monotonic() + 10
        while not self.conn.name_has_owner(LOGIN1):
            if time.monotonic() > end or self.proc.poll() is not None:
                self.stop()
                fail('logind mock did not start')
            time.sleep(0.05)

    def obj(self, path=LOGIN1_PATH):
        return self.conn.get_object(LOGIN1, path)

    def mock(self, path=LOGIN1_PATH):
        return self.dbus.Interface(self.obj(path), MOCK_IFACE)

    def add_seat(self, seat='seat0'):
        """A seat as real logind announces it: SeatNew after the object exists."""
        path = self.mock().AddSeat(seat)
        self.mock().EmitSignal('org.freedesktop.login1.Manager', 'SeatNew', 'so',
                               [seat, self.dbus.ObjectPath(path)])
        return path

    def has_object(self, path):
        try:
            self.obj(path).Introspect(dbus_interface='org.freedesktop.DBus.Introspectable')
        except self.dbus.exceptions.DBusException:
            return False
        return '<interface name="org.freedesktop.login1' in self.obj(path).Introspect(
            dbus_interface='org.freedesktop.DBus.Introspectable')

    def add_session(self, sid, seat, uid, user, active=True, **props):
        """A session as real logind announces it: SessionNew after the object exists. props
        (Class, Type, TTY, Remote, RemoteHost, Audit, IdleHint, ...) are set before."""
        seatless = not seat
        seat = seat or 'seat0'  # the template wants a seat: taken away again below
        seat_path = '%s/seat/%s' % (LOGIN1_PATH, seat)
        if not self.has_object(seat_path):
            self.add_seat(seat)
        before = self.obj(seat_path).Get(SEAT_IFACE, 'ActiveSession',
                                         dbus_interface=self.dbus.PROPERTIES_IFACE)
        path = self.mock().AddSession(sid, seat, self.dbus.UInt32(uid), user,
                                      active and not seatless)
        if props:
            self.update(path, SESSION_IFACE, props)
        if seatless:
            # A remote session: no seat, and not the seat's active session.
            self.dbus.Interface(self.obj(path), self.dbus.PROPERTIES_IFACE).Set(
                SESSION_IFACE, 'Seat', self.dbus.Struct(('', self.dbus.ObjectPath('/')),
                                                        signature='so'))
            self.dbus.Interface(self.obj(seat_path), self.dbus.PROPERTIES_IFACE).Set(
                SEAT_IFACE, 'ActiveSession', self.dbus.Struct(before, signature='so'))
        self.mock().EmitSignal('org.freedesktop.login1.Manager', 'SessionNew', 'so',
                               [sid, self.dbus.ObjectPath(path)])
        return path

    def remove_session(self, sid):
        """Logout: SessionRemoved, the object goes, and the seat has nobody active."""
        path = '%s/session/%s' % (LOGIN1_PATH, sid)
        seat = self.obj(path).Get(SESSION_IFACE, 'Seat',
                                  dbus_interface=self.dbus.PROPERTIES_IFACE)[0]
        self.mock().RemoveObject(path)
        self.mock().EmitSignal('org.freedesktop.login1.Manager', 'SessionRemoved', 'so',
                               [sid, self.dbus.ObjectPath(path)])
        if seat:
            self.set_active_session(seat, None)

    def update(self, path, iface, props):
        self.mock(path).UpdateProperties(iface, props)

    def set_locked(self, sid, locked):
        self.update('%s/session/%s' % (LOGIN1_PATH, sid), SESSION_IFACE,
                    {'LockedHint': self.dbus.Boolean(locked)})

    def set_active_session(self, seat, sid):
        """sid None: nobody active on the seat."""
        path = '%s/session/%s' % (LOGIN1_PATH, sid) if sid else '/'
        # Properties.Set: the template's UpdateProperties cannot wrap a struct (dbusmock 0.28).
        props = self.dbus.Interface(self.obj('%s/seat/%s' % (LOGIN1_PATH, seat)),
                                    self.dbus.PROPERTIES_IFACE)
        props.Set(SEAT_IFACE, 'ActiveSession',
                  self.dbus.Struct((sid or '', self.dbus.ObjectPath(path)), signature='so'))

    def calls(self, method):
        return self.mock().GetMethodCalls(method)

    def call_log(self, methods=('LockSession', 'TerminateSession', 'Inhibit')):
        """[(method, first argument)] of the Manager calls named in methods, in call order."""
        return [(str(m), str(a[0]) if len(a) else None)
                for _, m, a in self.mock().GetCalls() if m in methods]

    def session_path(self, sid):
        return '%s/session/%s' % (LOGIN1_PATH, sid)

    def install_session_behaviour(self):
        """LockSession and TerminateSession that act like logind and a desktop's locker, per
        session as set_lock_behaviour() says: 'lock' (the locker answers Lock with
        SetLockedHint(true): the default), 'ignore' (no locker), 'fail' (logind refuses).
        TerminateSession ends the session (SessionRemoved). SetSilently changes a session
        property without a signal, as logind's idle time of a terminal changes."""
        m = self.mock()
        m.AddMethod('', 'SetLockBehaviour', 'ss', '',
                    'self.lock_behaviour = getattr(self, "lock_behaviour", {}); '
                    'self.lock_behaviour[args[0]] = args[1]')
        m.AddMethod('', 'LockSession', 's', '',
                    'b = getattr(self, "lock_behaviour", {}).get(args[0], "lock")\n'
                    'if b == "fail":\n'
                    '    raise dbus.exceptions.DBusException("Access denied", '
                    'name="org.freedesktop.DBus.Error.AccessDenied")\n'
                    'if b == "lock":\n'
                    '    objects["/org/freedesktop/login1/session/" + args[0]].UpdateProperties('
                    '"org.freedesktop.login1.Session", {"LockedHint": dbus.Boolean(True)})')
        m.AddMethod('', 'TerminateSession', 's', '',
                    'p = "/org/freedesktop/login1/session/" + args[0]\n'
                    'self.RemoveObject(p)\n'
                    'self.EmitSignal("org.freedesktop.login1.Manager", "SessionRemoved", "so", '
                    '[args[0], dbus.ObjectPath(p)])')

    def set_lock_behaviour(self, sid, behaviour):
        self.dbus.Interface(self.obj(), 'org.freedesktop.login1.Manager').SetLockBehaviour(
            sid, behaviour)

    def set_silently(self, sid, name, value):
        """Changes property name of session sid without PropertiesChanged."""
        mock = self.mock(self.session_path(sid))
        try:
            mock.AddMethod('org.vakt.Test', 'SetSilently', 'sv', '',
                           'self.props["org.freedesktop.login1.Session"][args[0]] = args[1]')
        except self.dbus.exceptions.DBusException:
            pass
        self.dbus.Interface(self.obj(self.session_path(sid)), 'org.vakt.Test').SetSilently(
            name, value)

    def emit_manager_signal(self, name, signature, args):
        self.mock().EmitSignal('org.freedesktop.login1.Manager', name, signature, args)

    def inhibitors(self):
        """[(what, who, why, mode)] of the held inhibitors."""
        return [tuple(str(x) for x in i[:4]) for i in self.obj().ListInhibitors(
            dbus_interface='org.freedesktop.login1.Manager')]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


def _run_retry(cmd, tries=20):
    """useradd and friends fail while another process holds /etc/passwd's lock: try again."""
    for _ in range(tries):
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_plain_env())
        if r.returncode == 0 or b'lock' not in r.stdout:
            return r
        time.sleep(0.2)
    return r


class LocalAccounts:
    """Real local groups and users named vakt-test-*, removed again by remove()."""

    def __init__(self):
        if os.geteuid() != 0 or not shutil.which('useradd'):
            print('needs root and useradd to create test users', file=sys.stderr)
            sys.exit(77)
        self.users = []
        self.groups = []

    def group(self, name):
        _run_retry(['groupdel', name])
        r = _run_retry(['groupadd', name])
        if r.returncode != 0:
            fail('groupadd %s: %s' % (name, r.stdout.decode(errors='replace')))
        self.groups.append(name)

    def user(self, name, groups):
        """Creates name (no home, no login shell) in groups; returns its uid."""
        import pwd
        _run_retry(['userdel', name])
        r = _run_retry(['useradd', '--no-create-home', '--shell', '/usr/sbin/nologin',
                        '--user-group', '--groups', ','.join(groups), name])
        if r.returncode != 0:
            fail('useradd %s: %s' % (name, r.stdout.decode(errors='replace')))
        self.users.append(name)
        return pwd.getpwnam(name).pw_uid

    def remove(self):
        for u in self.users:
            _run_retry(['userdel', u])
            if subprocess.run(['getent', 'group', u], stdout=subprocess.DEVNULL).returncode == 0:
                _run_retry(['groupdel', u])
        for g in self.groups:
            _run_retry(['groupdel', g])
        self.users, self.groups = [], []


def conf_line(text, prefix):
    """1-based number of the first line of text starting with prefix."""
    for i, line in enumerate(text.splitlines()):
        if line.startswith(prefix):
            return i + 1
    fail('no line %r in the config' % prefix)


PERSON_FIELDS = ('VAKT_USER', 'VAKT_UID', 'VAKT_SESSION', 'VAKT_TTY', 'VAKT_REMOTE_HOST')
