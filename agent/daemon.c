#include "agent/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "agent/control.h"
#include "agent/device.h"
#include "agent/ingest.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "drivers/driver.h"
#include "sync/store.h"
#include "sync/uplink.h"

#define SHUTDOWN_GRACE_MS 2000

/* Signals only set a flag and wake the loop through a pipe. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static int wake_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
	if (wake_pipe[1] >= 0) {
		char c = 0;
		ssize_t n = write(wake_pipe[1], &c, 1);
		(void)n;
	}
	errno = saved;
}

static void on_wake(struct loop *loop, int fd, short revents, void *arg)
{
	(void)loop;
	(void)revents;
	(void)arg;
	char buf[64];
	while (read(fd, buf, sizeof buf) > 0)
		;
}

static int install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

static void on_committed(void *arg, const char *stream)
{
	struct daemon *d = arg;
	if (d->uplink)
		uplink_notify(d->uplink, stream);
}

static void health_devices(void *arg, struct strbuf *out)
{
	struct daemon *d = arg;
	strbuf_puts(out, "\"devices\":{");
	for (size_t i = 0; i < d->n_devices; i++) {
		struct device *dev = &d->devices[i];
		if (i)
			strbuf_puts(out, ",");
		json_append_cstring(out, dev->name);
		strbuf_printf(out, ":\"%s\"", device_state_name(dev->state));
	}
	strbuf_puts(out, "}");
}

static struct loop_timer *prune_timer;

static void prune_tick(struct loop *loop, void *arg)
{
	struct daemon *d = arg;
	int64_t n = store_prune(d->store, wall_now_ms());
	if (n > 0)
		log_info("store", "pruned %lld acknowledged events past retention", (long long)n);
	if (n > 0 && d->uplink)
		uplink_state_changed(d->uplink);
	prune_timer = loop_timer_add(loop, d->cfg->agent.prune_interval_s * 1000, prune_tick, d);
}

static void rates_tick(struct loop *loop, void *arg)
{
	struct daemon *d = arg;
	ingest_sample_rates(d->ingest);
	uplink_sample_rates(d->uplink);
	loop_timer_add(loop, 1000, rates_tick, d);
}

static int ensure_dir(const char *path)
{
	char tmp[PATH_MAX];
	if (!str_copy(tmp, sizeof tmp, path))
		return -1;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static void handle_reload(struct daemon *d)
{
	/* Validate the file on disk and record the request; the running
	 * configuration changes only with a restart, which keeps every
	 * session and device consistent. */
	struct diag diag = {.out = stderr};
	struct config *next = config_load(d->cfg->path, true, &diag);
	char detail[200];
	snprintf(detail, sizeof detail, "source=SIGHUP file=%s result=%s", d->cfg->path,
		 next ? "valid; restart to apply" : "invalid; ignored");
	log_info("config", "reload requested: %s", next ? "file is valid; restart dockside to apply it"
							 : "file has errors (see above); keeping the running configuration");
	store_audit_append(d->store, wall_now_ms(), (long)getuid(), "", "config-reload", detail);
	config_free(next);
}

static int daemon_setup(struct daemon *d, const char *config_path)
{
	struct diag diag = {.out = stderr};
	char err[256];

	d->cfg = config_load(config_path, true, &diag);
	if (!d->cfg) {
		fprintf(stderr, "dockside: %s: %d error(s); not starting\n", config_path, diag.errors);
		return -1;
	}
	int lvl = log_level_parse(d->cfg->agent.log_level);
	if (lvl >= 0 && !getenv("DOCKSIDE_LOG_LEVEL"))
		log_set_level((enum log_level)lvl);
	if (profile_set_load(&d->profiles, profile_default_dir(), &diag) < 0)
		return -1;
	if (ensure_dir(d->cfg->agent.data_dir) < 0) {
		log_error_errno("store", "cannot create data_dir %s", d->cfg->agent.data_dir);
		return -1;
	}
	struct store_config sc = {
		.data_dir = d->cfg->agent.data_dir,
		.gateway_id = d->cfg->agent.gateway_id,
		.retention_ms = d->cfg->agent.retention_hours * 3600 * 1000,
		.retention_events = d->cfg->agent.retention_events,
	};
	if (store_open(&d->store, &sc, err, sizeof err) != STORE_OK) {
		log_error("store", "%s", err);
		return -1;
	}
	d->loop = loop_new();
	if (!d->loop)
		return -1;
	d->ingest = ingest_new(d->loop, d->store, d->cfg, on_committed, d);
	if (!d->ingest)
		return -1;
	d->uplink = uplink_new(d->loop, d->store, d->ingest, d->cfg);
	if (!d->uplink)
		return -1;
	uplink_set_health_cb(d->uplink, health_devices, d);
	d->devices = calloc(d->cfg->n_devices ? d->cfg->n_devices : 1, sizeof *d->devices);
	if (!d->devices)
		return -1;
	for (size_t i = 0; i < d->cfg->n_devices; i++) {
		const struct device_conf *dc = &d->cfg->devices[i];
		const struct profile *p = profile_set_find(&d->profiles, dc->profile);
		const struct driver_ops *ops = p ? driver_find(p->driver) : NULL;
		if (!p || !ops) {
			log_error("config", "device %s: profile %s not available", dc->name, dc->profile);
			return -1;
		}
		device_init(&d->devices[i], dc, p, ops, d->loop, d->ingest);
		d->n_devices++;
	}
	d->control = control_open(d);
	if (!d->control)
		return -1;
	return 0;
}

static void daemon_teardown(struct daemon *d)
{
	for (size_t i = 0; i < d->n_devices; i++)
		device_stop(&d->devices[i]);
	if (d->ingest && ingest_flush(d->ingest) != STORE_OK)
		log_error("store", "events still queued at shutdown could not be committed");
	uplink_free(d->uplink, d->stopping ? SHUTDOWN_GRACE_MS : 0);
	d->uplink = NULL;
	control_close(d->control);
	ingest_free(d->ingest);
	free(d->devices);
	store_close(d->store);
	loop_free(d->loop);
	profile_set_free(&d->profiles);
	config_free(d->cfg);
}

int daemon_run(const char *config_path)
{
	struct daemon d;
	int status = 1;
	memset(&d, 0, sizeof d);
	d.started_ms = wall_now_ms();
	srandom((unsigned)(getpid() ^ d.started_ms));

	const char *env_level = getenv("DOCKSIDE_LOG_LEVEL");
	if (env_level && log_level_parse(env_level) >= 0)
		log_set_level((enum log_level)log_level_parse(env_level));

	if (pipe(wake_pipe) < 0 || fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK) < 0 || fcntl(wake_pipe[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(wake_pipe[1], F_SETFD, FD_CLOEXEC) < 0 || install_signals() < 0) {
		log_error_errno("daemon", "cannot set up signal handling");
		return 1;
	}
	if (daemon_setup(&d, config_path) < 0)
		goto out;
	loop_watch_add(d.loop, wake_pipe[0], POLLIN, on_wake, NULL);
	prune_timer = loop_timer_add(d.loop, d.cfg->agent.prune_interval_s * 1000, prune_tick, &d);
	loop_timer_add(d.loop, 1000, rates_tick, &d);
	uplink_start(d.uplink);
	for (size_t i = 0; i < d.n_devices; i++)
		device_start(&d.devices[i]);
	log_info("daemon", "running: gateway %s, site %s, %zu tenants, %zu devices", d.cfg->agent.gateway_id,
		 d.cfg->agent.site, d.cfg->n_tenants, d.n_devices);
	sd_notify(0, "READY=1");

	while (!stop_requested) {
		if (loop_run_once(d.loop, 1000) < 0) {
			log_error_errno("daemon", "event loop failed");
			goto out;
		}
		if (reload_requested) {
			reload_requested = 0;
			handle_reload(&d);
		}
	}
	log_info("daemon", "stopping");
	sd_notify(0, "STOPPING=1");
	d.stopping = true;
	status = 0;
out:
	daemon_teardown(&d);
	close(wake_pipe[0]);
	close(wake_pipe[1]);
	wake_pipe[0] = wake_pipe[1] = -1;
	return status;
}
