/* AIM symbology identifiers (ISO/IEC 15424): "]" + code character +
 * modifier, sent by scanners before the data to say what was read. */
#ifndef DOCKSIDE_BARCODE_AIM_H
#define DOCKSIDE_BARCODE_AIM_H

#include <stdbool.h>
#include <stddef.h>

/* True if raw starts with a known AIM id; copies it to aim ("]C1"). */
bool aim_parse(const unsigned char *raw, size_t len, char aim[4]);
/* Machine name of the symbology ("gs1-128", "qr-code"); "" if unknown. */
const char *aim_symbology(const char *aim);
/* True for the ids whose data is a GS1 element string (FNC1 first). */
bool aim_carries_gs1(const char *aim);

#endif
