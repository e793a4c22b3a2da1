# Text sessions (a tty and an ssh session on real pseudo-terminals) against python3-dbusmock's
# logind: logind computes their idle time from the terminal and sends no signal when it changes,
# so vaktd reads the session again at the predicted moment (GetAll), writes a warning on the
# terminal half-way (text_sessions_after <= 60 s) and ends the session at text_sessions_after.
# A session whose terminal is used again (IdleSinceHint changed silently, as logind does) is
# neither warned nor ended at the old moments. Needs root (the mock's users).
import os
import pty
import time

import vaktlib as vl

CONF = """\
[storage]
mode = off

[idle]
lock_after = 10min
text_sessions_after = 4s

[audit]
mode = off
"""


def mono_usec(logind, offset=0.0):
    return logind.dbus.UInt64(int((time.monotonic() + offset) * 1e6))


def terminal(logind, sid, uid, user, tty, idle_for, remote_host=''):
    props = {'Class': 'user', 'Type': 'tty', 'TTY': tty,
             'Remote': logind.dbus.Boolean(bool(remote_host)), 'RemoteHost': remote_host,
             'IdleSinceHintMonotonic': mono_usec(logind, -idle_for)}
    logind.add_session(sid, '' if remote_host else 'seat0', uid, user, **props)


def read_available(fd):
    out = b''
    while True:
        try:
            chunk = os.read(fd, 4096)
        except (BlockingIOError, OSError):
            return out
        if not chunk:
            return out
        out += chunk


def run():
    bus = logind = v = None
    ptys = [pty.openpty() for _ in range(3)]
    for master, _ in ptys:
        os.set_blocking(master, False)
    names = [os.ttyname(slave)[len('/dev/'):] for _, slave in ptys]
    try:
        bus = vl.SystemBus()
        logind = vl.Logind(bus)
        logind.install_session_behaviour()
        v = vl.Vaktd(CONF, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        v.wait_logind()
        rule = 'text_sessions_after %s:%d' % (v.conf, vl.conf_line(CONF, 'text_sessions_after ='))

        t0 = time.monotonic()
        terminal(logind, 't1', 0, 'root', names[0], idle_for=0)
        terminal(logind, 's1', 0, 'root', names[1], idle_for=0, remote_host='192.0.2.7')
        terminal(logind, 'u1', 0, 'root', names[2], idle_for=0)

        # u1 is used again 1.5 s in: logind's IdleSinceHint moves, without any signal.
        time.sleep(1.5)
        logind.set_silently('u1', 'IdleSinceHintMonotonic', mono_usec(logind))
        t_used = time.monotonic()

        # Past the first warning moment (2 s), before u1's new one (3.5 s): t1 is warned, u1
        # is not.
        time.sleep(max(0.0, t0 + 2.8 - time.monotonic()))
        warned_t1 = read_available(ptys[0][0]).decode(errors='replace')
        vl.check('vakt: this session has not been used for a while' in warned_t1,
                 't1: no warning on its terminal by 2.8 s: %r' % warned_t1, v)
        vl.check(b'vakt:' not in read_available(ptys[2][0]), 'u1 warned at the old moment', v)

        r = v.wait_event('session.terminated', timeout=15, VAKT_SESSION='t1')
        took = time.monotonic() - t0
        vl.check(took >= 3.9, 't1 ended after %.2fs, before text_sessions_after' % took, v)
        vl.check(r.get('VAKT_RULE') == rule and r.get('VAKT_TTY') == names[0] and
                 r.get('VAKT_RESULT') == 'success', 't1 record %r' % r, v)
        r = v.wait_event('session.terminated', timeout=5, VAKT_SESSION='s1')
        vl.check(r.get('VAKT_REMOTE_HOST') == '192.0.2.7' and r.get('VAKT_TTY') == names[1],
                 's1 record %r' % r, v)
        vl.check("from '192.0.2.7'" in r.get('MESSAGE', ''), 's1 message %r' % r.get('MESSAGE'),
                 v)
        warned_s1 = read_available(ptys[1][0]).decode(errors='replace')
        vl.check('vakt: this session has not been used' in warned_s1,
                 's1: no warning on its terminal: %r' % warned_s1, v)

        # u1 was not ended at the old moment (4 s); its warning and end follow its last use.
        vl.check(not [x for x in v.records if x.get('VAKT_SESSION') == 'u1'],
                 'u1 ended at the old moment', v)
        v.wait_event('session.terminated', timeout=10, VAKT_SESSION='u1')
        vl.check(time.monotonic() - t_used >= 3.9, 'u1 ended too early', v)
        vl.check(b'vakt: this session' in read_available(ptys[2][0]), 'u1 never warned', v)

        # logind was asked again (GetAll) rather than trusted blindly, and ended each once.
        ends = [c for c in logind.call_log() if c[0] == 'TerminateSession']
        vl.check(sorted(ends) == [('TerminateSession', 's1'), ('TerminateSession', 't1'),
                                  ('TerminateSession', 'u1')], 'ends %r' % ends, v)
    finally:
        rc = v.stop() if v else 0
        if logind:
            logind.stop()
        if bus:
            bus.stop()
        for master, slave in ptys:
            os.close(master)
            os.close(slave)
    vl.check(rc == 0, 'vaktd exit code %s' % rc)


vl.main(run)
