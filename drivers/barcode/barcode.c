/* Minimal decoder: AIM identifier and raw text. Full GS1 decoding lands
 * in this file. */
#include "drivers/barcode/barcode.h"

#include <ctype.h>
#include <string.h>

#include "drivers/profile.h"

void barcode_options_from_profile(const struct profile *p, struct barcode_options *opt)
{
	memset(opt, 0, sizeof *opt);
	const char *mode = p ? profile_str(p, "barcode", "aim_prefix", "auto") : "auto";
	if (strcmp(mode, "yes") == 0)
		opt->aim_mode = BARCODE_AIM_YES;
	else if (strcmp(mode, "no") == 0)
		opt->aim_mode = BARCODE_AIM_NO;
	else
		opt->aim_mode = BARCODE_AIM_AUTO;
}

void barcode_decode(const unsigned char *raw, size_t len, const struct barcode_options *opt,
		    struct barcode_scan *scan, struct strbuf *out)
{
	memset(scan, 0, sizeof *scan);
	for (size_t i = 0; i < len; i++)
		if (raw[i] == 0)
			scan->nul_bytes++;
	if (opt->aim_mode != BARCODE_AIM_NO && len >= 3 && raw[0] == ']' && isalpha(raw[1]) &&
	    isalnum(raw[2])) {
		memcpy(scan->aim, raw, 3);
		scan->aim[3] = '\0';
	} else if (opt->aim_mode == BARCODE_AIM_YES) {
		strcpy(scan->error, "missing AIM symbology identifier");
	}
	strbuf_puts(out, "{\"text\":");
	json_append_string(out, (const char *)raw, len, &scan->invalid_utf8);
	if (scan->aim[0]) {
		strbuf_puts(out, ",\"aim\":");
		json_append_string(out, scan->aim, strlen(scan->aim), NULL);
	}
	if (scan->error[0]) {
		strbuf_puts(out, ",\"error\":");
		json_append_string(out, scan->error, strlen(scan->error), NULL);
	}
	strbuf_puts(out, "}");
}
