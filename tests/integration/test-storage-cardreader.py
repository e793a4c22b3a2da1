# A Realtek card reader (0bda:0129: vendor-specific device and interface, bound by rtsx_usb by
# vendor and product) creates mmcblk disks. It is storage (issue 16, item 1):
#   - at start, the door having been open, it is authorised with an SD card in: it is taken away
#     and recorded, not waved through as "no storage function";
#   - plugged in, it is blocked by default;
#   - with a read-only rule it is authorised only once its read-only marker exists, and its
#     mmcblk disk and partition are made read-only and recorded.
import os

import storage_testbed as st

RO_RULE = """
[storage.allow "reader-read-only"]
vendor = 0bda
product = 0129
mode = read-only
"""


def coldplug_and_hotplug():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    old = tb.add_device('cardreader', hub, '1-1', authorized='1')
    (intf,) = tb.add_interfaces('cardreader', old, authorized='1')
    tb.add_mmc_disk(intf)
    v = st.Vaktd(tb, st.conf(default='block'))
    try:
        v.ready()
        r = v.wait_event('storage.blocked', old)
        st.check(r.get('VAKT_DEVICE_CLASSES') == 'ff', 'classes %r' % r.get('VAKT_DEVICE_CLASSES'),
                 v)
        st.check(tb.wait_attr(old, 'authorized', '0'), 'card reader with a card kept', v)

        new = tb.add_device('cardreader', hub, '1-2')
        v.wait_event('storage.blocked', new)
        v.settle(0.3)
        st.check(tb.attr(new, 'authorized') == '0', 'plugged card reader authorised', v)
        st.check(not [m for m in v.records if 'has no storage function' in m.get('MESSAGE', '')],
                 'a card reader was called harmless', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def read_only():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    v = st.Vaktd(tb, st.conf(default='block', rules=RO_RULE))
    try:
        v.ready()
        dev = tb.add_device('cardreader', hub, '1-1')
        r = v.wait_event('storage.read_only', dev, VAKT_DECISION='read-only')
        st.check(r.get('VAKT_RULE', '').startswith('reader-read-only %s:' % v.conf),
                 'rule %r' % r.get('VAKT_RULE'), v)
        st.check(tb.wait_attr(dev, 'authorized', '1'), 'read-only reader not authorised', v)
        st.check(os.path.exists(os.path.join(v.run_dir, 'read-only', '1-1')),
                 'no read-only marker', v)
        (intf,) = tb.add_interfaces('cardreader', dev)
        st.check(tb.wait_attr(intf, 'authorized', '1'), 'reader interface not authorised', v)
        tb.add_mmc_disk(intf)
        for node in ('/dev/mmcblk0', '/dev/mmcblk0p1'):
            r = v.wait_event('storage.read_only', dev, VAKT_FILE=node)
            st.check(r.get('VAKT_RESULT') == 'simulated', 'result %r' % r.get('VAKT_RESULT'), v)
        st.check(not v.events('storage.blocked'), 'the SD card was blocked', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def both():
    coldplug_and_hotplug()
    read_only()


st.main(both)
