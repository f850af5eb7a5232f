/* Decoding of HID POS (usage page 0x8C) scan reports into scans. Where the
 * length byte, data, AIM id and "more follows" flag sit differs between
 * vendors and comes from the profile's [hidpos] keys as a hidpos_layout.
 * Pure: reports in, a result per report out, so it is tested and fuzzed
 * without a device; the driver keeps timers, counters and logs. */
#ifndef DOCKSIDE_HID_POS_DECODE_H
#define DOCKSIDE_HID_POS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hidpos_layout {
	int report_id;          /* -1: no report id byte */
	int length_offset;      /* byte holding the number of data bytes */
	int data_offset;        /* first data byte */
	int data_max;           /* most data bytes one report holds */
	int aim_offset;         /* -1: the report carries no AIM id */
	int aim_length;         /* 3 ("]E0") or 2 ("E0", ']' implied) */
	int continuation_offset;/* -1: every report is a whole scan */
	int continuation_mask;
};

struct hidpos_decoder {
	struct hidpos_layout lay;
	size_t max_length;
	unsigned char *scan;    /* 3 + max_length bytes, owned: AIM id then data */
	size_t len;
	size_t aim_len;         /* 3 when the scan starts with an AIM id, else 0 */
	bool in_scan;           /* a continued scan is being assembled */
	bool overlong;          /* data beyond max_length was cut */
};

enum hidpos_result {
	HIDPOS_OTHER_REPORT,    /* not the scan data report: ignored */
	HIDPOS_SHORT,           /* shorter than the layout needs; state unchanged */
	HIDPOS_BAD_LENGTH,      /* length byte above data_max or past the end; state unchanged */
	HIDPOS_IDLE,            /* empty report outside a scan */
	HIDPOS_MORE,            /* part of a scan taken; more reports follow */
	HIDPOS_SCAN,            /* scan complete: scan[0..len), overlong */
};

/* Allocates the scan buffer; -1 when out of memory. Free with
 * hidpos_decoder_free (also after a failed init). lay must be usable
 * (hidpos_layout_usable). */
int hidpos_decoder_init(struct hidpos_decoder *d, const struct hidpos_layout *lay, size_t max_length);
void hidpos_decoder_free(struct hidpos_decoder *d);
/* Forgets the scan being assembled: after HIDPOS_SCAN once it was used,
 * and to drop an unfinished one (bad report, timeout, unplug). */
void hidpos_decoder_reset(struct hidpos_decoder *d);

/* Offsets and sizes a decoder can work with. */
bool hidpos_layout_usable(const struct hidpos_layout *lay);
/* Bytes a report needs for every offset of the layout. */
size_t hidpos_report_min_len(const struct hidpos_layout *lay);

/* Decodes one input report of len bytes. After HIDPOS_SHORT or
 * HIDPOS_BAD_LENGTH the caller drops the unfinished scan with
 * hidpos_decoder_reset; after HIDPOS_SCAN it takes the scan, then resets. */
enum hidpos_result hidpos_decoder_feed(struct hidpos_decoder *d, const uint8_t *r, size_t len);

#endif
