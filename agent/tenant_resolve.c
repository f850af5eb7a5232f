#include "agent/tenant_resolve.h"

#include <stdio.h>
#include <string.h>

#include "agent/config.h"
#include "drivers/barcode/barcode.h"

/* Where the company prefix starts inside a key's value: SSCC and GTIN
 * carry an extension/indicator digit first, GLN starts with it. GTIN-8
 * (zero-padded to 14 digits) has no company prefix in this sense and is
 * never matched: its leading zeros are treated like any other digits. */
static int key_prefix_offset(const char *ai)
{
	if (strcmp(ai, "00") == 0 || strcmp(ai, "01") == 0 || strcmp(ai, "02") == 0)
		return 1;
	if (strlen(ai) == 3 && strncmp(ai, "41", 2) == 0 && ai[2] >= '0' && ai[2] <= '7')
		return 0;
	return -1;
}

/* Longest configured prefix matching digits; NULL if none. */
static const char *longest_prefix_owner(const struct config *cfg, const char *digits, size_t *match_len)
{
	const char *owner = NULL;
	size_t best = 0;
	for (size_t t = 0; t < cfg->n_tenants; t++) {
		const struct tenant_conf *tc = &cfg->tenants[t];
		for (size_t i = 0; i < tc->n_gs1_prefixes; i++) {
			size_t n = strlen(tc->gs1_prefixes[i]);
			if (n > best && strncmp(digits, tc->gs1_prefixes[i], n) == 0) {
				best = n;
				owner = tc->name;
			}
		}
	}
	*match_len = best;
	return owner;
}

const char *tenant_resolve_gs1(const struct config *cfg, const struct barcode_scan *scan, char *reason,
			       size_t reason_size)
{
	const char *owner = NULL;
	const char *owner_ai = NULL;
	size_t keys = 0;

	if (!scan || !scan->is_gs1 || scan->n_elements == 0) {
		snprintf(reason, reason_size, "by-gs1: scan carries no GS1 data%s%s",
			 scan && scan->error[0] ? ": " : "", scan ? scan->error : "");
		return NULL;
	}
	for (size_t i = 0; i < scan->n_elements; i++) {
		const struct gs1_element *el = &scan->elements[i];
		int off = key_prefix_offset(el->ai);
		if (off < 0)
			continue;
		keys++;
		if (strlen(el->value) <= (size_t)off) {
			snprintf(reason, reason_size, "by-gs1: AI %s is too short", el->ai);
			return NULL;
		}
		size_t len;
		const char *t = longest_prefix_owner(cfg, el->value + off, &len);
		if (!t) {
			snprintf(reason, reason_size, "by-gs1: no tenant owns the company prefix of AI %s %s",
				 el->ai, el->value);
			return NULL;
		}
		if (owner && strcmp(owner, t) != 0) {
			snprintf(reason, reason_size, "by-gs1: conflicting owners: AI %s belongs to %s, AI %s to %s",
				 owner_ai, owner, el->ai, t);
			return NULL;
		}
		owner = t;
		owner_ai = el->ai;
	}
	if (!keys) {
		snprintf(reason, reason_size, "by-gs1: scan has no GS1 key (00, 01, 02, 410-417)");
		return NULL;
	}
	if (scan->error[0]) {
		snprintf(reason, reason_size, "by-gs1: GS1 data did not decode: %s", scan->error);
		return NULL;
	}
	return owner;
}
