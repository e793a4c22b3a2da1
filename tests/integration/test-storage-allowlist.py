# A named rule allows one stick by vendor, product and serial; the same model with another serial
# is blocked. VAKT_RULE names the rule and where it is defined.
import storage_testbed as st

RULES = """
[storage.allow "approved-stick"]
vendor = 0951
product = 1666
serial = 1C6F654E5A
mode = allow
"""


def run():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    v = st.Vaktd(tb, st.conf(default='block', rules=RULES))
    try:
        v.ready()
        good = tb.add_device('stick', hub, '1-1')
        r = v.wait_event('storage.allowed', good, VAKT_DECISION='allow')
        line = st.conf(default='block', rules=RULES).splitlines().index(
            '[storage.allow "approved-stick"]') + 1
        st.check(r.get('VAKT_RULE') == 'approved-stick %s:%d' % (v.conf, line),
                 'VAKT_RULE %r' % r.get('VAKT_RULE'), v)
        st.check(tb.wait_attr(good, 'authorized', '1'), 'allowed stick not authorised', v)
        (intf,) = tb.add_interfaces('stick', good)
        st.check(tb.wait_attr(intf, 'authorized', '1'), 'storage interface not authorised', v)

        other = tb.add_device('stick', hub, '1-2', serial='OTHER123')
        r = v.wait_event('storage.blocked', other)
        st.check(r.get('VAKT_RULE', '').startswith('default '), 'decided by default', v)
        v.settle(0.3)
        st.check(tb.attr(other, 'authorized') == '0', 'other serial authorised', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
