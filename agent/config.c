/* Daemon configuration. One key table (config_keys below) drives parsing,
 * defaults, validation and `dockside check-config --keys`; every problem is
 * reported as FILE:LINE and all of them are reported, not just the first. */
#include "agent/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/ini_file.h"
#include "drivers/driver.h"
#include "drivers/profile.h"
#include "sync/credentials.h"

enum section_kind { SEC_AGENT, SEC_BROKER, SEC_SITE, SEC_TENANT, SEC_DEVICE, SEC_COUNT };

static const char *const section_kind_names[SEC_COUNT] = {"agent", "broker", "site", "tenant", "device"};
static const bool section_kind_named[SEC_COUNT] = {false, false, false, true, true};

enum key_type {
	KT_STRING,        /* text into char[size]; optional `valid` check */
	KT_NAME,          /* name_valid() */
	KT_INT,           /* int64_t in [min, max] */
	KT_BOOL,          /* yes|no|true|false|on|off|1|0 */
	KT_ENUM,          /* one of `choices` into char[size] */
	KT_GS1_LIST,      /* comma list, accumulated over repeated lines */
	KT_DEVICE_TENANT, /* tenant id or "by-gs1": sets binding */
	KT_DEVICE_SCOPE,  /* "site": sets binding */
};

static const char *const key_type_names[] = {
	[KT_STRING] = "string",    [KT_NAME] = "name",         [KT_INT] = "integer",
	[KT_BOOL] = "bool",        [KT_ENUM] = "enum",         [KT_GS1_LIST] = "list",
	[KT_DEVICE_TENANT] = "tenant", [KT_DEVICE_SCOPE] = "enum",
};

/* A validator writes why a value is bad into `why` and returns false. */
typedef bool (*value_check)(const char *value, char *why, size_t why_size);

struct config_key {
	enum section_kind section;
	const char *key;
	enum key_type type;
	const char *def;      /* default as text; NULL = none (0 / "") */
	int64_t min, max;     /* KT_INT */
	const char *choices;  /* KT_ENUM, KT_DEVICE_SCOPE: '|'-separated */
	size_t offset;        /* into the section's struct */
	size_t size;          /* KT_STRING, KT_NAME, KT_ENUM: buffer size */
	bool required;
	value_check valid;
	const char *help;
};

static bool check_absolute_path(const char *v, char *why, size_t n);
static bool check_socket_path(const char *v, char *why, size_t n);
static bool check_broker_url(const char *v, char *why, size_t n);
static bool check_topic_prefix(const char *v, char *why, size_t n);
static bool check_usb_match(const char *v, char *why, size_t n);
static bool check_group_name(const char *v, char *why, size_t n);

#define STR(sec, st, field) sec, .offset = offsetof(struct st, field), .size = sizeof(((struct st *)0)->field)
#define NUM(sec, st, field) sec, .offset = offsetof(struct st, field)

static const struct config_key config_keys[] = {
	/* [agent] */
	{STR(SEC_AGENT, agent_conf, gateway_id), .key = "gateway_id", .type = KT_NAME, .required = true,
	 .help = "id of this gateway box, [A-Za-z0-9._-]{1,63}; part of every event id and topic"},
	{STR(SEC_AGENT, agent_conf, site), .key = "site", .type = KT_NAME, .required = true,
	 .help = "the building this gateway serves, [A-Za-z0-9._-]{1,63}"},
	{STR(SEC_AGENT, agent_conf, data_dir), .key = "data_dir", .type = KT_STRING, .def = "/var/lib/dockside",
	 .valid = check_absolute_path, .help = "directory of the SQLite store (absolute path)"},
	{STR(SEC_AGENT, agent_conf, control_socket), .key = "control_socket", .type = KT_STRING,
	 .def = "/run/dockside/control.sock", .valid = check_socket_path,
	 .help = "Unix socket the CLI talks to (absolute path, at most 107 bytes)"},
	{STR(SEC_AGENT, agent_conf, admin_group), .key = "admin_group", .type = KT_STRING, .def = "dockside",
	 .valid = check_group_name, .help = "group admitted to the control socket besides root"},
	{STR(SEC_AGENT, agent_conf, log_level), .key = "log_level", .type = KT_ENUM, .def = "info",
	 .choices = "error|warn|info|debug", .help = "least severe level logged on stderr"},
	{NUM(SEC_AGENT, agent_conf, commit_interval_ms), .key = "commit_interval_ms", .type = KT_INT, .def = "5",
	 .min = 1, .max = 1000, .help = "group commit window: events arriving within it share one fsync"},
	{NUM(SEC_AGENT, agent_conf, commit_max_events), .key = "commit_max_events", .type = KT_INT, .def = "1024",
	 .min = 1, .max = 65536, .help = "most events committed in one transaction"},
	{NUM(SEC_AGENT, agent_conf, retention_hours), .key = "retention_hours", .type = KT_INT, .def = "168",
	 .min = 0, .max = 87600, .help = "keep acknowledged events this long for replay (0 = delete on ack)"},
	{NUM(SEC_AGENT, agent_conf, retention_events), .key = "retention_events", .type = KT_INT,
	 .def = "1000000", .min = 0, .max = INT64_C(1000000000000),
	 .help = "... and keep at most this many acknowledged events per tenant"},
	{NUM(SEC_AGENT, agent_conf, prune_interval_s), .key = "prune_interval_s", .type = KT_INT, .def = "60",
	 .min = 1, .max = 86400, .help = "how often acknowledged events past retention are deleted"},

	/* [broker] */
	{STR(SEC_BROKER, broker_conf, url), .key = "url", .type = KT_STRING, .required = true,
	 .valid = check_broker_url,
	 .help = "mqtts://host[:port] (default port 8883) or mqtt://host[:port] (1883, needs allow_insecure)"},
	{STR(SEC_BROKER, broker_conf, ca_file), .key = "ca_file", .type = KT_STRING, .def = "",
	 .valid = check_absolute_path, .help = "PEM CA bundle for mqtts://; empty = the system CA store"},
	{STR(SEC_BROKER, broker_conf, topic_prefix), .key = "topic_prefix", .type = KT_STRING,
	 .def = "dockside/v1", .valid = check_topic_prefix,
	 .help = "first topic levels; no wildcards (+ #), no empty levels"},
	{NUM(SEC_BROKER, broker_conf, allow_insecure), .key = "allow_insecure", .type = KT_BOOL, .def = "no",
	 .help = "permit plain mqtt:// (credentials in clear text: for loopback tests only)"},
	{NUM(SEC_BROKER, broker_conf, keepalive_s), .key = "keepalive_s", .type = KT_INT, .def = "30", .min = 5,
	 .max = 65535, .help = "MQTT keep alive in seconds"},
	{NUM(SEC_BROKER, broker_conf, batch_max_events), .key = "batch_max_events", .type = KT_INT, .def = "500",
	 .min = 1, .max = 100000, .help = "most events in one MQTT message"},
	{NUM(SEC_BROKER, broker_conf, batch_max_bytes), .key = "batch_max_bytes", .type = KT_INT,
	 .def = "262144", .min = 1024, .max = 268435455, .help = "largest payload of one MQTT message in bytes"},
	{NUM(SEC_BROKER, broker_conf, inflight_max), .key = "inflight_max", .type = KT_INT, .def = "8", .min = 1,
	 .max = 65535, .help = "messages in flight per connection (capped by the broker's Receive Maximum)"},
	{NUM(SEC_BROKER, broker_conf, reconnect_min_ms), .key = "reconnect_min_ms", .type = KT_INT, .def = "500",
	 .min = 10, .max = 3600000, .help = "first reconnect delay; doubles with jitter on each failure"},
	{NUM(SEC_BROKER, broker_conf, reconnect_max_ms), .key = "reconnect_max_ms", .type = KT_INT,
	 .def = "30000", .min = 10, .max = 3600000, .help = "longest reconnect delay"},

	/* [site] */
	{STR(SEC_SITE, site_conf, credentials), .key = "credentials", .type = KT_STRING, .required = true,
	 .valid = check_absolute_path,
	 .help = "credential file of the site connection (scope = site): health and shared equipment"},

	/* [tenant NAME] */
	{STR(SEC_TENANT, tenant_conf, credentials), .key = "credentials", .type = KT_STRING, .required = true,
	 .valid = check_absolute_path, .help = "credential file of this tenant (its tenant = must match NAME)"},
	{NUM(SEC_TENANT, tenant_conf, gs1_prefixes), .key = "gs1_prefixes", .type = KT_GS1_LIST,
	 .help = "GS1 company prefixes (4-12 digits, comma separated; continue on indented lines) owned "
		 "by this tenant, for devices with tenant = by-gs1"},
	{NUM(SEC_TENANT, tenant_conf, max_backlog), .key = "max_backlog", .type = KT_INT, .def = "5000000",
	 .min = 1, .max = INT64_C(1000000000000), .help = "events kept unacknowledged; beyond it new events are refused"},
	{NUM(SEC_TENANT, tenant_conf, max_rate), .key = "max_rate", .type = KT_INT, .def = "0", .min = 0,
	 .max = 1000000, .help = "events per second published for this tenant; 0 = unlimited"},

	/* [device NAME] */
	{STR(SEC_DEVICE, device_conf, profile), .key = "profile", .type = KT_NAME, .required = true,
	 .help = "firmware profile (file name in firmware-profiles/ without .ini)"},
	{STR(SEC_DEVICE, device_conf, match), .key = "match", .type = KT_STRING, .valid = check_usb_match,
	 .help = "USB devices: usb:VID:PID, optionally followed by serial=SERIALNUMBER"},
	{STR(SEC_DEVICE, device_conf, port), .key = "port", .type = KT_STRING, .valid = check_absolute_path,
	 .help = "serial devices: tty path, e.g. /dev/ttyACM0 or /dev/serial/by-id/..."},
	{STR(SEC_DEVICE, device_conf, url), .key = "url", .type = KT_STRING,
	 .help = "Modbus devices: modbus+tcp://host:port?unit=N or modbus+rtu:///dev/tty?baud=..."},
	{STR(SEC_DEVICE, device_conf, tenant), .key = "tenant", .type = KT_DEVICE_TENANT,
	 .help = "owner of this device's events: a [tenant NAME], or by-gs1 (owner from the scanned GS1 "
		 "company prefix)"},
	{NUM(SEC_DEVICE, device_conf, binding), .key = "scope", .type = KT_DEVICE_SCOPE, .choices = "site",
	 .help = "site: shared equipment of the site operator (instead of tenant)"},
	{STR(SEC_DEVICE, device_conf, station), .key = "station", .type = KT_NAME,
	 .help = "work station label carried in each event, e.g. dock-1"},
	{NUM(SEC_DEVICE, device_conf, baud), .key = "baud", .type = KT_INT, .min = 50, .max = 4000000,
	 .help = "serial devices: overrides the profile's baud rate"},
	{STR(SEC_DEVICE, device_conf, parity), .key = "parity", .type = KT_ENUM, .choices = "none|even|odd",
	 .help = "serial devices: overrides the profile's parity"},
	{NUM(SEC_DEVICE, device_conf, data_bits), .key = "data_bits", .type = KT_INT, .min = 5, .max = 8,
	 .help = "serial devices: overrides the profile's data bits"},
	{NUM(SEC_DEVICE, device_conf, stop_bits), .key = "stop_bits", .type = KT_INT, .min = 1, .max = 2,
	 .help = "serial devices: overrides the profile's stop bits"},
	{STR(SEC_DEVICE, device_conf, flow_control), .key = "flow_control", .type = KT_ENUM,
	 .choices = "none|rtscts|xonxoff", .help = "serial devices: overrides the profile's flow control"},
	{NUM(SEC_DEVICE, device_conf, poll_ms), .key = "poll_ms", .type = KT_INT, .min = 10, .max = 3600000,
	 .help = "polled devices (PLCs, scales): poll period; absent = the driver's default"},
	{NUM(SEC_DEVICE, device_conf, suppress_duplicates_ms), .key = "suppress_duplicates_ms", .type = KT_INT,
	 .def = "0", .min = 0, .max = 600000,
	 .help = "drop a reading equal to the previous one within this many ms (0 = off)"},
};

#undef STR
#undef NUM

#define N_KEYS (sizeof config_keys / sizeof config_keys[0])

/* One section as it appeared in the file: which keys were set where. */
struct section_record {
	enum section_kind kind;
	size_t index;           /* into tenants/devices; 0 for singletons */
	int line;               /* of the section header */
	int key_line[N_KEYS];   /* line each key was (first) set on, 0 = absent */
};

struct parse_state {
	struct config *cfg;
	struct diag *diag;
	const char *file;
	struct section_record *records;
	size_t n_records;
	struct section_record *current; /* NULL inside an invalid section */
	bool oom;
};

/* ---- value checks --------------------------------------------------- */

static bool check_absolute_path(const char *v, char *why, size_t n)
{
	if (*v == '\0' || *v == '/')
		return true;
	snprintf(why, n, "must be an absolute path");
	return false;
}

static bool check_socket_path(const char *v, char *why, size_t n)
{
	if (!check_absolute_path(v, why, n))
		return false;
	if (strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(why, n, "is longer than a Unix socket path may be (%zu bytes)",
			 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return false;
	}
	return true;
}

static bool check_group_name(const char *v, char *why, size_t n)
{
	for (const char *p = v; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.')) {
			snprintf(why, n, "is not a valid group name");
			return false;
		}
	if (*v)
		return true;
	snprintf(why, n, "must not be empty");
	return false;
}

/* Splits mqtt[s]://host[:port][/] into its parts; false with `why` on junk.
 * IPv6 literals are written in brackets: mqtts://[::1]:8883. */
static bool parse_broker_url(const char *v, char *host, size_t host_size, int *port, bool *tls, char *why,
			     size_t n)
{
	const char *rest;
	if (strncmp(v, "mqtts://", 8) == 0) {
		*tls = true;
		*port = 8883;
		rest = v + 8;
	} else if (strncmp(v, "mqtt://", 7) == 0) {
		*tls = false;
		*port = 1883;
		rest = v + 7;
	} else {
		snprintf(why, n, "must start with mqtts:// or mqtt://");
		return false;
	}
	const char *host_start = rest, *host_end;
	if (*rest == '[') {
		host_start = rest + 1;
		host_end = strchr(host_start, ']');
		if (!host_end) {
			snprintf(why, n, "has an unterminated [IPv6] host");
			return false;
		}
		rest = host_end + 1;
	} else {
		host_end = rest + strcspn(rest, ":/");
		rest = host_end;
	}
	size_t hlen = (size_t)(host_end - host_start);
	if (hlen == 0 || hlen >= host_size) {
		snprintf(why, n, hlen ? "has a host name that is too long" : "has no host");
		return false;
	}
	for (const char *p = host_start; p < host_end; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_' || *p == ':')) {
			snprintf(why, n, "has an invalid host name");
			return false;
		}
	memcpy(host, host_start, hlen);
	host[hlen] = '\0';
	if (*rest == ':') {
		char portbuf[8];
		size_t plen = strcspn(rest + 1, "/");
		int64_t p;
		if (plen == 0 || plen >= sizeof portbuf) {
			snprintf(why, n, "has an invalid port (1..65535)");
			return false;
		}
		memcpy(portbuf, rest + 1, plen);
		portbuf[plen] = '\0';
		if (!parse_int64(portbuf, 1, 65535, &p)) {
			snprintf(why, n, "has an invalid port (1..65535)");
			return false;
		}
		*port = (int)p;
		rest += 1 + plen;
	}
	if (*rest && strcmp(rest, "/") != 0) {
		snprintf(why, n, "must not have a path (the topic is set by topic_prefix)");
		return false;
	}
	return true;
}

static bool check_broker_url(const char *v, char *why, size_t n)
{
	char host[256];
	int port;
	bool tls;
	return parse_broker_url(v, host, sizeof host, &port, &tls, why, n);
}

static bool check_topic_prefix(const char *v, char *why, size_t n)
{
	if (*v == '\0') {
		snprintf(why, n, "must not be empty");
		return false;
	}
	if (strpbrk(v, "+#")) {
		snprintf(why, n, "must not contain the MQTT wildcards + or #");
		return false;
	}
	if (v[0] == '/' || v[strlen(v) - 1] == '/' || strstr(v, "//")) {
		snprintf(why, n, "must not have empty topic levels (leading, trailing or double /)");
		return false;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ' ') {
			snprintf(why, n, "must not contain spaces or control characters");
			return false;
		}
	return true;
}

static bool is_hex4(const char *s, size_t len)
{
	if (len < 1 || len > 4)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool check_usb_match(const char *v, char *why, size_t n)
{
	/* usb:VID:PID[ serial=SN] */
	const char *fmt = "must be usb:VID:PID (hex) optionally followed by serial=SERIALNUMBER";
	if (strncmp(v, "usb:", 4) != 0)
		goto bad;
	const char *vid = v + 4;
	const char *colon = strchr(vid, ':');
	if (!colon || !is_hex4(vid, (size_t)(colon - vid)))
		goto bad;
	const char *pid = colon + 1;
	size_t plen = strcspn(pid, " \t");
	if (!is_hex4(pid, plen))
		goto bad;
	const char *rest = pid + plen;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '\0')
		return true;
	if (strncmp(rest, "serial=", 7) != 0 || rest[7] == '\0')
		goto bad;
	for (const char *p = rest + 7; *p; p++)
		if (!isgraph((unsigned char)*p))
			goto bad;
	return true;
bad:
	snprintf(why, n, "%s", fmt);
	return false;
}

static bool check_gs1_prefix(const char *v)
{
	size_t len = strlen(v);
	if (len < 4 || len > 12)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)v[i]))
			return false;
	return true;
}

/* ---- sections and keys ---------------------------------------------- */

static const char *section_label(const struct parse_state *ps, const struct section_record *r, char *buf,
				 size_t size)
{
	const char *kind = section_kind_names[r->kind];
	if (r->kind == SEC_TENANT)
		snprintf(buf, size, "[%s %s]", kind, ps->cfg->tenants[r->index].name);
	else if (r->kind == SEC_DEVICE)
		snprintf(buf, size, "[%s %s]", kind, ps->cfg->devices[r->index].name);
	else
		snprintf(buf, size, "[%s]", kind);
	return buf;
}

static void *section_base(struct config *cfg, enum section_kind kind, size_t index)
{
	switch (kind) {
	case SEC_AGENT: return &cfg->agent;
	case SEC_BROKER: return &cfg->broker;
	case SEC_SITE: return &cfg->site;
	case SEC_TENANT: return &cfg->tenants[index];
	case SEC_DEVICE: return &cfg->devices[index];
	default: return NULL;
	}
}

static bool choice_valid(const char *choices, const char *v)
{
	size_t len = strlen(v);
	for (const char *c = choices; *c;) {
		size_t clen = strcspn(c, "|");
		if (clen == len && strncmp(c, v, len) == 0)
			return true;
		c += clen;
		if (*c == '|')
			c++;
	}
	return false;
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static int add_gs1_prefixes(struct parse_state *ps, struct tenant_conf *t, const char *value, int line,
			    const char *label)
{
	char buf[INI_FILE_MAX_LINE + 1];
	str_copy(buf, sizeof buf, value);
	char *save = NULL;
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		str_trim(item);
		if (*item == '\0')
			continue; /* "a, b," before a continuation line */
		if (!check_gs1_prefix(item)) {
			diag_error(ps->diag, ps->file, line,
				   "gs1_prefixes in %s: '%s' is not a GS1 company prefix (4-12 digits)", label, item);
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < t->n_gs1_prefixes; i++)
			dup = dup || strcmp(t->gs1_prefixes[i], item) == 0;
		if (dup) {
			diag_error(ps->diag, ps->file, line, "gs1_prefixes in %s: prefix %s listed twice", label,
				   item);
			continue;
		}
		char **grown = realloc(t->gs1_prefixes, (t->n_gs1_prefixes + 1) * sizeof *grown);
		if (!grown)
			return -1;
		t->gs1_prefixes = grown;
		if (!(t->gs1_prefixes[t->n_gs1_prefixes] = strdup(item)))
			return -1;
		t->n_gs1_prefixes++;
	}
	return 0;
}

/* Stores `value` for key k into base. Reports bad values with `line`
 * (line 0 is used for defaults, which are always valid). */
static int set_value(struct parse_state *ps, const struct config_key *k, void *base, const char *value, int line,
		     const char *label)
{
	char *field = (char *)base + k->offset;
	char why[160];
	switch (k->type) {
	case KT_STRING:
	case KT_NAME:
	case KT_ENUM:
		if (k->type == KT_NAME && !name_valid(value)) {
			diag_error(ps->diag, ps->file, line,
				   "%s in %s: '%s' is not a valid name ([A-Za-z0-9._-], 1-63 characters)", k->key,
				   label, value);
			return 0;
		}
		if (k->type == KT_ENUM && !choice_valid(k->choices, value)) {
			diag_error(ps->diag, ps->file, line, "%s in %s: '%s' is not one of %s", k->key, label,
				   value, k->choices);
			return 0;
		}
		if (k->valid && !k->valid(value, why, sizeof why)) {
			diag_error(ps->diag, ps->file, line, "%s in %s: '%s' %s", k->key, label, value, why);
			return 0;
		}
		if (!str_copy(field, k->size, value))
			diag_error(ps->diag, ps->file, line, "%s in %s: value is longer than %zu characters",
				   k->key, label, k->size - 1);
		return 0;
	case KT_INT: {
		int64_t v;
		if (!parse_int64(value, k->min, k->max, &v)) {
			diag_error(ps->diag, ps->file, line,
				   "%s in %s: '%s' is not an integer in %" PRId64 "..%" PRId64, k->key, label, value,
				   k->min, k->max);
			return 0;
		}
		*(int64_t *)(void *)field = v;
		return 0;
	}
	case KT_BOOL: {
		bool v;
		if (!parse_bool(value, &v)) {
			diag_error(ps->diag, ps->file, line, "%s in %s: '%s' is not a boolean (yes or no)", k->key,
				   label, value);
			return 0;
		}
		*(bool *)(void *)field = v;
		return 0;
	}
	case KT_GS1_LIST:
		return add_gs1_prefixes(ps, base, value, line, label);
	case KT_DEVICE_TENANT: {
		struct device_conf *dc = base;
		if (strcmp(value, "by-gs1") == 0) {
			dc->binding = BIND_BY_GS1;
			dc->tenant[0] = '\0';
		} else if (tenant_id_valid(value)) {
			dc->binding = BIND_TENANT;
			str_copy(dc->tenant, sizeof dc->tenant, value);
		} else {
			diag_error(ps->diag, ps->file, line,
				   "tenant in %s: '%s' is neither a tenant id ([a-z0-9][a-z0-9-]{0,62}) nor by-gs1",
				   label, value);
		}
		return 0;
	}
	case KT_DEVICE_SCOPE:
		if (!choice_valid(k->choices, value)) {
			diag_error(ps->diag, ps->file, line,
				   "scope in %s: '%s' is not a scope (only 'site'; tenant devices use tenant =)", label,
				   value);
			return 0;
		}
		((struct device_conf *)base)->binding = BIND_SITE;
		return 0;
	}
	return 0;
}

static void apply_defaults(struct parse_state *ps, enum section_kind kind, void *base)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (config_keys[i].section == kind && config_keys[i].def)
			set_value(ps, &config_keys[i], base, config_keys[i].def, 0, "defaults");
}

static struct section_record *new_record(struct parse_state *ps, enum section_kind kind, size_t index, int line)
{
	struct section_record *grown = realloc(ps->records, (ps->n_records + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	ps->records = grown;
	struct section_record *r = &ps->records[ps->n_records++];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->index = index;
	r->line = line;
	return r;
}

static struct section_record *find_record(struct parse_state *ps, enum section_kind kind, const char *name)
{
	for (size_t i = 0; i < ps->n_records; i++) {
		struct section_record *r = &ps->records[i];
		if (r->kind != kind)
			continue;
		if (kind == SEC_TENANT && strcmp(ps->cfg->tenants[r->index].name, name) != 0)
			continue;
		if (kind == SEC_DEVICE && strcmp(ps->cfg->devices[r->index].name, name) != 0)
			continue;
		return r;
	}
	return NULL;
}

static int on_section(struct parse_state *ps, const char *header, int line)
{
	char buf[INI_FILE_MAX_LINE + 1];
	str_copy(buf, sizeof buf, header);
	str_trim(buf);
	size_t kind_len = strcspn(buf, " \t");
	char *name = buf + kind_len;
	if (*name) {
		*name++ = '\0';
		str_trim(name);
	}
	ps->current = NULL;
	int kind = -1;
	for (int i = 0; i < SEC_COUNT; i++)
		if (strcmp(buf, section_kind_names[i]) == 0)
			kind = i;
	if (kind < 0) {
		diag_error(ps->diag, ps->file, line,
			   "unknown section [%s] (known: [agent], [broker], [site], [tenant NAME], [device NAME])",
			   header);
		return 0;
	}
	if (section_kind_named[kind] && *name == '\0') {
		diag_error(ps->diag, ps->file, line, "section [%s] needs a name: [%s NAME]", buf, buf);
		return 0;
	}
	if (!section_kind_named[kind] && *name) {
		diag_error(ps->diag, ps->file, line, "section [%s] takes no name (found '%s')", buf, name);
		return 0;
	}
	struct config *cfg = ps->cfg;
	struct section_record *prev = find_record(ps, kind, name);
	if (prev) {
		diag_error(ps->diag, ps->file, line, "duplicate section [%s%s%s] (first at line %d)", buf,
			   *name ? " " : "", name, prev->line);
		if (!section_kind_named[kind]) {
			ps->current = prev; /* keys still checked, duplicates reported */
			return 0;
		}
	}
	size_t index = 0;
	if (kind == SEC_TENANT) {
		if (!tenant_id_valid(name))
			diag_error(ps->diag, ps->file, line,
				   "invalid tenant id '%s' (must match [a-z0-9][a-z0-9-]{0,62})", name);
		struct tenant_conf *grown = realloc(cfg->tenants, (cfg->n_tenants + 1) * sizeof *grown);
		if (!grown)
			return -1;
		cfg->tenants = grown;
		index = cfg->n_tenants++;
		struct tenant_conf *t = &cfg->tenants[index];
		memset(t, 0, sizeof *t);
		str_copy(t->name, sizeof t->name, name);
		t->line = line;
		apply_defaults(ps, SEC_TENANT, t);
	} else if (kind == SEC_DEVICE) {
		if (!name_valid(name))
			diag_error(ps->diag, ps->file, line,
				   "invalid device name '%s' (must be [A-Za-z0-9._-], 1-63 characters)", name);
		struct device_conf *grown = realloc(cfg->devices, (cfg->n_devices + 1) * sizeof *grown);
		if (!grown)
			return -1;
		cfg->devices = grown;
		index = cfg->n_devices++;
		struct device_conf *d = &cfg->devices[index];
		memset(d, 0, sizeof *d);
		d->binding = BIND_TENANT;
		str_copy(d->name, sizeof d->name, name);
		d->line = line;
		apply_defaults(ps, SEC_DEVICE, d);
	} else if (kind == SEC_AGENT) {
		cfg->agent.line = line;
	} else if (kind == SEC_BROKER) {
		cfg->broker.line = line;
	} else {
		cfg->site.line = line;
	}
	ps->current = new_record(ps, kind, index, line);
	return ps->current ? 0 : -1;
}

static int on_key(struct parse_state *ps, const char *name, const char *value, int line)
{
	struct section_record *r = ps->current;
	char label[DS_NAME_MAX + 32];
	if (!r)
		return 0; /* inside a section already reported as invalid */
	section_label(ps, r, label, sizeof label);
	const struct config_key *k = NULL;
	size_t ki = 0;
	for (; ki < N_KEYS; ki++)
		if (config_keys[ki].section == r->kind && strcmp(config_keys[ki].key, name) == 0) {
			k = &config_keys[ki];
			break;
		}
	if (!k) {
		diag_error(ps->diag, ps->file, line, "unknown key '%s' in %s", name, label);
		return 0;
	}
	if (r->key_line[ki] && k->type != KT_GS1_LIST) {
		diag_error(ps->diag, ps->file, line, "duplicate key '%s' in %s (first at line %d)", name, label,
			   r->key_line[ki]);
		return 0;
	}
	if (!r->key_line[ki])
		r->key_line[ki] = line;
	return set_value(ps, k, section_base(ps->cfg, r->kind, r->index), value, line, label);
}

static int on_line(void *user, const char *section, const char *name, const char *value, int line)
{
	struct parse_state *ps = user;
	int rc = name ? on_key(ps, name, value, line) : on_section(ps, section, line);
	if (rc < 0) {
		ps->oom = true;
		return 0;
	}
	return 1;
}

/* ---- whole-file checks ------------------------------------------------ */

static size_t key_index(enum section_kind kind, const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (config_keys[i].section == kind && strcmp(config_keys[i].key, key) == 0)
			return i;
	abort(); /* a key name used below is missing from the table */
}

static int key_line(const struct section_record *r, const char *key)
{
	return r ? r->key_line[key_index(r->kind, key)] : 0;
}

static void check_required(struct parse_state *ps)
{
	char label[DS_NAME_MAX + 32];
	for (int kind = SEC_AGENT; kind <= SEC_SITE; kind++)
		if (!find_record(ps, kind, ""))
			diag_error(ps->diag, ps->file, 0, "missing section [%s]", section_kind_names[kind]);
	for (size_t ri = 0; ri < ps->n_records; ri++) {
		struct section_record *r = &ps->records[ri];
		section_label(ps, r, label, sizeof label);
		for (size_t ki = 0; ki < N_KEYS; ki++)
			if (config_keys[ki].section == r->kind && config_keys[ki].required && !r->key_line[ki])
				diag_error(ps->diag, ps->file, r->line, "missing required key '%s' in %s",
					   config_keys[ki].key, label);
	}
}

static void check_broker(struct parse_state *ps)
{
	struct broker_conf *b = &ps->cfg->broker;
	struct section_record *r = find_record(ps, SEC_BROKER, "");
	char why[160];
	if (!r)
		return;
	if (b->url[0] && parse_broker_url(b->url, b->host, sizeof b->host, &b->port, &b->tls, why, sizeof why) &&
	    !b->tls && !b->allow_insecure)
		diag_error(ps->diag, ps->file, key_line(r, "url"),
			   "plain mqtt:// is refused (credentials would travel in clear text): use mqtts://, or "
			   "set allow_insecure = yes in [broker] for a loopback test broker");
	if (b->reconnect_min_ms > b->reconnect_max_ms)
		diag_error(ps->diag, ps->file, key_line(r, "reconnect_min_ms") ? key_line(r, "reconnect_min_ms") : r->line,
			   "reconnect_min_ms (%" PRId64 ") is larger than reconnect_max_ms (%" PRId64 ")",
			   b->reconnect_min_ms, b->reconnect_max_ms);
}

static struct section_record *record_of_tenant(struct parse_state *ps, size_t index)
{
	for (size_t i = 0; i < ps->n_records; i++)
		if (ps->records[i].kind == SEC_TENANT && ps->records[i].index == index)
			return &ps->records[i];
	return NULL;
}

static struct section_record *record_of_device(struct parse_state *ps, size_t index)
{
	for (size_t i = 0; i < ps->n_records; i++)
		if (ps->records[i].kind == SEC_DEVICE && ps->records[i].index == index)
			return &ps->records[i];
	return NULL;
}

/* The same prefix claimed by two tenants is ambiguous. Prefixes of
 * different length that overlap are fine: the longest one wins. */
static void check_gs1_claims(struct parse_state *ps)
{
	struct config *cfg = ps->cfg;
	for (size_t a = 0; a < cfg->n_tenants; a++)
		for (size_t b = a + 1; b < cfg->n_tenants; b++)
			for (size_t i = 0; i < cfg->tenants[b].n_gs1_prefixes; i++)
				for (size_t j = 0; j < cfg->tenants[a].n_gs1_prefixes; j++) {
					if (strcmp(cfg->tenants[b].gs1_prefixes[i], cfg->tenants[a].gs1_prefixes[j]))
						continue;
					diag_error(ps->diag, ps->file, key_line(record_of_tenant(ps, b), "gs1_prefixes"),
						   "gs1 prefix %s of [tenant %s] is already claimed by [tenant %s] "
						   "(line %d)",
						   cfg->tenants[b].gs1_prefixes[i], cfg->tenants[b].name,
						   cfg->tenants[a].name,
						   key_line(record_of_tenant(ps, a), "gs1_prefixes"));
				}
}

static void check_device_binding(struct parse_state *ps, const struct device_conf *dc,
				 const struct section_record *r)
{
	int tenant_line = key_line(r, "tenant");
	int scope_line = key_line(r, "scope");
	if (!tenant_line && !scope_line) {
		diag_error(ps->diag, ps->file, r->line,
			   "[device %s] has neither tenant nor scope: there is no default tenant "
			   "(set tenant = NAME, tenant = by-gs1 or scope = site)",
			   dc->name);
		return;
	}
	if (tenant_line && scope_line) {
		diag_error(ps->diag, ps->file, scope_line > tenant_line ? scope_line : tenant_line,
			   "[device %s] has both tenant and scope: a device belongs to one tenant or to the site",
			   dc->name);
		return;
	}
	if (dc->binding == BIND_TENANT && dc->tenant[0] && !config_find_tenant(ps->cfg, dc->tenant))
		diag_error(ps->diag, ps->file, tenant_line, "[device %s]: tenant '%s' is not declared as [tenant %s]",
			   dc->name, dc->tenant, dc->tenant);
	if (dc->binding == BIND_BY_GS1) {
		bool any = false;
		for (size_t i = 0; i < ps->cfg->n_tenants; i++)
			any = any || ps->cfg->tenants[i].n_gs1_prefixes > 0;
		if (!any)
			diag_error(ps->diag, ps->file, tenant_line,
				   "[device %s] has tenant = by-gs1 but no tenant declares gs1_prefixes", dc->name);
	}
}

/* Device keys that belong to one transport only. A key set on a device
 * whose driver uses another transport would silently do nothing. */
struct transport_keys {
	const char *transport;
	const char *needs;         /* key the transport cannot work without */
	const char *const *own;    /* keys meaningful only for this transport */
};

static const char *const serial_own[] = {"port", "baud", "parity", "data_bits", "stop_bits", "flow_control", NULL};
static const char *const usb_own[] = {"match", NULL};
static const char *const modbus_own[] = {"url", NULL};
static const struct transport_keys transports[] = {
	{"serial", "port", serial_own},
	{"usb", "match", usb_own},
	{"modbus", "url", modbus_own},
};

static void check_device_transport(struct parse_state *ps, const struct device_conf *dc,
				   const struct section_record *r, const char *transport, const char *profile)
{
	for (size_t t = 0; t < sizeof transports / sizeof transports[0]; t++) {
		const struct transport_keys *tk = &transports[t];
		if (strcmp(tk->transport, transport) == 0) {
			if (!key_line(r, tk->needs))
				diag_error(ps->diag, ps->file, r->line,
					   "[device %s] needs '%s': profile %s is a %s device", dc->name, tk->needs,
					   profile, transport);
			continue;
		}
		for (size_t i = 0; tk->own[i]; i++) {
			int line = key_line(r, tk->own[i]);
			if (line)
				diag_error(ps->diag, ps->file, line,
					   "[device %s]: '%s' is for %s devices, but profile %s is a %s device",
					   dc->name, tk->own[i], tk->transport, profile, transport);
		}
	}
}

/* Loads <dir>/<name>.ini; NULL (reported at `line`) when there is none. */
static struct profile *load_device_profile(struct parse_state *ps, const char *dir, const char *name, int line)
{
	struct strbuf path;
	strbuf_init(&path);
	strbuf_printf(&path, "%s/%s.ini", dir, name);
	struct profile *p = NULL;
	if (path.failed)
		goto cleanup;
	if (access(path.buf, F_OK) != 0) {
		diag_error(ps->diag, ps->file, line, "unknown profile '%s' (no %s)", name, path.buf);
		goto cleanup;
	}
	p = profile_load(path.buf, ps->diag);
	if (!p)
		diag_error(ps->diag, ps->file, line, "profile '%s' is invalid (see above)", name);
cleanup:
	strbuf_free(&path);
	return p;
}

static void check_devices(struct parse_state *ps, bool check_files)
{
	struct config *cfg = ps->cfg;
	const char *dir = profile_default_dir();
	for (size_t i = 0; i < cfg->n_devices; i++) {
		const struct device_conf *dc = &cfg->devices[i];
		const struct section_record *r = record_of_device(ps, i);
		if (!r)
			continue;
		check_device_binding(ps, dc, r);
		if (!check_files || !dc->profile[0])
			continue;
		struct profile *p = load_device_profile(ps, dir, dc->profile, key_line(r, "profile"));
		if (!p)
			continue;
		const struct driver_ops *ops = driver_find(p->driver);
		/* A driver's own check knows its transport's keys best; the
		 * generic rule covers drivers without one. */
		if (ops && ops->check)
			ops->check(dc, p, ps->file, ps->diag);
		else if (ops)
			check_device_transport(ps, dc, r, ops->transport, dc->profile);
		profile_free(p);
	}
}

static void check_credentials(struct parse_state *ps)
{
	struct config *cfg = ps->cfg;
	struct credential cred;
	struct section_record *r = find_record(ps, SEC_SITE, "");
	if (r && cfg->site.credentials[0]) {
		credential_load(&cred, cfg->site.credentials, NULL, ps->file, key_line(r, "credentials"), ps->diag);
		credential_wipe(&cred);
	}
	for (size_t i = 0; i < cfg->n_tenants; i++) {
		r = record_of_tenant(ps, i);
		if (!r || !cfg->tenants[i].credentials[0])
			continue;
		credential_load(&cred, cfg->tenants[i].credentials, cfg->tenants[i].name, ps->file,
				key_line(r, "credentials"), ps->diag);
		credential_wipe(&cred);
	}
	const char *ca = cfg->broker.ca_file;
	r = find_record(ps, SEC_BROKER, "");
	if (r && ca[0] && access(ca, R_OK) != 0)
		diag_error(ps->diag, ps->file, key_line(r, "ca_file"), "cannot read ca_file %s: %s", ca,
			   strerror(errno));
}

struct config *config_load(const char *path, bool check_files, struct diag *diag)
{
	struct config *cfg = calloc(1, sizeof *cfg);
	struct parse_state ps = {.cfg = cfg, .diag = diag, .file = path};
	int errors_before = diag->errors;
	FILE *f = NULL;
	if (!cfg || !(cfg->path = strdup(path))) {
		diag_error(diag, path, 0, "out of memory");
		goto fail;
	}
	apply_defaults(&ps, SEC_AGENT, &cfg->agent);
	apply_defaults(&ps, SEC_BROKER, &cfg->broker);
	apply_defaults(&ps, SEC_SITE, &cfg->site);
	f = fopen(path, "r");
	if (!f) {
		diag_error(diag, path, 0, "cannot open configuration: %s", strerror(errno));
		goto fail;
	}
	int bad_line = 0;
	int rc = ini_file_parse(f, on_line, &ps, &bad_line);
	if (ps.oom) {
		diag_error(diag, path, 0, "out of memory");
		goto fail;
	}
	if (rc > 0)
		diag_error(diag, path, bad_line, "syntax error (expected [section] or key = value)");
	else if (rc < 0)
		diag_error(diag, path, bad_line, bad_line ? "line too long (at most 199 characters; continue "
							   "lists on indented lines)"
							 : "cannot read configuration");
	check_required(&ps);
	check_broker(&ps);
	check_gs1_claims(&ps);
	check_devices(&ps, check_files);
	if (check_files)
		check_credentials(&ps);
	if (diag->errors != errors_before)
		goto fail;
	fclose(f);
	free(ps.records);
	return cfg;
fail:
	if (f)
		fclose(f);
	free(ps.records);
	config_free(cfg);
	return NULL;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_tenants; i++) {
		for (size_t j = 0; j < cfg->tenants[i].n_gs1_prefixes; j++)
			free(cfg->tenants[i].gs1_prefixes[j]);
		free(cfg->tenants[i].gs1_prefixes);
	}
	free(cfg->tenants);
	free(cfg->devices);
	free(cfg->path);
	free(cfg);
}

const struct tenant_conf *config_find_tenant(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_tenants; i++)
		if (strcmp(cfg->tenants[i].name, name) == 0)
			return &cfg->tenants[i];
	return NULL;
}

static const char *key_type_label(const struct config_key *k)
{
	return (k->type == KT_ENUM || k->type == KT_DEVICE_SCOPE) ? k->choices : key_type_names[k->type];
}

static void section_heading(const struct config_key *k, char *buf, size_t size)
{
	if (section_kind_named[k->section])
		snprintf(buf, size, "[%s NAME]", section_kind_names[k->section]);
	else
		snprintf(buf, size, "[%s]", section_kind_names[k->section]);
}

void config_print_keys(FILE *out)
{
	char heading[32];
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];
		section_heading(k, heading, sizeof heading);
		fprintf(out, "%-15s %-22s %-20s ", heading, k->key, key_type_label(k));
		if (k->required)
			fprintf(out, "(required)");
		else if (k->def && *k->def)
			fprintf(out, "default %s", k->def);
		else
			fprintf(out, "optional");
		if (k->type == KT_INT)
			fprintf(out, ", %" PRId64 "..%" PRId64, k->min, k->max);
		fprintf(out, "\n    %s\n", k->help);
	}
}

void config_print_keys_json(FILE *out)
{
	struct strbuf sb;
	char heading[32];
	strbuf_init(&sb);
	strbuf_puts(&sb, "[");
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];
		section_heading(k, heading, sizeof heading);
		strbuf_puts(&sb, i ? ",\n {\"section\":" : "\n {\"section\":");
		json_append_cstring(&sb, heading);
		strbuf_puts(&sb, ",\"key\":");
		json_append_cstring(&sb, k->key);
		strbuf_puts(&sb, ",\"type\":");
		json_append_cstring(&sb, key_type_label(k));
		strbuf_printf(&sb, ",\"required\":%s,\"default\":", k->required ? "true" : "false");
		if (k->def)
			json_append_cstring(&sb, k->def);
		else
			strbuf_puts(&sb, "null");
		if (k->type == KT_INT)
			strbuf_printf(&sb, ",\"min\":%" PRId64 ",\"max\":%" PRId64, k->min, k->max);
		strbuf_puts(&sb, ",\"help\":");
		json_append_cstring(&sb, k->help);
		strbuf_puts(&sb, "}");
	}
	strbuf_puts(&sb, "\n]\n");
	if (!sb.failed)
		fputs(sb.buf, out);
	strbuf_free(&sb);
}
