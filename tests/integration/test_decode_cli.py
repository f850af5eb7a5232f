"""`dockside decode` as installers run it: the real binary, real profile
files in a temporary directory, checking JSON output and exit codes."""
import json
import os
import subprocess
import sys
import unittest

BIN = os.environ.get("DOCKSIDE_BIN", "dockside")


def run(args, stdin=None, env_extra=None):
    env = dict(os.environ)
    if env_extra:
        env.update(env_extra)
    p = subprocess.run([BIN, "decode"] + args, input=stdin, capture_output=True, env=env, timeout=30)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


class DecodeCli(unittest.TestCase):
    # Two shipped profiles, one per AIM setting (checked below so a
    # changed profile fails loudly here rather than silently passing).
    AIM_YES = "honeywell-1250g-usb-serial"
    AIM_NO = "datalogic-qd2430-rs232"

    @classmethod
    def setUpClass(cls):
        src = os.environ.get("DOCKSIDE_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
        cls.profile_dir = os.path.join(src, "firmware-profiles")
        cls.env = {"DOCKSIDE_PROFILE_DIR": cls.profile_dir}

    def profile_says(self, name, setting):
        with open(os.path.join(self.profile_dir, name + ".ini")) as f:
            lines = [l.split(";")[0].strip() for l in f]
        self.assertIn(setting, lines, "profile %s no longer has %s" % (name, setting))

    def test_gs1_128_with_gs_escape_decodes_exit_0(self):
        rc, out, _ = run([r"]C10109506000134352\x1d10ABC<GS>17261231"])
        self.assertEqual(rc, 0)
        data = json.loads(out)
        self.assertEqual(data["text"], "]C10109506000134352\x1d10ABC\x1d17261231")
        self.assertEqual(data["aim"], "]C1")
        self.assertEqual(data["symbology"], "gs1-128")
        self.assertEqual(data["gs1"], {"01": "09506000134352", "10": "ABC", "17": "261231"})
        self.assertEqual(data["dates"]["17"][5:], "12-31")
        self.assertNotIn("error", data)

    def test_check_digit_error_prints_json_and_exit_1(self):
        rc, out, err = run(["]C10109506000134353"])
        self.assertEqual(rc, 1)
        data = json.loads(out)
        self.assertEqual(data["error"], "AI 01: check digit 2 expected, got 3")
        self.assertNotIn("gs1", data)
        self.assertIn("check digit 2 expected", err)

    def test_digital_link_from_stdin(self):
        rc, out, _ = run(["-"], stdin=b"https://id.gs1.org/01/09506000134352/10/ABC?3103=001500\r\n")
        self.assertEqual(rc, 0)
        data = json.loads(out)
        self.assertTrue(data["digital_link"])
        self.assertEqual(data["gs1"]["10"], "ABC")
        self.assertEqual(data["measures"]["3103"], 1.5)

    def test_stdin_is_raw_bytes(self):
        rc, out, _ = run(["-"], stdin=b"]C1\x00\xff<GS>")
        self.assertEqual(rc, 1)
        data = json.loads(out)
        self.assertEqual(data["text"], "]C1\x00\ufffd<GS>")

    def test_profile_aim_yes_requires_aim_id(self):
        self.profile_says(self.AIM_YES, "aim_prefix = yes")
        rc, out, _ = run(["--profile", self.AIM_YES, "ABC123"], env_extra=self.env)
        self.assertEqual(rc, 1)
        self.assertEqual(json.loads(out)["error"], "missing AIM symbology identifier")
        rc, out, _ = run(["--profile", self.AIM_YES, "]A0ABC123"], env_extra=self.env)
        self.assertEqual(rc, 0)
        self.assertEqual(json.loads(out)["symbology"], "code-39")

    def test_profile_aim_no_keeps_bracket_data(self):
        self.profile_says(self.AIM_NO, "aim_prefix = no")
        rc, out, _ = run(["--profile", self.AIM_NO, "]C10109506000134352"], env_extra=self.env)
        self.assertEqual(rc, 0)
        data = json.loads(out)
        self.assertNotIn("aim", data)
        self.assertNotIn("gs1", data)

    def test_unknown_profile_exit_1(self):
        rc, out, err = run(["--profile", "no-such-scanner", "x"], env_extra=self.env)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("unknown profile 'no-such-scanner'", err)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run([])[0], 2)
        self.assertEqual(run(["--bogus", "x"])[0], 2)
        self.assertEqual(run(["a", "b"])[0], 2)
        self.assertEqual(run(["--aim", "maybe", "x"])[0], 2)
        self.assertEqual(run([r"bad\qescape"])[0], 2)

    def test_help_exit_0(self):
        rc, out, _ = run(["--help"])
        self.assertEqual(rc, 0)
        self.assertIn("usage: dockside decode", out)
        self.assertIn("<GS>", out)

    def test_raw_keeps_escapes_literal(self):
        rc, out, _ = run(["--raw", r"A\x1dB"])
        self.assertEqual(rc, 0)
        self.assertEqual(json.loads(out)["text"], "A\\x1dB")

    def test_ean13_plain(self):
        rc, out, _ = run(["]E04006381333931"])
        self.assertEqual(rc, 0)
        data = json.loads(out)
        self.assertEqual(data["symbology"], "ean-13")
        self.assertEqual(data["gs1"]["01"], "04006381333931")


if __name__ == "__main__":
    unittest.main(verbosity=2)
