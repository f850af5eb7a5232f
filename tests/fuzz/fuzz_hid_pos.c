/* libFuzzer target: HID POS report streams under any report layout a
 * profile may describe. Input: 9 layout bytes (report id or 0xFF for none,
 * length offset, data offset, data_max - 1, AIM offset or 0xFF, AIM length
 * 2|3, continuation offset or 0xFF, continuation mask, max_length or 0 for
 * 4096), then reports, each one length byte and that many report bytes.
 * Every report sits in a heap block of exactly its size, so any read past
 * it is an ASan report. Beyond that, each result is checked against the
 * report itself: short and bad-length verdicts, and a finished scan holds
 * a valid AIM id or none, then exactly the data bytes of its reports, cut
 * at max_length only when they did not fit. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/hid_pos_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LAYOUT_BYTES 9

static void parse_layout(const uint8_t *b, struct hidpos_layout *lay, size_t *max_length)
{
	lay->report_id = b[0] == 0xFF ? -1 : b[0];
	lay->length_offset = b[1] % 128;
	lay->data_offset = b[2] % 128;
	lay->data_max = 1 + b[3];
	lay->aim_offset = b[4] == 0xFF ? -1 : b[4] % 128;
	lay->aim_length = 2 + (b[5] & 1);
	lay->continuation_offset = b[6] == 0xFF ? -1 : b[6] % 128;
	lay->continuation_mask = b[7] ? b[7] : 1;
	*max_length = b[8] ? b[8] : 4096;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < LAYOUT_BYTES)
		return 0;
	struct hidpos_layout lay;
	size_t max_length;
	parse_layout(data, &lay, &max_length);
	if (!hidpos_layout_usable(&lay))
		abort();
	struct hidpos_decoder d;
	if (hidpos_decoder_init(&d, &lay, max_length) != 0)
		abort();
	size_t need = hidpos_report_min_len(&lay);
	size_t data_in_scan = 0; /* data bytes the reports of this scan carried */
	for (size_t at = LAYOUT_BYTES; at < size;) {
		size_t len = data[at++];
		if (len > size - at)
			len = size - at;
		uint8_t *r = malloc(len ? len : 1);
		if (!r)
			abort();
		memcpy(r, data + at, len);
		at += len;
		bool was_in_scan = d.in_scan;
		size_t len_before = d.len;
		enum hidpos_result res = hidpos_decoder_feed(&d, r, len);
		bool ours = lay.report_id < 0 || (len >= 1 && r[0] == lay.report_id);
		if ((res == HIDPOS_OTHER_REPORT) == ours)
			abort();
		if ((res == HIDPOS_SHORT) != (ours && len < need))
			abort();
		size_t n = ours && len >= need ? r[lay.length_offset] : 0;
		if ((res == HIDPOS_BAD_LENGTH) != (ours && len >= need &&
						   (n > (size_t)lay.data_max || lay.data_offset + n > len)))
			abort();
		switch (res) {
		case HIDPOS_OTHER_REPORT:
		case HIDPOS_IDLE:
			if (d.in_scan != was_in_scan || d.len != len_before)
				abort();
			break;
		case HIDPOS_SHORT:
		case HIDPOS_BAD_LENGTH:
			if (d.in_scan != was_in_scan || d.len != len_before)
				abort();
			hidpos_decoder_reset(&d); /* as the driver drops the partial scan */
			data_in_scan = 0;
			break;
		case HIDPOS_MORE:
		case HIDPOS_SCAN:
			data_in_scan += n;
			if (!d.in_scan || (d.aim_len != 0 && d.aim_len != 3))
				abort();
			if (d.aim_len == 3 && (d.scan[0] != ']' || !isalpha(d.scan[1]) || !isgraph(d.scan[2])))
				abort();
			if (d.len - d.aim_len != (data_in_scan < max_length ? data_in_scan : max_length))
				abort();
			if (d.overlong != (data_in_scan > max_length))
				abort();
			if (res == HIDPOS_SCAN) {
				hidpos_decoder_reset(&d);
				data_in_scan = 0;
			}
			break;
		}
		free(r);
	}
	hidpos_decoder_free(&d);
	return 0;
}
