/* HID POS report decoding (hid_pos_decode) under the two vendor layouts
 * of the shipped profiles and a bare one: a scan in one report, a scan
 * over several reports, AIM ids with and without ']', reports of other
 * ids, idle reports, short reports and lying length bytes, and a scan cut
 * at max_length. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/hid_pos_decode.h"

static int failures, cases;

#define CHECK(name, cond)                                                  \
	do {                                                               \
		cases++;                                                   \
		if (!(cond)) {                                             \
			fprintf(stderr, "FAIL %s: %s\n", name, #cond);      \
			failures++;                                        \
		}                                                          \
	} while (0)

/* Honeywell 1950g / Zebra DS2208 in HID POS mode (firmware-profiles). */
static const struct hidpos_layout vendor = {
	.report_id = 2, .length_offset = 1, .data_offset = 2, .data_max = 56,
	.aim_offset = 59, .aim_length = 2, .continuation_offset = 63, .continuation_mask = 1,
};

/* A 64-byte report of `vendor` layout carrying data (at most 56 bytes). */
static void vendor_report(uint8_t r[64], const char *data, const char *aim2, bool more)
{
	memset(r, 0, 64);
	r[0] = 2;
	r[1] = (uint8_t)strlen(data);
	memcpy(r + 2, data, strlen(data));
	if (aim2)
		memcpy(r + 59, aim2, 2);
	r[63] = more ? 0x01 : 0x00;
}

static bool scan_is(const struct hidpos_decoder *d, const char *want)
{
	return d->len == strlen(want) && memcmp(d->scan, want, d->len) == 0;
}

static void test_single_and_spanning(void)
{
	struct hidpos_decoder d;
	uint8_t r[64];
	CHECK("init", hidpos_decoder_init(&d, &vendor, 4096) == 0);

	vendor_report(r, "4006381333931", "E0", false);
	CHECK("single_report_scan", hidpos_decoder_feed(&d, r, 64) == HIDPOS_SCAN);
	CHECK("single_report_scan_has_aim", scan_is(&d, "]E04006381333931") && d.aim_len == 3 && !d.overlong);
	hidpos_decoder_reset(&d);

	/* 120 bytes over three reports: 56 + 56 + 8. */
	char text[121];
	for (int i = 0; i < 120; i++)
		text[i] = (char)('A' + i % 26);
	text[120] = '\0';
	char part[57];
	snprintf(part, sizeof part, "%.56s", text);
	vendor_report(r, part, "d2", true);
	CHECK("spanning_first_more", hidpos_decoder_feed(&d, r, 64) == HIDPOS_MORE && d.in_scan);
	snprintf(part, sizeof part, "%.56s", text + 56);
	vendor_report(r, part, "XX", true);
	CHECK("spanning_second_more", hidpos_decoder_feed(&d, r, 64) == HIDPOS_MORE);
	vendor_report(r, text + 112, NULL, false);
	CHECK("spanning_last_scan", hidpos_decoder_feed(&d, r, 64) == HIDPOS_SCAN);
	char want[130];
	snprintf(want, sizeof want, "]d2%s", text);
	/* The AIM id comes from the first report only. */
	CHECK("spanning_scan_joined", scan_is(&d, want));
	hidpos_decoder_reset(&d);
	CHECK("reset_forgets", !d.in_scan && d.len == 0 && d.aim_len == 0);

	vendor_report(r, "", NULL, false);
	CHECK("idle_report", hidpos_decoder_feed(&d, r, 64) == HIDPOS_IDLE && !d.in_scan);
	vendor_report(r, "12345", "E0", false);
	r[0] = 1;
	CHECK("other_report_id_ignored", hidpos_decoder_feed(&d, r, 64) == HIDPOS_OTHER_REPORT && !d.in_scan);
	CHECK("empty_report_is_other", hidpos_decoder_feed(&d, r, 0) == HIDPOS_OTHER_REPORT);

	vendor_report(r, "12345", "\x01" "0", false);
	CHECK("aim_with_control_char_is_dropped", hidpos_decoder_feed(&d, r, 64) == HIDPOS_SCAN &&
						     scan_is(&d, "12345") && d.aim_len == 0);
	hidpos_decoder_reset(&d);
	vendor_report(r, "12345", "1 ", false);
	CHECK("aim_digit_symbology_is_dropped", hidpos_decoder_feed(&d, r, 64) == HIDPOS_SCAN &&
						   scan_is(&d, "12345"));
	hidpos_decoder_reset(&d);
	hidpos_decoder_free(&d);
}

static void test_bad_reports(void)
{
	struct hidpos_decoder d;
	uint8_t r[64];
	CHECK("init", hidpos_decoder_init(&d, &vendor, 4096) == 0);
	CHECK("min_len_covers_continuation_flag", hidpos_report_min_len(&vendor) == 64);

	vendor_report(r, "PART", "E0", true);
	CHECK("partial_first", hidpos_decoder_feed(&d, r, 64) == HIDPOS_MORE);
	CHECK("short_report", hidpos_decoder_feed(&d, r, 63) == HIDPOS_SHORT);
	CHECK("short_leaves_state", d.in_scan && scan_is(&d, "]E0PART"));
	r[1] = 57;
	CHECK("length_above_data_max", hidpos_decoder_feed(&d, r, 64) == HIDPOS_BAD_LENGTH);
	CHECK("bad_length_leaves_state", d.in_scan && scan_is(&d, "]E0PART"));
	hidpos_decoder_reset(&d);
	hidpos_decoder_free(&d);

	/* A length byte pointing past the report's end, data_max allowing it. */
	struct hidpos_layout wide = vendor;
	wide.data_max = 255;
	wide.aim_offset = -1;
	wide.continuation_offset = -1;
	CHECK("init_wide", hidpos_decoder_init(&d, &wide, 4096) == 0);
	uint8_t small[10] = {2, 9, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
	CHECK("length_past_end", hidpos_decoder_feed(&d, small, sizeof small) == HIDPOS_BAD_LENGTH);
	small[1] = 8;
	CHECK("length_to_exact_end", hidpos_decoder_feed(&d, small, sizeof small) == HIDPOS_SCAN &&
					 scan_is(&d, "abcdefgh"));
	hidpos_decoder_reset(&d);
	hidpos_decoder_free(&d);
}

static void test_layouts(void)
{
	struct hidpos_decoder d;
	/* Three-byte AIM id in front of the data, no report id, no continuation. */
	struct hidpos_layout bare = {
		.report_id = -1, .length_offset = 3, .data_offset = 4, .data_max = 60,
		.aim_offset = 0, .aim_length = 3, .continuation_offset = -1, .continuation_mask = 1,
	};
	CHECK("bare_usable", hidpos_layout_usable(&bare));
	CHECK("bare_min_len", hidpos_report_min_len(&bare) == 4);
	CHECK("init_bare", hidpos_decoder_init(&d, &bare, 4) == 0);
	uint8_t r[12] = {']', 'C', '1', 6, 'W', 'X', 'Y', 'Z', '1', '2'};
	CHECK("cut_at_max_length", hidpos_decoder_feed(&d, r, sizeof r) == HIDPOS_SCAN &&
				       scan_is(&d, "]C1WXYZ") && d.overlong);
	hidpos_decoder_reset(&d);
	r[0] = '[';
	r[3] = 2;
	CHECK("aim3_needs_bracket", hidpos_decoder_feed(&d, r, sizeof r) == HIDPOS_SCAN && scan_is(&d, "WX") &&
					!d.overlong);
	hidpos_decoder_reset(&d);
	hidpos_decoder_free(&d);

	struct hidpos_layout broken = bare;
	broken.data_max = 0;
	CHECK("zero_data_max_unusable", !hidpos_layout_usable(&broken));
	broken = bare;
	broken.continuation_mask = 0;
	CHECK("zero_mask_unusable", !hidpos_layout_usable(&broken));
	broken = bare;
	broken.aim_length = 4;
	CHECK("aim_length_4_unusable", !hidpos_layout_usable(&broken));
	broken = bare;
	broken.length_offset = -1;
	CHECK("negative_length_offset_unusable", !hidpos_layout_usable(&broken));
}

int main(void)
{
	test_single_and_spanning();
	test_bad_reports();
	test_layouts();
	printf("%d cases, %d failures\n", cases, failures);
	return failures ? 1 : 0;
}
