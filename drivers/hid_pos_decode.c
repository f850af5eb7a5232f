/* HID POS report decoding; see hid_pos_decode.h. */
#include "drivers/hid_pos_decode.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int hidpos_decoder_init(struct hidpos_decoder *d, const struct hidpos_layout *lay, size_t max_length)
{
	memset(d, 0, sizeof *d);
	d->lay = *lay;
	d->max_length = max_length;
	d->scan = malloc(max_length + 3);
	return d->scan ? 0 : -1;
}

void hidpos_decoder_free(struct hidpos_decoder *d)
{
	free(d->scan);
	d->scan = NULL;
}

void hidpos_decoder_reset(struct hidpos_decoder *d)
{
	d->len = 0;
	d->aim_len = 0;
	d->in_scan = false;
	d->overlong = false;
}

bool hidpos_layout_usable(const struct hidpos_layout *lay)
{
	return !(lay->length_offset < 0 || lay->data_offset < 0 || lay->data_max < 1 ||
		 lay->continuation_mask == 0 || (lay->aim_length != 2 && lay->aim_length != 3));
}

size_t hidpos_report_min_len(const struct hidpos_layout *l)
{
	size_t need = (size_t)l->length_offset + 1;
	if ((size_t)l->data_offset > need)
		need = (size_t)l->data_offset;
	if (l->aim_offset >= 0 && (size_t)(l->aim_offset + l->aim_length) > need)
		need = (size_t)(l->aim_offset + l->aim_length);
	if (l->continuation_offset >= 0 && (size_t)l->continuation_offset + 1 > need)
		need = (size_t)l->continuation_offset + 1;
	return need;
}

/* Copies the report's AIM id (if it has a valid one) to the scan start. */
static void take_aim(struct hidpos_decoder *d, const uint8_t *r)
{
	const struct hidpos_layout *l = &d->lay;
	if (l->aim_offset < 0)
		return;
	const uint8_t *a = r + l->aim_offset;
	char aim[4];
	if (l->aim_length == 3) {
		if (a[0] != ']')
			return;
		memcpy(aim, a, 3);
	} else {
		aim[0] = ']';
		memcpy(aim + 1, a, 2);
	}
	/* "]" + symbology letter + modifier character, all printable. */
	if (!isalpha((unsigned char)aim[1]) || !isgraph((unsigned char)aim[2]))
		return;
	memcpy(d->scan, aim, 3);
	d->len = d->aim_len = 3;
}

enum hidpos_result hidpos_decoder_feed(struct hidpos_decoder *d, const uint8_t *r, size_t len)
{
	const struct hidpos_layout *l = &d->lay;
	if (l->report_id >= 0 && (len < 1 || r[0] != l->report_id))
		return HIDPOS_OTHER_REPORT;
	if (len < hidpos_report_min_len(l))
		return HIDPOS_SHORT;
	size_t n = r[l->length_offset];
	if (n > (size_t)l->data_max || l->data_offset + n > len)
		return HIDPOS_BAD_LENGTH;
	bool more = l->continuation_offset >= 0 && (r[l->continuation_offset] & l->continuation_mask);
	if (!d->in_scan) {
		if (n == 0 && !more)
			return HIDPOS_IDLE;
		d->in_scan = true;
		take_aim(d, r);
	}
	for (size_t i = 0; i < n; i++) {
		if (d->len - d->aim_len < d->max_length)
			d->scan[d->len++] = r[l->data_offset + i];
		else
			d->overlong = true;
	}
	return more ? HIDPOS_MORE : HIDPOS_SCAN;
}
