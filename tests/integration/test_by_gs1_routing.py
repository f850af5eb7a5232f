"""`tenant = by-gs1` through the whole daemon: one shared pty scanner,
acme owns company prefix 40123 and globex the longer 401234567. Every scan
lands exactly where it should: on its owner's topic (longest prefix wins,
SSCC, GTIN and GLN keys alike), or in quarantine with a precise reason
(`quarantine list --json`) when the prefix is unknown, the check digit is
wrong, two keys name two tenants, or the scan carries no GS1 key. Nothing
quarantined is published anywhere, and no tenant sees another's scan.
Check digits are computed here."""
import json

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, PREFIX

GS = "\x1d"


def cd(body):
    """GS1 mod-10 check digit appended to body."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def bad_cd(body):
    good = cd(body)
    return body + str((int(good[-1]) + 1) % 10)


# (label, scan text, owner or None, reason substring for quarantine)
CASES = [
    ("gtin acme", "]C101" + cd("0401239999999"), "acme", None),
    ("gtin globex longest", "]C101" + cd("0401234567001"), "globex", None),
    ("gtin acme near globex", "]C101" + cd("0401234560001"), "acme", None),
    ("sscc globex", "]C100" + cd("04012345670000001"), "globex", None),
    ("sscc acme", "]C100" + cd("34012300000000001"), "acme", None),
    ("gln acme", "]C1414" + cd("401230000001"), "acme", None),
    ("ean-13 globex", "]E0" + cd("401234567123"), "globex", None),
    ("gtin+batch globex", "]C101" + cd("0401234567002") + "10LOT-9" + GS + "21SN1", "globex", None),
    ("unknown prefix", "]C101" + cd("0999999999999"), None, "no tenant owns the company prefix of AI 01"),
    ("bad check digit", "]C101" + bad_cd("0401239999999"), None, "check digit"),
    ("two tenants", "]C100" + cd("34012300000000002") + "01" + cd("0401234567001"), None,
     "conflicting owners: AI 00 belongs to acme, AI 01 to globex"),
    ("no gs1 key", "]C110LOT-1" + GS + "21SERIAL", None, "no GS1 key"),
    ("not gs1", "]A0PLAIN-TEXT-42", None, "carries no GS1 data"),
]


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2", "extra": "gs1_prefixes = 40123"},
               "globex": {"password": "globex-pw-Zk81", "extra": "gs1_prefixes = 401234567"}}
    broker = Broker(tmp, {k: v["password"] for k, v in tenants.items()} | {"site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sc = PtyScanner(tmp, "shared")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-shared", "profile": "zebra-ds2208-usb-cdc", "tenant": "by-gs1", "port": sc.link,
         "station": "dock-9"},
    ]).start()
    # The shared scanner's "connected" event is site health.
    wait_until(lambda: any("/_site/" in t and ev["kind"] == "device" for t, ev in sub.events()), 15,
               what="the shared scanner's connected event on the site topic")
    for _, text, _, _ in CASES:
        sc.scan(text)
    want = {"acme": [t for _, t, o, _ in CASES if o == "acme"],
            "globex": [t for _, t, o, _ in CASES if o == "globex"]}
    n_quarantine = sum(1 for c in CASES if c[2] is None)
    for tenant in want:
        sub.wait_events(len(want[tenant]), tenant=tenant)
    q = wait_until(lambda: (lambda q: q if q["count"] >= n_quarantine else None)(
        json.loads(gw.cli("quarantine", "list", "--json").stdout)), 15, what="quarantine rows")
    assert q["count"] == n_quarantine, q

    for tenant, texts in want.items():
        evs = sub.events(tenant)
        for topic, ev in evs:
            assert topic == "%s/%s/%s/events" % (PREFIX, tenant, gw.gateway_id), topic
            assert ev["id"].startswith("%s/%s/" % (gw.gateway_id, tenant)), ev
        got = [ev["data"]["text"] for _, ev in evs if ev["kind"] == "scan"]
        assert got == texts, (tenant, got, texts)

    rows = q["quarantine"]
    by_text = {}
    for r in rows:
        body = r.get("event") or {}
        text = (body.get("data") or {}).get("text")
        assert text is not None, r
        by_text[text] = r
    for label, text, owner, reason in CASES:
        if owner is not None:
            assert text not in by_text, "%s was quarantined: %r" % (label, by_text[text])
            continue
        assert text in by_text, "%s not in quarantine: %r" % (label, sorted(by_text))
        r = by_text[text]
        assert reason in r["reason"], "%s: reason %r lacks %r" % (label, r["reason"], reason)
        assert r["device"] == "dock-shared", r
        assert not r.get("stream"), r  # never reached a stream

    # Nothing quarantined, nor any scan, went anywhere else.
    everything = b"".join(p for _, p, _ in sub.snapshot())
    for label, text, owner, _ in CASES:
        needle = json.dumps(text)[1:-1].encode()
        if owner is None:
            assert needle not in everything, "%s was published" % label
    for topic, p, _ in sub.snapshot():
        if "/_site/" in topic:
            assert b'"kind":"scan"' not in p, (topic, p)
    st = json.loads(gw.cli("status", "--json").stdout)
    assert gw.stop() == 0
    tenants_st = {t["name"]: t for t in st["tenants"]}
    assert tenants_st["acme"]["last_seq"] == len(want["acme"]), tenants_st
    assert tenants_st["globex"]["last_seq"] == len(want["globex"]), tenants_st


if __name__ == "__main__":
    run_test(test)
