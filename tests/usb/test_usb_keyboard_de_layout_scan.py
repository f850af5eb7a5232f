"""A HID keyboard scanner set to German: y and z swap places (QWERTZ),
Shift and AltGr characters (@ { [ ] } \\ ~ | € µ ² ³) and umlauts come out
as the scanner meant them (non-ASCII as UTF-8)."""
import sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
import usbcap
import usbtest

SCANS = ['Zyzy-YZ_', 'a@b{c[d]e}f\\g~h|i', '\u20ac\u00b5\u00b2\u00b3#\'"\u00a7$%&/()=?',
         '\u00e4\u00f6\u00fc\u00c4\u00d6\u00dc\u00df<>;:']


def test(tmp):
    prof = usbcap.write_profile(tmp + '/de.ini', 'de', 'usb-hid-keyboard', 0x0c2e, 0x0b61,
                                {'hid': {'layout': 'de'}, 'framing': {'suffix': 'cr'}})
    dev = usbcap.UsbDevice(0x0c2e, 0x0b61)
    for s in SCANS:
        dev.reports(usbcap.keyboard_reports(s + '\r', 'de'))
    lines, err = usbcap.run_probe(dev, prof, 'usb:0c2e:0b61', tmp)
    want = ['opened'] + ['scan ' + usbcap.probe_escape(s.encode()) for s in SCANS]
    usbtest.expect_lines([l for l in lines if not l.startswith('counter')], want, err)


if __name__ == '__main__':
    usbtest.run(test)
