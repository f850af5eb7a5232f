"""The committed udev rules are exactly what deploy/gen-udev-rules.py
generates from firmware-profiles/, and the generator picks up a new USB
profile (a new scanner is a profile file, rules follow)."""
import os
import shutil
import subprocess
import sys
sys.path.insert(0, os.path.dirname(__file__))
import usbcap
import usbtest

GEN = os.path.join(usbtest.SRC, 'deploy', 'gen-udev-rules.py')
RULES = os.path.join(usbtest.SRC, 'deploy', 'udev', '60-dockside-scanners.rules')


def test(tmp):
    r = subprocess.run([sys.executable, GEN, '--check'], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(RULES) as f:
        rules = f.read()
    assert 'ATTR{idVendor}=="05e0", ATTR{idProduct}=="1200"' in rules, rules

    pdir = os.path.join(tmp, 'profiles')
    shutil.copytree(os.path.join(usbtest.SRC, 'firmware-profiles'), pdir)
    usbcap.write_profile(os.path.join(pdir, 'acme-x1-hid-keyboard.ini'), 'acme-x1-hid-keyboard',
                         'usb-hid-keyboard', 0x1234, 0xabcd, {'hid': {'layout': 'fr'}})
    out = os.path.join(tmp, 'rules')
    subprocess.run([sys.executable, GEN, pdir, out], check=True)
    with open(out) as f:
        new = f.read()
    assert '# acme-x1-hid-keyboard\n' in new, new
    assert 'ATTR{idVendor}=="1234", ATTR{idProduct}=="abcd"' in new, new
    r = subprocess.run([sys.executable, GEN, '--check', os.path.join(usbtest.SRC, 'firmware-profiles'), out],
                       capture_output=True, text=True)
    assert r.returncode == 1, 'check accepted rules that differ'


if __name__ == '__main__':
    usbtest.run(test)
