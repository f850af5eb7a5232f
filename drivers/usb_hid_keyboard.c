/* USB barcode scanners in HID keyboard ("keyboard wedge") mode, read with
 * libusb instead of through the console: boot keyboard reports are turned
 * back into the scanner's bytes through the profile's keyboard layout,
 * and framed into scans by the configured suffix or by a pause.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/device.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "drivers/driver.h"
#include "drivers/scan_framing.h"
#include "drivers/hid_keymap.h"
#include "drivers/profile.h"
#include "drivers/usb_context.h"
#include "drivers/usb_hid_common.h"
#include "drivers/usb_interrupt_in.h"

struct usb_kbd {
	struct device *dev;
	struct usb_interrupt_in *link;
	struct hid_key_decoder keys;
	unsigned long keys_rejected;   /* decoder count already reported */
	int report_id;                 /* -1: reports carry no id byte */
	struct scan_framer framer;
	int64_t timeout_ms;
	bool warned_no_suffix;
	struct loop_timer *timer;      /* inter-character timeout */
};

static const struct profile_key usb_hid_keyboard_keys[] = {
	USB_HID_COMMON_KEYS(1, 1),
	{"hid", "layout", PK_ENUM, 0, 0, HID_KEYMAP_NAMES, true,
	 "keyboard country the scanner is set to (the layout it types in)"},
	{"hid", "report_id", PK_INT, -1, 255, NULL, false,
	 "report id byte in front of each 8-byte keyboard report; -1 (default) for none"},
	{"framing", "suffix", PK_ENUM, 0, 0, "cr|lf|crlf|tab|none", false,
	 "key sequence the scanner sends after each scan (default cr = Enter)"},
	{NULL, NULL, 0, 0, 0, NULL, false, NULL},
};

/* A scan from the framer: by its suffix, or by a pause (on_char_timeout). */
static void kbd_on_frame(void *arg, const unsigned char *frame, size_t len, size_t overflow, bool by_pause)
{
	struct usb_kbd *k = arg;
	loop_timer_cancel(k->timer);
	k->timer = NULL;
	/* USB does not lose reports, so a pause means the scanner sent no
	 * suffix: the scan is complete as it is. */
	if (by_pause && k->framer.suffix != SCAN_SUFFIX_NONE && !k->warned_no_suffix) {
		log_warn(k->dev->who, "scan ended by a %lld ms pause without the profile's suffix; "
				      "check the scanner's suffix setting",
			 (long long)k->timeout_ms);
		k->warned_no_suffix = true;
	}
	if (overflow) {
		device_count(k->dev, DEVCNT_OVERLONG, 1);
		log_warn(k->dev->who, "scan longer than max_length %zu: cut", k->framer.max_length);
	}
	device_scan(k->dev, frame, len);
}

static void on_char_timeout(struct loop *loop, void *arg)
{
	(void)loop;
	struct usb_kbd *k = arg;
	k->timer = NULL;
	scan_framer_pause(&k->framer);
}

static void kbd_on_report(void *arg, const uint8_t *data, size_t len)
{
	struct usb_kbd *k = arg;
	device_count(k->dev, DEVCNT_BYTES, len);
	if (k->report_id >= 0) {
		if (len < 1 || data[0] != k->report_id)
			return; /* another report of the device (LEDs, consumer keys) */
		data++;
		len--;
	}
	if (len < HID_BOOT_REPORT_LEN) {
		device_count(k->dev, DEVCNT_BAD_REPORTS, 1);
		log_debug(k->dev->who, "short keyboard report (%zu bytes) ignored", len);
		return;
	}
	uint8_t out[HID_KEY_REPORT_MAX_OUT];
	int n = hid_key_decoder_feed(&k->keys, data, out);
	if (n < 0) {
		device_count(k->dev, DEVCNT_BAD_REPORTS, 1);
		return;
	}
	if (k->keys.rejected != k->keys_rejected) {
		device_count(k->dev, DEVCNT_BAD_REPORTS, k->keys.rejected - k->keys_rejected);
		k->keys_rejected = k->keys.rejected;
		log_warn(k->dev->who, "Alt+keypad value above 255 dropped");
	}
	scan_framer_feed(&k->framer, out, (size_t)n);
	loop_timer_cancel(k->timer);
	k->timer = NULL;
	if (scan_framer_busy(&k->framer))
		k->timer = loop_timer_add(k->dev->loop, k->timeout_ms, on_char_timeout, k);
}

static void kbd_on_lost(void *arg, const char *reason)
{
	struct usb_kbd *k = arg;
	device_lost(k->dev, reason);
}

static const struct usb_interrupt_in_ops kbd_link_ops = {
	.report = kbd_on_report,
	.lost = kbd_on_lost,
};

static void kbd_free(struct usb_kbd *k)
{
	loop_timer_cancel(k->timer);
	scan_framer_free(&k->framer);
	free(k);
}

static int usb_hid_keyboard_open(struct device *dev)
{
	struct usb_hid_params params;
	if (usb_hid_params_load(dev, 1, 1, &params) != 0)
		return -1;
	const struct hid_keymap *map = hid_keymap_find(profile_str(dev->profile, "hid", "layout", "us"));
	if (!map) {
		log_error(dev->who, "profile %s names an unknown keyboard layout", dev->profile->name);
		return -1;
	}
	struct usb_kbd *k = calloc(1, sizeof *k);
	if (!k)
		return -1;
	k->dev = dev;
	hid_key_decoder_init(&k->keys, map);
	k->report_id = (int)profile_int(dev->profile, "hid", "report_id", -1);
	k->timeout_ms = params.timeout_ms;
	enum scan_suffix suffix = scan_suffix_parse(profile_str(dev->profile, "framing", "suffix", "cr"));
	if (scan_framer_init(&k->framer, suffix, SCAN_HELD_CR_IS_DATA, params.max_length, kbd_on_frame, k) != 0) {
		kbd_free(k);
		return -1;
	}
	k->link = usb_interrupt_in_open(dev->loop, dev->who, &params.spec, &kbd_link_ops, k);
	if (!k->link) {
		kbd_free(k);
		return -1;
	}
	dev->priv = k;
	return 0;
}

static void usb_hid_keyboard_close(struct device *dev)
{
	struct usb_kbd *k = dev->priv;
	if (!k)
		return;
	dev->priv = NULL;
	usb_interrupt_in_close(k->link);
	if (scan_framer_busy(&k->framer)) {
		device_count(dev, DEVCNT_BAD_REPORTS, 1);
		log_warn(dev->who, "half-received scan of %zu bytes dropped", k->framer.len);
	}
	kbd_free(k);
}

static int usb_hid_keyboard_check(const struct device_conf *dc, const struct profile *p,
				  const char *cfg_file, struct diag *diag)
{
	return usb_hid_check_conf(dc, p, cfg_file, diag);
}

const struct driver_ops usb_hid_keyboard_driver = {
	.name = "usb-hid-keyboard",
	.transport = "usb",
	.profile_keys = usb_hid_keyboard_keys,
	.check = usb_hid_keyboard_check,
	.open = usb_hid_keyboard_open,
	.close = usb_hid_keyboard_close,
};
