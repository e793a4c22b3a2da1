# notify_user: the person at the seat is told, as that person. A real dbus-daemon session bus runs
# as a test user at RUNTIME_ROOT/UID/bus (vaktd is pointed there with the test-only
# VAKTD_TEST_USER_RUNTIME_ROOT), with python3-dbusmock's notification_daemon on it. A blocked
# stick at that user's graphical session sends Notify with the expected text; the bus admits only
# that user (root is refused: shown below), so the call came with their uid. A second stick within
# the rate limit sends nothing; without a notification service or without a bus the records are
# written all the same; a text session gets one line on its terminal (a pty this test owns), and a
# terminal the person may not write gets nothing (the line is written as them). [idle]: a locked
# session is told so, one that could not be locked that it will be ended, and notify_user = no
# tells nobody. Needs root (useradd, setpriv).
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import storage_testbed as st
import vaktlib

ALICE, BOB, GROUP = 'vakt-test-nalice', 'vakt-test-nbob', 'vakt-test-ngrp'
CONTACT = 'the help desk, ext. 4242'
CLAUSE = 'IT security policy \u00a74.2, portable media'
NOTIFY = 'org.freedesktop.Notifications'

SESSION_BUS_CONF = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="{user}"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

# Run as the bus's user: the mock's Notify calls as JSON, or whether the service is there.
QUERY = """
import dbus, json, sys
b = dbus.bus.BusConnection(sys.argv[1])
if sys.argv[2] == 'owner':
    print(json.dumps(bool(b.name_has_owner('%s')))); sys.exit(0)
m = dbus.Interface(b.get_object('%s', '/org/freedesktop/Notifications'),
                   'org.freedesktop.DBus.Mock')
print(json.dumps([[str(a) if not isinstance(a, (dbus.Array, dbus.Dictionary)) else None
                   for a in c[1]] for c in m.GetMethodCalls('Notify')]))
""" % (NOTIFY, NOTIFY)


def as_user(user):
    pw = pwd.getpwnam(user)
    return ['setpriv', '--reuid=%d' % pw.pw_uid, '--regid=%d' % pw.pw_gid, '--init-groups',
            '--reset-env']


class SessionBus:
    """A dbus-daemon of type session run as user, listening at root/UID/bus."""

    def __init__(self, root, user):
        pw = pwd.getpwnam(user)
        self.user = user
        self.dir = os.path.join(root, str(pw.pw_uid))
        os.makedirs(self.dir, exist_ok=True)
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self.socket = os.path.join(self.dir, 'bus')
        self.address = 'unix:path=' + self.socket
        self.conf = os.path.join(root, 'bus-%s.conf' % user)
        with open(self.conf, 'w') as f:
            f.write(SESSION_BUS_CONF.format(socket=self.socket, user=user))
        os.chmod(self.conf, 0o644)
        out = subprocess.run(as_user(user) + ['dbus-daemon', '--config-file=' + self.conf,
                                              '--fork', '--print-pid=1', '--nopidfile'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10,
                             check=True)
        self.pid = int(out.stdout.split()[0])
        self.mock = None

    def start_notifications(self):
        self.log = os.path.join(self.dir, 'notify.log')
        env = {'DBUS_SESSION_BUS_ADDRESS': self.address, 'PATH': '/usr/bin:/bin'}
        self.mock = subprocess.Popen(
            as_user(self.user) + ['env', 'DBUS_SESSION_BUS_ADDRESS=' + self.address,
                                  '/usr/bin/python3', '-m', 'dbusmock', '--template',
                                  'notification_daemon'],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 15
        while not self.query('owner'):
            if time.monotonic() > end or self.mock.poll() is not None:
                st.fail('notification_daemon mock did not start')
            time.sleep(0.1)

    def stop_notifications(self):
        if self.mock:
            self.mock.terminate()
            self.mock.wait(timeout=10)
            self.mock = None

    def query(self, what):
        out = subprocess.run(as_user(self.user) + ['/usr/bin/python3', '-c', QUERY,
                                                   self.address, what],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        if out.returncode != 0:
            st.fail('query as %s failed: %s' % (self.user, out.stderr.decode(errors='replace')))
        return json.loads(out.stdout)

    def notifications(self):
        return self.query('calls')

    def wait_notifications(self, n, v, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            calls = self.notifications()
            if len(calls) >= n:
                return calls
            time.sleep(0.1)
        st.check(False, 'expected %d notification(s), got %r' % (n, self.notifications()), v)

    def stop(self):
        self.stop_notifications()
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            vaktlib._wait_pid_gone(self.pid)
            self.pid = None


def children(pid):
    """The processes whose parent is pid, as (pid, state)."""
    out = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append((int(d), fields[0]))
    return out


def root_refused(address):
    """Whether the bus refuses root: then whoever's Notify arrived, it was not root's."""
    import dbus
    try:
        dbus.bus.BusConnection(address)
    except dbus.exceptions.DBusException:
        return True
    return False


def switch(v, logind, sid, uid, user, **props):
    """sid becomes the seat's active session; returns once vaktd has re-decided the present
    devices for it (a change of person is recorded, and tells nobody)."""
    n = len(v.records)
    logind.add_session(sid, 'seat0', uid, user, **props)
    v.wait_event('storage.blocked', since=n, VAKT_SESSION=sid)


IDLE_CONF = """\
[vakt]
contact = {contact}
[storage]
mode = off
[idle]
mode = enforce
policy_reference = IT security policy \u00a75.1, unattended equipment
lock_after = 2s
grace = 1s
on_lock_failure = terminate
text_sessions_after = 0
notify_user = {notify}
[audit]
mode = off
"""


def idle_phase(sbus, alice):
    """[idle] notify_user: a locked session is told so; one that cannot be locked is told it
    will be ended; notify_user = no tells nobody."""
    bus = logind = v = None
    try:
        sbus.start_notifications()
        bus = st.SystemBus()
        logind = st.Logind(bus)
        logind.install_session_behaviour()
        logind.set_lock_behaviour('i2', 'ignore')
        v = vaktlib.Vaktd(IDLE_CONF.format(contact=CONTACT, notify='yes'),
                          {'DBUS_SYSTEM_BUS_ADDRESS': bus.address,
                           'VAKTD_TEST_USER_RUNTIME_ROOT': os.path.dirname(sbus.dir)})
        v.ready()
        v.wait_logind()
        since = lambda off: logind.dbus.UInt64(int((time.monotonic() - off) * 1e6))
        logind.add_session('i1', 'seat0', alice, ALICE, Type='wayland', Class='user',
                           IdleHint=logind.dbus.Boolean(True), IdleSinceHintMonotonic=since(0.5))
        v.wait_event('session.locked', timeout=10, VAKT_SESSION='i1')
        calls = sbus.wait_notifications(1, v)
        st.check(calls[0][3] == 'Your session was locked', 'summary %r' % calls[0][3], v)
        want = ('Your session was locked because it was left unattended, as the security '
                'policy requires (IT security policy \u00a75.1, unattended equipment). '
                'Questions: contact %s.' % CONTACT)
        st.check(calls[0][4] == want, 'body %r' % calls[0][4], v)

        logind.add_session('i2', 'seat0', alice, ALICE, Type='x11', Class='user',
                           IdleHint=logind.dbus.Boolean(True), IdleSinceHintMonotonic=since(0.5))
        v.wait_event('session.lock_failed', timeout=15, VAKT_SESSION='i2')
        v.wait_event('session.terminated', timeout=10, VAKT_SESSION='i2')
        calls = sbus.wait_notifications(2, v)
        st.check(calls[1][3] == 'Your session will be ended', 'summary %r' % calls[1][3], v)
        st.check('could not be locked: it will be ended' in calls[1][4], 'body %r' % calls[1][4],
                 v)
        rc = v.stop()
        v = None
        st.check(rc == 0, 'idle vaktd exit code %s' % rc)

        # notify_user = no: locked, recorded, nobody told.
        v = vaktlib.Vaktd(IDLE_CONF.format(contact=CONTACT, notify='no'),
                          {'DBUS_SYSTEM_BUS_ADDRESS': bus.address,
                           'VAKTD_TEST_USER_RUNTIME_ROOT': os.path.dirname(sbus.dir)})
        v.ready()
        v.wait_logind()
        logind.add_session('i3', 'seat0', alice, ALICE, Type='wayland', Class='user',
                           IdleHint=logind.dbus.Boolean(True), IdleSinceHintMonotonic=since(0.5))
        v.wait_event('session.locked', timeout=10, VAKT_SESSION='i3')
        v.settle(1.5)
        st.check(len(sbus.notifications()) == 2,
                 'notify_user = no told someone: %r' % sbus.notifications(), v)
    finally:
        rc = v.stop() if v else 0
        sbus.stop_notifications()
        if logind:
            logind.stop()
        if bus:
            bus.stop()
    st.check(rc == 0, 'idle vaktd exit code %s' % rc)


def run():
    if not shutil.which('setpriv'):
        print('setpriv is not installed', file=sys.stderr)
        raise SystemExit(77)
    accounts = st.LocalAccounts()
    bus = logind = v = sbus = None
    root = tempfile.mkdtemp(prefix='vakt-userrun.')
    os.chmod(root, 0o755)
    master = slave = -1
    try:
        accounts.group(GROUP)
        alice = accounts.user(ALICE, [GROUP])
        bob = accounts.user(BOB, [GROUP])
        sbus = SessionBus(root, ALICE)
        sbus.start_notifications()
        st.check(root_refused(sbus.address), 'the session bus lets root in: it proves nothing')

        bus = st.SystemBus()
        logind = st.Logind(bus)
        logind.add_seat('seat0')
        logind.add_session('c1', 'seat0', alice, ALICE, Type='wayland')

        text = ('[vakt]\ncontact = %s\n' % CONTACT) + st.conf(default='block').replace(
            '[storage]\n', '[storage]\npolicy_reference = %s\n' % CLAUSE)
        tb = st.Testbed()
        hub = tb.add_root_hub()
        v = st.Vaktd(tb, text, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address,
                                'VAKTD_TEST_USER_RUNTIME_ROOT': root})
        v.ready()
        v.wait_logind()

        # A blocked stick at alice's desktop: Notify on her bus, with her uid.
        dev = tb.add_device('stick', hub, '1-1')
        r = v.wait_event('storage.blocked', dev, VAKT_DECISION='block')
        st.check(r.get('VAKT_USER') == ALICE, 'record user %r' % r.get('VAKT_USER'), v)
        calls = sbus.wait_notifications(1, v)
        app, replaces, icon, summary, body = calls[0][:5]
        st.check(app == 'vakt' and replaces == '0', 'app %r replaces %r' % (app, replaces), v)
        st.check(summary == 'USB storage device blocked', 'summary %r' % summary, v)
        want = ("USB storage device 'DataTraveler 3.0' was blocked, as the security policy "
                "requires (%s). To ask for a dispensation, contact %s." % (CLAUSE, CONTACT))
        st.check(r.get('VAKT_POLICY_REF') == CLAUSE, 'record clause %r' % r.get('VAKT_POLICY_REF'),
                 v)
        st.check(body == want, 'body %r, expected %r' % (body, want), v)

        # A second blocked stick within the rate limit: recorded, nobody told again.
        dev2 = tb.add_device('stick', hub, '1-2', serial='SECOND')
        v.wait_event('storage.blocked', dev2, VAKT_DECISION='block')
        v.settle(1.5)
        st.check(len(sbus.notifications()) == 1,
                 'rate limit: %d notifications' % len(sbus.notifications()), v)

        # No notification service on the bus: the record is written, no error.
        sbus.stop_notifications()
        switch(v, logind, 'c2', alice, ALICE, Type='x11')
        dev3 = tb.add_device('stick', hub, '1-3', serial='THIRD')
        r = v.wait_event('storage.blocked', dev3, VAKT_DECISION='block')
        st.check(r.get('VAKT_SESSION') == 'c2', 'session %r' % r.get('VAKT_SESSION'), v)
        # No session bus at all (bob has no runtime directory): the same.
        switch(v, logind, 'c3', bob, BOB, Type='wayland')
        dev4 = tb.add_device('stick', hub, '1-4', serial='FOURTH')
        r = v.wait_event('storage.blocked', dev4, VAKT_DECISION='block')
        st.check(r.get('VAKT_USER') == BOB, 'user %r' % r.get('VAKT_USER'), v)

        # A text session: one line on its terminal, a pty this test owns (slave given to bob).
        master, slave = os.openpty()
        tty = os.ttyname(slave)
        os.chown(tty, bob, -1)
        os.chmod(tty, 0o620)
        switch(v, logind, 'c4', bob, BOB, Type='tty', TTY=tty[len('/dev/'):])
        dev5 = tb.add_device('stick', hub, '1-5', serial='FIFTH')
        v.wait_event('storage.blocked', dev5, VAKT_DECISION='block')
        got = b''
        end = time.monotonic() + 10
        os.set_blocking(master, False)
        while b'***\r\n' not in got[5:] and time.monotonic() < end:
            try:
                got += os.read(master, 4096)
            except BlockingIOError:
                time.sleep(0.05)
        line = got.decode(errors='replace')
        st.check("*** vakt: USB storage device 'DataTraveler 3.0' was blocked" in line and
                 CONTACT in line and CLAUSE in line, 'terminal got %r' % line, v)

        # The terminal is written as bob: one that is root's and 0600 gets nothing.
        os.close(master)
        os.close(slave)
        master, slave = os.openpty()
        tty = os.ttyname(slave)
        os.chown(tty, 0, 0)
        os.chmod(tty, 0o600)
        switch(v, logind, 'c5', bob, BOB, Type='tty', TTY=tty[len('/dev/'):])
        dev6 = tb.add_device('stick', hub, '1-6', serial='SIXTH')
        v.wait_event('storage.blocked', dev6, VAKT_DECISION='block')
        v.settle(1.5)
        os.set_blocking(master, False)
        try:
            leaked = os.read(master, 4096)
        except BlockingIOError:
            leaked = b''
        st.check(leaked == b'', 'root\'s terminal was written: %r' % leaked, v)

        # Every child that told someone has ended and was reaped: no zombie, nothing left.
        end = time.monotonic() + 10
        while children(v.proc.pid) and time.monotonic() < end:
            time.sleep(0.1)
        st.check(children(v.proc.pid) == [], 'vaktd children left: %r' % children(v.proc.pid), v)

        # None of this was an error for vaktd.
        v.settle(0.5)
        errors = [x for x in v.records if x.get('PRIORITY') in ('0', '1', '2', '3')]
        st.check(not errors, 'error records: %r' % errors, v)
        st.check(all(x.get('VAKT_RESULT') in (None, 'success')
                     for x in v.events('storage.blocked')), 'a blocked record failed', v)
        rc = v.stop()
        v = None
        st.check(rc == 0, 'vaktd exit code %s' % rc)

        idle_phase(sbus, alice)
    finally:
        rc = v.stop() if v else 0
        for fd in (master, slave):
            if fd >= 0:
                os.close(fd)
        if sbus:
            sbus.stop()
        if logind:
            logind.stop()
        if bus:
            bus.stop()
        accounts.remove()
        shutil.rmtree(root, ignore_errors=True)
    st.check(rc == 0, 'vaktd exit code %s' % rc)


import sys  # noqa: E402

st.main(run)
