# Hotplug in the real order: the door is closed at start; a stick is blocked before any driver
# binds; a keyboard is authorised, then its interfaces as the kernel adds them; unplugging the
# stick gives storage.removed. Every record names the clause of the written policy its part serves
# (policy_reference, VAKT_POLICY_REF): the [storage] one, and [vakt]'s for the daemon's own.
import storage_testbed as st

REFS = ('[vakt]\npolicy_reference = IT security policy (2026)\n'
        '[storage]\npolicy_reference = IT security policy \u00a74.2, portable media\n')
STORAGE_REF = 'IT security policy \u00a74.2, portable media'


def run():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    v = st.Vaktd(tb, st.conf(default='block', rules=REFS))
    try:
        v.ready()
        st.check(tb.attr(hub, 'authorized_default') == '0', 'root hub door still open', v)
        st.check(tb.attr(hub, 'interface_authorized_default') == '0',
                 'interface-level door still open', v)

        stick = tb.add_device('stick', hub, '1-1')
        r = v.wait_event('storage.blocked', stick)
        st.check(r.get('VAKT_DECISION') == 'block', 'decision', v)
        st.check(r.get('VAKT_DEVICE_VENDOR_ID') == '0951', 'vendor', v)
        st.check(r.get('VAKT_DEVICE_PRODUCT_ID') == '1666', 'product', v)
        st.check(r.get('VAKT_DEVICE_SERIAL') == '1C6F654E5A', 'serial', v)
        st.check(r.get('VAKT_DEVICE_NAME') == 'DataTraveler 3.0', 'name', v)
        st.check(r.get('VAKT_RULE', '').startswith('default ' + v.conf + ':'), 'rule place', v)
        st.check(r.get('VAKT_SEAT') == 'seat0', 'seat', v)
        st.check(r.get('VAKT_POLICY_REF') == STORAGE_REF, 'policy reference of [storage]', v)
        st.check('VAKT_USER' not in r, 'nobody is at the seat', v)
        st.check(r.get('MESSAGE', '').startswith("USB storage device 'DataTraveler 3.0'"),
                 'message', v)
        v.settle(0.3)
        st.check(tb.attr(stick, 'authorized') == '0', 'stick was authorised', v)

        kbd = tb.add_device('keyboard', hub, '1-2')
        st.check(tb.wait_attr(kbd, 'authorized', '1'), 'keyboard not authorised', v)
        (intf,) = tb.add_interfaces('keyboard', kbd)
        st.check(tb.wait_attr(intf, 'authorized', '1'), 'keyboard interface not authorised', v)
        st.check(not v.events('storage.allowed'), 'a keyboard is no storage', v)

        tb.remove(stick)
        r = v.wait_event('storage.removed', stick)
        st.check(r.get('VAKT_DEVICE_SERIAL') == '1C6F654E5A', 'removed record fields', v)
        st.check(r.get('VAKT_POLICY_REF') == STORAGE_REF, 'removed: policy reference', v)
        (loaded,) = v.events('policy.loaded')
        st.check(loaded.get('VAKT_POLICY_REF') == 'IT security policy (2026)',
                 'policy.loaded carries [vakt] policy_reference', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
