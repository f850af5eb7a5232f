"""A keyboard scanner unplugged in the middle of a scan: the transfer
completes with -ENODEV (what the kernel reports on unplug), the driver
reports the device lost, the half scan is dropped and counted (never
recorded as a short scan), and when the supervisor opens the device again
the next scan arrives whole.

umockdev-run cannot make the device vanish from sysfs and come back, so the
unplug is the kernel's transfer error and the replug is the reopen."""
import errno
import sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
import usbcap
import usbtest


def test(tmp):
    dev = usbcap.UsbDevice(0x05e0, 0x1200)
    dev.reports(usbcap.keyboard_reports(']C1FIRST\r'))
    dev.reports(usbcap.keyboard_reports(']C1HALF'))
    dev.transfer_error(errno.ENODEV)
    dev.reports(usbcap.keyboard_reports(']C1AFTER-REPLUG\r'))
    dev.transfer_error(errno.EPROTO)
    dev.reports(usbcap.keyboard_reports(']C1AFTER-ERROR\r'))
    lines, err = usbcap.run_probe(dev, usbtest.profile('zebra-ds2208-hid-keyboard'),
                                  'usb:05e0:1200', tmp, ['--reopen'])
    want = ['opened', 'scan ]C1FIRST', 'lost device unplugged', 'reopened',
            'scan ]C1AFTER-REPLUG', 'lost USB transfer error', 'reopened', 'scan ]C1AFTER-ERROR']
    usbtest.expect_lines([l for l in lines if not l.startswith('counter')], want, err)
    assert 'counter bad_reports=1' in lines, lines
    assert 'counter disconnects=2' in lines, lines
    assert 'half-received scan of 7 bytes dropped' in err, err


if __name__ == '__main__':
    usbtest.run(test)
