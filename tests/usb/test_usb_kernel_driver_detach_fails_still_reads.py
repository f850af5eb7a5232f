"""Asking for and detaching the kernel driver fails on this device (as
umockdev makes it, and as on kernels without usbfs driver control): the
driver logs it, claims the interface anyway, and reads scans."""
import sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
import usbcap
import usbtest


def test(tmp):
    dev = usbcap.UsbDevice(0x05e0, 0x1200, serial='DS2208-0042')
    dev.reports(usbcap.keyboard_reports(']C1DETACH-FAILED\r'))
    lines, err = usbcap.run_probe(dev, usbtest.profile('zebra-ds2208-hid-keyboard'),
                                  'usb:05e0:1200 serial=DS2208-0042', tmp, log_level='debug')
    assert 'cannot query the kernel driver' in err, err
    usbtest.expect_lines(lines[:2], ['opened', 'scan ]C1DETACH-FAILED'], err)


if __name__ == '__main__':
    usbtest.run(test)
