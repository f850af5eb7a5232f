/* What the USB HID scanner drivers share: the profile keys that select the
 * device and interface, their loading at open(), and the config check. */
#ifndef DOCKSIDE_USB_HID_COMMON_H
#define DOCKSIDE_USB_HID_COMMON_H

#include <stdint.h>

#include "agent/diag.h"
#include "drivers/profile.h"
#include "drivers/usb_context.h"
#include "drivers/usb_interrupt_in.h"

struct device;
struct device_conf;

/* Rows of a driver's profile key table: [usb], [framing] timeout and
 * length, [barcode]. sub/proto are the interface defaults (for the help). */
#define USB_HID_COMMON_KEYS(sub, proto)                                                        \
	{"usb", "vid", PK_HEX16, 0, 0xffff, NULL, true, "USB vendor id (hex, as lsusb shows it)"}, \
	{"usb", "pid", PK_HEX16, 0, 0xffff, NULL, true, "USB product id (hex)"},                   \
	{"usb", "interface_class", PK_INT, -1, 255, NULL, false,                                   \
	 "bInterfaceClass to claim (default 3 = HID; -1 any)"},                                    \
	{"usb", "interface_subclass", PK_INT, -1, 255, NULL, false,                                \
	 "bInterfaceSubClass to claim (default " #sub "; -1 any)"},                                \
	{"usb", "interface_protocol", PK_INT, -1, 255, NULL, false,                                \
	 "bInterfaceProtocol to claim (default " #proto "; -1 any)"},                              \
	{"usb", "interface_number", PK_INT, -1, 255, NULL, false,                                  \
	 "bInterfaceNumber to claim (default -1: the first that matches)"},                        \
	{"framing", "timeout_ms", PK_INT, 10, 60000, NULL, false,                                  \
	 "pause that ends a scan without suffix, or abandons an unfinished one (default 300)"},   \
	{"framing", "max_length", PK_INT, 1, 65536, NULL, false,                                   \
	 "longest scan in bytes; longer ones are cut and counted (default 4096)"},                 \
	{"barcode", "aim_prefix", PK_ENUM, 0, 0, "yes|no|auto", false,                             \
	 "whether scans start with an AIM symbology identifier (default auto)"}

struct usb_hid_params {
	struct usb_match match;
	struct usb_interrupt_in_spec spec;  /* spec.serial points into match */
	int64_t timeout_ms;
	size_t max_length;
};

/* Reads the device's match and profile into *out. Returns -1 (logged) when
 * the match is unusable. */
int usb_hid_params_load(const struct device *dev, int def_subclass, int def_protocol,
			struct usb_hid_params *out);

/* Config-time check of a [device] using a USB HID profile: match present,
 * well-formed and naming the profile's VID:PID. Returns 0 or -1. */
int usb_hid_check_conf(const struct device_conf *dc, const struct profile *p, const char *cfg_file,
		       struct diag *diag);

#endif
