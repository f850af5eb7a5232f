"""End to end, HID POS: a Honeywell Xenon 1950g in HID POS mode (profile
honeywell-1950g-hid-pos: 64-byte reports, report id 2, up to 56 data bytes
each, AIM id in the report, continuation flag in byte 63) sends a GS1
DataMatrix of 115 bytes in three reports, a report of another id, an
EAN-13 in one report, and a DataMatrix of 57 bytes (one full report and
one byte). Tenant acme's topic gets each as one scan with its AIM id and
whole decoded data. A last scan whose continuation report never comes is
dropped after the profile's 500 ms and counted, never published cut."""
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
import usbcap
from harness import run_test, wait_until
from usbtest import Scanner, ScannerGateway, connected, scan

PROFILE = 'honeywell-1950g-hid-pos'
GS = b'\x1d'
LONG = (b'0109506000134352' + b'10' + b'L' * 20 + GS + b'21' + b'S' * 20 + GS +
        b'240' + b'A' * 30 + GS + b'400PO-4711' + GS + b'17280229')
EAN = b'4006381333931'
FULL_PLUS_ONE = b'X' * 56 + b'Y'
CUT = b'0109506000134352' + b'10' + b'Z' * 40


def pos_reports(data, aim):
    return usbcap.hidpos_reports(data, aim=aim, aim_offset=59)


def test(tmp):
    assert len(LONG) == 115 and len(pos_reports(LONG, b'd2')) == 3
    dev = usbcap.UsbDevice(0x0c2e, 0x0b87, iface_subclass=0, iface_protocol=0, packet_size=64)
    dev.reports(pos_reports(LONG, b'd2'))
    other = bytearray(64)
    other[0], other[1] = 4, 5
    dev.report(bytes(other))
    dev.reports(pos_reports(EAN, b'E0'))
    dev.reports(pos_reports(FULL_PLUS_ONE, b'd1'))
    cut = pos_reports(CUT, b'd2')
    assert len(cut) == 2
    dev.report(cut[0])  # the second report never comes
    want = [
        connected(PROFILE),
        scan({'text': ']d2' + LONG.decode(), 'aim': ']d2', 'symbology': 'gs1-data-matrix',
              'gs1': {'01': '09506000134352', '10': 'L' * 20, '21': 'S' * 20, '240': 'A' * 30,
                      '400': 'PO-4711', '17': '280229'},
              'dates': {'17': '2028-02-29'}}),
        scan({'text': ']E04006381333931', 'aim': ']E0', 'symbology': 'ean-13',
              'gs1': {'01': '04006381333931'}}),
        scan({'text': ']d1' + FULL_PLUS_ONE.decode(), 'aim': ']d1', 'symbology': 'data-matrix'}),
    ]
    with ScannerGateway(tmp, [Scanner(dev, PROFILE, 'acme', 'usb:0c2e:0b87')]) as sg:
        sg.expect_events('acme', want)
        # The cut scan: dropped when its continuation times out.
        wait_until(lambda: sg.device_status()['counters']['bad_reports'] >= 1, 5,
                   what='the unfinished scan to be dropped')
        sg.expect_counters({'readings': 3, 'bad_reports': 1, 'decode_errors': 0,
                            'overlong': 0, 'disconnects': 0, 'bytes': 64 * 8})
        assert 'unfinished scan of 59 bytes dropped: the continuation report did not arrive' \
            in sg.gw.log(), sg.gw.log()[-3000:]
        sg.expect_events('acme', want)
        assert sg.events('globex') == []
        assert sg.stop() == 0


if __name__ == '__main__':
    run_test(test)
