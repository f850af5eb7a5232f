"""End to end, GS1-128 through keyboard scanners: two DS2208s on one
gateway, told apart by serial number, one set to US for tenant acme and
one set to German for tenant globex. FNC1 separators reach the daemon as
GS (0x1D) in each way scanners send them: Ctrl + the key at the US ']'
position, Ctrl + the German ']' (AltGr+9), and Alt + keypad 0029. Each
tenant's topic gets exactly its own scanner's events, in seq order: the
text with its GS bytes, and the element strings split at them (SSCC,
GTIN, count, lot, a best-before date with day 00, a net weight in kg),
and a label with a wrong GTIN check digit recorded with its error."""
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
import usbcap
from harness import run_test
from usbtest import Scanner, ScannerGateway, connected, scan

US, DE = 'zebra-ds2208-hid-keyboard', 'zebra-ds2208-hid-keyboard-de'
GS = '\x1d'
PALLET = ']C1' + '00106141411234567897' + '0209506000134352' + '3712' + GS + '10LOT42' + GS + '15280200'
ITEM = ']C1' + '0119506000134359' + '3103000750' + '10ABC123' + GS + '21XYZ/7'
BAD_CHECK_DIGIT = ']C1' + '0119506000134358' + '10ABC'

PALLET_DATA = {'text': PALLET, 'aim': ']C1', 'symbology': 'gs1-128',
               'gs1': {'00': '106141411234567897', '02': '09506000134352', '37': '12',
                       '10': 'LOT42', '15': '280200'},
               'dates': {'15': '2028-02-29'}}
ITEM_DATA = {'text': ITEM, 'aim': ']C1', 'symbology': 'gs1-128',
             'gs1': {'01': '19506000134359', '3103': '000750', '10': 'ABC123', '21': 'XYZ/7'},
             'measures': {'3103': 0.75}}
BAD_DATA = {'text': BAD_CHECK_DIGIT, 'aim': ']C1', 'symbology': 'gs1-128',
            'error': 'AI 01: check digit 9 expected, got 8'}

CTRL_US_BRACKET = (0x30, usbcap.LCTRL)                  # Ctrl+] on a US keyboard
CTRL_DE_BRACKET = (0x26, usbcap.LCTRL | usbcap.RALT)    # Ctrl+AltGr+9 on a German one


def type_scan(dev, text, layout, gs_key=CTRL_US_BRACKET, alt_numpad=False):
    """Queues the reports of one scan and its Enter; GS typed as gs_key
    or, with alt_numpad, as Alt + keypad 0029."""
    for i, part in enumerate(text.split(GS)):
        if i:
            if alt_numpad:
                dev.reports(usbcap.alt_numpad_reports(0x1d))
            else:
                dev.reports(usbcap.keyboard_reports(GS, layout, gs_key=gs_key))
        dev.reports(usbcap.keyboard_reports(part, layout))
    dev.reports(usbcap.keyboard_reports('\r', layout))


def test(tmp):
    us = usbcap.UsbDevice(0x05e0, 0x1200, serial='DS2208-US01', devnum=2, port='1-1')
    type_scan(us, PALLET, 'us')
    type_scan(us, ITEM, 'us')
    type_scan(us, BAD_CHECK_DIGIT, 'us')
    de = usbcap.UsbDevice(0x05e0, 0x1200, serial='DS2208-DE01', devnum=3, port='1-2')
    type_scan(de, PALLET, 'de', CTRL_US_BRACKET)
    type_scan(de, ITEM, 'de', CTRL_DE_BRACKET)
    type_scan(de, PALLET, 'de', alt_numpad=True)
    scanners = [Scanner(us, US, 'acme', 'usb:05e0:1200 serial=DS2208-US01', 'dock-1-scanner', 'dock-1'),
                Scanner(de, DE, 'globex', 'usb:05e0:1200 serial=DS2208-DE01', 'dock-2-scanner', 'dock-2')]
    with ScannerGateway(tmp, scanners) as sg:
        sg.expect_events('acme', [connected(US), scan(PALLET_DATA), scan(ITEM_DATA), scan(BAD_DATA)])
        sg.expect_events('globex', [connected(DE), scan(PALLET_DATA), scan(ITEM_DATA), scan(PALLET_DATA)])
        sg.expect_counters({'readings': 3, 'decode_errors': 1, 'bad_reports': 0}, 'dock-1-scanner')
        sg.expect_counters({'readings': 3, 'decode_errors': 0, 'bad_reports': 0}, 'dock-2-scanner')
        assert sg.stop() == 0


if __name__ == '__main__':
    run_test(test)
