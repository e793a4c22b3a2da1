# Defence in depth (issue 16, item 1): a block device that appears below a device judged harmless
# -- a driver that matched it by vendor and product, or a device that lied about its class -- is
# made read-only, its function is taken away (the interface where the kernel allows it, the whole
# device otherwise), and storage.blocked says why: VAKT_RULE harmless_classes, VAKT_REASON a disk
# below a harmless function, VAKT_FILE the disk. No named rule for the device changes that, and
# it is so too for a device found with its disk when vaktd starts (one record, not two).
import os

import storage_testbed as st

KBD_RULE = """
[storage.allow "the-keyboard"]
vendor = 413c
product = 2107
mode = allow
"""
REASON = 'a disk appeared below a device function judged harmless'


def run():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    v = st.Vaktd(tb, st.conf(default='allow', rules=KBD_RULE))
    try:
        v.ready()
        # A "keyboard" (one HID interface) that grows a SCSI disk.
        kbd = tb.add_device('keyboard', hub, '1-1')
        st.check(tb.wait_attr(kbd, 'authorized', '1'), 'keyboard not authorised', v)
        (intf,) = tb.add_interfaces('keyboard', kbd)
        st.check(tb.wait_attr(intf, 'authorized', '1'), 'keyboard interface not authorised', v)
        tb.add_disk(intf)
        r = v.wait_event('storage.blocked', kbd)
        st.check(r.get('VAKT_REASON') == REASON, 'reason %r' % r.get('VAKT_REASON'), v)
        st.check(r.get('VAKT_RULE') == 'harmless_classes built-in default',
                 'rule %r' % r.get('VAKT_RULE'), v)
        st.check(r.get('VAKT_FILE') in ('/dev/sdb', '/dev/sdb1'), 'file %r' % r.get('VAKT_FILE'),
                 v)
        st.check(r.get('VAKT_DECISION') == 'block', 'decision', v)
        # Its only function is the one with the disk: the device goes.
        st.check(tb.wait_attr(kbd, 'authorized', '0'), 'keyboard with a disk kept', v)
        st.check(not v.events('storage.allowed'), 'default = allow let the disk in', v)
        # udev's rule had the disk read-only before anyone could open it: every harmless
        # device has a read-only marker (vaktd(8), USB STORAGE).
        st.check(os.path.exists(os.path.join(v.run_dir, 'read-only', '1-1')),
                 'no read-only marker for a harmless device', v)

        # A headset whose HID function grows a disk: that interface goes, the audio stays.
        hs = tb.add_device('headset', hub, '1-2')
        st.check(tb.wait_attr(hs, 'authorized', '1'), 'headset not authorised', v)
        intfs = tb.add_interfaces('headset', hs)
        for i in intfs:
            st.check(tb.wait_attr(i, 'authorized', '1'), 'headset interface %s' % i, v)
        tb.add_disk(intfs[3])
        r = v.wait_event('storage.blocked', hs)
        st.check(r.get('VAKT_REASON') == REASON, 'reason %r' % r.get('VAKT_REASON'), v)
        st.check('other functions stay usable' in r.get('MESSAGE', ''),
                 'message %r' % r.get('MESSAGE'), v)
        st.check(tb.wait_attr(intfs[3], 'authorized', '0'), 'interface with a disk kept', v)
        v.settle(0.3)
        st.check(tb.attr(hs, 'authorized') == '1', 'headset taken away as a whole', v)
        for i in intfs[:3]:
            st.check(tb.attr(i, 'authorized') == '1', 'audio interface %s taken away' % i, v)
        st.check(len([e for e in v.events('storage.blocked')
                      if e.get('VAKT_DEVICE_SYSPATH') == hs]) == 1,
                 'one record for the disk and its partition', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def coldplug():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    kbd = tb.add_device('keyboard', hub, '1-1', authorized='1')
    (intf,) = tb.add_interfaces('keyboard', kbd, authorized='1')
    tb.add_disk(intf)
    v = st.Vaktd(tb, st.conf(default='allow', rules=KBD_RULE))
    try:
        v.ready()
        r = v.wait_event('storage.blocked', kbd)
        st.check(r.get('VAKT_REASON') == REASON, 'reason %r' % r.get('VAKT_REASON'), v)
        st.check(tb.wait_attr(kbd, 'authorized', '0'), 'keyboard with a disk kept at start', v)
        v.settle(0.5)
        st.check(len([e for e in v.records if e.get('VAKT_DEVICE_SYSPATH') == kbd and
                      e.get('VAKT_EVENT', '').startswith('storage.')]) == 1,
                 'one record for a device found with its disk', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def both():
    run()
    coldplug()


st.main(both)
