/* The driver interface. Each driver is one `const struct driver_ops`
 * listed once in drivers/driver_list.h; a profile names its driver with
 * `[profile] driver = NAME`. The daemon never switches on device type.
 *
 * Lifecycle, run by the device supervisor (agent/device.c):
 *   open()   acquire the device and register its fds/timers on dev->loop.
 *            0 = connected; -1 = not available now (the supervisor emits
 *            nothing, and retries with exponential backoff).
 *   ...      the driver reports readings with device_scan()/device_emit()
 *            and loss of the device with device_lost().
 *   close()  release everything open() acquired. Called once after every
 *            successful open(), also after device_lost(). Must not emit.
 */
#ifndef DOCKSIDE_DRIVER_H
#define DOCKSIDE_DRIVER_H

#include "agent/diag.h"

struct device;
struct device_conf;
struct profile;

struct profile_key;

struct driver_ops {
	const char *name;        /* value of [profile] driver */
	const char *transport;   /* "serial", "usb", "modbus": for docs and status */
	/* The profile keys this driver reads (besides [profile]); validated
	 * by the profile loader. Ends with an entry whose section is NULL. */
	const struct profile_key *profile_keys;
	/* Validates the [device] section against the profile at config time.
	 * Report problems with diag_error(diag, cfg_file, dc->line, ...). */
	int (*check)(const struct device_conf *dc, const struct profile *p, const char *cfg_file,
		     struct diag *diag);
	int (*open)(struct device *dev);
	void (*close)(struct device *dev);
};

/* Looks a driver up by name; NULL if there is none. */
const struct driver_ops *driver_find(const char *name);
/* NULL-terminated list of all drivers. */
const struct driver_ops *const *driver_all(void);

#endif
