"""End to end, a scanner whose kernel driver cannot be queried or detached
(as umockdev makes it: libusb_kernel_driver_active fails with
LIBUSB_ERROR_OTHER, as on kernels without usbfs driver control): a
Honeywell Voyager 1250g in keyboard mode, matched by serial number. The
daemon logs why, claims the interface anyway, and tenant acme's topic gets
the connected event and the scans whole; the device is never counted as
failing to open."""
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
import usbcap
from harness import run_test
from usbtest import Scanner, ScannerGateway, connected, scan

PROFILE = 'honeywell-1250g-hid-keyboard'
SCANS = [']A0PART-4711', ']E00036000291452']


def test(tmp):
    dev = usbcap.UsbDevice(0x0c2e, 0x0b61, serial='17204B1234')
    for s in SCANS:
        dev.reports(usbcap.keyboard_reports(s + '\r'))
    with ScannerGateway(tmp, [Scanner(dev, PROFILE, 'acme', 'usb:0c2e:0b61 serial=17204B1234')]) as sg:
        sg.expect_events('acme', [
            connected(PROFILE),
            scan({'text': ']A0PART-4711', 'aim': ']A0', 'symbology': 'code-39'}),
            scan({'text': ']E00036000291452', 'aim': ']E0', 'symbology': 'ean-13',
                  'gs1': {'01': '00036000291452'}}),
        ])
        st = sg.expect_counters({'readings': 2, 'open_failures': 0, 'disconnects': 0,
                                 'bad_reports': 0})
        assert st['state'] == 'connected', st
        log = sg.gw.log()
        where = 'usb 1-1 addr 2 (0c2e:0b61)'
        assert 'cannot query the kernel driver of %s: LIBUSB_ERROR_OTHER' % where in log, log
        assert 'reading %s interface 0 endpoint 0x81 (8-byte reports)' % where in log, log
        assert 'cannot claim' not in log, log
        assert sg.stop() == 0


if __name__ == '__main__':
    run_test(test)
