# Shared helpers for the storage integration tests (test-storage-*.py): a umockdev test bed
# with USB root hubs and devices built from the real descriptor bytes in tests/data/usb, and the
# real vaktd running in it with --log-target json, its records read from its stdout.
#
# The test process must itself run under umockdev-wrapper: import this module first, it
# re-executes the test under the wrapper when needed.
import os
import shutil
import sys
import time

if os.environ.get('VAKT_UNDER_UMOCKDEV') != '1':
    if not shutil.which('umockdev-wrapper'):
        print('umockdev-wrapper is not installed', file=sys.stderr)
        sys.exit(77)
    os.environ['VAKT_UNDER_UMOCKDEV'] = '1'
    os.execvp('umockdev-wrapper', ['umockdev-wrapper', sys.executable] + sys.argv)

import gi  # noqa: E402

import vaktlib  # noqa: E402
from vaktlib import (  # noqa: E402,F401 (re-exported for the storage tests)
    LocalAccounts, Logind, PERSON_FIELDS, SystemBus, check, conf_line, fail, main)

gi.require_version('UMockdev', '1.0')
from gi.repository import UMockdev  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
USB_DATA = os.path.join(SRC, 'tests', 'data', 'usb')

BASE_CONF = """\
[storage]
mode = {mode}
default = {default}
while_locked = {while_locked}
read_write_groups = {rw}
read_only_groups = {ro}

[idle]
mode = off

[audit]
mode = off
"""

# Interface descriptor fields per fixture: (bInterfaceNumber, class, subclass, protocol).
FIXTURES = {
    'stick': ('stick-kingston-0951-1666', '0951', '1666', '1C6F654E5A', 'Kingston',
              'DataTraveler 3.0', '00', [(0, '08', '06', '50')]),
    'keyboard': ('keyboard-dell-413c-2107', '413c', '2107', None, 'Dell', 'Dell KB212-B', '00',
                 [(0, '03', '01', '01')]),
    'composite': ('composite-keyboard-storage', '1234', '5678', 'COMPO1', 'Acme',
                  'Keyboard with card reader', '00', [(0, '03', '01', '01'),
                                                      (1, '08', '06', '50')]),
    'hub': ('hub-genesys-05e3-0608', '05e3', '0608', None, 'GenesysLogic', 'USB2.0 Hub', '09',
            [(0, '09', '00', '00')]),
    'bad': ('bad-truncated-device', '6666', '0001', 'X', 'Evil', 'Truncated', '00',
            [(0, '08', '06', '50')]),
    # Real devices of issue 16 (tests/data/usb/README): functions that carry files behind
    # vendor-specific classes, and harmless ones. The iPhone's interfaces are those of its
    # configuration 2 (PTP + usbmux), which usbmuxd selects.
    'cardreader': ('cardreader-rts5129-0bda-0129', '0bda', '0129', '20100201', 'Generic',
                   'USB2.0-CRW', 'ff', [(0, 'ff', '06', '50')]),
    'mtp': ('phone-mtp-adb-18d1-4ee2', '18d1', '4ee2', 'R32D1037XYZ', 'Google', 'Nexus 10', '00',
            [(0, 'ff', 'ff', '00'), (1, 'ff', '42', '01')]),
    'ptp-phone': ('phone-ptp-18d1-4ee1', '18d1', '4ee1', '28041FDH2001ZX', 'Google', 'Pixel 7',
                  '00', [(0, '06', '01', '01')]),
    'iphone': ('iphone-05ac-12a8', '05ac', '12a8', '00008101000A2DC80E41001E', 'Apple Inc.',
               'iPhone', '00', [(0, '06', '01', '01'), (1, 'ff', 'fe', '02')]),
    'wifi': ('wifi-rtl8188eus-0bda-8179', '0bda', '8179', '00E04C0001', 'Realtek',
             '802.11n NIC', '00', [(0, 'ff', 'ff', 'ff')]),
    'headset': ('headset-cmedia-0d8c-0014', '0d8c', '0014', None, 'C-Media Electronics Inc.',
                'USB Audio Device', '00',
                [(0, '01', '01', '00'), (1, '01', '02', '00'), (2, '01', '02', '00'),
                 (3, '03', '00', '00')]),
    'printer': ('printer-hp-03f0-2b17', '03f0', '2b17', 'VNC3K12345', 'Hewlett-Packard',
                'HP LaserJet 1020', '00', [(0, '07', '01', '02')]),
    'smartcard': ('smartcard-alcor-058f-9540', '058f', '9540', None, 'Generic',
                  'EMV Smartcard Reader', '00', [(0, '0b', '00', '00')]),
}


def descriptor_bytes(name):
    text = open(os.path.join(USB_DATA, name + '.hex')).read()
    hexdigits = ''.join(line.split('#')[0] for line in text.splitlines())
    return bytes.fromhex(''.join(hexdigits.split()))


class Testbed:
    def __init__(self):
        self.tb = UMockdev.Testbed.new()
        self.root = self.tb.get_root_dir()
        self.sys = self.tb.get_sys_dir()
        self.next_block = 0

    def path(self, syspath, attr=None):
        p = os.path.join(self.root, syspath.lstrip('/'))
        return os.path.join(p, attr) if attr else p

    def attr(self, syspath, attr):
        try:
            with open(self.path(syspath, attr)) as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    def add_root_hub(self, n=1):
        return self.tb.add_device(
            'usb', 'usb%d' % n, None,
            ['authorized_default', '1', 'interface_authorized_default', '1', 'authorized', '1',
             'idVendor', '1d6b', 'idProduct', '0002', 'bDeviceClass', '09', 'busnum', str(n),
             'devnum', '1', 'product', 'xHCI Host Controller'],
            ['DEVTYPE', 'usb_device', 'ID_SEAT', 'seat0'])

    def add_device(self, kind, parent, port, authorized='0', serial=None):
        """The usb_device only, as the kernel shows a new, unauthorised device."""
        fx, vid, pid, ser, manu, prod, dclass, _ = FIXTURES[kind]
        name = os.path.basename(port)
        # Binary attributes first: umockdev 0.17 sends "add" before writing H: attributes.
        d = os.path.join(self.path(parent), name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'descriptors'), 'wb') as f:
            f.write(descriptor_bytes(fx))
        attrs = ['idVendor', vid, 'idProduct', pid, 'manufacturer', manu, 'product', prod,
                 'bDeviceClass', dclass, 'authorized', authorized, 'bConfigurationValue',
                 '1' if authorized == '1' else '', 'busnum', '1', 'devnum', '5']
        ser = serial or ser
        if ser:
            attrs += ['serial', ser]
        return self.tb.add_device('usb', name, parent, attrs, ['DEVTYPE', 'usb_device'])

    def add_interfaces(self, kind, dev, authorized='0'):
        """The interfaces, as the kernel adds them once the device is authorised."""
        out = []
        name = os.path.basename(dev)
        for num, cls, sub, proto in FIXTURES[kind][7]:
            out.append(self.tb.add_device(
                'usb', '%s:1.%d' % (name, num), dev,
                ['bInterfaceNumber', '%02x' % num, 'bInterfaceClass', cls,
                 'bInterfaceSubClass', sub, 'bInterfaceProtocol', proto,
                 'authorized', authorized],
                ['DEVTYPE', 'usb_interface']))
        return out

    def add_disk(self, intf, partitions=1):
        """A disk (and partitions) below a storage interface, with device nodes."""
        letter = chr(ord('b') + self.next_block)
        major, minor = 8, 16 * (self.next_block + 1)
        self.next_block += 1
        disk = 'sd' + letter
        devdir = os.path.join(self.root, 'dev')
        os.makedirs(devdir, exist_ok=True)
        for n in [disk] + ['%s%d' % (disk, i + 1) for i in range(partitions)]:
            open(os.path.join(devdir, n), 'w').close()
        host = self.tb.add_device('scsi', 'host%d' % self.next_block, intf, [], [])
        out = [self.tb.add_device(
            'block', disk, host,
            ['dev', '%d:%d' % (major, minor), 'removable', '1', 'ro', '0', 'size', '1000'],
            ['DEVNAME', '/dev/' + disk, 'DEVTYPE', 'disk', 'MAJOR', str(major),
             'MINOR', str(minor)])]
        for i in range(partitions):
            out.append(self.tb.add_device(
                'block', '%s%d' % (disk, i + 1), out[0],
                ['dev', '%d:%d' % (major, minor + i + 1), 'partition', str(i + 1), 'ro', '0'],
                ['DEVNAME', '/dev/%s%d' % (disk, i + 1), 'DEVTYPE', 'partition',
                 'MAJOR', str(major), 'MINOR', str(minor + i + 1)]))
        return out

    def add_mmc_disk(self, intf, partitions=1):
        """An SD card in a card reader driven by rtsx_usb: a platform device below the USB
        interface, its MMC host, the card, and mmcblk disks with device nodes."""
        n = self.next_block
        self.next_block += 1
        major, minor = 179, 8 * n
        disk = 'mmcblk%d' % n
        devdir = os.path.join(self.root, 'dev')
        os.makedirs(devdir, exist_ok=True)
        for name in [disk] + ['%sp%d' % (disk, i + 1) for i in range(partitions)]:
            open(os.path.join(devdir, name), 'w').close()
        plat = self.tb.add_device('platform', 'rtsx_usb_sdmmc.%d' % n, intf, [],
                                  ['DRIVER', 'rtsx_usb_sdmmc'])
        host = self.tb.add_device('mmc_host', 'mmc%d' % n, plat, [], [])
        card = self.tb.add_device('mmc', 'mmc%d:aaaa' % n, host, ['type', 'SD'],
                                  ['MMC_TYPE', 'SD'])
        out = [self.tb.add_device(
            'block', disk, card,
            ['dev', '%d:%d' % (major, minor), 'removable', '0', 'ro', '0', 'size', '1000'],
            ['DEVNAME', '/dev/' + disk, 'DEVTYPE', 'disk', 'MAJOR', str(major),
             'MINOR', str(minor)])]
        for i in range(partitions):
            out.append(self.tb.add_device(
                'block', '%sp%d' % (disk, i + 1), out[0],
                ['dev', '%d:%d' % (major, minor + i + 1), 'partition', str(i + 1), 'ro', '0'],
                ['DEVNAME', '/dev/%sp%d' % (disk, i + 1), 'DEVTYPE', 'partition',
                 'MAJOR', str(major), 'MINOR', str(minor + i + 1)]))
        return out

    # ---- SD cards in a PCI reader (tests/data/mmc/README) ----

    def mmc_bus(self):
        """/sys/bus/mmc as the kernel has it once mmc_core and mmc_block are loaded: the door
        switch, the probe file and mmcblk's unbind (plain files the test reads back)."""
        bus = os.path.join(self.root, 'sys', 'bus', 'mmc')
        os.makedirs(os.path.join(bus, 'drivers', 'mmcblk'), exist_ok=True)
        for f, v in (('drivers_autoprobe', '1'), ('drivers_probe', ''),
                     ('drivers/mmcblk/unbind', ''), ('drivers/mmcblk/bind', '')):
            with open(os.path.join(bus, f), 'w') as fh:
                fh.write(v)
        return bus

    def bus_file(self, name):
        try:
            with open(os.path.join(self.root, 'sys', 'bus', 'mmc', name)) as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    def wait_bus_file(self, name, value, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.bus_file(name) == value:
                return True
            time.sleep(0.01)
        return False

    def clear_bus_file(self, name):
        with open(os.path.join(self.root, 'sys', 'bus', 'mmc', name), 'w'):
            pass

    def add_sdhci_host(self, n=0):
        """A PCI SD host controller (Intel's sdhci-pci function, 8086:9dc4 on Cannon Lake
        laptops) and its mmc_host."""
        pci = self.tb.add_device(
            'pci', '0000:00:14.%d' % (5 + n), None,
            ['vendor', '0x8086', 'device', '0x9dc4', 'class', '0x080501'],
            ['DRIVER', 'sdhci-pci', 'PCI_CLASS', '80501', 'PCI_ID', '8086:9DC4'])
        return self.tb.add_device('mmc_host', 'mmc%d' % n, pci, [], [])

    def add_sd_card(self, host, rca='aaaa', card_type='SD', bound=False, serial='0x2b3c4d5e',
                    manfid='0x000003', oemid='0x5344', name='SU08G'):
        """A card as drivers/mmc/core/bus.c adds it (attributes of sd.c / mmc.c); bound=True:
        as found with the door open, mmcblk bound and its disk present."""
        hostname = os.path.basename(host)
        card = self.tb.add_device(
            'mmc', '%s:%s' % (hostname, rca), host,
            ['type', card_type, 'manfid', manfid, 'oemid', oemid, 'serial', serial,
             'name', name, 'date', '07/2019', 'cid', '035344535530384780' + serial[2:] + '0137',
             'hwrev', '0x8', 'fwrev', '0x0'],
            ['MMC_TYPE', card_type, 'MMC_NAME', name, 'MODALIAS', 'mmc:block'])
        if bound:
            self.bind_card(card)
        return card

    def bind_card(self, card, partitions=1):
        """What the kernel does when mmcblk binds a card: the driver link, the disks."""
        os.symlink(os.path.join(self.root, 'sys', 'bus', 'mmc', 'drivers', 'mmcblk'),
                   self.path(card, 'driver'))
        n = self.next_block
        self.next_block += 1
        major, minor = 179, 8 * n
        disk = 'mmcblk%d' % n
        devdir = os.path.join(self.root, 'dev')
        os.makedirs(devdir, exist_ok=True)
        for name in [disk] + ['%sp%d' % (disk, i + 1) for i in range(partitions)]:
            open(os.path.join(devdir, name), 'w').close()
        out = [self.tb.add_device(
            'block', disk, card,
            ['dev', '%d:%d' % (major, minor), 'removable', '0', 'ro', '0', 'size', '1000'],
            ['DEVNAME', '/dev/' + disk, 'DEVTYPE', 'disk', 'MAJOR', str(major),
             'MINOR', str(minor)])]
        for i in range(partitions):
            out.append(self.tb.add_device(
                'block', '%sp%d' % (disk, i + 1), out[0],
                ['dev', '%d:%d' % (major, minor + i + 1), 'partition', str(i + 1), 'ro', '0'],
                ['DEVNAME', '/dev/%sp%d' % (disk, i + 1), 'DEVTYPE', 'partition',
                 'MAJOR', str(major), 'MINOR', str(minor + i + 1)]))
        return out

    def unbind_card(self, card, disks):
        """What the kernel does when mmcblk is unbound: the disks go, then the link."""
        for d in reversed(disks):
            self.remove(d)
        os.unlink(self.path(card, 'driver'))

    # ---- Thunderbolt (tests/data/mmc/README) ----

    def add_tb_domain(self, security, deauthorization='1', n=0):
        """A Thunderbolt domain (its host controller a PCI device) and its host router."""
        pci = self.tb.add_device('pci', '0000:00:0d.%d' % (2 + n), None,
                                 ['vendor', '0x8086', 'device', '0x9a1b'],
                                 ['DRIVER', 'thunderbolt'])
        domain = self.tb.add_device(
            'thunderbolt', 'domain%d' % n, pci,
            ['security', security, 'deauthorization', deauthorization,
             'iommu_dma_protection', '1', 'boot_acl', ''],
            ['DEVTYPE', 'thunderbolt_domain', 'SECURITY', security])
        host = self.tb.add_device(
            'thunderbolt', '%d-0' % n, domain,
            ['authorized', '1', 'vendor', '0x8087', 'device', '0x9a1b', 'vendor_name', 'Intel',
             'device_name', 'Tiger Lake', 'unique_id', 'd5010000-0060-6c08-0301-8d71c5aeb12a'],
            ['DEVTYPE', 'thunderbolt_device', 'USB4_VERSION', '1.0'])
        return domain, host

    def add_tb_device(self, parent, route, authorized='0', vendor='0x1', device='0x8003',
                      vendor_name='Apple, Inc.', device_name='Thunderbolt to Gigabit Ethernet',
                      unique_id='a3c5d6e7-1111-2222-3333-444455556666'):
        name = route
        return self.tb.add_device(
            'thunderbolt', name, parent,
            ['authorized', authorized, 'vendor', vendor, 'device', device,
             'vendor_name', vendor_name, 'device_name', device_name, 'unique_id', unique_id,
             'key', '', 'rx_speed', '20.0 Gb/s', 'generation', '3'],
            ['DEVTYPE', 'thunderbolt_device', 'AUTHORIZED', authorized])

    def add_keyboard_input(self, parent, name):
        """An input device that udev's input_id marks as a keyboard, below parent (a USB
        interface, or None for a built-in keyboard on the i8042 controller)."""
        if parent is None:
            if not getattr(self, 'serio', None):
                i8042 = self.tb.add_device('platform', 'i8042', None, [], [])
                self.serio = self.tb.add_device('serio', 'serio0', i8042, [], [])
            parent = self.serio
        return self.tb.add_device('input', name, parent, ['name', 'AT Translated Set 2 keyboard'],
                                  ['ID_INPUT', '1', 'ID_INPUT_KEY', '1',
                                   'ID_INPUT_KEYBOARD', '1'])

    def remove(self, syspath):
        """Real unplug: remove uevent, then the directory (umockdev sends none itself)."""
        self.tb.uevent(syspath, 'remove')
        self.tb.remove_device(syspath)

    def wait_attr(self, syspath, attr, value, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.attr(syspath, attr) == value:
                return True
            time.sleep(0.01)
        return False


class Vaktd(vaktlib.Vaktd):
    """The real vaktd in the umockdev test bed tb."""

    def __init__(self, tb, conf_text, extra_env=None, **kwargs):
        self.tb = tb
        env = dict(os.environ)
        env['UMOCKDEV_DIR'] = tb.root
        env['LD_PRELOAD'] = 'libumockdev-preload.so.0'
        super().__init__(conf_text, extra_env, base_env=env, **kwargs)

    def stop(self):
        # Let go of the test bed now: its reader thread keeps this object alive, and a test bed
        # freed after the next one was made unsets that one's redirection in this process
        # (umockdev), which made a test with several test beds fail at random.
        rc = super().stop()
        self.tb = None
        return rc


def conf(mode='enforce', default='block', while_locked='policy', rw='', ro='', rules=''):
    return BASE_CONF.format(mode=mode, default=default, while_locked=while_locked, rw=rw,
                            ro=ro) + rules


