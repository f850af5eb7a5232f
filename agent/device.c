/* Device supervisor: opens devices through their driver, reopens them
 * with exponential backoff when they are lost, and records `device` events
 * (connected, disconnected, fault) for them. */
#include "agent/device.h"

#include <stdio.h>
#include <string.h>

#include "agent/ingest.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "drivers/barcode/barcode.h"
#include "drivers/driver.h"
#include "drivers/profile.h"

#define DEVICE_BACKOFF_MIN_MS 250
#define DEVICE_BACKOFF_MAX_MS 10000

const char *const device_counter_names[DEVCNT_COUNT] = {
	[DEVCNT_READINGS] = "readings",
	[DEVCNT_BYTES] = "bytes",
	[DEVCNT_OVERLONG] = "overlong",
	[DEVCNT_NUL_BYTES] = "nul_bytes",
	[DEVCNT_INVALID_UTF8] = "invalid_utf8",
	[DEVCNT_DECODE_ERRORS] = "decode_errors",
	[DEVCNT_DUPLICATES] = "duplicates_suppressed",
	[DEVCNT_READ_ERRORS] = "read_errors",
	[DEVCNT_BAD_REPORTS] = "bad_reports",
	[DEVCNT_DISCONNECTS] = "disconnects",
	[DEVCNT_OPEN_FAILURES] = "open_failures",
};

const char *device_state_name(enum device_state s)
{
	switch (s) {
	case DEVICE_STOPPED: return "stopped";
	case DEVICE_DISCONNECTED: return "disconnected";
	case DEVICE_CONNECTED: return "connected";
	}
	return "unknown";
}

void device_count(struct device *dev, enum device_counter c, uint64_t n)
{
	if (c < DEVCNT_COUNT)
		dev->counters[c] += n;
}

/* Records a `device` event: {"event":"connected"} and friends. */
static void device_record(struct device *dev, const char *what, const char *detail)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "{\"event\":");
	json_append_cstring(&sb, what);
	strbuf_puts(&sb, ",\"profile\":");
	json_append_cstring(&sb, dev->conf->profile);
	if (detail && *detail) {
		strbuf_puts(&sb, ",\"detail\":");
		json_append_cstring(&sb, detail);
	}
	strbuf_puts(&sb, "}");
	if (sb.failed) {
		strbuf_free(&sb);
		log_error(dev->who, "out of memory recording device event");
		return;
	}
	ingest_submit(dev->ingest, dev, "device", strbuf_steal(&sb), NULL);
}

static void device_try_open(struct loop *loop, void *arg);

static void device_schedule_retry(struct device *dev)
{
	int64_t delay = backoff_next_delay(&dev->backoff_ms, DEVICE_BACKOFF_MAX_MS);
	dev->retry_timer = loop_timer_add(dev->loop, delay, device_try_open, dev);
}

static void device_try_open(struct loop *loop, void *arg)
{
	(void)loop;
	struct device *dev = arg;
	dev->retry_timer = NULL;
	if (dev->state == DEVICE_STOPPED)
		return;
	if (dev->ops->open(dev) == 0) {
		dev->state = DEVICE_CONNECTED;
		dev->connected_since_ms = wall_now_ms();
		dev->backoff_ms = DEVICE_BACKOFF_MIN_MS;
		dev->last_error[0] = '\0';
		log_info(dev->who, "connected");
		device_record(dev, "connected", NULL);
		return;
	}
	dev->counters[DEVCNT_OPEN_FAILURES]++;
	/* Log the first failure in a row at info, the rest at debug. */
	if (dev->backoff_ms == DEVICE_BACKOFF_MIN_MS)
		log_info(dev->who, "not available%s%s; retrying", dev->last_error[0] ? ": " : "",
			 dev->last_error);
	else
		log_debug(dev->who, "still not available%s%s", dev->last_error[0] ? ": " : "",
			  dev->last_error);
	device_schedule_retry(dev);
}

void device_lost(struct device *dev, const char *reason)
{
	if (dev->state != DEVICE_CONNECTED)
		return;
	dev->ops->close(dev);
	dev->state = DEVICE_DISCONNECTED;
	dev->counters[DEVCNT_DISCONNECTS]++;
	str_copy(dev->last_error, sizeof dev->last_error, reason ? reason : "lost");
	log_warn(dev->who, "disconnected: %s", dev->last_error);
	device_record(dev, "disconnected", dev->last_error);
	dev->backoff_ms = DEVICE_BACKOFF_MIN_MS;
	device_schedule_retry(dev);
}

void device_init(struct device *dev, const struct device_conf *conf, const struct profile *p,
		 const struct driver_ops *ops, struct loop *loop, struct ingest *ingest)
{
	memset(dev, 0, sizeof *dev);
	dev->conf = conf;
	dev->profile = p;
	dev->ops = ops;
	dev->loop = loop;
	dev->ingest = ingest;
	dev->name = conf->name;
	snprintf(dev->who, sizeof dev->who, "device %s", conf->name);
	barcode_options_from_profile(p, &dev->barcode_opt); /* once: profiles do not change */
	dev->backoff_ms = DEVICE_BACKOFF_MIN_MS;
}

void device_start(struct device *dev)
{
	dev->state = DEVICE_DISCONNECTED;
	device_try_open(dev->loop, dev);
}

void device_stop(struct device *dev)
{
	if (dev->state == DEVICE_CONNECTED)
		dev->ops->close(dev);
	loop_timer_cancel(dev->retry_timer);
	dev->retry_timer = NULL;
	dev->state = DEVICE_STOPPED;
}

/* FNV-1a: only to recognise an identical repeat scan. */
static uint64_t scan_hash(const unsigned char *raw, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= raw[i];
		h *= 1099511628211ULL;
	}
	return h ^ len;
}

void device_scan(struct device *dev, const unsigned char *raw, size_t len)
{
	if (dev->conf->suppress_duplicates_ms > 0) {
		uint64_t h = scan_hash(raw, len);
		int64_t now = loop_now_ms();
		if (dev->last_scan_mono_ms && h == dev->last_scan_hash &&
		    now - dev->last_scan_mono_ms < dev->conf->suppress_duplicates_ms) {
			dev->counters[DEVCNT_DUPLICATES]++;
			log_debug(dev->who, "identical scan within %lld ms suppressed",
				  (long long)dev->conf->suppress_duplicates_ms);
			return;
		}
		dev->last_scan_hash = h;
		dev->last_scan_mono_ms = now;
	}

	struct barcode_scan scan;
	struct strbuf data;
	strbuf_init(&data);
	barcode_decode(raw, len, &dev->barcode_opt, &scan, &data);
	if (data.failed) {
		strbuf_free(&data);
		log_error(dev->who, "out of memory decoding scan");
		return;
	}
	dev->counters[DEVCNT_NUL_BYTES] += scan.nul_bytes;
	dev->counters[DEVCNT_INVALID_UTF8] += scan.invalid_utf8;
	if (scan.error[0]) {
		dev->counters[DEVCNT_DECODE_ERRORS]++;
		log_debug(dev->who, "scan did not decode: %s", scan.error);
	}
	dev->counters[DEVCNT_READINGS]++;
	dev->last_reading_ms = wall_now_ms();
	ingest_submit(dev->ingest, dev, "scan", strbuf_steal(&data), &scan);
}

void device_scan_overlong(struct device *dev, const unsigned char *raw, size_t len, size_t max_length)
{
	struct strbuf data;
	size_t invalid = 0;
	strbuf_init(&data);
	strbuf_puts(&data, "{\"text\":");
	json_append_string(&data, (const char *)raw, len, &invalid);
	strbuf_printf(&data, ",\"truncated\":true,\"error\":\"frame longer than max_length %zu: cut\"}",
		      max_length);
	if (data.failed) {
		strbuf_free(&data);
		log_error(dev->who, "out of memory recording overlong frame");
		return;
	}
	dev->counters[DEVCNT_OVERLONG]++;
	dev->counters[DEVCNT_INVALID_UTF8] += invalid;
	dev->counters[DEVCNT_READINGS]++;
	dev->last_reading_ms = wall_now_ms();
	log_warn(dev->who, "frame longer than %zu bytes: recorded cut, with an error", max_length);
	/* No decoded scan: a by-gs1 device sends it to quarantine. */
	ingest_submit(dev->ingest, dev, "scan", strbuf_steal(&data), NULL);
}

void device_emit(struct device *dev, const char *kind, char *data)
{
	dev->counters[DEVCNT_READINGS]++;
	dev->last_reading_ms = wall_now_ms();
	ingest_submit(dev->ingest, dev, kind, data, NULL);
}
