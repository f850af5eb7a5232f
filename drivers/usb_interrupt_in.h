/* A claimed USB interface with one interrupt IN transfer kept running:
 * the part the HID keyboard and HID POS drivers share. Finds the device by
 * VID/PID (and serial), picks the interface by class/subclass/protocol,
 * detaches the kernel driver where it can, claims, and resubmits the
 * transfer after every report. Reports and loss of the device are passed
 * to the driver's callbacks from the poll loop.
 */
#ifndef DOCKSIDE_USB_INTERRUPT_IN_H
#define DOCKSIDE_USB_INTERRUPT_IN_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct usb_interrupt_in;

struct usb_interrupt_in_spec {
	uint16_t vid, pid;
	const char *serial;       /* NULL or "" = any */
	int iface_class;          /* -1 = any */
	int iface_subclass;       /* -1 = any */
	int iface_protocol;       /* -1 = any */
	int iface_number;         /* -1 = first that matches */
};

struct usb_interrupt_in_ops {
	/* One completed transfer: a report of len bytes. */
	void (*report)(void *arg, const uint8_t *data, size_t len);
	/* The transfer failed or the device went away. The driver reports
	 * device_lost(); it may close the link from inside this call. */
	void (*lost)(void *arg, const char *reason);
};

/* Opens and starts the link. Returns NULL when no matching device could
 * be claimed (reason logged at debug level, or warn for a device found but
 * unusable). The caller owns the result; free with usb_interrupt_in_close. */
struct usb_interrupt_in *usb_interrupt_in_open(struct loop *loop, const char *who,
					       const struct usb_interrupt_in_spec *spec,
					       const struct usb_interrupt_in_ops *ops, void *arg);

/* Cancels the transfer and releases the interface, the handle and the
 * context reference. Safe from inside the ops callbacks. No callback runs
 * after it returns. */
void usb_interrupt_in_close(struct usb_interrupt_in *link);

/* "usb 1-1 addr 2 (05e0:1200)" of the claimed device. */
const char *usb_interrupt_in_where(const struct usb_interrupt_in *link);

#endif
