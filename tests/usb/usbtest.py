"""Shared setup of the USB driver tests: a temp dir, the source tree's
profiles, and an assertion that prints both sides on failure."""
import os
import shutil
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
