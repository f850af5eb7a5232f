/* Devices and their supervisor: one struct device per [device] section.
 * The supervisor opens the device through its driver, reopens it with
 * exponential backoff when it is lost, and records `device` events
 * (connected, disconnected) for it. Drivers report readings through the
 * device_* functions below; those feed tenant resolution and group commit.
 */
#ifndef DOCKSIDE_DEVICE_H
#define DOCKSIDE_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "agent/config.h"
#include "drivers/barcode/barcode.h"

struct loop;
struct loop_timer;
struct profile;
struct driver_ops;
struct ingest;

enum device_state {
	DEVICE_STOPPED = 0,
	DEVICE_DISCONNECTED,  /* waiting to retry open() */
	DEVICE_CONNECTED,
};

/* Per-device counters; names in device_counter_names[]. */
enum device_counter {
	DEVCNT_READINGS = 0,      /* readings handed to ingest */
	DEVCNT_BYTES,             /* bytes read from the device */
	DEVCNT_OVERLONG,          /* frames cut at the profile's max_length */
	DEVCNT_NUL_BYTES,         /* NUL bytes seen in data */
	DEVCNT_INVALID_UTF8,      /* bytes replaced by U+FFFD */
	DEVCNT_DECODE_ERRORS,     /* scans that did not decode (still recorded) */
	DEVCNT_DUPLICATES,        /* identical scans suppressed within the window */
	DEVCNT_READ_ERRORS,       /* I/O errors */
	DEVCNT_BAD_REPORTS,       /* malformed USB reports / frames */
	DEVCNT_DISCONNECTS,
	DEVCNT_OPEN_FAILURES,
	DEVCNT_COUNT
};
extern const char *const device_counter_names[DEVCNT_COUNT];

struct device {
	const struct device_conf *conf;
	const struct profile *profile;
	const struct driver_ops *ops;
	struct loop *loop;
	struct ingest *ingest;
	const char *name;          /* conf->name */
	char who[DS_NAME_MAX + 16];/* "device NAME" for logs */
	void *priv;                /* driver state, owned by the driver */
	enum device_state state;
	int64_t connected_since_ms;/* wall clock */
	int64_t last_reading_ms;   /* wall clock, 0 if none */
	int64_t backoff_ms;
	struct loop_timer *retry_timer;
	char last_error[160];
	uint64_t counters[DEVCNT_COUNT];
	struct barcode_options barcode_opt; /* from the profile's [barcode] */
	/* duplicate suppression */
	uint64_t last_scan_hash;
	int64_t last_scan_mono_ms;
};

/* A scan: raw scanner bytes with the framing suffix removed. Decoded
 * (AIM, GS1), suppressed if an identical scan fell within the device's
 * window, resolved to its tenant and queued for commit. */
void device_scan(struct device *dev, const unsigned char *raw, size_t len);
/* A frame longer than the profile's max_length: recorded as a scan of its
 * first `len` bytes with an error, counted, never decoded as data. */
void device_scan_overlong(struct device *dev, const unsigned char *raw, size_t len, size_t max_length);
/* Any other reading: `data` is a JSON object text; ownership passes to
 * the callee (it is freed). */
void device_emit(struct device *dev, const char *kind, char *data);
/* The driver lost the device (EOF, EIO, unplug). The supervisor calls
 * close(), records a `device` disconnected event and schedules reopen. */
void device_lost(struct device *dev, const char *reason);
void device_count(struct device *dev, enum device_counter c, uint64_t n);

/* Supervisor side (used by the daemon). */
void device_init(struct device *dev, const struct device_conf *conf, const struct profile *p,
		 const struct driver_ops *ops, struct loop *loop, struct ingest *ingest);
void device_start(struct device *dev);
void device_stop(struct device *dev);
const char *device_state_name(enum device_state s);

#endif
