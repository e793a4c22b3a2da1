# Read-only: the device and its storage interface are authorised only after the marker for the
# udev rule exists; every disk and partition that appears is set read-only (BLKROSET; in the test
# bed the nodes are plain files, which vaktd reports as VAKT_RESULT=simulated, naming the node);
# unplugging removes the marker.
import os

import storage_testbed as st

RULES = """
[storage.allow "ro-stick"]
vendor = 0951
product = 1666
mode = read-only
"""


def run():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    v = st.Vaktd(tb, st.conf(default='block', rules=RULES))
    try:
        v.ready()
        stick = tb.add_device('stick', hub, '1-1')
        r = v.wait_event('storage.read_only', stick, VAKT_DECISION='read-only')
        st.check(r.get('VAKT_RULE', '').startswith('ro-stick '), 'rule', v)
        marker = os.path.join(v.run_dir, 'read-only', '1-1')
        st.check(tb.wait_attr(stick, 'authorized', '1'), 'read-only stick not authorised', v)
        st.check(os.path.exists(marker), 'no udev marker before authorisation', v)
        (intf,) = tb.add_interfaces('stick', stick)
        st.check(tb.wait_attr(intf, 'authorized', '1'), 'storage interface not authorised', v)
        disk, part = tb.add_disk(intf, partitions=1)
        for node in ('/dev/sdb', '/dev/sdb1'):
            r = v.wait_event('storage.read_only', stick, VAKT_FILE=node)
            st.check(r.get('VAKT_RESULT') == 'simulated', 'result %r' % r.get('VAKT_RESULT'), v)
        tb.remove(part)
        tb.remove(disk)
        tb.remove(intf)
        tb.remove(stick)
        v.wait_event('storage.removed', stick)
        st.check(not os.path.exists(marker), 'marker left behind', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
