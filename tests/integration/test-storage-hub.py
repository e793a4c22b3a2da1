# Devices behind a hub are decided on their own: the hub and a keyboard behind it are authorised,
# a stick behind it is blocked.
import storage_testbed as st


def run():
    tb = st.Testbed()
    root = tb.add_root_hub()
    v = st.Vaktd(tb, st.conf(default='block'))
    try:
        v.ready()
        hub = tb.add_device('hub', root, '1-1')
        st.check(tb.wait_attr(hub, 'authorized', '1'), 'hub not authorised', v)
        (hintf,) = tb.add_interfaces('hub', hub)
        st.check(tb.wait_attr(hintf, 'authorized', '1'), 'hub interface not authorised', v)
        stick = tb.add_device('stick', hub, '1-1.1')
        kbd = tb.add_device('keyboard', hub, '1-1.2')
        r = v.wait_event('storage.blocked', stick)
        st.check(r.get('VAKT_DEVICE_PORT') == '1-1.1', 'port path', v)
        st.check(tb.wait_attr(kbd, 'authorized', '1'), 'keyboard behind hub not authorised', v)
        v.settle(0.3)
        st.check(tb.attr(stick, 'authorized') == '0', 'stick behind hub authorised', v)
        st.check(not any(r.get('VAKT_DEVICE_SYSPATH') == hub for r in v.records
                         if r.get('VAKT_EVENT', '').startswith('storage.')),
                 'a hub is no storage', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
