/* TEMPORARY placeholder so that the branch links while the real serial
 * scanner driver is written on main: it declares the driver's profile keys
 * (the interface agreed for it) and never opens a device. The real
 * drivers/serial_scanner.c replaces this file entirely. */
#include <stddef.h>

#include "drivers/driver.h"
#include "drivers/profile.h"

static const struct profile_key serial_scanner_keys[] = {
	{"serial", "baud", PK_INT, 50, 4000000, NULL, false, "line speed (default 9600)"},
	{"serial", "parity", PK_ENUM, 0, 0, "none|even|odd", false, "parity (default none)"},
	{"serial", "data_bits", PK_INT, 5, 8, NULL, false, "data bits (default 8)"},
	{"serial", "stop_bits", PK_INT, 1, 2, NULL, false, "stop bits (default 1)"},
	{"serial", "flow_control", PK_ENUM, 0, 0, "none|rtscts|xonxoff", false, "flow control (default none)"},
	{"framing", "suffix", PK_ENUM, 0, 0, "cr|lf|crlf|none", true, "what ends a scan; none = inter-character timeout"},
	{"framing", "timeout_ms", PK_INT, 0, 10000, NULL, false, "a pause this long ends a scan"},
	{"framing", "max_length", PK_INT, 1, 65536, NULL, false, "longest scan in bytes"},
	{"barcode", "aim_prefix", PK_ENUM, 0, 0, "yes|no|auto", false, "AIM symbology identifier first"},
	{NULL, NULL, 0, 0, 0, NULL, false, NULL},
};

static int placeholder_open(struct device *dev)
{
	(void)dev;
	return -1;
}

static void placeholder_close(struct device *dev) { (void)dev; }

const struct driver_ops serial_scanner_driver = {
	.name = "serial-scanner",
	.transport = "serial",
	.profile_keys = serial_scanner_keys,
	.check = NULL,
	.open = placeholder_open,
	.close = placeholder_close,
};
