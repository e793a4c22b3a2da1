# Rights follow the person at the seat: when the seat's active session changes, present storage
# devices are decided again for whoever is there now. alice (read_write_groups) has a stick
# allowed; her screen locking changes nothing; bob (read_only_groups) switching in makes it
# read-only; nobody at the seat blocks it (while_locked); alice coming back gets it again without
# a replug (issue 12: a device held back by while_locked is decided again for the person who logs
# in or unlocks); a stick plugged while her screen is locked is held back and becomes hers when
# she unlocks. Needs root (useradd).
import os

import storage_testbed as st

RW, RO = 'vakt-test-srw', 'vakt-test-sro'
ALICE, BOB = 'vakt-test-salice', 'vakt-test-sbob'


def decision(v, event, dev, since=0, **fields):
    """The decision record (not a per-disk read-only record) for dev, from record since on."""
    def pred(r):
        return (r.get('VAKT_EVENT') == event and r.get('VAKT_DEVICE_SYSPATH') == dev and
                'VAKT_FILE' not in r and all(r.get(k) == val for k, val in fields.items()))
    return v.wait(pred, 5, '%s %s %s' % (event, dev, fields), since)


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
        logind.add_session('c1', 'seat0', alice, ALICE)

        text = st.conf(default='block', while_locked='block', rw=RW, ro=RO)
        tb = st.Testbed()
        hub = tb.add_root_hub()
        v = st.Vaktd(tb, text, {'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        v.ready()
        v.wait_logind()
        place = lambda key: '%s %s:%d' % (key, v.conf, st.conf_line(text, key + ' ='))

        dev = tb.add_device('stick', hub, '1-1')
        decision(v, 'storage.allowed', dev, VAKT_USER=ALICE, VAKT_SESSION='c1')
        st.check(tb.wait_attr(dev, 'authorized', '1'), 'stick not authorised for alice', v)
        (intf,) = tb.add_interfaces('stick', dev)
        st.check(tb.wait_attr(intf, 'authorized', '1'), 'interface not authorised', v)
        tb.add_disk(intf)
        v.settle(0.3)

        # Locking alice's screen: the same person, nothing is decided again.
        n = len(v.records)
        logind.set_locked('c1', True)
        v.settle(0.5)
        st.check(not [r for r in v.records[n:] if r.get('VAKT_DEVICE_SYSPATH') == dev],
                 'a lock re-decided the device', v)
        st.check(tb.attr(dev, 'authorized') == '1', 'a lock took the stick away', v)
        logind.set_locked('c1', False)

        # bob switches in: the stick becomes read-only for him, and it is recorded as his.
        logind.add_session('c2', 'seat0', bob, BOB)
        r = decision(v, 'storage.read_only', dev, VAKT_USER=BOB)
        st.check(r.get('VAKT_UID') == str(bob) and r.get('VAKT_SESSION') == 'c2' and
                 r.get('VAKT_SEAT') == 'seat0', 'bob record %r' % r, v)
        st.check(r.get('VAKT_RULE') == place('read_only_groups'), 'rule %r' % r.get('VAKT_RULE'),
                 v)
        st.check(os.path.exists(os.path.join(v.run_dir, 'read-only', '1-1')),
                 'no read-only marker for bob', v)
        v.wait(lambda r: r.get('VAKT_EVENT') == 'storage.read_only' and
               r.get('VAKT_FILE') == '/dev/sdb', 5, 'disk made read-only')
        st.check(tb.attr(dev, 'authorized') == '1', 'read-only stick taken away', v)

        # Nobody at the seat: blocked by while_locked, the stick is taken away.
        logind.set_active_session('seat0', None)
        r = decision(v, 'storage.blocked', dev, VAKT_DECISION='block')
        for k in st.PERSON_FIELDS:
            st.check(k not in r, '%s present for nobody' % k, v)
        st.check(r.get('VAKT_SEAT') == 'seat0', 'VAKT_SEAT %r' % r.get('VAKT_SEAT'), v)
        st.check(r.get('VAKT_RULE') == place('while_locked'), 'rule %r' % r.get('VAKT_RULE'), v)
        st.check(tb.wait_attr(dev, 'authorized', '0'), 'stick still authorised for nobody', v)

        # alice returns: the device held back for nobody is decided for her, no replug needed.
        n = len(v.records)
        logind.set_active_session('seat0', 'c1')
        decision(v, 'storage.allowed', dev, n, VAKT_USER=ALICE, VAKT_SESSION='c1')
        st.check(tb.wait_attr(dev, 'authorized', '1'), 'stick not authorised for alice again', v)

        # Locked: a new stick is held back (while_locked), the present one stays hers.
        logind.set_locked('c1', True)
        other = tb.add_device('stick', hub, '1-2')
        r = decision(v, 'storage.blocked', other, VAKT_USER=ALICE, VAKT_SESSION='c1')
        st.check(r.get('VAKT_RULE') == place('while_locked'), 'rule %r' % r.get('VAKT_RULE'), v)
        st.check(r.get('VAKT_REASON') == 'the session at the seat is locked',
                 'reason %r' % r.get('VAKT_REASON'), v)
        v.settle(0.3)
        st.check(tb.attr(other, 'authorized') == '0', 'stick authorised while locked', v)
        st.check(tb.attr(dev, 'authorized') == '1', 'a lock took the present stick away', v)

        # Unlocked: the held-back stick is decided for alice without a replug.
        n = len(v.records)
        logind.set_locked('c1', False)
        decision(v, 'storage.allowed', other, n, VAKT_USER=ALICE, VAKT_SESSION='c1')
        st.check(tb.wait_attr(other, 'authorized', '1'), 'stick not authorised after unlock', v)
    finally:
        rc = v.stop() if v else 0
        if logind:
            logind.stop()
        if bus:
            bus.stop()
        accounts.remove()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
