/* Line-oriented serial barcode scanner on a tty (USB CDC-ACM or RS-232).
 *
 * Frames are delimited by a suffix (CR, LF, CRLF) or, with suffix = none,
 * by an inter-character timeout. A frame longer than max_length is cut and
 * recorded with an error; NUL bytes and invalid UTF-8 are kept visible in
 * the event (escaped / replaced) and counted. EOF, EIO or a hang-up means
 * the scanner went away: the supervisor reopens it with backoff.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/device.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "drivers/driver.h"
#include "drivers/profile.h"
#include "drivers/scan_framing.h"
#include "drivers/tty.h"

/* Reads per wake-up before yielding to other devices. */
#define SERIAL_READS_PER_WAKE 16
#define SERIAL_READ_CHUNK 4096

struct serial_scanner {
	struct device *dev;
	int fd;
	struct loop_watch *watch;
	struct loop_timer *gap_timer;
	int64_t timeout_ms;
	struct scan_framer framer;
};

static const struct profile_key serial_scanner_keys[] = {
	{"serial", "baud", PK_INT, 50, 4000000, NULL, false, "line speed (default 9600)"},
	{"serial", "parity", PK_ENUM, 0, 0, "none|even|odd", false, "parity (default none)"},
	{"serial", "data_bits", PK_INT, 5, 8, NULL, false, "data bits (default 8)"},
	{"serial", "stop_bits", PK_INT, 1, 2, NULL, false, "stop bits (default 1)"},
	{"serial", "flow_control", PK_ENUM, 0, 0, "none|rtscts|xonxoff", false,
	 "flow control (default none)"},
	{"framing", "suffix", PK_ENUM, 0, 0, "cr|lf|crlf|none", true,
	 "what ends a scan; none = inter-character timeout"},
	{"framing", "timeout_ms", PK_INT, 0, 10000, NULL, false,
	 "a pause this long ends a scan (required with suffix = none; 0 = off)"},
	{"framing", "max_length", PK_INT, 1, 65536, NULL, false,
	 "longest scan in bytes; longer frames are cut and flagged (default 4096)"},
	{"barcode", "aim_prefix", PK_ENUM, 0, 0, "yes|no|auto", false,
	 "whether the scanner sends an AIM symbology identifier first"},
	{NULL, NULL, 0, 0, 0, NULL, false, NULL},
};

static void serial_settings(const struct device *dev, struct tty_settings *ts)
{
	const struct device_conf *dc = dev->conf;
	const struct profile *p = dev->profile;
	const char *parity = dc->parity[0] ? dc->parity : profile_str(p, "serial", "parity", "none");
	const char *flow = dc->flow_control[0] ? dc->flow_control : profile_str(p, "serial", "flow_control", "none");

	ts->baud = dc->baud ? dc->baud : profile_int(p, "serial", "baud", 9600);
	ts->parity = strcmp(parity, "even") == 0 ? 'E' : strcmp(parity, "odd") == 0 ? 'O' : 'N';
	ts->data_bits = (int)(dc->data_bits ? dc->data_bits : profile_int(p, "serial", "data_bits", 8));
	ts->stop_bits = (int)(dc->stop_bits ? dc->stop_bits : profile_int(p, "serial", "stop_bits", 1));
	str_copy(ts->flow, sizeof ts->flow, flow);
}

/* A scan from the framer. */
static void serial_on_frame(void *arg, const unsigned char *frame, size_t len, size_t overflow, bool by_pause)
{
	struct serial_scanner *ss = arg;
	(void)by_pause;
	if (overflow)
		device_scan_overlong(ss->dev, frame, len, ss->framer.max_length);
	else
		device_scan(ss->dev, frame, len);
}

static void serial_gap_timeout(struct loop *loop, void *arg)
{
	(void)loop;
	struct device *dev = arg;
	struct serial_scanner *ss = dev->priv;
	ss->gap_timer = NULL;
	scan_framer_pause(&ss->framer);
}

static void serial_consume(struct device *dev, struct serial_scanner *ss, const unsigned char *buf, size_t n)
{
	scan_framer_feed(&ss->framer, buf, n);
	loop_timer_cancel(ss->gap_timer);
	ss->gap_timer = NULL;
	if (ss->timeout_ms > 0 && scan_framer_busy(&ss->framer))
		ss->gap_timer = loop_timer_add(dev->loop, ss->timeout_ms, serial_gap_timeout, dev);
}

static void serial_readable(struct loop *loop, int fd, short revents, void *arg)
{
	(void)loop;
	struct device *dev = arg;
	struct serial_scanner *ss = dev->priv;
	unsigned char buf[SERIAL_READ_CHUNK];

	for (int i = 0; i < SERIAL_READS_PER_WAKE; i++) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			dev->counters[DEVCNT_BYTES] += (uint64_t)n;
			serial_consume(dev, ss, buf, (size_t)n);
			/* device_lost() cannot run in here, so ss stays valid. */
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n == 0 && !(revents & (POLLHUP | POLLERR)))
			break; /* nothing now (VMIN = 0) */
		if (n < 0)
			dev->counters[DEVCNT_READ_ERRORS]++;
		device_lost(dev, n < 0 ? strerror(errno) : "end of file (hang-up)");
		return;
	}
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		/* Hang-up with nothing left to read. */
		char probe;
		if (read(fd, &probe, 1) <= 0) {
			device_lost(dev, "hang-up");
			return;
		}
		serial_consume(dev, ss, (unsigned char *)&probe, 1);
	}
}

static int serial_open(struct device *dev)
{
	struct serial_scanner *ss = calloc(1, sizeof *ss);
	struct tty_settings ts;
	const struct profile *p = dev->profile;
	if (!ss) {
		str_copy(dev->last_error, sizeof dev->last_error, "out of memory");
		return -1;
	}
	ss->dev = dev;
	enum scan_suffix suffix = scan_suffix_parse(profile_str(p, "framing", "suffix", "cr"));
	ss->timeout_ms = profile_int(p, "framing", "timeout_ms", suffix == SCAN_SUFFIX_NONE ? 50 : 0);
	size_t max_length = (size_t)profile_int(p, "framing", "max_length", 4096);
	if (scan_framer_init(&ss->framer, suffix, SCAN_HELD_CR_ENDS, max_length, serial_on_frame, ss) != 0) {
		scan_framer_free(&ss->framer);
		free(ss);
		str_copy(dev->last_error, sizeof dev->last_error, "out of memory");
		return -1;
	}
	serial_settings(dev, &ts);
	ss->fd = tty_open(dev->conf->port, &ts, dev->last_error, sizeof dev->last_error);
	if (ss->fd < 0)
		goto fail;
	ss->watch = loop_watch_add(dev->loop, ss->fd, POLLIN, serial_readable, dev);
	if (!ss->watch) {
		str_copy(dev->last_error, sizeof dev->last_error, "out of memory");
		close(ss->fd);
		goto fail;
	}
	dev->priv = ss;
	log_debug(dev->who, "opened %s at %lld baud", dev->conf->port, (long long)ts.baud);
	return 0;
fail:
	scan_framer_free(&ss->framer);
	free(ss);
	return -1;
}

static void serial_close(struct device *dev)
{
	struct serial_scanner *ss = dev->priv;
	if (!ss)
		return;
	if (ss->framer.len || ss->framer.overflow) {
		/* A scan cut off by the unplug: incomplete, so not a reading. */
		dev->counters[DEVCNT_BAD_REPORTS]++;
		log_warn(dev->who, "incomplete scan of %zu bytes discarded at disconnect", ss->framer.len);
	}
	loop_timer_cancel(ss->gap_timer);
	loop_watch_remove(ss->watch);
	close(ss->fd);
	scan_framer_free(&ss->framer);
	free(ss);
	dev->priv = NULL;
}

static int serial_check(const struct device_conf *dc, const struct profile *p, const char *cfg_file,
			struct diag *diag)
{
	int errors = 0;
	if (!dc->port[0]) {
		diag_error(diag, cfg_file, dc->line, "device %s: serial profile %s needs 'port'", dc->name,
			   p->name);
		errors++;
	}
	if (dc->match[0]) {
		diag_error(diag, cfg_file, dc->line, "device %s: 'match' is for USB devices; profile %s is serial",
			   dc->name, p->name);
		errors++;
	}
	int64_t baud = dc->baud ? dc->baud : profile_int(p, "serial", "baud", 9600);
	if (!tty_baud_supported(baud)) {
		diag_error(diag, cfg_file, dc->line, "device %s: baud rate %lld is not a standard speed",
			   dc->name, (long long)baud);
		errors++;
	}
	if (strcmp(profile_str(p, "framing", "suffix", "cr"), "none") == 0 &&
	    profile_int(p, "framing", "timeout_ms", 50) == 0) {
		diag_error(diag, cfg_file, dc->line,
			   "device %s: profile %s frames by timeout but timeout_ms is 0", dc->name, p->name);
		errors++;
	}
	return errors ? -1 : 0;
}

const struct driver_ops serial_scanner_driver = {
	.name = "serial-scanner",
	.transport = "serial",
	.profile_keys = serial_scanner_keys,
	.check = serial_check,
	.open = serial_open,
	.close = serial_close,
};
