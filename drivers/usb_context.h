/* The libusb context shared by the USB drivers, driven by the daemon's
 * poll loop: libusb's file descriptors become loop watches and its next
 * timeout a loop timer, and events are handled with a zero timeout, so USB
 * work never blocks other devices.
 *
 * Finding devices: Debian's libusb keeps its device list up to date from
 * udev events, which do not arrive on gateways without udevd. So a failed
 * lookup marks the current context stale; the next usb_context_acquire()
 * then starts a fresh context, which enumerates sysfs again (periodic
 * re-enumeration at the supervisor's retry pace). A stale context lives on
 * until the devices opened on it are closed.
 */
#ifndef DOCKSIDE_USB_CONTEXT_H
#define DOCKSIDE_USB_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libusb.h>

struct loop;
struct usb_context;

/* Returns a reference to the current context on `loop` (creating it when
 * there is none or it went stale), NULL on failure. Release with
 * usb_context_release(). */
struct usb_context *usb_context_acquire(struct loop *loop, const char *who);
void usb_context_release(struct usb_context *uc);
libusb_context *usb_context_libusb(const struct usb_context *uc);

/* The device list of this context missed a device: enumerate afresh on the
 * next acquire. */
void usb_context_mark_stale(struct usb_context *uc);

/* Handles pending libusb events now, without blocking. Used by drivers to
 * let a cancelled transfer complete before its memory is freed. Returns
 * false when called from inside libusb event handling (a transfer
 * callback), where handling events again is not allowed. */
bool usb_context_handle_pending(struct usb_context *uc, int max_wait_ms);

/* Where a device was matched: "usb:VVVV:PPPP" with an optional
 * " serial=SN" (the [device] match key). */
struct usb_match {
	uint16_t vid, pid;
	char serial[128];    /* "" = any */
};

/* Parses a match string; returns -1 (with a reason in err) when malformed. */
int usb_match_parse(const char *text, struct usb_match *m, char *err, size_t err_len);

/* Reads the device's serial number from sysfs (no control transfer, so a
 * scanner that stalls string requests still matches). Returns -1 when it
 * has none or it cannot be read. */
int usb_device_serial(libusb_device *udev, char *out, size_t out_len);

/* "usb 1-1.2 (05e0:1200)" style location for logs. */
void usb_device_describe(libusb_device *udev, char *out, size_t out_len);

#endif
