# Coldplug and reload. At start: a waiting (unauthorised) stick is decided; an allowed stick that
# is already authorised (mounted, say) is left alone; an authorised stick the policy blocks is
# taken away. A reload (SIGHUP) that allows the blocked model authorises it and records that; the
# device whose decision did not change gets no new record and is not touched.
import signal

import storage_testbed as st

ALLOW_GOOD = """
[storage.allow "good"]
serial = GOOD
mode = allow
"""
ALLOW_WAITING = """
[storage.allow "waiting"]
serial = WAITING
mode = allow
"""


def run():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    good = tb.add_device('stick', hub, '1-1', authorized='1', serial='GOOD')
    bad = tb.add_device('stick', hub, '1-2', authorized='1', serial='BAD')
    waiting = tb.add_device('stick', hub, '1-3', serial='WAITING')
    v = st.Vaktd(tb, st.conf(default='block', rules=ALLOW_GOOD))
    try:
        v.ready()
        v.wait_event('storage.allowed', good)
        v.wait_event('storage.blocked', bad)
        v.wait_event('storage.blocked', waiting)
        st.check(tb.attr(hub, 'authorized_default') == '0', 'door open', v)
        st.check(tb.attr(good, 'authorized') == '1', 'allowed stick torn away at start', v)
        st.check(tb.wait_attr(bad, 'authorized', '0'), 'blocked stick kept', v)
        st.check(tb.attr(waiting, 'authorized') == '0', 'waiting stick authorised', v)

        # Mark the allowed stick: a reload must not write its authorized again.
        with open(tb.path(good, 'authorized'), 'w') as f:
            f.write('1\n')
        n_good = len([r for r in v.records if r.get('VAKT_DEVICE_SYSPATH') == good])
        v.write_conf(st.conf(default='block', rules=ALLOW_GOOD + ALLOW_WAITING))
        v.proc.send_signal(signal.SIGHUP)
        v.wait_event('policy.loaded', VAKT_CONFIG_FILES=v.conf, timeout=5) and None
        v.wait_event('storage.allowed', waiting)
        st.check(tb.wait_attr(waiting, 'authorized', '1'), 'reload did not authorise', v)
        v.settle(0.3)
        st.check(tb.attr(good, 'authorized') == '1' and
                 open(tb.path(good, 'authorized')).read() == '1\n',
                 'reload rewrote an unchanged device', v)
        st.check(len([r for r in v.records if r.get('VAKT_DEVICE_SYSPATH') == good]) == n_good,
                 'reload recorded an unchanged device', v)
        st.check(tb.attr(bad, 'authorized') == '0', 'reload changed the blocked stick', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
