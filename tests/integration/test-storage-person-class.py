# Only a user session is a person (issue 16, item 2). A stick forging an approved rule's vendor,
# product and serial is plugged in while the seat's active session is a login screen (greeter), a
# lock screen, a background or a manager session: while_locked = block blocks it, the named rule
# notwithstanding, and the record names nobody. An active user session that is locked counts as
# locked (blocked, attributed to its owner); unlocked, the same stick is allowed by its rule.
import storage_testbed as st

RULE = """
[storage.allow "approved-stick"]
vendor = 0951
product = 1666
serial = 1C6F654E5A
mode = allow
"""
NOT_PEOPLE = (('greeter', 'gdm', 120), ('lock-screen', 'gdm', 120), ('background', 'alice', 61001),
              ('manager', 'alice', 61001))


def no_person(r, v, what):
    for k in st.PERSON_FIELDS:
        st.check(k not in r, '%s: %s present for nobody: %r' % (what, k, r.get(k)), v)


def run():
    bus = logind = v = None
    try:
        bus = st.SystemBus()
        logind = st.Logind(bus)
        logind.add_seat('seat0')
        text = st.conf(default='block', while_locked='block', rules=RULE)
        tb = st.Testbed()
        hub = tb.add_root_hub()
        v = st.Vaktd(tb, text, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        v.wait_logind()
        while_locked = 'while_locked %s:%d' % (v.conf, st.conf_line(text, 'while_locked ='))

        for i, (cls, user, uid) in enumerate(NOT_PEOPLE):
            sid = 'n%d' % i
            logind.add_session(sid, 'seat0', uid, user, Class=cls, Type='wayland')
            v.settle(0.2)
            dev = tb.add_device('stick', hub, '1-%d' % (i + 1))
            r = v.wait_event('storage.blocked', dev)
            st.check(r.get('VAKT_RULE') == while_locked,
                     '%s: rule %r' % (cls, r.get('VAKT_RULE')), v)
            st.check(r.get('VAKT_REASON') == 'nobody is logged in at the seat',
                     '%s: reason %r' % (cls, r.get('VAKT_REASON')), v)
            st.check('for nobody at seat0' in r.get('MESSAGE', ''),
                     '%s: message %r' % (cls, r.get('MESSAGE')), v)
            no_person(r, v, cls)
            v.settle(0.3)
            st.check(tb.attr(dev, 'authorized') == '0', '%s: forged stick authorised' % cls, v)
            st.check(not v.events('storage.allowed'), '%s: allowed' % cls, v)
            tb.remove(dev)
            v.wait_event('storage.removed', dev)
            logind.remove_session(sid)

        # A user session, active and locked: locked, and it is theirs.
        logind.add_session('u1', 'seat0', 61002, 'vakt-test-bob', Class='user', Type='wayland')
        logind.set_locked('u1', True)
        v.settle(0.2)
        dev = tb.add_device('stick', hub, '1-8')
        r = v.wait_event('storage.blocked', dev)
        st.check(r.get('VAKT_RULE') == while_locked, 'locked: rule %r' % r.get('VAKT_RULE'), v)
        st.check(r.get('VAKT_REASON') == 'the session at the seat is locked',
                 'locked: reason %r' % r.get('VAKT_REASON'), v)
        st.check(r.get('VAKT_USER') == 'vakt-test-bob' and r.get('VAKT_SESSION') == 'u1',
                 'locked: person %r %r' % (r.get('VAKT_USER'), r.get('VAKT_SESSION')), v)
        v.settle(0.3)
        st.check(tb.attr(dev, 'authorized') == '0', 'stick authorised at a locked session', v)
        tb.remove(dev)
        v.wait_event('storage.removed', dev)

        # Unlocked, the very same stick is what the rule allows.
        logind.set_locked('u1', False)
        v.settle(0.2)
        dev = tb.add_device('stick', hub, '1-9')
        r = v.wait_event('storage.allowed', dev)
        st.check(r.get('VAKT_RULE', '').startswith('approved-stick '), 'rule %r' % r.get('VAKT_RULE'),
                 v)
        st.check(tb.wait_attr(dev, 'authorized', '1'), 'approved stick not authorised', v)
    finally:
        rc = v.stop() if v else 0
        if logind:
            logind.stop()
        if bus:
            bus.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
