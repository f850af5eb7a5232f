/* Shared libusb context integrated into the poll loop; see usb_context.h. */
#include "drivers/usb_context.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/log.h"
#include "agent/loop.h"

#define USB_LOG_WHO "usb"

struct usb_fd_watch {
	int fd;
	struct loop_watch *watch;
};

struct usb_context {
	struct loop *loop;
	libusb_context *ctx;
	int refs;
	bool stale;
	struct usb_fd_watch *fds;
	size_t n_fds;
	struct loop_timer *timer;
	struct usb_context *next;
};

/* Every live context (the current one and stale ones still in use). */
static struct usb_context *all_contexts;
/* Nesting depth of libusb event handling: transfer callbacks run inside it. */
static int handling_depth;

static void usb_context_destroy(struct usb_context *uc);
static void usb_context_schedule_timeout(struct usb_context *uc);

static void usb_context_handle_now(struct usb_context *uc, int wait_ms)
{
	struct timeval tv = {.tv_sec = wait_ms / 1000, .tv_usec = (wait_ms % 1000) * 1000};
	handling_depth++;
	int rc = libusb_handle_events_timeout_completed(uc->ctx, &tv, NULL);
	handling_depth--;
	if (rc < 0 && rc != LIBUSB_ERROR_INTERRUPTED)
		log_warn(USB_LOG_WHO, "libusb event handling failed: %s", libusb_error_name(rc));
}

/* After handling, devices may have let go of contexts from their transfer
 * callbacks; unused contexts are destroyed here, outside libusb. */
static void usb_context_after_handling(struct usb_context *uc)
{
	if (uc->refs > 0)
		usb_context_schedule_timeout(uc);
	if (handling_depth > 0)
		return;
	struct usb_context **pp = &all_contexts;
	while (*pp) {
		struct usb_context *c = *pp;
		if (c->refs == 0)
			usb_context_destroy(c); /* unlinks c from *pp */
		else
			pp = &c->next;
	}
}

static void on_usb_fd(struct loop *loop, int fd, short revents, void *arg)
{
	(void)loop;
	(void)fd;
	(void)revents;
	struct usb_context *uc = arg;
	usb_context_handle_now(uc, 0);
	usb_context_after_handling(uc);
}

static void on_usb_timeout(struct loop *loop, void *arg)
{
	(void)loop;
	struct usb_context *uc = arg;
	uc->timer = NULL; /* one-shot: freed by the loop after this returns */
	usb_context_handle_now(uc, 0);
	usb_context_after_handling(uc);
}

/* libusb on Linux keeps its timeouts on a timerfd (one of its pollfds);
 * older kernels or other backends need a loop timer instead. */
static void usb_context_schedule_timeout(struct usb_context *uc)
{
	if (libusb_pollfds_handle_timeouts(uc->ctx))
		return;
	struct timeval tv;
	if (libusb_get_next_timeout(uc->ctx, &tv) != 1)
		return;
	int64_t ms = (int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
	if (uc->timer)
		loop_timer_cancel(uc->timer);
	uc->timer = loop_timer_add(uc->loop, ms, on_usb_timeout, uc);
}

static void on_pollfd_added(int fd, short events, void *user)
{
	struct usb_context *uc = user;
	for (size_t i = 0; i < uc->n_fds; i++) {
		if (uc->fds[i].fd == fd) {
			loop_watch_set_events(uc->fds[i].watch, events);
			return;
		}
	}
	struct usb_fd_watch *fds = realloc(uc->fds, (uc->n_fds + 1) * sizeof *fds);
	if (!fds) {
		log_error(USB_LOG_WHO, "out of memory watching libusb fd %d", fd);
		return;
	}
	uc->fds = fds;
	struct loop_watch *w = loop_watch_add(uc->loop, fd, events, on_usb_fd, uc);
	if (!w) {
		log_error(USB_LOG_WHO, "out of memory watching libusb fd %d", fd);
		return;
	}
	uc->fds[uc->n_fds].fd = fd;
	uc->fds[uc->n_fds].watch = w;
	uc->n_fds++;
}

static void on_pollfd_removed(int fd, void *user)
{
	struct usb_context *uc = user;
	for (size_t i = 0; i < uc->n_fds; i++) {
		if (uc->fds[i].fd == fd) {
			loop_watch_remove(uc->fds[i].watch);
			uc->fds[i] = uc->fds[uc->n_fds - 1];
			uc->n_fds--;
			return;
		}
	}
}

static struct usb_context *usb_context_create(struct loop *loop, const char *who)
{
	struct usb_context *uc = calloc(1, sizeof *uc);
	if (!uc)
		return NULL;
	uc->loop = loop;
	int rc = libusb_init(&uc->ctx);
	if (rc != 0) {
		log_error(who, "cannot initialise libusb: %s", libusb_error_name(rc));
		free(uc);
		return NULL;
	}
	libusb_set_pollfd_notifiers(uc->ctx, on_pollfd_added, on_pollfd_removed, uc);
	const struct libusb_pollfd **pfds = libusb_get_pollfds(uc->ctx);
	if (!pfds) {
		log_error(who, "libusb cannot be driven by a poll loop here");
		usb_context_destroy(uc);
		return NULL;
	}
	for (size_t i = 0; pfds[i]; i++)
		on_pollfd_added(pfds[i]->fd, pfds[i]->events, uc);
	libusb_free_pollfds(pfds);
	uc->next = all_contexts;
	all_contexts = uc;
	log_debug(who, "libusb context started (hotplug events %s)",
		  libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) ? "available when udevd runs"
							       : "unavailable");
	return uc;
}

static void usb_context_destroy(struct usb_context *uc)
{
	for (struct usb_context **pp = &all_contexts; *pp; pp = &(*pp)->next) {
		if (*pp == uc) {
			*pp = uc->next;
			break;
		}
	}
	libusb_set_pollfd_notifiers(uc->ctx, NULL, NULL, NULL);
	for (size_t i = 0; i < uc->n_fds; i++)
		loop_watch_remove(uc->fds[i].watch);
	free(uc->fds);
	loop_timer_cancel(uc->timer);
	libusb_exit(uc->ctx);
	free(uc);
}

struct usb_context *usb_context_acquire(struct loop *loop, const char *who)
{
	struct usb_context *uc;
	for (uc = all_contexts; uc; uc = uc->next)
		if (uc->loop == loop && !uc->stale)
			break;
	if (!uc)
		uc = usb_context_create(loop, who);
	if (uc)
		uc->refs++;
	return uc;
}

void usb_context_release(struct usb_context *uc)
{
	if (!uc)
		return;
	if (--uc->refs > 0)
		return;
	/* Inside a transfer callback libusb still uses the context: the
	 * watch callback destroys it once handling has returned. */
	if (handling_depth == 0)
		usb_context_destroy(uc);
}

libusb_context *usb_context_libusb(const struct usb_context *uc)
{
	return uc->ctx;
}

void usb_context_mark_stale(struct usb_context *uc)
{
	uc->stale = true;
}

bool usb_context_handle_pending(struct usb_context *uc, int max_wait_ms)
{
	if (handling_depth > 0)
		return false;
	usb_context_handle_now(uc, max_wait_ms);
	usb_context_after_handling(uc);
	return true;
}

int usb_match_parse(const char *text, struct usb_match *m, char *err, size_t err_len)
{
	memset(m, 0, sizeof *m);
	unsigned int vid, pid;
	int used = 0;
	if (strncmp(text, "usb:", 4) != 0 || sscanf(text + 4, "%4x:%4x%n", &vid, &pid, &used) != 2 ||
	    !isxdigit((unsigned char)text[4])) {
		snprintf(err, err_len, "match must look like usb:VVVV:PPPP [serial=SN], not '%s'", text);
		return -1;
	}
	m->vid = (uint16_t)vid;
	m->pid = (uint16_t)pid;
	const char *rest = text + 4 + used;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '\0')
		return 0;
	if (strncmp(rest, "serial=", 7) != 0) {
		snprintf(err, err_len, "unexpected '%s' after the USB ids (only serial=SN may follow)", rest);
		return -1;
	}
	rest += 7;
	size_t len = strcspn(rest, " \t");
	if (len == 0 || len >= sizeof m->serial || rest[len + strspn(rest + len, " \t")] != '\0') {
		snprintf(err, err_len, "serial= needs one value of 1-%zu characters", sizeof m->serial - 1);
		return -1;
	}
	memcpy(m->serial, rest, len);
	m->serial[len] = '\0';
	return 0;
}

/* Reads one short sysfs attribute into out without the trailing newline. */
static int read_sysfs_attr(const char *dir, const char *name, char *out, size_t out_len)
{
	char path[512];
	snprintf(path, sizeof path, "/sys/bus/usb/devices/%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(out, 1, out_len - 1, f);
	fclose(f);
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	return 0;
}

int usb_device_serial(libusb_device *udev, char *out, size_t out_len)
{
	int bus = libusb_get_bus_number(udev);
	int addr = libusb_get_device_address(udev);
	DIR *d = opendir("/sys/bus/usb/devices");
	if (!d)
		return -1;
	int rc = -1;
	struct dirent *de;
	while ((de = readdir(d))) {
		/* Interfaces ("1-1:1.0") and dot entries are not devices. */
		if (de->d_name[0] == '.' || strchr(de->d_name, ':'))
			continue;
		char val[32];
		if (read_sysfs_attr(de->d_name, "busnum", val, sizeof val) != 0 || atoi(val) != bus)
			continue;
		if (read_sysfs_attr(de->d_name, "devnum", val, sizeof val) != 0 || atoi(val) != addr)
			continue;
		rc = read_sysfs_attr(de->d_name, "serial", out, out_len);
		break;
	}
	closedir(d);
	return rc;
}

void usb_device_describe(libusb_device *udev, char *out, size_t out_len)
{
	struct libusb_device_descriptor desc;
	if (libusb_get_device_descriptor(udev, &desc) != 0)
		memset(&desc, 0, sizeof desc);
	uint8_t ports[8];
	int n = libusb_get_port_numbers(udev, ports, sizeof ports);
	char path[40] = "";
	size_t off = 0;
	for (int i = 0; i < n && off < sizeof path - 5; i++)
		off += (size_t)snprintf(path + off, sizeof path - off, "%s%u", i ? "." : "-", ports[i]);
	snprintf(out, out_len, "usb %d%s addr %d (%04x:%04x)", libusb_get_bus_number(udev), path,
		 libusb_get_device_address(udev), desc.idVendor, desc.idProduct);
}
