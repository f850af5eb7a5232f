/* USB barcode scanners in HID POS mode (HID usage page 0x8C, "Bar Code
 * Scanner"): each input report carries a length byte, a slice of the scan
 * and, depending on the vendor, the AIM symbology identifier and a flag
 * saying more reports of the same scan follow. Where each of these sits in
 * the report differs between vendors and is described by the profile's
 * [hidpos] keys, so a new model needs a profile, not code.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/device.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "drivers/driver.h"
#include "drivers/hid_pos_decode.h"
#include "drivers/profile.h"
#include "drivers/usb_hid_common.h"
#include "drivers/usb_interrupt_in.h"

struct usb_pos {
	struct device *dev;
	struct usb_interrupt_in *link;
	struct hidpos_decoder dec;
	int64_t timeout_ms;
	struct loop_timer *timer;
};

static const struct profile_key usb_hid_pos_keys[] = {
	USB_HID_COMMON_KEYS(0, 0),
	{"hidpos", "report_id", PK_INT, -1, 255, NULL, false,
	 "id of the scan data input report (default 2; -1: reports have no id byte)"},
	{"hidpos", "length_offset", PK_INT, 0, 1023, NULL, false,
	 "offset of the byte giving the number of data bytes in the report (default 1)"},
	{"hidpos", "data_offset", PK_INT, 0, 1023, NULL, false, "offset of the first data byte (default 2)"},
	{"hidpos", "data_max", PK_INT, 1, 1024, NULL, false,
	 "most data bytes one report carries (default 56); a larger length byte is a bad report"},
	{"hidpos", "aim_offset", PK_INT, -1, 1023, NULL, false,
	 "offset of the AIM symbology identifier (default -1: not in the report)"},
	{"hidpos", "aim_length", PK_INT, 2, 3, NULL, false,
	 "AIM id bytes: 3 with the leading ']' (default), 2 without it"},
	{"hidpos", "continuation_offset", PK_INT, -1, 1023, NULL, false,
	 "offset of the flag byte saying more reports of this scan follow (default -1: none)"},
	{"hidpos", "continuation_mask", PK_INT, 1, 255, NULL, false,
	 "bits of the flag byte that mean 'more follows' (default 1)"},
	{NULL, NULL, 0, 0, 0, NULL, false, NULL},
};

static void pos_scan_reset(struct usb_pos *p)
{
	hidpos_decoder_reset(&p->dec);
	loop_timer_cancel(p->timer);
	p->timer = NULL;
}

static void pos_drop_partial(struct usb_pos *p, const char *why)
{
	if (p->dec.in_scan) {
		device_count(p->dev, DEVCNT_BAD_REPORTS, 1);
		log_warn(p->dev->who, "unfinished scan of %zu bytes dropped: %s", p->dec.len, why);
	}
	pos_scan_reset(p);
}

static void on_continuation_timeout(struct loop *loop, void *arg)
{
	(void)loop;
	struct usb_pos *p = arg;
	p->timer = NULL;
	/* A report with the rest of the scan never came: a cut scan could be
	 * a wrong booking, so it is not recorded. */
	pos_drop_partial(p, "the continuation report did not arrive");
}

static void pos_on_report(void *arg, const uint8_t *r, size_t len)
{
	struct usb_pos *p = arg;
	struct hidpos_decoder *d = &p->dec;
	device_count(p->dev, DEVCNT_BYTES, len);
	switch (hidpos_decoder_feed(d, r, len)) {
	case HIDPOS_OTHER_REPORT: /* another report of the device */
	case HIDPOS_IDLE:
		return;
	case HIDPOS_SHORT:
		device_count(p->dev, DEVCNT_BAD_REPORTS, 1);
		pos_drop_partial(p, "short report");
		log_debug(p->dev->who, "HID POS report of %zu bytes, profile needs %zu", len,
			  hidpos_report_min_len(&d->lay));
		return;
	case HIDPOS_BAD_LENGTH:
		device_count(p->dev, DEVCNT_BAD_REPORTS, 1);
		pos_drop_partial(p, "bad length byte");
		log_debug(p->dev->who, "HID POS report claims %zu data bytes", (size_t)r[d->lay.length_offset]);
		return;
	case HIDPOS_MORE:
		loop_timer_cancel(p->timer);
		p->timer = loop_timer_add(p->dev->loop, p->timeout_ms, on_continuation_timeout, p);
		return;
	case HIDPOS_SCAN:
		break;
	}
	if (d->overlong) {
		device_count(p->dev, DEVCNT_OVERLONG, 1);
		log_warn(p->dev->who, "scan longer than max_length %zu: cut", d->max_length);
	}
	device_scan(p->dev, d->scan, d->len);
	pos_scan_reset(p);
}

static void pos_on_lost(void *arg, const char *reason)
{
	struct usb_pos *p = arg;
	device_lost(p->dev, reason);
}

static const struct usb_interrupt_in_ops pos_link_ops = {
	.report = pos_on_report,
	.lost = pos_on_lost,
};

static void pos_free(struct usb_pos *p)
{
	loop_timer_cancel(p->timer);
	hidpos_decoder_free(&p->dec);
	free(p);
}

static int usb_hid_pos_open(struct device *dev)
{
	struct usb_hid_params params;
	if (usb_hid_params_load(dev, 0, 0, &params) != 0)
		return -1;
	struct usb_pos *p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	const struct profile *pr = dev->profile;
	p->dev = dev;
	struct hidpos_layout lay = {
		.report_id = (int)profile_int(pr, "hidpos", "report_id", 2),
		.length_offset = (int)profile_int(pr, "hidpos", "length_offset", 1),
		.data_offset = (int)profile_int(pr, "hidpos", "data_offset", 2),
		.data_max = (int)profile_int(pr, "hidpos", "data_max", 56),
		.aim_offset = (int)profile_int(pr, "hidpos", "aim_offset", -1),
		.aim_length = profile_int(pr, "hidpos", "aim_length", 3) == 2 ? 2 : 3,
		.continuation_offset = (int)profile_int(pr, "hidpos", "continuation_offset", -1),
		.continuation_mask = (int)profile_int(pr, "hidpos", "continuation_mask", 1) & 0xFF,
	};
	if (!hidpos_layout_usable(&lay)) {
		log_error(dev->who, "profile %s has an unusable [hidpos] report layout", pr->name);
		pos_free(p);
		return -1;
	}
	p->timeout_ms = params.timeout_ms;
	if (hidpos_decoder_init(&p->dec, &lay, params.max_length) != 0) {
		pos_free(p);
		return -1;
	}
	p->link = usb_interrupt_in_open(dev->loop, dev->who, &params.spec, &pos_link_ops, p);
	if (!p->link) {
		pos_free(p);
		return -1;
	}
	dev->priv = p;
	return 0;
}

static void usb_hid_pos_close(struct device *dev)
{
	struct usb_pos *p = dev->priv;
	if (!p)
		return;
	dev->priv = NULL;
	usb_interrupt_in_close(p->link);
	pos_drop_partial(p, "device closed");
	pos_free(p);
}

static int usb_hid_pos_check(const struct device_conf *dc, const struct profile *p, const char *cfg_file,
			     struct diag *diag)
{
	return usb_hid_check_conf(dc, p, cfg_file, diag);
}

const struct driver_ops usb_hid_pos_driver = {
	.name = "usb-hid-pos",
	.transport = "usb",
	.profile_keys = usb_hid_pos_keys,
	.check = usb_hid_pos_check,
	.open = usb_hid_pos_open,
	.close = usb_hid_pos_close,
};
