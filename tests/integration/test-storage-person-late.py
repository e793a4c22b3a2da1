# The system bus comes and goes. vaktd started before the bus decides for nobody, finds the bus
# later on its own (retried every 5 s) and then decides present devices again for the person at
# the seat. A bus that goes away again is found again, and not being able to ask logind is no
# reason to take a device from the person it was allowed for. Needs root (useradd).
import storage_testbed as st

RW = 'vakt-test-lrw'
ALICE = 'vakt-test-lalice'


def run():
    accounts = st.LocalAccounts()
    bus = logind = v = None
    try:
        accounts.group(RW)
        alice = accounts.user(ALICE, [RW])
        bus = st.SystemBus(start=False)

        text = st.conf(default='block', while_locked='policy', rw=RW)
        tb = st.Testbed()
        hub = tb.add_root_hub()
        v = st.Vaktd(tb, text, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        dev = tb.add_device('stick', hub, '1-1')
        r = v.wait_event('storage.blocked', dev)
        st.check('VAKT_USER' not in r, 'a person without a bus', v)

        # The bus and logind appear, alice is at seat0: the stick becomes hers.
        bus.start()
        logind = st.Logind(bus)
        logind.add_session('c1', 'seat0', alice, ALICE)
        r = v.wait_event('storage.allowed', dev, timeout=15, VAKT_USER=ALICE, VAKT_UID=str(alice))
        st.check(tb.wait_attr(dev, 'authorized', '1'), 'stick not authorised for alice', v)

        # The bus goes away and comes back without logind: nothing is known about the seat,
        # so nothing changes for the present stick; a new stick is decided for nobody.
        logind.stop()
        logind = None
        bus.kill()
        bus.start()
        v.settle(7)
        st.check(not [x for x in v.records[v.records.index(r) + 1:]
                      if x.get('VAKT_DEVICE_SYSPATH') == dev],
                 'the stick was decided again without logind', v)
        st.check(tb.attr(dev, 'authorized') == '1', 'stick taken away without logind', v)
        other = tb.add_device('stick', hub, '1-2')
        r = v.wait_event('storage.blocked', other)
        st.check('VAKT_USER' not in r, 'a person without logind', v)

        # logind is back (it keeps its sessions) and says who is at seat0 again.
        logind = st.Logind(bus)
        logind.add_session('c1', 'seat0', alice, ALICE)
        r = v.wait_event('storage.allowed', other, timeout=10, VAKT_USER=ALICE)
    finally:
        rc = v.stop() if v else 0
        if logind:
            logind.stop()
        bus.stop()
        accounts.remove()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
