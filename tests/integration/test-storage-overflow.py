# Bursts and lost uevents.
#  1. vaktd is stopped (SIGSTOP) while a burst of devices arrives; after SIGCONT every queued
#     uevent is decided. (The test bed's socket holds only net.unix.max_dgram_qlen datagrams, and
#     umockdev aborts rather than drop one, so the burst stays below that.)
#  2. Lost uevents: devices arrive and one leaves while vaktd's uevent socket is hidden from
#     umockdev, so vaktd never hears of them -- what a netlink ENOBUFS means on a real system.
#     A kernel ENOBUFS cannot be produced under umockdev (its sockets are AF_UNIX); vaktd's
#     answer to it is a re-enumeration of sysfs, the same one a reload does, so the test
#     triggers it with SIGHUP and checks that the missed devices are decided and the vanished
#     one is recorded as removed.
import glob
import os
import signal
import time

import storage_testbed as st


def run():
    tb = st.Testbed()
    hub = tb.add_root_hub()
    v = st.Vaktd(tb, st.conf(default='block'))
    try:
        v.ready()
        gone = tb.add_device('stick', hub, '1-99', serial='GONE')
        v.wait_event('storage.blocked', gone)

        burst = 8
        v.proc.send_signal(signal.SIGSTOP)
        sticks = [tb.add_device('stick', hub, '1-%d' % (i + 1), serial='B%02d' % i)
                  for i in range(burst)]
        v.proc.send_signal(signal.SIGCONT)
        for s in sticks:
            v.wait_event('storage.blocked', s, timeout=10)

        (sock,) = glob.glob(os.path.join(tb.root, 'event[0-9]*'))
        hidden = os.path.join(tb.root, 'hidden-socket')
        os.rename(sock, hidden)
        missed = [tb.add_device('stick', hub, '1-%d' % (burst + i + 1), serial='M%02d' % i)
                  for i in range(20)]
        missed_kbd = tb.add_device('keyboard', hub, '1-50')
        tb.tb.remove_device(gone)
        os.rename(hidden, sock)
        time.sleep(0.3)
        st.check(not any(r.get('VAKT_DEVICE_SERIAL', '').startswith('M') for r in v.records),
                 'vaktd heard of the hidden devices', v)

        v.proc.send_signal(signal.SIGHUP)
        for s in missed:
            v.wait_event('storage.blocked', s, timeout=10)
        v.wait_event('storage.removed', gone)
        st.check(tb.wait_attr(missed_kbd, 'authorized', '1'), 'missed keyboard not authorised', v)
        st.check(all(tb.attr(s, 'authorized') == '0' for s in sticks + missed),
                 'a stick authorised', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
