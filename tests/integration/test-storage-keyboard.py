# Keystroke injection (issue 16, item 6): a new device that can type, plugged in while the seat
# is locked or nobody is logged in, is held back (left unauthorised, input.blocked) when the seat
# already has a keyboard -- here the built-in one of a laptop, which is not on USB -- and is
# authorised once a person unlocks. Without another keyboard it is authorised at once, so nobody
# whose only keyboard was replugged is locked out, and a held one is authorised when the other
# keyboard goes. A keyboard already in use stays when the policy is reloaded at a locked seat.
import signal

import storage_testbed as st

USER = 'vakt-test-kbuser'
UID = 61234


def run():
    bus = logind = v = None
    try:
        bus = st.SystemBus()
        logind = st.Logind(bus)
        logind.add_seat('seat0')
        text = st.conf(default='block', while_locked='block')
        tb = st.Testbed()
        hub = tb.add_root_hub()
        v = st.Vaktd(tb, text, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        v.wait_logind()

        # Nobody logged in, no keyboard at the seat: a new keyboard is authorised (it may be
        # the only way to log in).
        kbd1 = tb.add_device('keyboard', hub, '1-1')
        st.check(tb.wait_attr(kbd1, 'authorized', '1'), 'first keyboard held back', v)
        st.check(not v.events('input.blocked'), 'input.blocked without another keyboard', v)
        tb.remove(kbd1)

        # The laptop's own keyboard (i8042, not USB) is there now: a new keyboard at the empty
        # seat is held back and recorded.
        builtin = tb.add_keyboard_input(None, 'input3')
        kbd2 = tb.add_device('keyboard', hub, '1-2')
        r = v.wait_event('input.blocked', kbd2)
        st.check(r.get('VAKT_DECISION') == 'block', 'decision %r' % r.get('VAKT_DECISION'), v)
        st.check(r.get('VAKT_RULE') == 'keyboards_while_locked built-in default',
                 'rule %r' % r.get('VAKT_RULE'), v)
        st.check('nobody is logged in' in r.get('VAKT_REASON', ''),
                 'reason %r' % r.get('VAKT_REASON'), v)
        st.check('VAKT_USER' not in r, 'a person named for nobody', v)
        st.check(r.get('VAKT_DEVICE_VENDOR_ID') == '413c', 'vendor', v)
        st.check(r.get('MESSAGE_ID') == '0b74fcb4d5264d0589f837a3fecf78f3', 'MESSAGE_ID', v)
        v.settle(0.3)
        st.check(tb.attr(kbd2, 'authorized') == '0', 'held keyboard authorised', v)
        st.check(not v.events('storage.blocked'), 'a keyboard recorded as storage', v)

        # The other keyboard goes (a person swapping keyboards at the login screen): the held
        # one is now the seat's only keyboard, and is authorised.
        tb.remove(builtin)
        st.check(tb.wait_attr(kbd2, 'authorized', '1'), 'only keyboard still held back', v)

        # Another held keyboard is authorised when a person logs in.
        tb.add_keyboard_input(None, 'input4')
        kbd3 = tb.add_device('keyboard', hub, '1-4')
        v.wait_event('input.blocked', kbd3)
        logind.add_session('c1', 'seat0', UID, USER)
        st.check(tb.wait_attr(kbd3, 'authorized', '1'), 'keyboard not authorised at login', v)

        # The session locks: a new keyboard (a "BadUSB" stick that types) is held back, and
        # recorded for the person whose seat it is.
        logind.set_locked('c1', True)
        v.settle(0.3)
        st.check(tb.attr(kbd2, 'authorized') == '1', 'keyboard in use taken away at lock', v)
        evil = tb.add_device('keyboard', hub, '1-3', serial='DUCKY')
        r = v.wait_event('input.blocked', evil)
        st.check(r.get('VAKT_USER') == USER, 'user %r' % r.get('VAKT_USER'), v)
        st.check(r.get('VAKT_SESSION') == 'c1', 'session', v)
        st.check('session at the seat is locked' in r.get('VAKT_REASON', ''),
                 'reason %r' % r.get('VAKT_REASON'), v)
        v.settle(0.3)
        st.check(tb.attr(evil, 'authorized') == '0', 'new keyboard authorised while locked', v)

        # A reload at the locked seat keeps the keyboard in use and the new one held.
        n_held = len(v.events('input.blocked'))
        v.write_conf(text)
        since = len(v.records)
        v.proc.send_signal(signal.SIGHUP)
        v.wait(lambda r: r.get('VAKT_EVENT') == 'policy.loaded', 10, 'reload', since=since)
        v.settle(0.3)
        st.check(tb.attr(kbd2, 'authorized') == '1', 'keyboard in use taken away by reload', v)
        st.check(tb.attr(evil, 'authorized') == '0', 'held keyboard authorised by reload', v)
        st.check(len(v.events('input.blocked')) == n_held, 'reload recorded the hold again', v)

        # Unlock: authorised without a replug.
        logind.set_locked('c1', False)
        st.check(tb.wait_attr(evil, 'authorized', '1'), 'keyboard not authorised on unlock', v)
        (intf,) = tb.add_interfaces('keyboard', evil)
        st.check(tb.wait_attr(intf, 'authorized', '1'), 'its interface not authorised', v)
    finally:
        rc = v.stop() if v else 0
        if logind:
            logind.stop()
        if bus:
            bus.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
