# Storage is what can store (issue 16, item 1). Functions that carry files behind
# vendor-specific classes are storage: an Android phone with MTP as ff/ff/00 (and ADB), an
# iPhone (PTP and Apple's usbmux ff/fe/02), a phone with MTP as still image 06, a Realtek card
# reader (ff/06/50) -- all blocked by default, as whole devices, with storage.blocked. A WiFi
# dongle (ff/ff/ff) cannot be told apart by class: blocked by default, allowed by a named rule for
# its vendor and product. Harmless classes -- a headset (audio + HID), a printer, a smart-card
# reader -- are authorised with all their interfaces and no storage record.
import storage_testbed as st

WIFI_RULE = """
[storage.allow "office-wifi"]
vendor = 0bda
product = 8179
mode = allow
"""


def blocked_as_a_whole(tb, v, hub, kind, port):
    dev = tb.add_device(kind, hub, port)
    r = v.wait_event('storage.blocked', dev)
    st.check(r.get('VAKT_DECISION') == 'block', '%s: decision' % kind, v)
    st.check(r.get('VAKT_RULE', '').startswith('default %s:' % v.conf),
             '%s: rule %r' % (kind, r.get('VAKT_RULE')), v)
    st.check('other functions stay usable' not in r.get('MESSAGE', ''),
             '%s: kept partly: %r' % (kind, r.get('MESSAGE')), v)
    return dev, r


def run():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    v = st.Vaktd(tb, st.conf(default='block', rules=WIFI_RULE))
    try:
        v.ready()
        devs = {}
        for kind, port, classes in (('mtp', '1-1', 'ff'), ('iphone', '1-2', '06,ff'),
                                    ('ptp-phone', '1-3', '06'), ('cardreader', '1-4', 'ff')):
            devs[kind], r = blocked_as_a_whole(tb, v, hub, kind, port)
            st.check(r.get('VAKT_DEVICE_CLASSES') == classes,
                     '%s: classes %r' % (kind, r.get('VAKT_DEVICE_CLASSES')), v)

        # The WiFi dongle by name: allowed, and its interface with it.
        wifi = tb.add_device('wifi', hub, '1-5')
        r = v.wait_event('storage.allowed', wifi)
        st.check(r.get('VAKT_RULE', '').startswith('office-wifi %s:' % v.conf),
                 'wifi rule %r' % r.get('VAKT_RULE'), v)
        st.check(tb.wait_attr(wifi, 'authorized', '1'), 'named dongle not authorised', v)
        (intf,) = tb.add_interfaces('wifi', wifi)
        st.check(tb.wait_attr(intf, 'authorized', '1'), 'dongle interface not authorised', v)

        # Harmless classes: authorised with every interface, no storage record.
        for kind, port in (('headset', '1-6'), ('printer', '1-7'), ('smartcard', '1-8')):
            dev = tb.add_device(kind, hub, port)
            st.check(tb.wait_attr(dev, 'authorized', '1'), '%s not authorised' % kind, v)
            for intf in tb.add_interfaces(kind, dev):
                st.check(tb.wait_attr(intf, 'authorized', '1'),
                         '%s interface %s not authorised' % (kind, intf), v)
            devs[kind] = dev

        v.settle(0.5)
        for kind in ('mtp', 'iphone', 'ptp-phone', 'cardreader'):
            st.check(tb.attr(devs[kind], 'authorized') == '0', '%s authorised' % kind, v)
        for kind in ('headset', 'printer', 'smartcard'):
            st.check(not [r for r in v.records if r.get('VAKT_DEVICE_SYSPATH') == devs[kind] and
                          r.get('VAKT_EVENT', '').startswith('storage.')],
                     '%s recorded as storage' % kind, v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def run_default_wifi():
    """Without the rule the dongle is storage like any vendor-specific function."""
    tb = st.Testbed()
    hub = tb.add_root_hub()
    v = st.Vaktd(tb, st.conf(default='block'))
    try:
        v.ready()
        wifi, r = blocked_as_a_whole(tb, v, hub, 'wifi', '1-1')
        v.settle(0.3)
        st.check(tb.attr(wifi, 'authorized') == '0', 'unnamed dongle authorised', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def both():
    run_default_wifi()
    run()


st.main(both)
