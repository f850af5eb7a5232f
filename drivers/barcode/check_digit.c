/* The GS1 mod-10 check digit, shared by GTIN, SSCC, GLN, GSRN, GDTI and
 * the other numeric keys (GenSpecs 7.9.1). */
#include "drivers/barcode/gs1.h"

int gs1_check_digit(const char *digits, size_t len)
{
	unsigned sum = 0;
	/* Weights alternate 3, 1, 3, ... starting from the rightmost digit. */
	for (size_t i = 0; i < len; i++) {
		char c = digits[len - 1 - i];
		if (c < '0' || c > '9')
			return -1;
		sum += (unsigned)(c - '0') * (i % 2 == 0 ? 3u : 1u);
	}
	return (int)((10 - sum % 10) % 10);
}
