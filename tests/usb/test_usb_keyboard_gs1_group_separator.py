"""GS1-128 through a keyboard scanner: FNC1 separators arrive as GS (0x1D)
whether the scanner sends Ctrl + usage 0x30 (the usual "Ctrl+]" in every
keyboard country), Ctrl + the layout's own ']' key (AltGr+9 on German), or
Alt + keypad 0029."""
import sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
import usbcap
import usbtest

GS1 = ']C10109506000134352' + '10ABC123\x1d' + '17261231' + '21XYZ\x1d' + '3103000750'


def test(tmp):
    # US layout, Ctrl + usage 0x30.
    dev = usbcap.UsbDevice(0x05e0, 0x1200)
    dev.reports(usbcap.keyboard_reports(GS1 + '\r', 'us'))
    lines, err = usbcap.run_probe(dev, usbtest.profile('zebra-ds2208-hid-keyboard'),
                                  'usb:05e0:1200', tmp)
    want = ['opened', 'scan ' + usbcap.probe_escape(GS1.encode())]
    usbtest.expect_lines(lines[:2], want, err)

    # German layout: Ctrl + 0x30, then Ctrl+AltGr+9 (the German ']'), then
    # Alt+0029 on the keypad.
    prof = usbcap.write_profile(tmp + '/de.ini', 'de', 'usb-hid-keyboard', 0x0c2e, 0x0b61,
                                {'hid': {'layout': 'de'}})
    dev = usbcap.UsbDevice(0x0c2e, 0x0b61)
    head, mid, tail = GS1.split('\x1d')
    dev.reports(usbcap.keyboard_reports(head, 'de'))
    dev.reports(usbcap.keyboard_reports('\x1d', 'de', gs_key=(0x30, usbcap.LCTRL)))
    dev.reports(usbcap.keyboard_reports(mid, 'de'))
    dev.reports(usbcap.keyboard_reports('\x1d', 'de', gs_key=(0x26, usbcap.LCTRL | usbcap.RALT)))
    dev.reports(usbcap.keyboard_reports(tail + '\r', 'de'))
    dev.reports(usbcap.keyboard_reports(head, 'de'))
    dev.reports(usbcap.alt_numpad_reports(29))
    dev.reports(usbcap.keyboard_reports(mid + '\r', 'de'))
    lines, err = usbcap.run_probe(dev, prof, 'usb:0c2e:0b61', tmp)
    want = ['opened', 'scan ' + usbcap.probe_escape(GS1.encode()),
            'scan ' + usbcap.probe_escape((head + '\x1d' + mid).encode())]
    usbtest.expect_lines(lines[:3], want, err)


if __name__ == '__main__':
    usbtest.run(test)
