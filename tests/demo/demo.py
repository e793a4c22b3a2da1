# make demo: the real vaktd (and vaktctl, when built) on a simulated workstation, narrated.
#
# Nothing on this host is touched: USB devices are umockdev's (a private sysfs and udev; vaktd
# runs under umockdev's preload, so its writes to `authorized` land in that tree), logind is
# python3-dbusmock's template on a private D-Bus system bus, the terminals are pseudo-terminals
# this script owns, the audit part is off in the live daemon (no kernel audit rule is loaded, no
# audit socket opened) and privileged activity is shown by replaying a real captured audit log,
# and every record goes to this script (--log-target json), never to the host's journal. All
# files live in one temporary directory, removed at the end with every process started here.
#
# Usage: python3 tests/demo/demo.py [--quick]   (make demo installs what it needs, then runs it)
import json
import os
import pty
import shutil
import subprocess
import sys
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, 'tests', 'integration'))
os.environ.setdefault('VAKTD', os.path.join(SRC, 'build', 'vaktd'))

import storage_testbed as st  # noqa: E402  (re-executes this script under umockdev-wrapper)

VAKTCTL = os.environ.get('VAKTCTL', os.path.join(SRC, 'build', 'vaktctl'))
QUICK = '--quick' in sys.argv
AUDIT_LOGS = ['sudo-id.log', 'sudo-wrong3.log', 'account.log', 'watch-write.log']

CONF = """\
# The demo's policy: the shipped defaults, with short idle times so that the demo ends within
# a minute.
[storage]
mode = enforce
default = block
while_locked = block

[storage.allow "approved-stick"]
# The council's approved encrypted stick, serial by serial (IT security policy 4.2).
vendor = 0951
product = 1666
serial = 1C6F654E5A
mode = allow

[idle]
mode = enforce
lock_after = 6s
grace = 3s
on_lock_failure = terminate
text_sessions_after = 12s

[audit]
mode = off
"""

BOLD = '\033[1m' if sys.stdout.isatty() else ''
DIM = '\033[2m' if sys.stdout.isatty() else ''
OFF = '\033[0m' if sys.stdout.isatty() else ''
T0 = time.monotonic()


def say(text):
    print('\n%s[%4.1fs] %s%s' % (BOLD, time.monotonic() - T0, text, OFF), flush=True)


def show(r, fields=('VAKT_DECISION', 'VAKT_USER', 'VAKT_SEAT', 'VAKT_RULE', 'VAKT_REASON',
                    'VAKT_COMMAND', 'VAKT_TARGET_USER', 'VAKT_FILE', 'VAKT_RESULT')):
    print('  %-20s %s' % (r.get('VAKT_EVENT', '?'), r.get('MESSAGE', '')), flush=True)
    for k in fields:
        if r.get(k):
            print('  %s%22s=%s%s' % (DIM, k, r[k], OFF))


def vaktctl(v, *args):
    """Runs the real vaktctl against this demo's daemon, when it has been built."""
    if not os.access(VAKTCTL, os.X_OK):
        return
    cmd = [VAKTCTL, '--socket', os.path.join(v.run_dir, 'control')] + list(args)
    print('  %s$ vaktctl %s%s' % (DIM, ' '.join(args), OFF), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    print(textwrap.indent((p.stdout + p.stderr).rstrip(), '    '), flush=True)


def mono_usec(logind, offset=0.0):
    return logind.dbus.UInt64(int((time.monotonic() + offset) * 1e6))


def wait_show(v, event, syspath=None, timeout=10.0, **fields):
    r = v.wait_event(event, syspath, timeout=timeout, **fields)
    show(r)
    return r


def storage_scenes(tb, hub, v):
    say('A keyboard is plugged in: a harmless function, allowed at once.')
    kbd = tb.add_device('keyboard', hub, '1-1')
    # Harmless devices are not storage events: one plain line in the journal.
    r = v.wait(lambda r: ' at 1-1 ' in r.get('MESSAGE', ''), 10, 'keyboard line')
    print('  %s' % r['MESSAGE'])
    tb.add_interfaces('keyboard', kbd)

    say('An unknown USB stick: blocked, before any driver saw it. The record says why.')
    stick = tb.add_device('stick', hub, '1-2', serial='UNKNOWN0001')
    wait_show(v, 'storage.blocked', stick)
    print('  %sauthorized=%s in sysfs: the kernel never binds a driver to it.%s'
          % (DIM, tb.attr(stick, 'authorized'), OFF))

    say('The council\'s approved stick (vendor, product and serial in a named rule): allowed.')
    good = tb.add_device('stick', hub, '1-3')
    wait_show(v, 'storage.allowed', good)
    tb.add_interfaces('stick', good)

    say('A keyboard with a built-in card reader: the keyboard works, the card reader does not.')
    comp = tb.add_device('composite', hub, '1-4')
    wait_show(v, 'storage.blocked', comp)
    for intf in tb.add_interfaces('composite', comp):
        if tb.attr(intf, 'bInterfaceClass') == '03':
            tb.wait_attr(intf, 'authorized', '1')
        else:
            v.settle(0.3)
        print('  %s%s (class %s): authorized=%s%s' % (DIM, os.path.basename(intf),
              tb.attr(intf, 'bInterfaceClass'), tb.attr(intf, 'authorized'), OFF))
    vaktctl(v, 'devices')
    vaktctl(v, 'explain', os.path.basename(stick))
    return stick


def idle_scenes(tb, hub, logind, v, ptys):
    say('alice leaves her desk: her desktop session has been idle for 4 s; vaktd locks it at '
        'lock_after (6 s).')
    logind.update(logind.session_path('c1'), 'org.freedesktop.login1.Session',
                  {'IdleHint': logind.dbus.Boolean(True),
                   'IdleSinceHintMonotonic': mono_usec(logind, -4)})
    wait_show(v, 'session.locked', timeout=15)
    vaktctl(v, 'sessions')

    say('carol\'s desktop on seat1 has no working screen locker: vaktd asks logind to lock it, '
        'sees no LockedHint within grace (3 s), asks once more, then ends the session '
        '(on_lock_failure = terminate).')
    logind.update(logind.session_path('c2'), 'org.freedesktop.login1.Session',
                  {'IdleHint': logind.dbus.Boolean(True),
                   'IdleSinceHintMonotonic': mono_usec(logind, -5)})
    wait_show(v, 'session.lock_failed', timeout=15, VAKT_SESSION='c2')
    wait_show(v, 'session.terminated', timeout=15, VAKT_SESSION='c2')

    say('While alice\'s screen is locked, someone plugs in her approved stick: while_locked '
        'blocks it.')
    stick = tb.add_device('stick', hub, '1-5')
    wait_show(v, 'storage.blocked', stick)

    say('bob\'s ssh session sits idle on its terminal: vaktd warns on the terminal, then ends it '
        'at text_sessions_after (12 s).')
    master = ptys[0][0]
    r = v.wait_event('session.terminated', timeout=20, VAKT_SESSION='s1')
    os.set_blocking(master, False)
    try:
        seen = os.read(master, 4096).decode(errors='replace').strip()
    except OSError:
        seen = ''
    if seen:
        print('  %sbob\'s terminal showed: %s%s' % (DIM, seen.splitlines()[0], OFF))
    show(r)


def audit_scenes(v):
    say('Privileged activity: real kernel audit records captured on a Debian 12 machine, '
        'replayed through vaktd (the same classifier as live; no kernel audit rule is touched).')
    for name in AUDIT_LOGS:
        path = os.path.join(SRC, 'tests', 'data', 'audit', name)
        p = subprocess.run([os.environ['VAKTD'], '--replay-audit', path, '--config', v.conf,
                            '--log-target', 'json'], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, LD_PRELOAD=''))
        records = [json.loads(line) for line in p.stdout.splitlines() if line.startswith('{')]
        print('  %s%s: %d record(s)%s' % (DIM, name, len(records), OFF))
        for r in records[:4]:
            show(r)


def run():
    for tool in ('dbus-daemon',):
        if not shutil.which(tool):
            print('demo: %s is missing: run `make demo` (it installs what the demo needs)' % tool)
            return 77
    say('vakt demo: a simulated workstation (umockdev USB bus, logind on a private D-Bus). '
        'Nothing on this host changes.')
    ptys = [pty.openpty()]
    bob_tty = os.ttyname(ptys[0][1])[len('/dev/'):]
    bus = logind = v = None
    try:
        bus = st.SystemBus()
        logind = st.Logind(bus)
        logind.install_session_behaviour()
        logind.add_seat('seat0')
        logind.add_session('c1', 'seat0', 1000, 'alice', Class='user', Type='x11',
                           IdleHint=logind.dbus.Boolean(False))
        logind.add_seat('seat1')
        logind.add_session('c2', 'seat1', 1002, 'carol', Class='user', Type='wayland',
                           IdleHint=logind.dbus.Boolean(False))
        logind.set_lock_behaviour('c2', 'ignore')
        tb = st.Testbed()
        hub = tb.add_root_hub()
        v = st.Vaktd(tb, CONF, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        v.wait_logind()
        show(v.wait_event('policy.loaded', timeout=5), fields=('VAKT_PARTS',))
        logind.add_session('s1', '', 1001, 'bob', Class='user', Type='tty', TTY=bob_tty,
                           Remote=logind.dbus.Boolean(True), RemoteHost='192.0.2.7',
                           IdleSinceHintMonotonic=mono_usec(logind))
        print('  %salice (uid 1000) is at seat0 and carol (uid 1002) at seat1 in desktop '
              'sessions; bob (uid 1001) is logged in over ssh from 192.0.2.7.%s' % (DIM, OFF))
        vaktctl(v, 'status')
        storage_scenes(tb, hub, v)
        if not QUICK:
            idle_scenes(tb, hub, logind, v, ptys)
        audit_scenes(v)
        say('That was the real vaktd. Every record above is what `journalctl -u vaktd` shows on a '
            'workstation; see README.md for the help-desk view and the man pages.')
    finally:
        rc = v.stop() if v else 0
        if logind:
            logind.stop()
        if bus:
            bus.stop()
        for fds in ptys:
            for fd in fds:
                os.close(fd)
    say('Done: vaktd stopped (exit %s), the private D-Bus and the mock logind ended, the '
        'temporary files removed.' % rc)
    return 0 if rc == 0 else 1


if __name__ == '__main__':
    sys.exit(run())
