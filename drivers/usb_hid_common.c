/* Shared parameter loading for the USB HID scanner drivers. */
#include "drivers/usb_hid_common.h"

#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/device.h"
#include "agent/log.h"

#define DEFAULT_TIMEOUT_MS 300
#define DEFAULT_MAX_LENGTH 4096

int usb_hid_params_load(const struct device *dev, int def_subclass, int def_protocol,
			struct usb_hid_params *out)
{
	const struct profile *p = dev->profile;
	char err[160];
	memset(out, 0, sizeof *out);
	if (usb_match_parse(dev->conf->match, &out->match, err, sizeof err) != 0) {
		log_error(dev->who, "%s", err);
		return -1;
	}
	out->spec.vid = out->match.vid;
	out->spec.pid = out->match.pid;
	out->spec.serial = out->match.serial;
	out->spec.iface_class = (int)profile_int(p, "usb", "interface_class", 3);
	out->spec.iface_subclass = (int)profile_int(p, "usb", "interface_subclass", def_subclass);
	out->spec.iface_protocol = (int)profile_int(p, "usb", "interface_protocol", def_protocol);
	out->spec.iface_number = (int)profile_int(p, "usb", "interface_number", -1);
	out->timeout_ms = profile_int(p, "framing", "timeout_ms", DEFAULT_TIMEOUT_MS);
	if (out->timeout_ms < 10)
		out->timeout_ms = 10;
	int64_t max_length = profile_int(p, "framing", "max_length", DEFAULT_MAX_LENGTH);
	out->max_length = max_length >= 1 && max_length <= 65536 ? (size_t)max_length : DEFAULT_MAX_LENGTH;
	return 0;
}

/* A profile's hex USB id; -1 when absent or malformed. */
static long profile_usb_id(const struct profile *p, const char *key)
{
	const char *v = profile_get(p, "usb", key);
	if (!v || !*v || strlen(v) > 4)
		return -1;
	char *end;
	long id = strtol(v, &end, 16);
	return *end ? -1 : id;
}

int usb_hid_check_conf(const struct device_conf *dc, const struct profile *p, const char *cfg_file,
		       struct diag *diag)
{
	struct usb_match m;
	char err[160];
	if (!dc->match[0]) {
		diag_error(diag, cfg_file, dc->line, "device %s: USB scanners need match = usb:VID:PID",
			   dc->name);
		return -1;
	}
	if (usb_match_parse(dc->match, &m, err, sizeof err) != 0) {
		diag_error(diag, cfg_file, dc->line, "device %s: %s", dc->name, err);
		return -1;
	}
	long vid = profile_usb_id(p, "vid"), pid = profile_usb_id(p, "pid");
	if (vid != m.vid || pid != m.pid) {
		diag_error(diag, cfg_file, dc->line,
			   "device %s: match usb:%04x:%04x is not the device of profile %s (%04lx:%04lx); "
			   "a scanner with other ids needs its own profile",
			   dc->name, m.vid, m.pid, p->name, vid, pid);
		return -1;
	}
	return 0;
}
