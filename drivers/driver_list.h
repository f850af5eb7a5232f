/* Every driver, once. X-macro: DRIVER(c_identifier); the driver file
 * defines `const struct driver_ops c_identifier_driver`. */
DRIVER(serial_scanner)
DRIVER(usb_hid_keyboard)
DRIVER(usb_hid_pos)
