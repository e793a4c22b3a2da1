# The idle part against python3-dbusmock's logind on a private system bus, with the real vaktd:
# graphical sessions are locked at IdleSinceHint + lock_after, the lock is verified by
# LockedHint, a session that does not lock is asked once more and then ended, a LockSession that
# logind refuses is escalated too; greeter, background and exempt sessions are never touched, a
# session removed mid-timer is forgotten, IdleHint flapping counts from the last idle period, and
# observe mode only records. Asserts the D-Bus calls vaktd made and their order. Needs root
# (test users and groups for exempt_groups).
import time

import vaktlib as vl

KIOSK = 'vakt-test-ikiosk'
ALICE, BOB = 'vakt-test-ialice', 'vakt-test-ibob'

CONF = """\
[storage]
mode = off

[idle]
mode = {mode}
lock_after = 2s
grace = 1s
on_lock_failure = {failure}
text_sessions_after = 0
exempt_groups = {exempt}

[audit]
mode = off
"""


def mono_usec(logind, offset=0.0):
    """CLOCK_MONOTONIC (vaktd's clock and logind's IdleSinceHintMonotonic) offset seconds from
    now, in microseconds."""
    return logind.dbus.UInt64(int((time.monotonic() + offset) * 1e6))


def graphical(logind, sid, uid, user, idle_for=0.0, cls='user', typ='x11'):
    """A desktop session of user, idle since idle_for seconds ago (0: not idle)."""
    props = {'Class': cls, 'Type': typ, 'IdleHint': logind.dbus.Boolean(idle_for > 0)}
    if idle_for > 0:
        props['IdleSinceHintMonotonic'] = mono_usec(logind, -idle_for)
    logind.add_session(sid, 'seat0', uid, user, **props)


def locks(logind, sid):
    return [c for c in logind.call_log() if c == ('LockSession', sid)]


def run():
    accounts = vl.LocalAccounts()
    bus = logind = v = None
    try:
        accounts.group(KIOSK)
        alice = accounts.user(ALICE, [])
        bob = accounts.user(BOB, [KIOSK])
        bus = vl.SystemBus()
        logind = vl.Logind(bus)
        logind.install_session_behaviour()
        logind.set_lock_behaviour('c2', 'ignore')
        logind.set_lock_behaviour('c3', 'fail')

        text = CONF.format(mode='enforce', failure='terminate', exempt=KIOSK)
        v = vl.Vaktd(text, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        v.wait_logind()
        rule = lambda key: '%s %s:%d' % (key, v.conf, vl.conf_line(text, key + ' ='))

        # c1 locks when asked: one LockSession, then session.locked, verified.
        graphical(logind, 'c1', alice, ALICE, idle_for=0.5)
        r = v.wait_event('session.locked', timeout=10, VAKT_SESSION='c1')
        vl.check(r.get('VAKT_DECISION') == 'lock' and r.get('VAKT_RESULT') == 'success',
                 'c1 record %r' % r, v)
        vl.check(r.get('VAKT_USER') == ALICE and r.get('VAKT_UID') == str(alice), 'who %r' % r, v)
        vl.check(r.get('VAKT_RULE') == rule('lock_after'), 'rule %r' % r.get('VAKT_RULE'), v)
        vl.check(r.get('VAKT_SEAT') == 'seat0' and r.get('VAKT_SESSION_TYPE') == 'x11',
                 'where %r' % r, v)
        vl.check(int(r.get('VAKT_IDLE_SEC', '0')) >= 2, 'idle %r' % r.get('VAKT_IDLE_SEC'), v)
        vl.check(len(locks(logind, 'c1')) == 1, 'c1 locked %d times' % len(locks(logind, 'c1')),
                 v)

        # c2 has no locker: asked twice (grace apart), then lock_failed, then ended.
        graphical(logind, 'c2', alice, ALICE, idle_for=2.0)
        r = v.wait_event('session.lock_failed', timeout=10, VAKT_SESSION='c2')
        vl.check(r.get('VAKT_DECISION') == 'terminate', 'c2 decision %r' % r, v)
        vl.check(r.get('VAKT_RULE') == rule('on_lock_failure'), 'rule %r' % r.get('VAKT_RULE'),
                 v)
        vl.check('LockedHint was not set' in r.get('VAKT_REASON', ''), 'reason %r' % r, v)
        r = v.wait_event('session.terminated', timeout=5, VAKT_SESSION='c2')
        vl.check(r.get('VAKT_RESULT') == 'success', 'c2 terminated %r' % r, v)
        c2 = [c for c in logind.call_log() if c[1] == 'c2']
        vl.check(c2 == [('LockSession', 'c2'), ('LockSession', 'c2'), ('TerminateSession', 'c2')],
                 'calls for c2: %r' % c2, v)

        # c3: logind refuses LockSession: no waiting for grace, the refusal is the reason.
        graphical(logind, 'c3', alice, ALICE, idle_for=2.0)
        r = v.wait_event('session.lock_failed', timeout=10, VAKT_SESSION='c3')
        vl.check('Access denied' in r.get('VAKT_REASON', ''), 'reason %r' % r, v)
        v.wait_event('session.terminated', timeout=5, VAKT_SESSION='c3')

        # Never touched: the login screen, a background session, an exempt user.
        graphical(logind, 'g1', alice, ALICE, idle_for=10, cls='greeter')
        graphical(logind, 'b1', alice, ALICE, idle_for=10, cls='background')
        graphical(logind, 'k1', bob, BOB, idle_for=10)
        # Removed mid-timer: forgotten.
        graphical(logind, 'r1', alice, ALICE, idle_for=1.0)
        logind.remove_session('r1')
        # IdleHint flapping: counts from the last idle period only.
        graphical(logind, 'f1', alice, ALICE, idle_for=1.5)
        logind.update(logind.session_path('f1'), vl.SESSION_IFACE,
                      {'IdleHint': logind.dbus.Boolean(False)})
        t_flap = time.monotonic()
        logind.update(logind.session_path('f1'), vl.SESSION_IFACE,
                      {'IdleHint': logind.dbus.Boolean(True),
                       'IdleSinceHintMonotonic': mono_usec(logind)})
        r = v.wait_event('session.locked', timeout=10, VAKT_SESSION='f1')
        vl.check(time.monotonic() - t_flap >= 1.9, 'f1 locked %.2fs after its last idle start'
                 % (time.monotonic() - t_flap), v)
        v.settle(1.0)
        for sid in ('g1', 'b1', 'k1', 'r1'):
            vl.check(not [c for c in logind.call_log() if c[1] == sid],
                     'vaktd acted on %s: %r' % (sid, logind.call_log()), v)
            vl.check(not [x for x in v.records if x.get('VAKT_SESSION') == sid],
                     'a record for %s' % sid, v)
        vl.check(v.stop() == 0, 'vaktd exit code')

        # Observe: recorded, nothing asked of logind.
        n_calls = len(logind.call_log())
        text = CONF.format(mode='observe', failure='terminate', exempt=KIOSK)
        v = vl.Vaktd(text, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        v.wait_logind()
        graphical(logind, 'o1', alice, ALICE, idle_for=2.0)
        r = v.wait_event('session.locked', timeout=10, VAKT_SESSION='o1')
        vl.check(r.get('VAKT_RESULT') == 'observe' and r.get('VAKT_MODE') == 'observe',
                 'observe record %r' % r, v)
        vl.check(r.get('MESSAGE', '').startswith('Observe mode, nothing changed'),
                 'observe message %r' % r.get('MESSAGE'), v)
        # Nothing was locked, so the reason must not say that logind confirmed a lock.
        vl.check(r.get('VAKT_REASON') ==
                 'the session was idle for lock_after (observe mode: not locked)',
                 'observe reason %r' % r.get('VAKT_REASON'), v)
        v.settle(3.0)
        vl.check(len(logind.call_log()) == n_calls, 'observe mode called logind: %r'
                 % logind.call_log()[n_calls:], v)
        vl.check(len(v.events('session.locked')) == 1 and not v.events('session.lock_failed'),
                 'observe escalated', v)
    finally:
        rc = v.stop() if v else 0
        if logind:
            logind.stop()
        if bus:
            bus.stop()
        accounts.remove()
    vl.check(rc == 0, 'vaktd exit code %s' % rc)


vl.main(run)
