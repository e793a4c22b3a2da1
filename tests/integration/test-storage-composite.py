# A composite keyboard + storage device: the device and its keyboard interface are authorised,
# its storage interface is not; one storage.blocked record says so.
import storage_testbed as st


def run():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    v = st.Vaktd(tb, st.conf(default='block'))
    try:
        v.ready()
        dev = tb.add_device('composite', hub, '1-3')
        r = v.wait_event('storage.blocked', dev)
        st.check('other functions stay usable' in r.get('MESSAGE', ''), 'message', v)
        st.check(tb.wait_attr(dev, 'authorized', '1'), 'composite device not authorised', v)
        kbd, storage = tb.add_interfaces('composite', dev)
        st.check(tb.wait_attr(kbd, 'authorized', '1'), 'keyboard interface not authorised', v)
        v.settle(0.3)
        st.check(tb.attr(storage, 'authorized') == '0', 'storage interface authorised', v)
        st.check(len(v.events('storage.blocked')) == 1, 'one record per decision', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
