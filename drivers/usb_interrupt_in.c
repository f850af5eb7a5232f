/* One interrupt IN transfer kept running on a claimed interface; see
 * usb_interrupt_in.h. */
#include "drivers/usb_interrupt_in.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/log.h"
#include "agent/loop.h"
#include "drivers/usb_context.h"

/* Longest we wait in close() for libusb to hand back a cancelled transfer;
 * usbfs returns it at once, so this is only reached on a wedged device. */
#define CANCEL_WAIT_MS 500

struct usb_interrupt_in {
	struct loop *loop;
	const char *who;
	struct usb_context *uc;
	libusb_device_handle *handle;
	struct libusb_transfer *xfer;
	uint8_t *buf;
	int iface;
	bool detached;      /* we detached the kernel driver: give it back */
	bool in_flight;     /* the transfer is submitted */
	bool in_callback;   /* inside on_transfer_done */
	bool closing;       /* close() ran; free when libusb lets go */
	bool close_waiting; /* close() is handling events until the cancel lands */
	const struct usb_interrupt_in_ops *ops;
	void *arg;
	char where[80];
};

static void link_free(struct usb_interrupt_in *link)
{
	if (link->xfer)
		libusb_free_transfer(link->xfer);
	if (link->handle) {
		libusb_release_interface(link->handle, link->iface);
		if (link->detached)
			libusb_attach_kernel_driver(link->handle, link->iface);
		libusb_close(link->handle);
	}
	usb_context_release(link->uc);
	free(link->buf);
	free(link);
}

/* libusb_close() must not run inside a transfer callback (libusb 1.0.26
 * deadlocks on the handle's lock), so a link closed from its callback is
 * freed by the loop right after. */
static void on_deferred_free(struct loop *loop, void *arg)
{
	(void)loop;
	link_free(arg);
}

static void link_free_later(struct usb_interrupt_in *link)
{
	if (!loop_timer_add(link->loop, 0, on_deferred_free, link))
		log_error(link->who, "out of memory: USB handle of %s leaked", link->where);
}

static const char *transfer_status_reason(enum libusb_transfer_status st)
{
	switch (st) {
	case LIBUSB_TRANSFER_NO_DEVICE: return "device unplugged";
	case LIBUSB_TRANSFER_ERROR:     return "USB transfer error";
	case LIBUSB_TRANSFER_STALL:     return "endpoint stalled";
	case LIBUSB_TRANSFER_OVERFLOW:  return "report longer than the endpoint's packet size";
	case LIBUSB_TRANSFER_TIMED_OUT: return "transfer timed out";
	case LIBUSB_TRANSFER_CANCELLED: return "transfer cancelled";
	default:                        return "USB transfer failed";
	}
}

static void LIBUSB_CALL on_transfer_done(struct libusb_transfer *xfer)
{
	struct usb_interrupt_in *link = xfer->user_data;
	link->in_flight = false;
	if (link->closing) {
		/* Cancelled: close() frees the link itself when it is waiting,
		 * else it gave up waiting and left the freeing to us. */
		if (!link->close_waiting)
			link_free_later(link);
		return;
	}
	link->in_callback = true;
	const char *lost_reason = NULL;
	if (xfer->status == LIBUSB_TRANSFER_COMPLETED) {
		link->ops->report(link->arg, xfer->buffer, (size_t)xfer->actual_length);
		if (!link->closing) {
			int rc = libusb_submit_transfer(xfer);
			if (rc == 0)
				link->in_flight = true;
			else
				lost_reason = rc == LIBUSB_ERROR_NO_DEVICE ? "device unplugged"
									   : libusb_error_name(rc);
		}
	} else {
		lost_reason = transfer_status_reason(xfer->status);
	}
	if (lost_reason && !link->closing)
		link->ops->lost(link->arg, lost_reason);
	link->in_callback = false;
	if (link->closing)
		link_free_later(link);
}

/* The interrupt IN endpoint of the interface that matches spec, or -1. */
static int find_interface(libusb_device *udev, const struct usb_interrupt_in_spec *spec,
			  int *iface, uint8_t *endpoint, int *packet_size)
{
	struct libusb_config_descriptor *cfg;
	if (libusb_get_active_config_descriptor(udev, &cfg) != 0 &&
	    libusb_get_config_descriptor(udev, 0, &cfg) != 0)
		return -1;
	int found = -1;
	for (int i = 0; i < cfg->bNumInterfaces && found < 0; i++) {
		const struct libusb_interface *intf = &cfg->interface[i];
		if (intf->num_altsetting < 1)
			continue;
		const struct libusb_interface_descriptor *alt = &intf->altsetting[0];
		if ((spec->iface_number >= 0 && alt->bInterfaceNumber != spec->iface_number) ||
		    (spec->iface_class >= 0 && alt->bInterfaceClass != spec->iface_class) ||
		    (spec->iface_subclass >= 0 && alt->bInterfaceSubClass != spec->iface_subclass) ||
		    (spec->iface_protocol >= 0 && alt->bInterfaceProtocol != spec->iface_protocol))
			continue;
		for (int e = 0; e < alt->bNumEndpoints; e++) {
			const struct libusb_endpoint_descriptor *ep = &alt->endpoint[e];
			if ((ep->bEndpointAddress & LIBUSB_ENDPOINT_DIR_MASK) == LIBUSB_ENDPOINT_IN &&
			    (ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) == LIBUSB_TRANSFER_TYPE_INTERRUPT) {
				*iface = alt->bInterfaceNumber;
				*endpoint = ep->bEndpointAddress;
				*packet_size = ep->wMaxPacketSize & 0x7FF;
				found = 0;
				break;
			}
		}
	}
	libusb_free_config_descriptor(cfg);
	return found;
}

static bool device_matches(libusb_device *udev, const struct usb_interrupt_in_spec *spec)
{
	struct libusb_device_descriptor desc;
	if (libusb_get_device_descriptor(udev, &desc) != 0)
		return false;
	if (desc.idVendor != spec->vid || desc.idProduct != spec->pid)
		return false;
	if (spec->serial && *spec->serial) {
		char serial[128];
		if (usb_device_serial(udev, serial, sizeof serial) != 0 || strcmp(serial, spec->serial) != 0)
			return false;
	}
	return true;
}

/* Opens, detaches, claims and starts one candidate device. */
static int link_start(struct usb_interrupt_in *link, libusb_device *udev,
		      const struct usb_interrupt_in_spec *spec)
{
	uint8_t endpoint;
	int packet_size;
	usb_device_describe(udev, link->where, sizeof link->where);
	if (find_interface(udev, spec, &link->iface, &endpoint, &packet_size) != 0) {
		log_warn(link->who, "%s has no interface of class %d/%d/%d with an interrupt IN endpoint",
			 link->where, spec->iface_class, spec->iface_subclass, spec->iface_protocol);
		return -1;
	}
	if (packet_size <= 0)
		packet_size = 64;
	int rc = libusb_open(udev, &link->handle);
	if (rc != 0) {
		log_warn(link->who, "cannot open %s: %s", link->where, libusb_error_name(rc));
		link->handle = NULL;
		return -1;
	}
	/* Not fatal when these fail (no kernel driver support, or an emulated
	 * device): claiming below tells whether the interface is ours. */
	rc = libusb_kernel_driver_active(link->handle, link->iface);
	if (rc == 1) {
		rc = libusb_detach_kernel_driver(link->handle, link->iface);
		if (rc == 0)
			link->detached = true;
		else
			log_info(link->who, "cannot detach the kernel driver from %s: %s; claiming anyway",
				 link->where, libusb_error_name(rc));
	} else if (rc < 0) {
		log_debug(link->who, "cannot query the kernel driver of %s: %s", link->where,
			  libusb_error_name(rc));
	}
	rc = libusb_claim_interface(link->handle, link->iface);
	if (rc != 0) {
		log_warn(link->who, "cannot claim interface %d of %s: %s", link->iface, link->where,
			 libusb_error_name(rc));
		return -1;
	}
	link->buf = malloc((size_t)packet_size);
	link->xfer = libusb_alloc_transfer(0);
	if (!link->buf || !link->xfer) {
		log_error(link->who, "out of memory");
		return -1;
	}
	libusb_fill_interrupt_transfer(link->xfer, link->handle, endpoint, link->buf, packet_size,
				       on_transfer_done, link, 0);
	rc = libusb_submit_transfer(link->xfer);
	if (rc != 0) {
		log_warn(link->who, "cannot start reading %s: %s", link->where, libusb_error_name(rc));
		return -1;
	}
	link->in_flight = true;
	log_info(link->who, "reading %s interface %d endpoint 0x%02x (%d-byte reports)", link->where,
		 link->iface, endpoint, packet_size);
	return 0;
}

/* Undoes a failed link_start so the next candidate can be tried. */
static void link_reset(struct usb_interrupt_in *link)
{
	if (link->xfer)
		libusb_free_transfer(link->xfer);
	link->xfer = NULL;
	free(link->buf);
	link->buf = NULL;
	if (link->handle) {
		libusb_release_interface(link->handle, link->iface);
		if (link->detached)
			libusb_attach_kernel_driver(link->handle, link->iface);
		libusb_close(link->handle);
	}
	link->handle = NULL;
	link->detached = false;
}

struct usb_interrupt_in *usb_interrupt_in_open(struct loop *loop, const char *who,
					       const struct usb_interrupt_in_spec *spec,
					       const struct usb_interrupt_in_ops *ops, void *arg)
{
	struct usb_interrupt_in *link = calloc(1, sizeof *link);
	libusb_device **list = NULL;
	if (!link)
		return NULL;
	link->loop = loop;
	link->who = who;
	link->ops = ops;
	link->arg = arg;
	link->uc = usb_context_acquire(loop, who);
	if (!link->uc)
		goto fail;
	ssize_t n = libusb_get_device_list(usb_context_libusb(link->uc), &list);
	if (n < 0) {
		log_warn(who, "cannot list USB devices: %s", libusb_error_name((int)n));
		goto fail;
	}
	bool seen = false;
	for (ssize_t i = 0; i < n; i++) {
		if (!device_matches(list[i], spec))
			continue;
		seen = true;
		if (link_start(link, list[i], spec) == 0) {
			libusb_free_device_list(list, 1);
			return link;
		}
		link_reset(link);
	}
	if (!seen) {
		log_debug(who, "no USB device %04x:%04x%s%s present", spec->vid, spec->pid,
			  spec->serial && *spec->serial ? " serial=" : "", spec->serial ? spec->serial : "");
		/* Enumerate afresh next time: this context's list may be stale. */
		usb_context_mark_stale(link->uc);
	}
fail:
	if (list)
		libusb_free_device_list(list, 1);
	usb_context_release(link->uc);
	free(link);
	return NULL;
}

void usb_interrupt_in_close(struct usb_interrupt_in *link)
{
	if (!link)
		return;
	link->closing = true;
	if (link->in_callback)
		return; /* on_transfer_done frees it when the callback unwinds */
	if (link->in_flight) {
		libusb_cancel_transfer(link->xfer);
		link->close_waiting = true;
		for (int waited = 0; link->in_flight && waited < CANCEL_WAIT_MS; waited += 50)
			if (!usb_context_handle_pending(link->uc, 50))
				break;
		link->close_waiting = false;
		if (link->in_flight) {
			/* libusb still owns the transfer: its callback frees the
			 * link when the cancellation finally lands. */
			log_warn(link->who, "USB transfer of %s has not cancelled yet", link->where);
			return;
		}
	}
	link_free(link);
}

const char *usb_interrupt_in_where(const struct usb_interrupt_in *link)
{
	return link->where;
}
