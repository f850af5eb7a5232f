"""Framing of keyboard scans: with suffix none a pause ends the scan; a
scan longer than max_length is cut there and counted as overlong; a
rollover error report is counted as bad and changes nothing; a device with
another serial number than the configured one is not opened."""
import sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
import usbcap
import usbtest


def test(tmp):
    prof = usbcap.write_profile(tmp + '/p.ini', 'p', 'usb-hid-keyboard', 0x05f9, 0x2206,
                                {'hid': {'layout': 'us'},
                                 'framing': {'suffix': 'none', 'timeout_ms': 100,
                                             'max_length': 10}})
    dev = usbcap.UsbDevice(0x05f9, 0x2206, serial='QD-1')
    dev.reports(usbcap.keyboard_reports('SHORT1'))
    dev.report(bytes([0, 0, 1, 1, 1, 1, 1, 1]))
    lines, err = usbcap.run_probe(dev, prof, 'usb:05f9:2206', tmp)
    usbtest.expect_lines(lines, ['opened', 'scan SHORT1', 'counter bytes=104',
                                 'counter bad_reports=1'], err)

    dev = usbcap.UsbDevice(0x05f9, 0x2206, serial='QD-1')
    dev.reports(usbcap.keyboard_reports('ABCDEFGHIJKLMNOP'))
    lines, err = usbcap.run_probe(dev, prof, 'usb:05f9:2206', tmp)
    usbtest.expect_lines(lines, ['opened', 'scan ABCDEFGHIJ', 'counter bytes=256',
                                 'counter overlong=1'], err)

    import subprocess
    try:
        usbcap.run_probe(dev, prof, 'usb:05f9:2206 serial=QD-2', tmp)
    except AssertionError as e:
        assert 'open failed' in str(e), e
    else:
        raise AssertionError('a scanner with another serial number was opened')


if __name__ == '__main__':
    usbtest.run(test)
