"""HID POS: a 150-byte GS1 DataMatrix scan arriving in three 64-byte
reports (continuation flag set on the first two) is one scan, with the AIM
id taken from the report's symbology bytes; a short scan in one report
follows; a report of another id is ignored."""
import sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
import usbcap
import usbtest

LONG = b'0109506000134352\x1d10' + b'L' * 20 + b'\x1d21' + bytes(range(0x30, 0x7b)) + b'\x1d240' + b'9' * 30
SHORT = b'4006381333931'


def test(tmp):
    assert len(LONG) > 112
    dev = usbcap.UsbDevice(0x0c2e, 0x0b87, iface_subclass=0, iface_protocol=0, packet_size=64)
    for r in usbcap.hidpos_reports(LONG, aim=b'd2', aim_offset=59):
        dev.report(r)
    other = bytearray(64)
    other[0] = 4
    other[1] = 5
    dev.report(bytes(other))
    for r in usbcap.hidpos_reports(SHORT, aim=b'E0', aim_offset=59):
        dev.report(r)
    lines, err = usbcap.run_probe(dev, usbtest.profile('honeywell-1950g-hid-pos'),
                                  'usb:0c2e:0b87', tmp)
    want = ['opened', 'scan ' + usbcap.probe_escape(b']d2' + LONG),
            'scan ' + usbcap.probe_escape(b']E0' + SHORT), 'counter bytes=%d' % (64 * 5)]
    usbtest.expect_lines(lines, want, err)


if __name__ == '__main__':
    usbtest.run(test)
