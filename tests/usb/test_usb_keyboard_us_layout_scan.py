"""A HID keyboard scanner with the US layout: a scan with AIM id, upper
and lower case, digits and punctuation, then a second scan, each framed by
Enter, reaches the device layer byte for byte (through real libusb on an
emulated device). Repeated characters (press, release, press) are kept."""
import sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
import usbcap
import usbtest

SCANS = [']C1Zebra-DS2208/ok', ']Q1AABBB111000aa--__', ']E09780201379624']


def test(tmp):
    dev = usbcap.UsbDevice(0x05e0, 0x1200)
    for s in SCANS:
        dev.reports(usbcap.keyboard_reports(s + '\r', 'us'))
    lines, err = usbcap.run_probe(dev, usbtest.profile('zebra-ds2208-hid-keyboard'),
                                  'usb:05e0:1200', tmp)
    want = ['opened'] + ['scan ' + s for s in SCANS] + \
        ['counter bytes=%d' % (8 * 2 * sum(len(s) + 1 for s in SCANS))]
    usbtest.expect_lines(lines, want, err)


if __name__ == '__main__':
    usbtest.run(test)
