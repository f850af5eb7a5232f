"""End to end through the real daemon: a Zebra DS2208 in HID keyboard mode
(emulated by umockdev, read by the real driver and libusb inside `dockside
run`) scans a GS1-128 code with a GS separator; tenant acme's topic gets
the device's connected event, then exactly that scan, with the GS byte in
its text. An unplug (transfer error) yields the disconnected event."""
import errno
import os
import sys
sys.path.insert(0, os.path.dirname(__file__))
import usbcap
import usbtest
from harness import Broker, Gateway, Subscriber, run_test, check_event_fields, PREFIX

GS1 = ']C10109506000134352' + '10LOT42\x1d' + '21SER7'


def test(tmp):
    dev = usbcap.UsbDevice(0x05e0, 0x1200)
    dev.reports(usbcap.keyboard_reports(GS1 + '\r'))
    dev.transfer_error(errno.ENODEV)
    usbcap.asan_preload_ok(os.environ)
    wrapper = [os.environ.get('UMOCKDEV_RUN') or 'umockdev-run'] + dev.write(tmp.path) + ['--']
    tenants = {'acme': {'password': 'acme-pw-Usb1'}}
    broker = Broker(tmp, {'acme': 'acme-pw-Usb1', 'site-test-dc1': 'site-pass-5k2j'},
                    site_users=['site-test-dc1']).start()
    sub = Subscriber(broker.port).start()
    gw = Gateway(tmp, broker.port, tenants, [
        {'name': 'dock-1-scanner', 'profile': 'zebra-ds2208-hid-keyboard', 'tenant': 'acme',
         'match': 'usb:05e0:1200', 'station': 'dock-1'}], wrapper=wrapper)
    try:
        gw.start()
        sub.wait_events(3, tenant='acme', timeout=20)
        got = sub.events('acme')
        for topic, _ in got:
            assert topic == '%s/acme/%s/events' % (PREFIX, gw.gateway_id), topic
        evs = [ev for _, ev in got]
        assert [ev['seq'] for ev in evs[:3]] == [1, 2, 3], evs
        assert evs[0]['kind'] == 'device' and evs[0]['data']['event'] == 'connected', evs[0]
        scan = evs[1]
        check_event_fields(scan, gw.gateway_id, 'acme', 'dock-1-scanner', 'dock-1', 'scan')
        # Exactly this scan: the GS separator ended the lot number.
        assert scan['data'] == {'text': GS1, 'aim': ']C1', 'symbology': 'gs1-128',
                                'gs1': {'01': '09506000134352', '10': 'LOT42', '21': 'SER7'}}, scan
        assert evs[2]['kind'] == 'device' and evs[2]['data']['event'] == 'disconnected', evs[2]
        assert len([e for e in evs if e['kind'] == 'scan']) == 1, evs
        assert gw.stop() == 0
    finally:
        gw.stop()
        sub.stop()
        broker.stop()


if __name__ == '__main__':
    run_test(test)
