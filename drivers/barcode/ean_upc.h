/* EAN/UPC decoding behind the ]E AIM ids. Internal to drivers/barcode. */
#ifndef DOCKSIDE_BARCODE_EAN_UPC_H
#define DOCKSIDE_BARCODE_EAN_UPC_H

#include <stdbool.h>
#include <stddef.h>

#include "drivers/barcode/barcode.h"

/* Checks data sent under an ]E AIM id and adds its GTIN as AI 01 (zero
 * padded to 14 digits); sets scan->error and returns false otherwise. */
bool ean_upc_decode(const char *aim, const char *data, size_t len, struct barcode_scan *scan);

#endif
