"""End to end, unplug in the middle of a scan: a keyboard scanner (tenant
acme) and a HID POS scanner (tenant globex) on one gateway. Each is
unplugged while a scan is half sent: the transfer completes with -ENODEV
(what the kernel reports on unplug), the tenant's topic gets a
`disconnected` device event, the half scan is dropped and counted (never
published as a short scan that could book the wrong thing), the
supervisor reopens the device (the replug: umockdev-run cannot make a
device vanish from sysfs and come back), `connected` follows and the next
scan arrives whole. The keyboard scanner then has a line error (-EPROTO),
recovers the same way, and scans again. All in seq order per tenant."""
import errno
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
import usbcap
from harness import run_test
from usbtest import Scanner, ScannerGateway, connected, disconnected, scan

KBD, POS = 'zebra-ds2208-hid-keyboard', 'honeywell-1950g-hid-pos'
LABEL = ']C1' + '0109506000134352' + '10LOT42'
LABEL_DATA = {'text': LABEL, 'aim': ']C1', 'symbology': 'gs1-128',
              'gs1': {'01': '09506000134352', '10': 'LOT42'}}
POS_SCAN = b'0109506000134352' + b'21' + b'S' * 20 + b'\x1d' + b'10' + b'B' * 20 + b'\x1d' + b'240' + b'7' * 30


def test(tmp):
    kbd = usbcap.UsbDevice(0x05e0, 0x1200, devnum=2, port='1-1')
    kbd.reports(usbcap.keyboard_reports(']C0FIRST\r'))
    kbd.reports(usbcap.keyboard_reports(LABEL[:-3]))      # ']C1...10LO', then unplugged
    kbd.transfer_error(errno.ENODEV)
    kbd.reports(usbcap.keyboard_reports(LABEL + '\r'))
    kbd.transfer_error(errno.EPROTO)
    kbd.reports(usbcap.keyboard_reports(']C0AFTER-ERROR\r'))

    pos = usbcap.UsbDevice(0x0c2e, 0x0b87, devnum=3, port='1-2', iface_subclass=0,
                           iface_protocol=0, packet_size=64)
    reports = usbcap.hidpos_reports(POS_SCAN, aim=b'd2', aim_offset=59)
    assert len(reports) == 2
    pos.report(reports[0])                                # first half, then unplugged
    pos.transfer_error(errno.ENODEV)
    pos.reports(reports)

    scanners = [Scanner(kbd, KBD, 'acme', 'usb:05e0:1200', 'dock-1-scanner', 'dock-1'),
                Scanner(pos, POS, 'globex', 'usb:0c2e:0b87', 'dock-2-scanner', 'dock-2')]
    with ScannerGateway(tmp, scanners) as sg:
        sg.expect_events('acme', [
            connected(KBD),
            scan({'text': ']C0FIRST', 'aim': ']C0', 'symbology': 'code-128'}),
            disconnected(KBD, 'device unplugged'),
            connected(KBD),
            scan(LABEL_DATA),
            disconnected(KBD, 'USB transfer error'),
            connected(KBD),
            scan({'text': ']C0AFTER-ERROR', 'aim': ']C0', 'symbology': 'code-128'}),
        ])
        sg.expect_events('globex', [
            connected(POS),
            disconnected(POS, 'device unplugged'),
            connected(POS),
            scan({'text': ']d2' + POS_SCAN.decode(), 'aim': ']d2', 'symbology': 'gs1-data-matrix',
                  'gs1': {'01': '09506000134352', '21': 'S' * 20, '10': 'B' * 20, '240': '7' * 30}}),
        ])
        st = sg.expect_counters({'readings': 3, 'bad_reports': 1, 'disconnects': 2,
                                 'open_failures': 0}, 'dock-1-scanner')
        assert st['state'] == 'connected' and st['last_error'] is None, st
        st = sg.expect_counters({'readings': 1, 'bad_reports': 1, 'disconnects': 1,
                                 'open_failures': 0}, 'dock-2-scanner')
        assert st['state'] == 'connected' and st['last_error'] is None, st
        log = sg.gw.log()
        assert 'device dock-1-scanner: half-received scan of %d bytes dropped' % (len(LABEL) - 3) in log, log
        assert 'device dock-2-scanner: unfinished scan of 59 bytes dropped: device closed' in log, log
        assert sg.stop() == 0


if __name__ == '__main__':
    run_test(test)
