# Without a usable logind vaktd still decides every device at once, as for nobody, and says in
# VAKT_REASON that it cannot know who is at the seat (never "nobody is logged in"): no system bus
# at all (the socket is missing), a bus whose daemon is stopped (SIGSTOP: connect succeeds,
# nothing ever answers), and a logind that hangs in ListSessions. A decision reads vaktd's copy
# of logind's table (daemon/logind.c) and never waits for the bus.
import os
import signal
import time

import storage_testbed as st

# Not a speed target: the bugs this guards against stalled each decision for 25 s or more.
LIMIT = 10.0


def decide_nobody(v, tb, hub, port, what, slowest=LIMIT):
    start = time.monotonic()
    dev = tb.add_device('stick', hub, port)
    r = v.wait_event('storage.blocked', dev, timeout=30, VAKT_DECISION='block')
    took = time.monotonic() - start
    st.check(took < slowest, '%s: decision took %.1fs' % (what, took), v)
    st.check(r.get('VAKT_SEAT') == 'seat0', '%s: VAKT_SEAT %r' % (what, r.get('VAKT_SEAT')), v)
    for k in st.PERSON_FIELDS:
        st.check(k not in r, '%s: %s present for nobody' % (what, k), v)
    st.check(r.get('VAKT_RULE', '').startswith('default '), '%s: rule %r' % (what,
             r.get('VAKT_RULE')), v)
    st.check('unknown (logind cannot be reached)' in r.get('VAKT_REASON', ''),
             '%s: reason %r' % (what, r.get('VAKT_REASON')), v)
    st.check('nobody' not in r.get('MESSAGE', ''), '%s: message %r' % (what, r.get('MESSAGE')),
             v)
    print('%s: blocked, person unknown, after %.2fs' % (what, took))
    tb.remove(dev)
    v.wait_event('storage.removed', dev)
    return took


def run():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    text = st.conf(default='block', while_locked='policy', rw='root')
    bus = logind = v = None
    try:
        # No bus: DBUS_SYSTEM_BUS_ADDRESS names a socket that does not exist (Vaktd's default).
        v = st.Vaktd(tb, text)
        v.ready()
        decide_nobody(v, tb, hub, '1-1', 'no bus')
        decide_nobody(v, tb, hub, '1-2', 'no bus, again')
        st.check(v.stop() == 0, 'vaktd exit code')

        # A logind that never answers ListSessions (busy in the mock's only thread for 20 s).
        bus = st.SystemBus()
        logind = st.Logind(bus)
        logind.add_session('c1', 'seat0', 0, 'root')
        logind.mock().AddMethod('org.freedesktop.login1.Manager', 'ListSessions', '',
                                'a(susso)', 'import time; time.sleep(20); ret = []')
        v = st.Vaktd(tb, text, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        decide_nobody(v, tb, hub, '1-3', 'hung logind')
        decide_nobody(v, tb, hub, '1-4', 'hung logind, again')
        st.check(v.stop() == 0, 'vaktd exit code')
        logind.stop()
        logind = None

        # A bus daemon that is stopped: connect() succeeds, authentication never ends.
        os.kill(bus.pid, signal.SIGSTOP)
        start = time.monotonic()
        v = st.Vaktd(tb, text, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        st.check(time.monotonic() - start < 10, 'start took %.1fs' % (time.monotonic() - start),
                 v)
        decide_nobody(v, tb, hub, '1-5', 'stopped bus')
        decide_nobody(v, tb, hub, '1-6', 'stopped bus, again')
        start = time.monotonic()
        rc = v.stop()
        st.check(rc == 0 and time.monotonic() - start < 5,
                 'stop with a stopped bus: exit %s after %.1fs' % (rc, time.monotonic() - start))
        v = None
    finally:
        rc = v.stop() if v else 0
        if logind:
            logind.stop()
        if bus:
            bus.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
