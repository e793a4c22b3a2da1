# The person at the seat, from logind (python3-dbusmock's template on a private system bus) and
# real local users and groups: a member of read_write_groups gets an unknown stick read-write, a
# member of read_only_groups read-only; a locked session and an empty seat get it blocked by
# while_locked. Every record names the person (or no one) and the seat. Needs root (useradd).
import storage_testbed as st

RW, RO = 'vakt-test-prw', 'vakt-test-pro'
ALICE, BOB = 'vakt-test-palice', 'vakt-test-pbob'


def no_person(r, v):
    for k in st.PERSON_FIELDS:
        st.check(k not in r, '%s present for nobody: %r' % (k, r.get(k)), v)
    st.check(r.get('VAKT_SEAT') == 'seat0', 'VAKT_SEAT %r' % r.get('VAKT_SEAT'), v)


def person(r, v, user, uid, session):
    want = {'VAKT_USER': user, 'VAKT_UID': str(uid), 'VAKT_SESSION': session,
            'VAKT_SEAT': 'seat0'}
    for k, val in want.items():
        st.check(r.get(k) == val, '%s %r, expected %r' % (k, r.get(k), val), v)


def run():
    accounts = st.LocalAccounts()
    bus = logind = v = None
    try:
        accounts.group(RW)
        accounts.group(RO)
        alice = accounts.user(ALICE, [RW])
        bob = accounts.user(BOB, [RO])
        bus = st.SystemBus()
        logind = st.Logind(bus)
        logind.add_seat('seat0')

        text = st.conf(default='block', while_locked='block', rw=RW, ro=RO)
        tb = st.Testbed()
        hub = tb.add_root_hub()
        v = st.Vaktd(tb, text, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        v.wait_logind()
        place = lambda key: '%s %s:%d' % (key, v.conf, st.conf_line(text, key + ' ='))

        # (d) nobody at seat0: blocked by while_locked, no person fields.
        dev = tb.add_device('stick', hub, '1-1')
        r = v.wait_event('storage.blocked', dev, VAKT_DECISION='block')
        no_person(r, v)
        st.check(r.get('VAKT_RULE') == place('while_locked'), 'rule %r' % r.get('VAKT_RULE'), v)
        st.check('for nobody at seat0' in r.get('MESSAGE', ''), 'message %r' % r.get('MESSAGE'), v)
        tb.remove(dev)
        v.wait_event('storage.removed', dev)

        # (a) alice (read_write_groups) is the active session: allowed read-write.
        logind.add_session('c1', 'seat0', alice, ALICE)
        dev = tb.add_device('stick', hub, '1-2')
        r = v.wait_event('storage.allowed', dev, VAKT_DECISION='allow')
        person(r, v, ALICE, alice, 'c1')
        st.check(r.get('VAKT_RULE') == place('read_write_groups'), 'rule %r' % r.get('VAKT_RULE'),
                 v)
        st.check(tb.wait_attr(dev, 'authorized', '1'), 'allowed stick not authorised', v)
        tb.remove(dev)
        r = v.wait_event('storage.removed', dev)
        person(r, v, ALICE, alice, 'c1')

        # (c) alice's session is locked and while_locked = block: blocked, still attributed.
        logind.set_locked('c1', True)
        dev = tb.add_device('stick', hub, '1-3')
        r = v.wait_event('storage.blocked', dev, VAKT_DECISION='block')
        person(r, v, ALICE, alice, 'c1')
        st.check(r.get('VAKT_RULE') == place('while_locked'), 'rule %r' % r.get('VAKT_RULE'), v)
        v.settle(0.3)
        st.check(tb.attr(dev, 'authorized') == '0', 'stick authorised while locked', v)
        tb.remove(dev)
        v.wait_event('storage.removed', dev)
        logind.set_locked('c1', False)

        # (b) bob (read_only_groups) switches in: read-only.
        logind.add_session('c2', 'seat0', bob, BOB)
        dev = tb.add_device('stick', hub, '1-4')
        r = v.wait_event('storage.read_only', dev, VAKT_DECISION='read-only')
        person(r, v, BOB, bob, 'c2')
        st.check(r.get('VAKT_RULE') == place('read_only_groups'), 'rule %r' % r.get('VAKT_RULE'),
                 v)
        st.check(tb.wait_attr(dev, 'authorized', '1'), 'read-only stick not authorised', v)

        # An inactive session is nobody: the seat has no active session.
        tb.remove(dev)
        v.wait_event('storage.removed', dev)
        logind.set_active_session('seat0', None)
        dev = tb.add_device('stick', hub, '1-5')
        r = v.wait_event('storage.blocked', dev, VAKT_DECISION='block')
        no_person(r, v)

        # The person came from vaktd's copy of logind's table (resynced at start, kept by
        # signals): no device waited for a question to logind.
        st.check(len(logind.calls('ListSessions')) >= 1, 'vaktd never read logind\'s sessions', v)
        st.check(len(logind.calls('GetSeat')) == 0 and len(logind.calls('GetSession')) == 0,
                 'a device decision asked logind', v)
    finally:
        rc = v.stop() if v else 0
        if logind:
            logind.stop()
        if bus:
            bus.stop()
        accounts.remove()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
