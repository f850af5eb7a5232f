"""End to end, US keyboard country: a Zebra DS2208 in HID keyboard mode
(profile zebra-ds2208-hid-keyboard, emulated by umockdev, read by the real
driver and libusb inside `dockside run`) types five scans. Tenant acme's
topic gets the connected event and then each scan with its whole decoded
data: mixed case and shifted punctuation, repeated characters kept, an
EAN-13 as GTIN, and an EAN-13 with a wrong check digit recorded with its
decode error (the scan happened). Nothing reaches tenant globex."""
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
import usbcap
from harness import run_test
from usbtest import Scanner, ScannerGateway, connected, scan

PROFILE = 'zebra-ds2208-hid-keyboard'
SCANS = [']C0Zebra-DS2208/ok', ']C0!@#$%^&*()_+{}|:"<>?~`-=[]\\;\',./', ']Q1AABBB111000aa--__',
         ']E09780201379624', ']E09780201379625']
WANT = [
    connected(PROFILE),
    scan({'text': ']C0Zebra-DS2208/ok', 'aim': ']C0', 'symbology': 'code-128'}),
    scan({'text': ']C0!@#$%^&*()_+{}|:"<>?~`-=[]\\;\',./', 'aim': ']C0', 'symbology': 'code-128'}),
    scan({'text': ']Q1AABBB111000aa--__', 'aim': ']Q1', 'symbology': 'qr-code'}),
    scan({'text': ']E09780201379624', 'aim': ']E0', 'symbology': 'ean-13',
          'gs1': {'01': '09780201379624'}}),
    scan({'text': ']E09780201379625', 'aim': ']E0', 'symbology': 'ean-13',
          'error': 'EAN-13: check digit 4 expected, got 5'}),
]


def test(tmp):
    dev = usbcap.UsbDevice(0x05e0, 0x1200)
    for s in SCANS:
        dev.reports(usbcap.keyboard_reports(s + '\r', 'us'))
    with ScannerGateway(tmp, [Scanner(dev, PROFILE, 'acme', 'usb:05e0:1200')]) as sg:
        sg.expect_events('acme', WANT)
        st = sg.expect_counters({'readings': 5, 'decode_errors': 1, 'bad_reports': 0,
                                 'disconnects': 0, 'open_failures': 0,
                                 'bytes': 16 * sum(len(s) + 1 for s in SCANS)})
        assert st['state'] == 'connected' and st['last_error'] is None, st
        assert sg.events('globex') == [], sg.events('globex')
        assert sg.stop() == 0


if __name__ == '__main__':
    run_test(test)
