"""Shared setup of the USB driver tests: a temp dir, the source tree's
profiles, and an assertion that prints both sides on failure; for the end
to end tests (test_usb_e2e_*), a broker, a subscriber and the daemon reading
emulated scanners (ScannerGateway), and the events they must deliver."""
import json
import os
import shutil
import sys
import tempfile

SRC = os.environ.get('DOCKSIDE_SRC', os.path.join(os.path.dirname(__file__), '..', '..'))


def profile(name):
    return os.path.join(SRC, 'firmware-profiles', name + '.ini')


def expect_lines(got, want, stderr=''):
    if got != want:
        raise AssertionError('probe output differs\nwant: %r\ngot:  %r\nstderr:\n%s' %
                             (want, got, stderr[-3000:]))


def run(test):
    tmp = tempfile.mkdtemp(prefix='dockside-usb-')
    try:
        test(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print('1 passed, 0 failed')


# End to end: the real daemon reads emulated scanners and publishes to a
# real broker. Events are compared whole, by seq, on each tenant's topic.

def connected(profile_name):
    """The `device` event data of a scanner that was opened."""
    return ('device', {'event': 'connected', 'profile': profile_name})


def disconnected(profile_name, detail):
    """The `device` event data of a scanner that was lost, and why."""
    return ('device', {'event': 'disconnected', 'profile': profile_name, 'detail': detail})


def scan(data):
    """A scan event's whole `data` object."""
    return ('scan', data)


def _json_lines(events):
    return ''.join('\n  %d %s %s' % (i + 1, kind, json.dumps(data, ensure_ascii=False))
                   for i, (kind, data) in enumerate(events))


class Scanner:
    """One [device] of the gateway: an emulated USB device (usbcap.UsbDevice
    with its reports already queued), its profile, tenant and match."""

    def __init__(self, usb, profile_name, tenant, match, name='dock-1-scanner', station='dock-1'):
        self.usb, self.profile = usb, profile_name
        self.tenant, self.match = tenant, match
        self.name, self.station = name, station


class ScannerGateway:
    """A mosquitto broker (tenants acme and globex plus the site), an admin
    subscriber on everything, and `dockside run` under umockdev-run with
    every scanner's description and capture. Use as a context manager;
    stop() returns the daemon's exit status."""

    TENANTS = {'acme': 'acme-pw-Usb1', 'globex': 'globex-pw-Usb2'}
    SITE_USER, SITE_PASS = 'site-test-dc1', 'site-pass-5k2j'

    def __init__(self, tmp, scanners):
        import usbcap
        from harness import Broker, Gateway, Subscriber
        self.scanners = scanners
        wrapper = [os.environ.get('UMOCKDEV_RUN') or 'umockdev-run']
        for i, s in enumerate(scanners):
            wrapper += s.usb.write(tmp.path, 'scanner%d' % i)
        wrapper.append('--')
        usbcap.asan_preload_ok(os.environ)
        users = dict(self.TENANTS, **{self.SITE_USER: self.SITE_PASS})
        self.broker = Broker(tmp, users, site_users=[self.SITE_USER])
        self.broker.start()
        self.sub = Subscriber(self.broker.port).start()
        tenants = {t: {'password': p} for t, p in self.TENANTS.items()}
        devices = [{'name': s.name, 'profile': s.profile, 'tenant': s.tenant, 'match': s.match,
                    'station': s.station} for s in scanners]
        self.gw = Gateway(tmp, self.broker.port, tenants, devices, wrapper=wrapper,
                          site_password=self.SITE_PASS)

    def __enter__(self):
        try:
            self.gw.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.gw.stop()
        finally:
            self.sub.stop()
            self.broker.stop()

    def stop(self):
        return self.gw.stop()

    def events(self, tenant):
        """The tenant's events as they arrived (first arrival of each seq),
        after checking that every events message sits on the topic of the
        tenant it names and that seq runs 1, 2, 3... without gaps."""
        from harness import PREFIX, assert_gapless_in_order
        gw_id = self.gw.gateway_id
        evs = []
        for topic, batch in self.sub.batches():
            assert topic in ('%s/%s/%s/events' % (PREFIX, batch.get('tenant'), gw_id),
                             '%s/_site/test-dc1/%s/events' % (PREFIX, gw_id)), (topic, batch)
            if batch.get('tenant') == tenant:
                assert batch['gateway'] == gw_id, batch
                evs += batch['events']
        order = assert_gapless_in_order(evs, tenant)
        assert not order or order[0] == 1, '%s: first seq is %d' % (tenant, order[0])
        first = {}
        for ev in evs:
            first.setdefault(ev['seq'], ev)
        return [first[s] for s in order]

    def expect_events(self, tenant, want, timeout=15):
        """Waits until the tenant's topic has len(want) events, then asserts
        them exactly: seq 1..n in order, the wire fields, the device, and
        each event's whole `data` object. The daemon's own count of the
        tenant's events must be n as well (nothing else was recorded)."""
        from harness import check_event_fields, wait_until
        by_name = {s.name: s for s in self.scanners}
        try:
            wait_until(lambda: len(self.events(tenant)) >= len(want), timeout,
                       what='%d events of %s' % (len(want), tenant))
        except AssertionError:
            raise AssertionError('%s\ngot: %s\nlog:\n%s' % (
                sys.exc_info()[1], json.dumps(self.events(tenant), ensure_ascii=False),
                self.gw.log()[-4000:]))
        got = self.events(tenant)
        if [(ev['kind'], ev['data']) for ev in got] != list(want):
            raise AssertionError('%s: events differ\nwant: %s\ngot:  %s\nlog:\n%s' % (
                tenant, _json_lines(want), _json_lines([(ev['kind'], ev['data']) for ev in got]),
                self.gw.log()[-3000:]))
        for ev in got:
            dev = by_name[ev['device']]
            assert dev.tenant == tenant, ev
            check_event_fields(ev, self.gw.gateway_id, tenant, dev.name, dev.station, ev['kind'])
        assert self.tenant_status(tenant)['last_seq'] == len(want), self.tenant_status(tenant)
        return got

    def status(self):
        return json.loads(self.gw.cli('status', '--json').stdout)

    def tenant_status(self, tenant):
        return {t['name']: t for t in self.status()['tenants']}[tenant]

    def device_status(self, name='dock-1-scanner'):
        return {d['name']: d for d in self.status()['devices']}[name]

    def expect_counters(self, want, name='dock-1-scanner'):
        """Asserts the named device counters of `status --json` (the others
        are not looked at) and returns the device's status."""
        dev = self.device_status(name)
        got = {k: dev['counters'][k] for k in want}
        assert got == want, '%s counters: want %r, got %r' % (name, want, dev['counters'])
        return dev
