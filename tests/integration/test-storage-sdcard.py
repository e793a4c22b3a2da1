# SD cards in a reader that is not a USB device (a PCI sdhci host; issue 16, item 3) get the
# storage policy and records of USB storage, enforced at the mmc door (vaktd(8), SD CARDS):
#   - at start vaktd closes the door (/sys/bus/mmc/drivers_autoprobe = 0);
#   - block: an inserted card is left unbound (drivers_probe not written), storage.blocked with
#     the card's identity (manfid/oemid/serial/name) and VAKT_DEVICE_BUS mmc; a card found bound
#     at start is unbound (mmcblk's unbind), and a disk that appears anyway is unbound again;
#   - allow (a named rule on manfid/oemid): the card is bound (drivers_probe), storage.allowed;
#     its removal gives storage.removed;
#   - read-only: the marker for the udev rule exists before the card is bound, its disks are
#     made read-only and recorded;
#   - reload: a policy that now allows a blocked card binds it; a seat change re-decides it;
#   - a built-in eMMC (type MMC) is bound and never decided, an SDIO card (Wi-Fi) neither;
#     observe mode opens the door.
import os
import signal

import storage_testbed as st

CARD_RULE = """
[storage.allow "approved-sd"]
vendor = 0003
product = 5344
serial = 0x2b3c4d5e
mode = allow
"""


def block_allow_remove():
    tb = st.Testbed()
    tb.mmc_bus()
    host = tb.add_sdhci_host()
    v = st.Vaktd(tb, st.conf(default='block', rules=CARD_RULE))
    try:
        v.ready()
        st.check(tb.bus_file('drivers_autoprobe') == '0', 'mmc door not closed', v)

        # An unknown card: blocked, left unbound.
        bad = tb.add_sd_card(host, rca='0001', serial='0x00000bad', name='EVIL')
        r = v.wait_event('storage.blocked', bad)
        for k, want in (('VAKT_DEVICE_BUS', 'mmc'), ('VAKT_DEVICE_VENDOR_ID', '0003'),
                        ('VAKT_DEVICE_PRODUCT_ID', '5344'), ('VAKT_DEVICE_SERIAL', '0x00000bad'),
                        ('VAKT_DEVICE_NAME', 'EVIL'), ('VAKT_DEVICE_PORT', 'mmc0:0001'),
                        ('VAKT_DECISION', 'block'), ('VAKT_RULE', None)):
            if want is None:
                st.check(r.get(k, '').startswith('default '), '%s %r' % (k, r.get(k)), v)
            else:
                st.check(r.get(k) == want, '%s %r' % (k, r.get(k)), v)
        st.check(r.get('MESSAGE', '').startswith("SD card 'EVIL' (0003:5344) was blocked"),
                 'message %r' % r.get('MESSAGE'), v)
        v.settle(0.3)
        st.check(tb.bus_file('drivers_probe') == '', 'blocked card bound', v)

        # Someone binds it by hand: its disk is unbound again.
        disks = tb.bind_card(bad)
        st.check(tb.wait_bus_file('drivers/mmcblk/unbind', 'mmc0:0001'),
                 'blocked card with a disk not unbound', v)
        tb.unbind_card(bad, disks)
        tb.clear_bus_file('drivers/mmcblk/unbind')

        # The approved card: bound, allowed.
        good = tb.add_sd_card(host, rca='aaaa')
        r = v.wait_event('storage.allowed', good)
        st.check(r.get('VAKT_RULE', '').startswith('approved-sd '), 'rule %r' % r.get('VAKT_RULE'),
                 v)
        st.check(tb.wait_bus_file('drivers_probe', 'mmc0:aaaa'), 'allowed card not bound', v)
        disks = tb.bind_card(good)
        v.settle(0.3)
        st.check(not v.events('storage.read_only'), 'allowed card made read-only', v)
        st.check(not os.path.exists(os.path.join(v.run_dir, 'read-only', 'mmc0:aaaa')),
                 'read-only marker for an allowed card', v)

        # Removed: the disks go, then the card.
        for d in reversed(disks):
            tb.remove(d)
        tb.remove(good)
        r = v.wait_event('storage.removed', good)
        st.check(r.get('VAKT_DECISION') == 'allow', 'removed decision %r' % r.get('VAKT_DECISION'),
                 v)
        st.check(r.get('VAKT_DEVICE_BUS') == 'mmc', 'removed bus', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def read_only():
    tb = st.Testbed()
    tb.mmc_bus()
    host = tb.add_sdhci_host()
    v = st.Vaktd(tb, st.conf(default='read-only'))
    try:
        v.ready()
        card = tb.add_sd_card(host)
        r = v.wait(lambda e: e.get('VAKT_EVENT') == 'storage.read_only' and
                   e.get('VAKT_DEVICE_SYSPATH') == card and 'VAKT_FILE' not in e,
                   what='read-only decision')
        st.check(r.get('VAKT_DECISION') == 'read-only', 'decision', v)
        st.check(tb.wait_bus_file('drivers_probe', 'mmc0:aaaa'), 'read-only card not bound', v)
        st.check(os.path.exists(os.path.join(v.run_dir, 'read-only', 'mmc0:aaaa')),
                 'no read-only marker for the udev rule', v)
        tb.bind_card(card)
        r = v.wait(lambda e: e.get('VAKT_EVENT') == 'storage.read_only' and
                   e.get('VAKT_FILE') == '/dev/mmcblk0', what='read-only disk')
        st.check(r.get('VAKT_RESULT') == 'simulated', 'result %r' % r.get('VAKT_RESULT'), v)
        v.wait(lambda e: e.get('VAKT_EVENT') == 'storage.read_only' and
               e.get('VAKT_FILE') == '/dev/mmcblk0p1', what='read-only partition')
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def coldplug_reload():
    tb = st.Testbed()
    tb.mmc_bus()
    host = tb.add_sdhci_host()
    # Found bound (the door was open before vaktd ran) and blocked: unbound.
    old = tb.add_sd_card(host, rca='0001', serial='0x00000bad', bound=True)
    # Found waiting at the closed door, approved by the reload below.
    waiting = tb.add_sd_card(host, rca='aaaa')
    v = st.Vaktd(tb, st.conf(default='block'))
    try:
        v.ready()
        v.wait_event('storage.blocked', old)
        v.wait_event('storage.blocked', waiting)
        st.check(tb.wait_bus_file('drivers/mmcblk/unbind', 'mmc0:0001'),
                 'blocked card found bound not unbound', v)
        st.check(tb.bus_file('drivers_probe') == '', 'a blocked card was bound', v)
        v.write_conf(st.conf(default='block', rules=CARD_RULE))
        v.proc.send_signal(signal.SIGHUP)
        v.wait_event('storage.allowed', waiting)
        st.check(tb.wait_bus_file('drivers_probe', 'mmc0:aaaa'), 'reload did not bind', v)
        v.settle(0.3)
        st.check(len([e for e in v.events('storage.blocked')
                      if e.get('VAKT_DEVICE_SYSPATH') == old]) == 1,
                 'a reload that changes nothing recorded the blocked card again', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def seat_change():
    """Rights belong to the person at the seat: read_write_groups lets a card in for its
    member; when she logs out the card is decided again for nobody and unbound."""
    accounts = st.LocalAccounts()
    bus = None
    try:
        accounts.group('vakt-test-sdrw')
        uid = accounts.user('vakt-test-sduser', ['vakt-test-sdrw'])
        bus = st.SystemBus()
        logind = st.Logind(bus)
        logind.add_session('c1', 'seat0', uid, 'vakt-test-sduser')
        tb = st.Testbed()
        tb.mmc_bus()
        host = tb.add_sdhci_host()
        v = st.Vaktd(tb, st.conf(default='block', rw='vakt-test-sdrw'),
                     extra_env={'DBUS_SYSTEM_BUS_ADDRESS': bus.address})
        try:
            v.ready()
            v.wait_logind()
            card = tb.add_sd_card(host)
            r = v.wait_event('storage.allowed', card)
            st.check(r.get('VAKT_USER') == 'vakt-test-sduser', 'user %r' % r.get('VAKT_USER'), v)
            st.check(tb.wait_bus_file('drivers_probe', 'mmc0:aaaa'), 'card not bound', v)
            tb.bind_card(card)
            logind.remove_session('c1')
            r = v.wait_event('storage.blocked', card)
            st.check('VAKT_USER' not in r, 'person after logout %r' % r.get('VAKT_USER'), v)
            st.check(tb.wait_bus_file('drivers/mmcblk/unbind', 'mmc0:aaaa'),
                     'card not unbound after the person left', v)
        finally:
            rc = v.stop()
        st.check(rc == 0, 'vaktd exit code %s' % rc)
    finally:
        accounts.remove()
        if bus:
            bus.stop()


def emmc():
    # A built-in eMMC waiting at the closed door is bound, never decided.
    tb = st.Testbed()
    tb.mmc_bus()
    host = tb.add_sdhci_host()
    emmc = tb.add_sd_card(host, rca='0001', card_type='MMC', manfid='0x000015', oemid='0x0100',
                          name='BJTD4R')
    # An SDIO card (Wi-Fi) on a second host: on the mmc bus, but no memory (drivers/mmc/core/
    # sdio.c attributes: vendor, device, revision); its functions are on the sdio bus.
    wifi_host = tb.add_sdhci_host(n=1)
    sdio = tb.tb.add_device('mmc', 'mmc1:0001', wifi_host,
                            ['type', 'SDIO', 'vendor', '0x02d0', 'device', '0x4329',
                             'revision', '0.0'],
                            ['MMC_TYPE', 'SDIO', 'SDIO_ID', '02D0:4329'])
    v = st.Vaktd(tb, st.conf(default='block'))
    try:
        v.ready()
        st.check(tb.wait_bus_file('drivers_probe', 'mmc0:0001'), 'eMMC not bound', v)
        v.settle(0.3)
        st.check(not [e for e in v.records if e.get('VAKT_DEVICE_SYSPATH') == emmc],
                 'the eMMC was decided', v)
        st.check(not [e for e in v.records if e.get('VAKT_DEVICE_SYSPATH') == sdio],
                 'the SDIO card was decided as storage', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


READER_RULE = """
[storage.allow "reader"]
vendor = 0bda
product = 0129
mode = allow
"""


def usb_reader():
    # A card in a USB card reader (rtsx_usb) is on the mmc bus too: the closed mmc door holds it
    # back, and vaktd binds it once its reader's function is authorised -- the USB device's
    # decision covers it; it is not decided again as an SD card.
    tb = st.Testbed()
    tb.mmc_bus()
    hub = tb.add_root_hub()
    v = st.Vaktd(tb, st.conf(default='block', rules=READER_RULE))
    try:
        v.ready()
        reader = tb.add_device('cardreader', hub, '1-1')
        v.wait_event('storage.allowed', reader)
        st.check(tb.wait_attr(reader, 'authorized', '1'), 'reader not authorised', v)
        (intf,) = tb.add_interfaces('cardreader', reader)
        st.check(tb.wait_attr(intf, 'authorized', '1'), 'reader interface not authorised', v)
        plat = tb.tb.add_device('platform', 'rtsx_usb_sdmmc.0', intf, [],
                                ['DRIVER', 'rtsx_usb_sdmmc'])
        host = tb.tb.add_device('mmc_host', 'mmc0', plat, [], [])
        card = tb.add_sd_card(host)
        st.check(tb.wait_bus_file('drivers_probe', 'mmc0:aaaa'),
                 'card of an allowed USB reader not bound', v)
        v.settle(0.3)
        st.check(not [e for e in v.records if e.get('VAKT_DEVICE_SYSPATH') == card],
                 'a USB reader\'s card was decided as an SD card', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def observe():
    # Observe mode: the door opens, a card that waited is bound, the record says "observe".
    tb = st.Testbed()
    tb.mmc_bus()
    with open(os.path.join(tb.root, 'sys', 'bus', 'mmc', 'drivers_autoprobe'), 'w') as f:
        f.write('0')
    host = tb.add_sdhci_host()
    card = tb.add_sd_card(host)
    v = st.Vaktd(tb, st.conf(mode='observe', default='block'))
    try:
        v.ready()
        r = v.wait_event('storage.blocked', card)
        st.check(r.get('VAKT_RESULT') == 'observe', 'result %r' % r.get('VAKT_RESULT'), v)
        st.check(tb.wait_bus_file('drivers_autoprobe', '1'), 'observe mode left the door shut',
                 v)
        st.check(tb.wait_bus_file('drivers_probe', 'mmc0:aaaa'), 'waiting card not bound', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'vaktd exit code %s' % rc)


def all_cases():
    block_allow_remove()
    read_only()
    coldplug_reload()
    seat_change()
    emmc()
    usb_reader()
    observe()


st.main(all_cases)
