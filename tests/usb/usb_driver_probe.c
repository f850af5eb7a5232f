/* Runs one USB scanner through its real driver on the real event loop and
 * prints what the driver reports to the device layer, one line each:
 *   scan <bytes, printable ASCII as is, others as \xHH>
 *   lost <reason>
 *   reopened
 *   counter <name>=<n>          (nonzero counters, at exit)
 * It stands in for the device supervisor (agent/device.c): the link wraps
 * device_scan/device_lost/device_count so what the driver hands over is
 * printed instead of stored. Run it under umockdev-run.
 *
 * usage: usb_driver_probe PROFILE.ini MATCH [--reopen] [--idle-ms N]
 *   --reopen    after device_lost, close and open the device again (as the
 *               supervisor does after its backoff)
 *   --idle-ms   exit after this long without driver activity (default 800)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/device.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "drivers/driver.h"
#include "drivers/profile.h"

extern const struct driver_ops usb_hid_keyboard_driver;
extern const struct driver_ops usb_hid_pos_driver;

static int64_t last_activity_ms;
static bool reopen_after_loss;
static bool is_open;
static struct loop_timer *reopen_timer;

void __wrap_device_scan(struct device *dev, const unsigned char *raw, size_t len);
void __wrap_device_lost(struct device *dev, const char *reason);
void __wrap_device_count(struct device *dev, enum device_counter c, uint64_t n);
void __wrap_device_emit(struct device *dev, const char *kind, char *data);

static const char *const counter_names[DEVCNT_COUNT] = {
	"readings", "bytes", "overlong", "nul_bytes", "invalid_utf8", "decode_errors",
	"duplicates", "read_errors", "bad_reports", "disconnects", "open_failures",
};

void __wrap_device_scan(struct device *dev, const unsigned char *raw, size_t len)
{
	(void)dev;
	printf("scan ");
	for (size_t i = 0; i < len; i++) {
		if (raw[i] >= 0x20 && raw[i] < 0x7f && raw[i] != '\\')
			putchar(raw[i]);
		else
			printf("\\x%02x", raw[i]);
	}
	putchar('\n');
	fflush(stdout);
	last_activity_ms = loop_now_ms();
}

static void on_reopen(struct loop *loop, void *arg)
{
	(void)loop;
	struct device *dev = arg;
	reopen_timer = NULL;
	if (dev->ops->open(dev) == 0) {
		is_open = true;
		printf("reopened\n");
		fflush(stdout);
	} else {
		reopen_timer = loop_timer_add(dev->loop, 100, on_reopen, dev);
	}
	last_activity_ms = loop_now_ms();
}

void __wrap_device_lost(struct device *dev, const char *reason)
{
	printf("lost %s\n", reason);
	fflush(stdout);
	dev->counters[DEVCNT_DISCONNECTS]++;
	/* The supervisor closes the device right away, from inside the
	 * driver's callback: the hardest case for the driver. */
	dev->ops->close(dev);
	is_open = false;
	if (reopen_after_loss)
		reopen_timer = loop_timer_add(dev->loop, 50, on_reopen, dev);
	last_activity_ms = loop_now_ms();
}

void __wrap_device_count(struct device *dev, enum device_counter c, uint64_t n)
{
	if ((unsigned)c < DEVCNT_COUNT)
		dev->counters[c] += n;
}

void __wrap_device_emit(struct device *dev, const char *kind, char *data)
{
	(void)dev;
	printf("emit %s %s\n", kind, data);
	free(data);
}

int main(int argc, char **argv)
{
	int idle_ms = 800;
	if (argc < 3) {
		fprintf(stderr, "usage: %s PROFILE.ini MATCH [--reopen] [--idle-ms N]\n", argv[0]);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--reopen") == 0)
			reopen_after_loss = true;
		else if (strcmp(argv[i], "--idle-ms") == 0 && i + 1 < argc)
			idle_ms = atoi(argv[++i]);
		else
			return 2;
	}
	const char *lvl = getenv("PROBE_LOG_LEVEL");
	log_set_level(lvl && log_level_parse(lvl) >= 0 ? (enum log_level)log_level_parse(lvl)
						       : LOG_LVL_INFO);
	struct diag diag = {.out = stderr};
	struct profile *prof = profile_load(argv[1], &diag);
	if (!prof)
		return 1;
	const struct driver_ops *ops = NULL;
	if (strcmp(prof->driver, usb_hid_keyboard_driver.name) == 0)
		ops = &usb_hid_keyboard_driver;
	else if (strcmp(prof->driver, usb_hid_pos_driver.name) == 0)
		ops = &usb_hid_pos_driver;
	if (!ops) {
		fprintf(stderr, "profile driver %s is not a USB scanner driver\n", prof->driver);
		return 1;
	}
	static struct device_conf conf;
	snprintf(conf.name, sizeof conf.name, "probe");
	snprintf(conf.profile, sizeof conf.profile, "%s", prof->name);
	snprintf(conf.match, sizeof conf.match, "%s", argv[2]);
	conf.line = 1;
	if (ops->check(&conf, prof, "probe.conf", &diag) != 0)
		return 1;

	struct loop *loop = loop_new();
	static struct device dev;
	dev.conf = &conf;
	dev.profile = prof;
	dev.ops = ops;
	dev.loop = loop;
	dev.name = conf.name;
	snprintf(dev.who, sizeof dev.who, "device %s", conf.name);

	if (ops->open(&dev) != 0) {
		printf("open failed\n");
		return 1;
	}
	is_open = true;
	printf("opened\n");
	fflush(stdout);
	last_activity_ms = loop_now_ms();
	while (loop_now_ms() - last_activity_ms < idle_ms)
		loop_run_once(loop, 50);
	if (is_open)
		ops->close(&dev);
	loop_timer_cancel(reopen_timer);
	for (int c = 0; c < DEVCNT_COUNT; c++)
		if (dev.counters[c])
			printf("counter %s=%llu\n", counter_names[c], (unsigned long long)dev.counters[c]);
	loop_free(loop);
	profile_free(prof);
	return 0;
}
