# The idle part and logind coming and going, against python3-dbusmock's logind: vaktd holds a
# "delay" sleep inhibitor, locks every graphical session on PrepareForSleep(true) and releases
# the inhibitor once they report locked, takes it again on resume; a restarted logind (a new
# owner of org.freedesktop.login1) is read again and its idle sessions are locked; with
# on_lock_failure = log a session that does not lock is only recorded, never ended. Asserts the
# D-Bus calls and their order. Needs root (the mock's users).
import os
import signal
import time

import vaktlib as vl

CONF = """\
[storage]
mode = off

[idle]
lock_after = 2s
grace = 1s
on_lock_failure = log
text_sessions_after = 0

[audit]
mode = off
"""


def mono_usec(logind, offset=0.0):
    return logind.dbus.UInt64(int((time.monotonic() + offset) * 1e6))


def desktop(logind, sid, idle_for=0.0):
    props = {'Class': 'user', 'Type': 'wayland', 'IdleHint': logind.dbus.Boolean(idle_for > 0)}
    if idle_for > 0:
        props['IdleSinceHintMonotonic'] = mono_usec(logind, -idle_for)
    logind.add_session(sid, 'seat0', 0, 'root', **props)


def vaktd_inhibitors(logind):
    return [i for i in logind.inhibitors() if i[1] == 'vaktd']


def wait_for(pred, timeout, what, v):
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            v.dump()
            vl.fail('%s (waited %.0fs)' % (what, timeout))
        time.sleep(0.05)


def run():
    bus = logind = v = None
    try:
        bus = vl.SystemBus()
        logind = vl.Logind(bus)
        logind.install_session_behaviour()
        v = vl.Vaktd(CONF, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        v.wait_logind()

        # The delay inhibitor is held from the start, as (sleep, vaktd, ..., delay).
        wait_for(lambda: vaktd_inhibitors(logind), 5, 'no sleep inhibitor from vaktd', v)
        what, _, _, mode = vaktd_inhibitors(logind)[0]
        vl.check(what == 'sleep' and mode == 'delay', 'inhibitor %r' % (vaktd_inhibitors(logind),),
                 v)

        # Before sleep: a busy (not idle) desktop is locked too, then the inhibitor goes.
        desktop(logind, 'd1')
        time.sleep(0.3)
        logind.emit_manager_signal('PrepareForSleep', 'b', [logind.dbus.Boolean(True)])
        r = v.wait_event('session.locked', timeout=5, VAKT_SESSION='d1')
        vl.check('sleep' in r.get('MESSAGE', ''), 'sleep lock message %r' % r.get('MESSAGE'), v)
        wait_for(lambda: not vaktd_inhibitors(logind), 5, 'inhibitor kept after the locks', v)
        vl.check(logind.call_log(('LockSession',)) == [('LockSession', 'd1')],
                 'locks before sleep %r' % logind.call_log(), v)
        logind.emit_manager_signal('PrepareForSleep', 'b', [logind.dbus.Boolean(False)])
        wait_for(lambda: vaktd_inhibitors(logind), 5, 'no inhibitor after resume', v)

        # on_lock_failure = log: asked twice, recorded, not ended.
        logind.set_lock_behaviour('n1', 'ignore')
        desktop(logind, 'n1', idle_for=2.0)
        r = v.wait_event('session.lock_failed', timeout=10, VAKT_SESSION='n1')
        vl.check(r.get('VAKT_DECISION') == 'log', 'n1 decision %r' % r, v)
        v.settle(1.5)
        n1 = [c for c in logind.call_log() if c[1] == 'n1']
        vl.check(n1 == [('LockSession', 'n1'), ('LockSession', 'n1')], 'calls for n1 %r' % n1, v)
        vl.check(not v.events('session.terminated'), 'n1 was ended', v)

        # logind restarts: the new one is read again, its idle session locked.
        logind.stop()
        logind = vl.Logind(bus)
        logind.install_session_behaviour()
        desktop(logind, 'e1', idle_for=2.5)
        r = v.wait_event('session.locked', timeout=15, VAKT_SESSION='e1')
        vl.check(logind.call_log(('LockSession',)) == [('LockSession', 'e1')],
                 'calls after restart %r' % logind.call_log(), v)
        wait_for(lambda: vaktd_inhibitors(logind), 5, 'no inhibitor from the new logind', v)

        # A stopped bus daemon: vaktd keeps running and exits at once when asked.
        os.kill(bus.pid, signal.SIGSTOP)
        time.sleep(1.0)
        vl.check(v.proc.poll() is None, 'vaktd died with a stopped bus', v)
        start = time.monotonic()
        rc = v.stop()
        v = None
        os.kill(bus.pid, signal.SIGCONT)
        vl.check(rc == 0 and time.monotonic() - start < 5,
                 'stop with a stopped bus: exit %s after %.1fs' % (rc, time.monotonic() - start))
    finally:
        rc = v.stop() if v else 0
        if logind:
            logind.stop()
        if bus:
            bus.stop()
    vl.check(rc == 0, 'vaktd exit code %s' % rc)


vl.main(run)
