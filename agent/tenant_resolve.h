/* Tenant resolution without guessing: `tenant = by-gs1` devices are
 * resolved by the longest configured GS1 company prefix found in the
 * scan's GS1 keys (SSCC 00, GTIN 01/02, GLN 410-417). No key, an unknown
 * prefix, or keys of different tenants in one scan: quarantine. */
#ifndef DOCKSIDE_TENANT_RESOLVE_H
#define DOCKSIDE_TENANT_RESOLVE_H

#include <stddef.h>

struct config;
struct barcode_scan;

/* On success returns the owning tenant's name (from cfg). On failure
 * returns NULL and writes the quarantine reason to reason. */
const char *tenant_resolve_gs1(const struct config *cfg, const struct barcode_scan *scan, char *reason,
			       size_t reason_size);

#endif
