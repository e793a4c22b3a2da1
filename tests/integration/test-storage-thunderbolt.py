# Thunderbolt/USB4 devices follow the kernel's Thunderbolt authorisation (issue 16, item 3;
# vaktd(8), THUNDERBOLT):
#   - security user: an approved device (named rule on vendor/device/unique_id) is authorised
#     (authorized = 1), storage.allowed with VAKT_DEVICE_BUS thunderbolt and the level; another
#     stays unauthorised, storage.blocked; the host router is never decided; unplugging gives
#     storage.removed; a device someone else authorised (boltd) is de-authorised again;
#   - security secure with default read-only: held back, VAKT_LIMIT says why;
#   - coldplug: a blocked device found authorised is de-authorised where the domain can
#     (deauthorization = 1), else it stays and the record says not-enforced;
#   - security none: nothing can be held back: the record says so (VAKT_RESULT not-enforced) and
#     vaktd writes nothing; usbonly: no PCIe tunnel, vaktd writes nothing, the record says so.
import storage_testbed as st

TB_RULE = """
[storage.allow "approved-dock"]
vendor = 0001
product = 8003
serial = a3c5d6e7-1111-2222-3333-444455556666
mode = allow
"""


def user_level():
    tb = st.Testbed()
    domain, host = tb.add_tb_domain('user')
    v = st.Vaktd(tb, st.conf(default='block', rules=TB_RULE))
    try:
        v.ready()
        good = tb.add_tb_device(host, '0-1')
        r = v.wait_event('storage.allowed', good)
        for k, want in (('VAKT_DEVICE_BUS', 'thunderbolt'), ('VAKT_DEVICE_VENDOR_ID', '0001'),
                        ('VAKT_DEVICE_PRODUCT_ID', '8003'),
                        ('VAKT_DEVICE_SERIAL', 'a3c5d6e7-1111-2222-3333-444455556666'),
                        ('VAKT_DEVICE_NAME', 'Thunderbolt to Gigabit Ethernet'),
                        ('VAKT_DEVICE_MANUFACTURER', 'Apple, Inc.'),
                        ('VAKT_THUNDERBOLT_SECURITY', 'user'), ('VAKT_RESULT', 'success')):
            st.check(r.get(k) == want, '%s %r' % (k, r.get(k)), v)
        st.check(tb.wait_attr(good, 'authorized', '1'), 'approved device not authorised', v)

        # The same model with another unique_id (a forgery of vendor/device): blocked.
        bad = tb.add_tb_device(good, '0-301', unique_id='deadbeef-0000-0000-0000-000000000000')
        r = v.wait_event('storage.blocked', bad)
        st.check(r.get('MESSAGE', '').startswith("Thunderbolt device 'Thunderbolt to Gigabit "
                                                 "Ethernet' (0001:8003) was blocked"),
                 'message %r' % r.get('MESSAGE'), v)
        v.settle(0.3)
        st.check(tb.attr(bad, 'authorized') == '0', 'unapproved device authorised', v)
        st.check(not [e for e in v.records if e.get('VAKT_DEVICE_SYSPATH') == host],
                 'the host router was decided', v)

        # boltd (or a person with root) authorises it: the kernel sends "change"; vakt takes it
        # away again.
        with open(tb.path(bad, 'authorized'), 'w') as f:
            f.write('1')
        tb.tb.uevent(bad, 'change')
        st.check(tb.wait_attr(bad, 'authorized', '0'), 'device authorised behind vakt kept', v)

        tb.remove(bad)
        r = v.wait_event('storage.removed', bad)
        st.check(r.get('VAKT_DECISION') == 'block', 'removed %r' % r.get('VAKT_DECISION'), v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def secure_read_only():
    tb = st.Testbed()
    domain, host = tb.add_tb_domain('secure')
    v = st.Vaktd(tb, st.conf(default='read-only'))
    try:
        v.ready()
        dev = tb.add_tb_device(host, '0-1')
        r = v.wait_event('storage.blocked', dev)
        st.check('PCIe tunnel' in r.get('VAKT_LIMIT', ''), 'limit %r' % r.get('VAKT_LIMIT'), v)
        st.check(r.get('VAKT_THUNDERBOLT_SECURITY') == 'secure', 'level', v)
        v.settle(0.3)
        st.check(tb.attr(dev, 'authorized') == '0', 'read-only device authorised', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def coldplug_deauthorize():
    # One test bed at a time: a test bed freed after the next one was made unsets the
    # redirection of this process (umockdev).
    for deauth in ('1', '0'):
        coldplug_deauthorize_one(deauth)


def coldplug_deauthorize_one(deauth):
    tb = st.Testbed()
    domain, host = tb.add_tb_domain('user', deauthorization=deauth)
    dev = tb.add_tb_device(host, '0-1', authorized='1')
    v = st.Vaktd(tb, st.conf(default='block'))
    try:
        v.ready()
        r = v.wait_event('storage.blocked', dev)
        if deauth == '1':
            st.check(r.get('VAKT_RESULT') == 'success', 'result %r' % r.get('VAKT_RESULT'), v)
            st.check(tb.wait_attr(dev, 'authorized', '0'), 'not de-authorised', v)
        else:
            st.check(r.get('VAKT_RESULT') == 'not-enforced',
                     'result %r' % r.get('VAKT_RESULT'), v)
            st.check('cannot de-authorise' in r.get('VAKT_LIMIT', ''),
                     'limit %r' % r.get('VAKT_LIMIT'), v)
            v.settle(0.3)
            st.check(tb.attr(dev, 'authorized') == '1', 'authorized written anyway', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def levels_without_control():
    for level, result, text in (('none', 'not-enforced', 'security level none'),
                                ('usbonly', 'success', 'creates no PCIe tunnel'),
                                ('dponly', 'success', 'creates no PCIe tunnel'),
                                ('nopcie', 'success', 'creates no PCIe tunnel')):
        level_without_control(level, result, text)


def level_without_control(level, result, text):
    tb = st.Testbed()
    domain, host = tb.add_tb_domain(level)
    # At level none the firmware has authorised it already; elsewhere it never will be.
    authorized = '1' if level == 'none' else '0'
    v = st.Vaktd(tb, st.conf(default='block'))
    try:
        v.ready()
        dev = tb.add_tb_device(host, '0-1', authorized=authorized)
        r = v.wait_event('storage.blocked', dev)
        st.check(r.get('VAKT_RESULT') == result,
                 '%s: result %r' % (level, r.get('VAKT_RESULT')), v)
        st.check(text in r.get('VAKT_LIMIT', ''), '%s: limit %r' % (level, r.get('VAKT_LIMIT')),
                 v)
        st.check(r.get('VAKT_THUNDERBOLT_SECURITY') == level, 'level', v)
        st.check(text in r.get('MESSAGE', ''), 'message %r' % r.get('MESSAGE'), v)
        v.settle(0.3)
        st.check(tb.attr(dev, 'authorized') == authorized, '%s: vaktd wrote' % level, v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def all_cases():
    user_level()
    secure_read_only()
    coldplug_deauthorize()
    levels_without_control()


st.main(all_cases)
