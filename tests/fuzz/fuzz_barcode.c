/* libFuzzer target: barcode_decode on any bytes, under the AIM mode the
 * first byte selects. Beyond "no crash, no sanitizer report": the output
 * must be valid UTF-8 and parse as a JSON object, and a failed scan
 * carries no elements. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/util.h"
#include "drivers/barcode/barcode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct barcode_options opt = {.aim_mode = (enum barcode_aim_mode)(data[0] % 3),
				      .reference_year = 2000 + data[0] % 100};
	struct barcode_scan scan;
	struct strbuf out;
	strbuf_init(&out);
	barcode_decode(data + 1, size - 1, &opt, &scan, &out);
	if (out.failed)
		abort();
	if (utf8_invalid_bytes(out.buf, out.len) != 0)
		abort();
	cJSON *json = cJSON_ParseWithLength(out.buf, out.len);
	if (!json || !cJSON_IsObject(json) || !cJSON_IsString(cJSON_GetObjectItem(json, "text")))
		abort();
	if (scan.error[0] && (scan.n_elements || cJSON_GetObjectItem(json, "gs1")))
		abort();
	cJSON_Delete(json);
	strbuf_free(&out);
	return 0;
}
