/* Ingest: where readings enter the daemon. Resolves each reading's scope
 * (tenant, site or quarantine), queues it, and commits the queue to the
 * store in groups (one transaction per short window or batch size). */
#ifndef DOCKSIDE_INGEST_H
#define DOCKSIDE_INGEST_H

#include <stdint.h>

struct device;
struct barcode_scan;

/* Queues one reading of dev. data: JSON object text, ownership passes to
 * ingest. scan: the decoded scan for kind "scan" (used by tenant = by-gs1),
 * NULL otherwise. */
void ingest_submit(struct ingest *in, struct device *dev, const char *kind, char *data,
		   const struct barcode_scan *scan);

#endif
