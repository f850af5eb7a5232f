/* Scan decoding: AIM id first, then by what it says (or what the data
 * unmistakably is): GS1 element string, EAN/UPC, GS1 Digital Link, or
 * plain data. Then the event's data JSON. */
#include "drivers/barcode/barcode.h"

#include <stdio.h>
#include <string.h>

#include "drivers/barcode/aim.h"
#include "drivers/barcode/ean_upc.h"
#include "drivers/barcode/gs1.h"

const char *barcode_scan_get(const struct barcode_scan *scan, const char *ai)
{
	for (size_t i = 0; i < scan->n_elements; i++)
		if (strcmp(scan->elements[i].ai, ai) == 0)
			return scan->elements[i].value;
	return NULL;
}

/* The AIM id check when the profile says the scanner always sends one. */
static void require_aim(const unsigned char *raw, size_t len, struct barcode_scan *scan)
{
	if (len == 0 || raw[0] != ']') {
		snprintf(scan->error, sizeof scan->error, "missing AIM symbology identifier");
		return;
	}
	char shown[16] = "";
	size_t w = 0;
	for (size_t i = 0; i < 3 && i < len; i++) {
		unsigned char c = raw[i];
		if (c > 0x20 && c < 0x7F && c != '"' && c != '\\')
			w += (size_t)snprintf(shown + w, sizeof shown - w, "%c", c);
		else
			w += (size_t)snprintf(shown + w, sizeof shown - w, "\\x%02X", c);
	}
	snprintf(scan->error, sizeof scan->error, "invalid AIM symbology identifier \"%s\"", shown);
}

static void decode_payload(const char *data, size_t len, int ref_year, struct barcode_scan *scan)
{
	if (scan->aim[0]) {
		str_copy(scan->symbology, sizeof scan->symbology, aim_symbology(scan->aim));
		if (aim_carries_gs1(scan->aim)) {
			scan->is_gs1 = true;
			if (gs1_parse_element_string(data, len, ref_year, scan))
				gs1_scan_check_pairs(scan);
			return;
		}
		if (scan->aim[1] == 'E') {
			ean_upc_decode(scan->aim, data, len, scan);
			return;
		}
	}
	if (gs1_digital_link_candidate(data, len)) {
		scan->is_gs1 = true;
		scan->digital_link = true;
		if (gs1_parse_digital_link(data, len, ref_year, scan))
			gs1_scan_check_pairs(scan);
		return;
	}
	/* Without an AIM id, a leading GS is the scanner sending FNC1 in
	 * first position: that is a GS1 element string and nothing else. */
	if (!scan->aim[0] && len > 0 && data[0] == GS1_GS) {
		scan->is_gs1 = true;
		if (gs1_parse_element_string(data, len, ref_year, scan))
			gs1_scan_check_pairs(scan);
	}
}

static void append_key(struct strbuf *out, const char *key)
{
	strbuf_puts(out, ",");
	json_append_cstring(out, key);
	strbuf_puts(out, ":");
}

static void append_elements(const struct barcode_scan *scan, int ref_year, struct strbuf *out)
{
	strbuf_puts(out, ",\"gs1\":{");
	for (size_t i = 0; i < scan->n_elements; i++) {
		const struct gs1_element *e = &scan->elements[i];
		if (i)
			strbuf_puts(out, ",");
		json_append_cstring(out, e->ai);
		strbuf_puts(out, ":");
		json_append_cstring(out, e->value);
	}
	strbuf_puts(out, "}");

	char buf[64];
	bool first = true;
	for (size_t i = 0; i < scan->n_elements; i++) {
		const struct gs1_element *e = &scan->elements[i];
		if (!gs1_render_date(e->ai, e->value, ref_year, buf, sizeof buf))
			continue;
		strbuf_puts(out, first ? ",\"dates\":{" : ",");
		first = false;
		json_append_cstring(out, e->ai);
		strbuf_puts(out, ":");
		json_append_cstring(out, buf);
	}
	if (!first)
		strbuf_puts(out, "}");

	first = true;
	for (size_t i = 0; i < scan->n_elements; i++) {
		const struct gs1_element *e = &scan->elements[i];
		if (!gs1_render_measure(e->ai, e->value, buf, sizeof buf))
			continue;
		strbuf_puts(out, first ? ",\"measures\":{" : ",");
		first = false;
		json_append_cstring(out, e->ai);
		strbuf_printf(out, ":%s", buf); /* digits and one '.': a JSON number */
	}
	if (!first)
		strbuf_puts(out, "}");
}

void barcode_decode(const unsigned char *raw, size_t len, const struct barcode_options *opt,
		    struct barcode_scan *scan, struct strbuf *out)
{
	memset(scan, 0, sizeof *scan);
	for (size_t i = 0; i < len; i++)
		if (raw[i] == 0)
			scan->nul_bytes++;
	int ref_year = gs1_reference_year(opt->reference_year);
	const char *data = (const char *)raw;
	size_t data_len = len;

	if (opt->aim_mode != BARCODE_AIM_NO && aim_parse(raw, len, scan->aim)) {
		data += 3;
		data_len -= 3;
	} else if (opt->aim_mode == BARCODE_AIM_YES) {
		require_aim(raw, len, scan);
	}
	if (!scan->error[0])
		decode_payload(data, data_len, ref_year, scan);
	/* Elements of a scan that failed are not facts anyone may act on
	 * (tenant resolution reads them): keep only the raw text. */
	if (scan->error[0])
		scan->n_elements = 0;

	strbuf_puts(out, "{\"text\":");
	json_append_string(out, (const char *)raw, len, &scan->invalid_utf8);
	if (scan->aim[0]) {
		append_key(out, "aim");
		json_append_cstring(out, scan->aim);
	}
	if (scan->symbology[0]) {
		append_key(out, "symbology");
		json_append_cstring(out, scan->symbology);
	}
	if (scan->digital_link)
		strbuf_puts(out, ",\"digital_link\":true");
	if (scan->n_elements)
		append_elements(scan, ref_year, out);
	if (scan->error[0]) {
		append_key(out, "error");
		json_append_cstring(out, scan->error);
	}
	strbuf_puts(out, "}");
}
