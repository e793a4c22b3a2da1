# Observe mode changes nothing: the door stays open, a blocked stick's authorized is not written
# (an already authorised one stays), and the records say what would have been done.
import storage_testbed as st


def run():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    present = tb.add_device('stick', hub, '1-1', authorized='1', serial='PRESENT')
    v = st.Vaktd(tb, st.conf(mode='observe', default='block'))
    try:
        v.ready()
        r = v.wait_event('storage.blocked', present)
        st.check(r.get('VAKT_RESULT') == 'observe', 'observe result', v)
        st.check(r.get('VAKT_MODE') == 'observe', 'observe mode field', v)
        st.check('would have been' in r.get('MESSAGE', ''), 'message', v)
        new = tb.add_device('stick', hub, '1-2')
        v.wait_event('storage.blocked', new, VAKT_RESULT='observe')
        kbd = tb.add_device('keyboard', hub, '1-3')
        v.settle(0.5)
        st.check(tb.attr(hub, 'authorized_default') == '1', 'door closed in observe mode', v)
        st.check(tb.attr(hub, 'interface_authorized_default') == '1', 'door closed', v)
        st.check(tb.attr(present, 'authorized') == '1', 'present stick torn away', v)
        st.check(tb.attr(new, 'authorized') == '0', 'new stick written', v)
        st.check(tb.attr(kbd, 'authorized') == '0', 'keyboard written in observe mode', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
