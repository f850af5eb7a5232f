/* Daemon configuration: the INI file of the product contract.
 *
 * Sections: [agent], [broker], [site], [tenant NAME] (many),
 * [device NAME] (many). Every key is declared once, in the key table of
 * config.c (name, type, default, bounds, help); parsing, validation,
 * defaults and `dockside check-config --keys` all come from that table.
 */
#ifndef DOCKSIDE_CONFIG_H
#define DOCKSIDE_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/diag.h"
#include "agent/util.h"

#define DEFAULT_CONFIG_PATH "/etc/dockside/dockside.conf"

struct agent_conf {
	char gateway_id[DS_NAME_MAX + 1];
	char site[DS_NAME_MAX + 1];
	char data_dir[PATH_MAX];
	char control_socket[PATH_MAX];
	char admin_group[64];          /* group admitted to the control socket besides root */
	char log_level[16];            /* error|warn|info|debug */
	int64_t commit_interval_ms;    /* group commit window */
	int64_t commit_max_events;     /* group commit batch size */
	int64_t retention_hours;       /* keep acknowledged events this long for replay */
	int64_t retention_events;      /* ... and at most this many per tenant */
	int64_t prune_interval_s;      /* how often retention is enforced */
	int line;                      /* line of the section header, 0 if absent */
};

struct broker_conf {
	char url[512];                 /* mqtts://host:port or mqtt://host:port */
	char host[256];                /* parsed from url */
	int port;                      /* parsed from url */
	bool tls;                      /* mqtts:// */
	char ca_file[PATH_MAX];
	char topic_prefix[128];
	bool allow_insecure;
	int64_t keepalive_s;
	int64_t batch_max_events;      /* events per MQTT message */
	int64_t batch_max_bytes;       /* payload bytes per MQTT message */
	int64_t inflight_max;          /* messages in flight per connection (capped by Receive Maximum) */
	int64_t reconnect_min_ms;
	int64_t reconnect_max_ms;
	int line;
};

struct site_conf {
	char credentials[PATH_MAX];
	int line;
};

struct tenant_conf {
	char name[DS_NAME_MAX + 1];
	char credentials[PATH_MAX];
	char **gs1_prefixes;           /* digits only, 4-12 chars */
	size_t n_gs1_prefixes;
	int64_t max_backlog;           /* events in the outbox; then new events are refused */
	int64_t max_rate;              /* events/s published; 0 = unlimited */
	int line;
};

enum device_binding {
	BIND_TENANT,   /* tenant = NAME */
	BIND_BY_GS1,   /* tenant = by-gs1 */
	BIND_SITE,     /* scope = site */
};

struct device_conf {
	char name[DS_NAME_MAX + 1];
	char profile[DS_NAME_MAX + 1];
	enum device_binding binding;
	char tenant[DS_NAME_MAX + 1];  /* BIND_TENANT */
	char station[DS_NAME_MAX + 1];
	char match[256];               /* usb:VID:PID[ serial=SN] */
	char port[PATH_MAX];           /* serial devices */
	char url[512];                 /* modbus devices */
	/* Serial line overrides; 0 / "" = take the profile's value. */
	int64_t baud;
	char parity[8];                /* none|even|odd */
	int64_t data_bits;
	int64_t stop_bits;
	char flow_control[16];         /* none|rtscts|xonxoff */
	int64_t poll_ms;
	int64_t suppress_duplicates_ms; /* 0 = off */
	int line;
};

struct config {
	char *path;
	struct agent_conf agent;
	struct broker_conf broker;
	struct site_conf site;
	struct tenant_conf *tenants;
	size_t n_tenants;
	struct device_conf *devices;
	size_t n_devices;
};

/* Parses and validates `path`. Every problem goes to diag as FILE:LINE.
 * With check_files, credential files (existence, mode, owner, tenant
 * match) and profiles (existence, driver checks) are validated too.
 * Returns NULL when any error was reported. Caller frees with config_free. */
struct config *config_load(const char *path, bool check_files, struct diag *diag);
void config_free(struct config *cfg);

const struct tenant_conf *config_find_tenant(const struct config *cfg, const char *name);

/* Prints the key table (section, key, type, default, help) for --keys. */
void config_print_keys(FILE *out);
/* The same table as a JSON array of {section, key, type, required,
 * default, min, max, help}. */
void config_print_keys_json(FILE *out);

#endif
