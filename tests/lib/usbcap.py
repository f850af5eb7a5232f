"""Generate umockdev USB device descriptions and usbmon pcap captures.

A test describes a scanner (ids, interface, endpoint) and the interrupt IN
reports it sends; this module writes the two files `umockdev-run` needs:

  device.umockdev   sysfs attributes and the binary descriptors of one USB
                    device with one HID interface and interrupt endpoint 0x81
  capture.pcap      classic pcap, LINKTYPE_USB_LINUX_MMAPPED (220): for each
                    report one submit (S) and one complete (C) record on 0x81

umockdev replays the capture strictly in order: every URB the driver submits
is matched against the next S record (type, endpoint, length), and its
completion carries the C record's data and status. A C record with a
negative errno status (-ENODEV) is how a transfer error or unplug reaches the
driver.

Keyboard reports come from text through a layout table (the inverse of
drivers/hid_keymap.c, written independently here so the test can catch a
wrong table on either side).
"""

import errno
import struct

LINKTYPE_USB_LINUX_MMAPPED = 220
URB_INTERRUPT = 1

# Modifier bits of a boot keyboard report.
LCTRL, LSHIFT, LALT, RALT = 0x01, 0x02, 0x04, 0x40

# Layout tables: character -> (usage, modifiers). Only what tests type.
_US_LETTERS = {chr(ord('a') + i): 0x04 + i for i in range(26)}
_DIGITS_US = {'1': 0x1e, '2': 0x1f, '3': 0x20, '4': 0x21, '5': 0x22,
              '6': 0x23, '7': 0x24, '8': 0x25, '9': 0x26, '0': 0x27}


def _base_us():
    t = {}
    for c, u in _US_LETTERS.items():
        t[c] = (u, 0)
        t[c.upper()] = (u, LSHIFT)
    for c, u in _DIGITS_US.items():
        t[c] = (u, 0)
    for c, u in zip('!@#$%^&*()', range(0x1e, 0x28)):
        t[c] = (u, LSHIFT)
    t.update({' ': (0x2c, 0), '-': (0x2d, 0), '_': (0x2d, LSHIFT), '=': (0x2e, 0),
              '+': (0x2e, LSHIFT), '[': (0x2f, 0), '{': (0x2f, LSHIFT), ']': (0x30, 0),
              '}': (0x30, LSHIFT), '\\': (0x31, 0), '|': (0x31, LSHIFT), ';': (0x33, 0),
              ':': (0x33, LSHIFT), "'": (0x34, 0), '"': (0x34, LSHIFT), '`': (0x35, 0),
              '~': (0x35, LSHIFT), ',': (0x36, 0), '<': (0x36, LSHIFT), '.': (0x37, 0),
              '>': (0x37, LSHIFT), '/': (0x38, 0), '?': (0x38, LSHIFT),
              '\r': (0x28, 0), '\t': (0x2b, 0)})
    return t


def _base_de():
    t = {}
    for c, u in _US_LETTERS.items():
        t[c] = (u, 0)
        t[c.upper()] = (u, LSHIFT)
    # QWERTZ: y and z swap places.
    t['z'], t['Z'] = (0x1c, 0), (0x1c, LSHIFT)
    t['y'], t['Y'] = (0x1d, 0), (0x1d, LSHIFT)
    for c, u in _DIGITS_US.items():
        t[c] = (u, 0)
    for c, u in zip('!"\u00a7$%&/()=', range(0x1e, 0x28)):
        t[c] = (u, LSHIFT)
    t.update({'\u00df': (0x2d, 0), '?': (0x2d, LSHIFT), '\\': (0x2d, RALT),
              '\u00fc': (0x2f, 0), '\u00dc': (0x2f, LSHIFT),
              '+': (0x30, 0), '*': (0x30, LSHIFT), '~': (0x30, RALT),
              '#': (0x32, 0), "'": (0x32, LSHIFT),
              '\u00f6': (0x33, 0), '\u00d6': (0x33, LSHIFT),
              '\u00e4': (0x34, 0), '\u00c4': (0x34, LSHIFT),
              ',': (0x36, 0), ';': (0x36, LSHIFT), '.': (0x37, 0), ':': (0x37, LSHIFT),
              '-': (0x38, 0), '_': (0x38, LSHIFT), '<': (0x64, 0), '>': (0x64, LSHIFT),
              '|': (0x64, RALT), '@': (0x14, RALT), '\u20ac': (0x08, RALT),
              '\u00b5': (0x10, RALT), '{': (0x24, RALT), '[': (0x25, RALT),
              ']': (0x26, RALT), '}': (0x27, RALT), '\u00b2': (0x1f, RALT),
              '\u00b3': (0x20, RALT), ' ': (0x2c, 0), '\r': (0x28, 0), '\t': (0x2b, 0)})
    return t


LAYOUTS = {'us': _base_us(), 'de': _base_de()}

# GS (0x1D) as scanners send it: Ctrl + the key at the US ']' position.
GS_KEY = (0x30, LCTRL)


def keyboard_reports(text, layout='us', gs_key=GS_KEY):
    """Boot keyboard reports typing `text`: a press report and an all-zero
    release report per character, so repeated characters arrive as press,
    release, press. '\\x1d' is typed as gs_key."""
    table = LAYOUTS[layout]
    out = []
    for ch in text:
        if ch == '\x1d':
            usage, mods = gs_key
        else:
            usage, mods = table[ch]
        out.append(bytes([mods, 0, usage, 0, 0, 0, 0, 0]))
        out.append(bytes(8))
    return out


def alt_numpad_reports(value):
    """Alt held while the decimal digits of `value` are typed on the keypad,
    then Alt released: the Windows way of entering one byte."""
    keypad = {'1': 0x59, '2': 0x5a, '3': 0x5b, '4': 0x5c, '5': 0x5d, '6': 0x5e,
              '7': 0x5f, '8': 0x60, '9': 0x61, '0': 0x62}
    out = [bytes([LALT, 0, 0, 0, 0, 0, 0, 0])]
    for d in '%04d' % value:
        out.append(bytes([LALT, 0, keypad[d], 0, 0, 0, 0, 0]))
        out.append(bytes([LALT, 0, 0, 0, 0, 0, 0, 0]))
    out.append(bytes(8))
    return out


def hidpos_reports(data, aim=b'', report_id=2, report_len=64, length_offset=1,
                   data_offset=2, data_max=56, aim_offset=58, cont_offset=63, cont_mask=0x01):
    """HID POS input reports carrying one scan, split over as many reports
    as it needs; every report but the last has the continuation flag set.
    Offsets follow the profile's [hidpos] keys."""
    chunks = [data[i:i + data_max] for i in range(0, len(data), data_max)] or [b'']
    out = []
    for i, chunk in enumerate(chunks):
        r = bytearray(report_len)
        if report_id >= 0:
            r[0] = report_id
        r[length_offset] = len(chunk)
        r[data_offset:data_offset + len(chunk)] = chunk
        if aim_offset >= 0 and aim:
            r[aim_offset:aim_offset + len(aim)] = aim
        if i < len(chunks) - 1:
            r[cont_offset] |= cont_mask
        out.append(bytes(r))
    return out


class UsbDevice:
    """One USB device with one HID interface and one interrupt IN endpoint."""

    def __init__(self, vid, pid, serial=None, busnum=1, devnum=2, port='1-1',
                 iface_class=3, iface_subclass=1, iface_protocol=1, packet_size=8,
                 endpoint=0x81, manufacturer='Test', product='Scanner'):
        self.vid, self.pid, self.serial = vid, pid, serial
        self.busnum, self.devnum, self.port = busnum, devnum, port
        self.iface_class, self.iface_subclass = iface_class, iface_subclass
        self.iface_protocol, self.packet_size = iface_protocol, packet_size
        self.endpoint = endpoint
        self.manufacturer, self.product = manufacturer, product
        self.sysfs = '/devices/pci0000:00/0000:00:14.0/usb%d/%s' % (busnum, port)
        self.records = []
        self._next_id = 0x1000

    def descriptors(self):
        dev = struct.pack('<BBHBBBBHHHBBBB', 18, 1, 0x0200, 0, 0, 0, 64, self.vid,
                          self.pid, 0x0100, 1, 2, 3 if self.serial else 0, 1)
        iface = struct.pack('<BBBBBBBBB', 9, 4, 0, 0, 1, self.iface_class,
                            self.iface_subclass, self.iface_protocol, 0)
        hid = struct.pack('<BBHBBBH', 9, 0x21, 0x0111, 0, 1, 0x22, 63)
        ep = struct.pack('<BBBBHB', 7, 5, self.endpoint, 3, self.packet_size, 1)
        total = 9 + len(iface) + len(hid) + len(ep)
        conf = struct.pack('<BBHBBBBB', 9, 2, total, 1, 1, 0, 0xa0, 50)
        return dev + conf + iface + hid + ep

    def umockdev_text(self):
        bus, dev = '%03d' % self.busnum, '%03d' % self.devnum
        lines = [
            'P: ' + self.sysfs,
            'N: bus/usb/%s/%s' % (bus, dev),
            'E: DEVNAME=/dev/bus/usb/%s/%s' % (bus, dev),
            'E: DEVTYPE=usb_device',
            'E: DRIVER=usb',
            'E: PRODUCT=%x/%x/100' % (self.vid, self.pid),
            'E: TYPE=0/0/0',
            'E: BUSNUM=' + bus,
            'E: DEVNUM=' + dev,
            'E: SUBSYSTEM=usb',
            'A: idVendor=%04x' % self.vid,
            'A: idProduct=%04x' % self.pid,
            'A: bcdDevice=0100',
            'A: busnum=%d' % self.busnum,
            'A: devnum=%d' % self.devnum,
            'A: speed=12',
            'A: bConfigurationValue=1',
            'A: bNumConfigurations=1',
            'A: bNumInterfaces= 1',
            'A: manufacturer=' + self.manufacturer,
            'A: product=' + self.product,
        ]
        if self.serial:
            lines.append('A: serial=' + self.serial)
        lines.append('H: descriptors=' + self.descriptors().hex().upper())
        return '\n'.join(lines) + '\n'

    def _record(self, kind, urb_id, status, length, data):
        hdr = struct.pack('<QBBBBHbbqiiII8siiII', urb_id, ord(kind), URB_INTERRUPT,
                          self.endpoint, self.devnum, self.busnum,
                          ord('-'), 0 if data else ord('<'),
                          1700000000, len(self.records), status, length, len(data),
                          bytes(8), 1, 0, 0, 0)
        assert len(hdr) == 64
        self.records.append(hdr + data)

    def report(self, data, size=None):
        """One interrupt IN transfer completing with `data`. The driver
        submits transfers of `size` bytes (the endpoint's packet size)."""
        size = self.packet_size if size is None else size
        assert len(data) <= size
        self._next_id += 1
        self._record('S', self._next_id, -errno.EINPROGRESS, size, b'')
        self._record('C', self._next_id, 0, len(data), bytes(data))

    def reports(self, reports):
        for r in reports:
            self.report(r)

    def transfer_error(self, err=errno.ENODEV):
        """The next transfer completes with -err: ENODEV is what the kernel
        reports when the device was unplugged; EPROTO a line error."""
        self._next_id += 1
        self._record('S', self._next_id, -errno.EINPROGRESS, self.packet_size, b'')
        self._record('C', self._next_id, -err, 0, b'')

    def pcap_bytes(self):
        out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, LINKTYPE_USB_LINUX_MMAPPED)]
        for i, rec in enumerate(self.records):
            out.append(struct.pack('<IIII', 1700000000, i, len(rec), len(rec)))
            out.append(rec)
        return b''.join(out)

    def write(self, directory, name='scanner'):
        """Writes NAME.umockdev and NAME.pcap; returns the umockdev-run
        arguments that load them."""
        dev_path = '%s/%s.umockdev' % (directory, name)
        pcap_path = '%s/%s.pcap' % (directory, name)
        with open(dev_path, 'w') as f:
            f.write(self.umockdev_text())
        with open(pcap_path, 'wb') as f:
            f.write(self.pcap_bytes())
        return ['-d', dev_path, '-p', '/sys%s=%s' % (self.sysfs, pcap_path)]


def run_probe(device, profile_path, match, workdir, extra=(), log_level='info'):
    """Runs tests/usb/usb_driver_probe (the real driver, real libusb) under
    umockdev-run with `device`'s description and capture. Returns
    (stdout lines, stderr text)."""
    import os
    import subprocess
    umockdev_run = os.environ.get('UMOCKDEV_RUN') or 'umockdev-run'
    args = [umockdev_run] + device.write(workdir) + [
        '--', os.environ['USB_PROBE'], profile_path, match] + list(extra)
    env = dict(os.environ, PROBE_LOG_LEVEL=log_level)
    asan_preload_ok(env)
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       timeout=60)
    if p.returncode != 0:
        raise AssertionError('probe failed (%d): %s %s' % (p.returncode, p.stdout, p.stderr))
    return p.stdout.decode('ascii').splitlines(), p.stderr.decode('utf-8', 'replace')


def asan_preload_ok(env):
    """umockdev-run preloads its library ahead of everything; a sanitizer
    build must then be told not to insist on coming first."""
    opts = env.get('ASAN_OPTIONS', '')
    if 'verify_asan_link_order' not in opts:
        env['ASAN_OPTIONS'] = (opts + ':' if opts else '') + 'verify_asan_link_order=0'
    return env


def probe_escape(data):
    """How the probe prints scan bytes: printable ASCII as is, the rest
    (and backslash) as \\xHH."""
    return ''.join(chr(b) if 0x20 <= b < 0x7f and b != 0x5c else '\\x%02x' % b for b in data)


def write_profile(path, name, driver, vid, pid, sections):
    """Writes a firmware profile file for a test. sections: {name: {k: v}}."""
    lines = ['[profile]', 'name = ' + name, 'vendor = Test', 'model = Test',
             'mode = test', 'driver = ' + driver, 'kind = scan', '',
             '[usb]', 'vid = %04x' % vid, 'pid = %04x' % pid]
    for sec, kv in sections.items():
        if sec != 'usb':
            lines += ['', '[%s]' % sec]
        lines += ['%s = %s' % (k, v) for k, v in kv.items()]
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path
