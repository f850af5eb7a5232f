"""End to end, German keyboard country: a Zebra DS2208 set to German
(profile zebra-ds2208-hid-keyboard-de) types its scans on QWERTZ, so the
AIM prefix's ']' arrives as AltGr+9, y and z swap keys, and @ { [ ] } \\ ~ |
€ µ ² ³ need AltGr. Tenant acme's topic gets each scan as the scanner
meant it, umlauts and other non-ASCII characters as UTF-8 JSON strings,
with its whole decoded data (read with the US table, the same key
reports would have given 'Yzyz' for 'Zyzy')."""
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
import usbcap
from harness import run_test
from usbtest import Scanner, ScannerGateway, connected, scan

PROFILE = 'zebra-ds2208-hid-keyboard-de'
SCANS = [']C0Zyzy-YZ_', ']Q1a@b{c[d]e}f\\g~h|i',
         ']Q1\u20ac\u00b5\u00b2\u00b3#\'"\u00a7$%&/()=?',
         ']Q1Gr\u00f6\u00dfe \u00e4\u00f6\u00fc\u00c4\u00d6\u00dc<>;:,.*+']
WANT = [
    connected(PROFILE),
    scan({'text': ']C0Zyzy-YZ_', 'aim': ']C0', 'symbology': 'code-128'}),
    scan({'text': ']Q1a@b{c[d]e}f\\g~h|i', 'aim': ']Q1', 'symbology': 'qr-code'}),
    scan({'text': ']Q1€µ²³#\'"§$%&/()=?', 'aim': ']Q1', 'symbology': 'qr-code'}),
    scan({'text': ']Q1Größe äöüÄÖÜ<>;:,.*+', 'aim': ']Q1', 'symbology': 'qr-code'}),
]


def test(tmp):
    dev = usbcap.UsbDevice(0x05e0, 0x1200)
    for s in SCANS:
        dev.reports(usbcap.keyboard_reports(s + '\r', 'de'))
    with ScannerGateway(tmp, [Scanner(dev, PROFILE, 'acme', 'usb:05e0:1200')]) as sg:
        sg.expect_events('acme', WANT)
        sg.expect_counters({'readings': 4, 'decode_errors': 0, 'bad_reports': 0,
                            'invalid_utf8': 0, 'disconnects': 0,
                            'bytes': 16 * sum(len(s) + 1 for s in SCANS)})
        assert sg.events('globex') == []
        assert sg.stop() == 0


if __name__ == '__main__':
    run_test(test)
