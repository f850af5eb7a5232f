/* Keyboard layouts and boot report decoding (hid_keymap) beyond what the
 * USB tests cover (US and German scans): the UK and French layouts, dead
 * key composition on German and French keyboards, GS from Ctrl + ']' in
 * every layout, AltGr by right Alt and by Ctrl + left Alt, Alt+keypad
 * bytes, and held or repeated keys. Then the suffix framing of the typed
 * bytes (scan_framing): CR LF and Tab suffixes, a held CR at a
 * pause, and cutting at max_length. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/scan_framing.h"
#include "drivers/hid_keymap.h"

#define LCTRL 0x01
#define LSHIFT 0x02
#define LALT 0x04
#define RALT 0x40

static int failures, cases;

struct key {
	uint8_t mods, usage;
};

/* Types keys (each pressed, then all keys released) on a fresh decoder
 * for `layout` and compares the bytes with want. */
static void expect_typed(const char *name, const char *layout, const struct key *keys, size_t n, const char *want)
{
	cases++;
	const struct hid_keymap *map = hid_keymap_find(layout);
	if (!map) {
		fprintf(stderr, "FAIL %s: no layout %s\n", name, layout);
		failures++;
		return;
	}
	struct hid_key_decoder d;
	hid_key_decoder_init(&d, map);
	char got[512];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t press[HID_BOOT_REPORT_LEN] = {keys[i].mods, 0, keys[i].usage};
		/* Alt stays held between keypad digits, as for Alt+numpad. */
		bool alt_held = i + 1 < n && (keys[i].mods & LALT) && (keys[i + 1].mods & LALT);
		uint8_t release[HID_BOOT_REPORT_LEN] = {alt_held ? keys[i].mods : 0};
		uint8_t out[HID_KEY_REPORT_MAX_OUT];
		int k = hid_key_decoder_feed(&d, press, out);
		if (k > 0 && len + (size_t)k < sizeof got) {
			memcpy(got + len, out, (size_t)k);
			len += (size_t)k;
		}
		k = hid_key_decoder_feed(&d, release, out);
		if (k > 0 && len + (size_t)k < sizeof got) {
			memcpy(got + len, out, (size_t)k);
			len += (size_t)k;
		}
	}
	if (len != strlen(want) || memcmp(got, want, len) != 0) {
		fprintf(stderr, "FAIL %s (%s): got \"", name, layout);
		for (size_t i = 0; i < len; i++)
			fprintf(stderr, (unsigned char)got[i] >= 0x20 && (unsigned char)got[i] < 0x7f ? "%c" : "\\x%02x",
				(unsigned char)got[i]);
		fprintf(stderr, "\", wanted \"%s\"\n", want);
		failures++;
	}
}

#define TYPED(name, layout, want, ...)                                                                    \
	do {                                                                                             \
		const struct key seq_[] = {__VA_ARGS__};                                                 \
		expect_typed(name, layout, seq_, sizeof seq_ / sizeof seq_[0], want);                    \
	} while (0)

static void test_uk(void)
{
	TYPED("uk_letters_and_digits", "uk", "aZ09", {0, 0x04}, {LSHIFT, 0x1D}, {0, 0x27}, {0, 0x26});
	TYPED("uk_shift_2_is_double_quote", "uk", "\"", {LSHIFT, 0x1F});
	TYPED("uk_shift_3_is_pound", "uk", "\xc2\xa3", {LSHIFT, 0x20});
	TYPED("uk_shift_quote_key_is_at", "uk", "@", {LSHIFT, 0x34});
	TYPED("uk_hash_key_and_tilde", "uk", "#~#", {0, 0x32}, {LSHIFT, 0x32}, {0, 0x31});
	TYPED("uk_backslash_key_by_z", "uk", "\\|", {0, 0x64}, {LSHIFT, 0x64});
	TYPED("uk_altgr_4_is_euro", "uk", "\xe2\x82\xac", {RALT, 0x21});
	TYPED("uk_ctrl_left_alt_is_altgr", "uk", "\xe2\x82\xac", {LCTRL | LALT, 0x21});
	TYPED("uk_backtick_key", "uk", "`\xc2\xac\xc2\xa6", {0, 0x35}, {LSHIFT, 0x35}, {RALT, 0x35});
	TYPED("uk_ctrl_bracket_is_gs", "uk", "01\x1d" "10", {0, 0x27}, {0, 0x1E}, {LCTRL, 0x30}, {0, 0x1E},
	      {0, 0x27});
	TYPED("uk_enter_ends_line", "uk", "A\r", {LSHIFT, 0x04}, {0, 0x28});
}

static void test_fr(void)
{
	/* AZERTY: a and q, z and w swapped; m right of l; ',' where US m is. */
	TYPED("fr_azerty_letters", "fr", "aqzwm,", {0, 0x14}, {0, 0x04}, {0, 0x1A}, {0, 0x1D}, {0, 0x33},
	      {0, 0x10});
	TYPED("fr_upper_case", "fr", "AZERTY", {LSHIFT, 0x14}, {LSHIFT, 0x1A}, {LSHIFT, 0x08}, {LSHIFT, 0x15},
	      {LSHIFT, 0x17}, {LSHIFT, 0x1C});
	TYPED("fr_digits_need_shift", "fr", "1234567890", {LSHIFT, 0x1E}, {LSHIFT, 0x1F}, {LSHIFT, 0x20},
	      {LSHIFT, 0x21}, {LSHIFT, 0x22}, {LSHIFT, 0x23}, {LSHIFT, 0x24}, {LSHIFT, 0x25}, {LSHIFT, 0x26},
	      {LSHIFT, 0x27});
	TYPED("fr_digit_row_unshifted", "fr", "&\xc3\xa9\"'(-\xc3\xa8_\xc3\xa7\xc3\xa0", {0, 0x1E}, {0, 0x1F},
	      {0, 0x20}, {0, 0x21}, {0, 0x22}, {0, 0x23}, {0, 0x24}, {0, 0x25}, {0, 0x26}, {0, 0x27});
	TYPED("fr_altgr_0_is_at", "fr", "@", {RALT, 0x27});
	TYPED("fr_altgr_right_paren_key_is_bracket", "fr", "]", {RALT, 0x2D});
	TYPED("fr_pound_and_currency", "fr", "$\xc2\xa3\xc2\xa4", {0, 0x30}, {LSHIFT, 0x30}, {RALT, 0x30});
	TYPED("fr_ctrl_usage_30_is_gs", "fr", "\x1d", {LCTRL, 0x30});
	TYPED("fr_ctrl_altgr_bracket_is_gs", "fr", "\x1d", {LCTRL | RALT, 0x2D});
	TYPED("fr_keypad_is_layout_free", "fr", "12.", {0, 0x59}, {0, 0x5A}, {0, 0x63});
}

static void test_dead_keys(void)
{
	/* French: ^ and ¨ are dead keys on the key right of p. */
	TYPED("fr_circumflex_e", "fr", "\xc3\xaa", {0, 0x2F}, {0, 0x08});
	TYPED("fr_circumflex_upper_o", "fr", "\xc3\x94", {0, 0x2F}, {LSHIFT, 0x12});
	TYPED("fr_diaeresis_u", "fr", "\xc3\xbc", {LSHIFT, 0x2F}, {0, 0x18});
	TYPED("fr_diaeresis_y", "fr", "\xc3\xbf", {LSHIFT, 0x2F}, {0, 0x1C});
	TYPED("fr_dead_then_space_is_the_accent", "fr", "^", {0, 0x2F}, {0, 0x2C});
	TYPED("fr_dead_diaeresis_then_space", "fr", "\xc2\xa8", {LSHIFT, 0x2F}, {0, 0x2C});
	TYPED("fr_altgr_tilde_n", "fr", "\xc3\xb1", {RALT, 0x1F}, {0, 0x11});
	TYPED("fr_altgr_grave_a", "fr", "\xc3\xa0", {RALT, 0x24}, {0, 0x14});
	TYPED("fr_dead_then_consonant_keeps_both", "fr", "^x", {0, 0x2F}, {0, 0x1B});
	TYPED("fr_dead_then_digit_keeps_both", "fr", "^1", {0, 0x2F}, {LSHIFT, 0x1E});
	TYPED("fr_two_dead_keys_first_stands_alone", "fr", "^\xc3\xab", {0, 0x2F}, {LSHIFT, 0x2F}, {0, 0x08});
	TYPED("fr_dead_key_alone_types_nothing_yet", "fr", "", {0, 0x2F});
	/* German: ´ and ` on the key left of Backspace, ^ left of 1. */
	TYPED("de_acute_e", "de", "\xc3\xa9", {0, 0x2E}, {0, 0x08});
	TYPED("de_acute_upper_y", "de", "\xc3\x9d", {0, 0x2E}, {LSHIFT, 0x1D});
	TYPED("de_grave_a", "de", "\xc3\xa0", {LSHIFT, 0x2E}, {0, 0x04});
	TYPED("de_circumflex_o", "de", "\xc3\xb4", {0, 0x35}, {0, 0x12});
	TYPED("de_circumflex_space", "de", "^", {0, 0x35}, {0, 0x2C});
	TYPED("de_acute_then_n_keeps_both", "de", "\xc2\xb4n", {0, 0x2E}, {0, 0x11});
	TYPED("de_shift_circumflex_key_is_degree_not_dead", "de", "\xc2\xb0" "a", {LSHIFT, 0x35}, {0, 0x04});
	/* A dead key does not swallow a control character. */
	TYPED("de_dead_then_gs", "de", "\xc2\xb4\x1d", {0, 0x2E}, {LCTRL, 0x30});
	/* A dead key has no meaning in the US layout: ^ is plain Shift+6. */
	TYPED("us_has_no_dead_keys", "us", "^e", {LSHIFT, 0x23}, {0, 0x08});
}

static void test_alt_numpad_and_repeats(void)
{
	TYPED("alt_keypad_029_is_gs", "fr", "A\x1d" "B", {LSHIFT, 0x14}, {LALT, 0x62}, {LALT, 0x5A},
	      {LALT, 0x61}, {0, 0}, {LSHIFT, 0x05});
	TYPED("alt_keypad_0233_is_raw_byte", "uk", "\xe9", {LALT, 0x62}, {LALT, 0x5A}, {LALT, 0x5B}, {LALT, 0x5B},
	      {0, 0});
	TYPED("alt_keypad_above_255_dropped", "de", "", {LALT, 0x5A}, {LALT, 0x5D}, {LALT, 0x5E}, {0, 0});

	/* "AA": press, release, press; a key held over two reports is one. */
	cases++;
	struct hid_key_decoder d;
	hid_key_decoder_init(&d, hid_keymap_find("uk"));
	uint8_t a[8] = {0, 0, 0x04}, ab[8] = {0, 0, 0x04, 0x05}, none[8] = {0}, rollover[8] = {0, 0, 1, 1, 1, 1, 1, 1};
	uint8_t out[HID_KEY_REPORT_MAX_OUT];
	int n1 = hid_key_decoder_feed(&d, a, out);
	int n2 = hid_key_decoder_feed(&d, a, out);      /* still held */
	int n3 = hid_key_decoder_feed(&d, ab, out);     /* b joins: only b */
	char b = (char)out[0];
	int n4 = hid_key_decoder_feed(&d, rollover, out);
	int n5 = hid_key_decoder_feed(&d, none, out);
	int n6 = hid_key_decoder_feed(&d, a, out);      /* pressed again */
	if (n1 != 1 || n2 != 0 || n3 != 1 || b != 'b' || n4 != -1 || n5 != 0 || n6 != 1 || out[0] != 'a') {
		fprintf(stderr, "FAIL held_and_repeated_keys: %d %d %d(%c) %d %d %d\n", n1, n2, n3, b, n4, n5, n6);
		failures++;
	}
	cases++;
	if (hid_keymap_find("es") || hid_keymap_find("") || !hid_keymap_find("fr")) {
		fprintf(stderr, "FAIL layout_lookup: unknown names must give NULL\n");
		failures++;
	}
}

/* ---- framing ---- */

struct frames {
	char text[1024];   /* scans joined by '|', each flagged '+' if cut, '~' if by pause */
	size_t len;
};

static void collect(void *arg, const unsigned char *frame, size_t len, size_t overflow, bool by_pause)
{
	struct frames *f = arg;
	int n = snprintf(f->text + f->len, sizeof f->text - f->len, "%s%.*s%s%s", f->len ? "|" : "", (int)len,
			 (const char *)frame, overflow ? "+" : "", by_pause ? "~" : "");
	if (n > 0 && (size_t)n < sizeof f->text - f->len)
		f->len += (size_t)n;
}

/* Feeds bytes ('#' stands for a pause) and compares the scans with want. */
static void expect_frames(const char *name, enum scan_suffix suffix, size_t max_length, const char *bytes,
			  const char *want, bool want_busy)
{
	cases++;
	struct frames got = {.len = 0};
	struct scan_framer f;
	if (scan_framer_init(&f, suffix, SCAN_HELD_CR_IS_DATA, max_length, collect, &got) != 0) {
		fprintf(stderr, "FAIL %s: init\n", name);
		failures++;
		return;
	}
	for (const char *p = bytes; *p; p++) {
		if (*p == '#')
			scan_framer_pause(&f);
		else
			scan_framer_feed(&f, (const unsigned char *)p, 1);
	}
	bool busy = scan_framer_busy(&f);
	if (strcmp(got.text, want) != 0 || busy != want_busy) {
		fprintf(stderr, "FAIL %s: got \"%s\"%s, wanted \"%s\"%s\n", name, got.text, busy ? " (busy)" : "",
			want, want_busy ? " (busy)" : "");
		failures++;
	}
	scan_framer_free(&f);
}

static void test_framing(void)
{
	expect_frames("cr_suffix", SCAN_SUFFIX_CR, 64, "AB\rCD\r", "AB|CD", false);
	expect_frames("bare_suffix_is_no_scan", SCAN_SUFFIX_CR, 64, "\r\r\rX\r", "X", false);
	expect_frames("lf_suffix_keeps_cr", SCAN_SUFFIX_LF, 64, "A\rB\n", "A\rB", false);
	expect_frames("tab_suffix", SCAN_SUFFIX_TAB, 64, "A\tB\t", "A|B", false);
	expect_frames("crlf_suffix", SCAN_SUFFIX_CRLF, 64, "AB\r\nCD\r\n", "AB|CD", false);
	expect_frames("crlf_lone_cr_is_data", SCAN_SUFFIX_CRLF, 64, "A\rB\r\r\n", "A\rB\r", false);
	expect_frames("crlf_lone_lf_is_data", SCAN_SUFFIX_CRLF, 64, "A\nB\r\n", "A\nB", false);
	expect_frames("crlf_held_cr_waits", SCAN_SUFFIX_CRLF, 64, "AB\r", "", true);
	expect_frames("crlf_held_cr_at_pause_is_kept", SCAN_SUFFIX_CRLF, 64, "AB\r#", "AB\r~", false);
	expect_frames("pause_ends_scan_without_suffix", SCAN_SUFFIX_CR, 64, "AB#CD\r", "AB~|CD", false);
	expect_frames("none_suffix_only_pause", SCAN_SUFFIX_NONE, 64, "A\r\n\tB#", "A\r\n\tB~", false);
	expect_frames("pause_with_nothing_is_no_scan", SCAN_SUFFIX_CR, 64, "##", "", false);
	expect_frames("cut_at_max_length", SCAN_SUFFIX_CR, 4, "ABCDEFG\rXY\r", "ABCD+|XY", false);
	expect_frames("crlf_cut_keeps_first_bytes", SCAN_SUFFIX_CRLF, 3, "AB\rC\r\n", "AB\r+", false);
	cases++;
	if (scan_suffix_parse("crlf") != SCAN_SUFFIX_CRLF || scan_suffix_parse("tab") != SCAN_SUFFIX_TAB ||
	    scan_suffix_parse("none") != SCAN_SUFFIX_NONE || scan_suffix_parse("lf") != SCAN_SUFFIX_LF ||
	    scan_suffix_parse("cr") != SCAN_SUFFIX_CR) {
		fprintf(stderr, "FAIL suffix_parse\n");
		failures++;
	}
}

int main(void)
{
	test_uk();
	test_fr();
	test_dead_keys();
	test_alt_numpad_and_repeats();
	test_framing();
	printf("%d cases, %d failures\n", cases, failures);
	return failures ? 1 : 0;
}
