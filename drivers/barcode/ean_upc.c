/* EAN/UPC symbols (AIM ]E0, ]E3, ]E4): check digit, and the GTIN they
 * carry as a 14-digit AI 01 so GS1 company prefixes work for them too. */
#include "drivers/barcode/ean_upc.h"

#include <stdio.h>
#include <string.h>

#include "drivers/barcode/gs1.h"

/* UPC-E (number system 0 or 1) zero-suppressed back to its UPC-A. */
static bool upce_expand(const char *e, char upca[13])
{
	if (e[0] != '0' && e[0] != '1')
		return false;
	const char *d = e + 1; /* six digits d[0..5], then the check digit e[7] */
	char mfr[6], item[6];
	switch (d[5]) {
	case '0': case '1': case '2':
		snprintf(mfr, sizeof mfr, "%c%c%c00", d[0], d[1], d[5]);
		snprintf(item, sizeof item, "00%c%c%c", d[2], d[3], d[4]);
		break;
	case '3':
		snprintf(mfr, sizeof mfr, "%c%c%c00", d[0], d[1], d[2]);
		snprintf(item, sizeof item, "000%c%c", d[3], d[4]);
		break;
	case '4':
		snprintf(mfr, sizeof mfr, "%c%c%c%c0", d[0], d[1], d[2], d[3]);
		snprintf(item, sizeof item, "0000%c", d[4]);
		break;
	default:
		snprintf(mfr, sizeof mfr, "%c%c%c%c%c", d[0], d[1], d[2], d[3], d[4]);
		snprintf(item, sizeof item, "0000%c", d[5]);
		break;
	}
	snprintf(upca, 13, "%c%s%s%c", e[0], mfr, item, e[7]);
	return true;
}

static bool fail(struct barcode_scan *scan, const char *what, const char *msg)
{
	snprintf(scan->error, sizeof scan->error, "%s: %s", what, msg);
	return false;
}

/* Validates the digits of one EAN/UPC number and adds it as AI 01. */
static bool add_gtin(struct barcode_scan *scan, const char *what, const char *digits, size_t len)
{
	char msg[96];
	int expected = gs1_check_digit(digits, len - 1);
	if (expected != digits[len - 1] - '0') {
		snprintf(msg, sizeof msg, "check digit %d expected, got %c", expected, digits[len - 1]);
		return fail(scan, what, msg);
	}
	char gtin[15];
	memset(gtin, '0', 14 - len);
	memcpy(gtin + 14 - len, digits, len);
	gtin[14] = '\0';
	scan->is_gs1 = true;
	return gs1_scan_add(scan, "01", gtin, 14);
}

bool ean_upc_decode(const char *aim, const char *data, size_t len, struct barcode_scan *scan)
{
	char msg[96];
	for (size_t i = 0; i < len; i++) {
		if (data[i] < '0' || data[i] > '9') {
			unsigned char c = (unsigned char)data[i];
			if (c > 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '\'')
				snprintf(msg, sizeof msg, "character '%c' at position %zu is not a digit", c, i + 1);
			else
				snprintf(msg, sizeof msg, "character 0x%02X at position %zu is not a digit", c, i + 1);
			return fail(scan, "EAN/UPC", msg);
		}
	}
	if (strcmp(aim, "]E4") == 0) {
		str_copy(scan->symbology, sizeof scan->symbology, "ean-8");
		if (len != 8) {
			snprintf(msg, sizeof msg, "8 digits expected, got %zu", len);
			return fail(scan, "EAN-8", msg);
		}
		return add_gtin(scan, "EAN-8", data, 8);
	}
	if (strcmp(aim, "]E3") == 0) {
		/* Main symbol plus a 2- or 5-digit add-on; the lengths of UPC-A
		 * and EAN-13 with either add-on are all different. */
		size_t main_len = len == 14 || len == 17 ? 12 : len == 15 || len == 18 ? 13 : 0;
		if (!main_len) {
			snprintf(msg, sizeof msg, "12 or 13 digits plus a 2 or 5 digit add-on expected, got %zu", len);
			return fail(scan, "EAN/UPC with add-on", msg);
		}
		return add_gtin(scan, main_len == 12 ? "UPC-A" : "EAN-13", data, main_len);
	}
	if (strcmp(aim, "]E0") != 0)
		return true; /* add-ons alone (]E1, ]E2) carry no GTIN */
	if (len == 13) {
		str_copy(scan->symbology, sizeof scan->symbology, "ean-13");
		return add_gtin(scan, "EAN-13", data, 13);
	}
	if (len == 12) {
		str_copy(scan->symbology, sizeof scan->symbology, "upc-a");
		return add_gtin(scan, "UPC-A", data, 12);
	}
	if (len == 8) {
		str_copy(scan->symbology, sizeof scan->symbology, "upc-e");
		char upca[13];
		if (!upce_expand(data, upca))
			return fail(scan, "UPC-E", "number system 0 or 1 expected");
		return add_gtin(scan, "UPC-E", upca, 12);
	}
	snprintf(msg, sizeof msg, "12 (UPC-A), 13 (EAN-13) or 8 (UPC-E) digits expected, got %zu", len);
	return fail(scan, "EAN-13/UPC-A", msg);
}
