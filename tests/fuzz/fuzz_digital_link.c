/* libFuzzer target: the GS1 Digital Link parser on any text. The input
 * is given an https:// scheme half of the time so the path and query
 * parsers are reached. Every element it accepts must validate again
 * against the AI table, and error messages must be terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/barcode/gs1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 8192)
		return 0;
	static char buf[8192 + 32];
	size_t len = 0;
	if (data[0] & 1) {
		memcpy(buf, "https://id.gs1.org/", 19);
		len = 19;
	}
	memcpy(buf + len, data + 1, size - 1);
	len += size - 1;

	struct barcode_scan scan;
	memset(&scan, 0, sizeof scan);
	bool candidate = gs1_digital_link_candidate(buf, len);
	bool ok = gs1_parse_digital_link(buf, len, 2026, &scan);
	if (ok && !candidate)
		abort();
	if (memchr(scan.error, '\0', sizeof scan.error) == NULL)
		abort();
	if (ok) {
		for (size_t i = 0; i < scan.n_elements; i++) {
			const struct gs1_element *e = &scan.elements[i];
			const struct gs1_ai_def *def = gs1_ai_lookup(e->ai);
			char err[128];
			if (!def || !gs1_value_validate(def, e->ai, e->value, strlen(e->value), 2026, err, sizeof err))
				abort();
		}
	}
	return 0;
}
