/* Firmware profiles: one INI data file per device model and mode in
 * firmware-profiles/. A profile names its driver and holds the settings the
 * driver needs (serial line, framing, USB ids, keyboard layout, ...). Every
 * key a profile may hold is declared once, in the key table of profile.c,
 * with its type, bounds and help text.
 *
 * Layout of a profile file:
 *   [profile]   name, vendor, model, mode, driver, kind, description
 *   [serial]    baud, parity, data_bits, stop_bits, flow_control
 *   [framing]   suffix (cr|lf|crlf|none), timeout_ms, max_length
 *   [barcode]   aim_prefix (yes|no|auto), ...
 *   [usb]       vid, pid, interface_class, ...
 *   [hid]       layout, ...
 */
#ifndef DOCKSIDE_PROFILE_H
#define DOCKSIDE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/diag.h"

/* Declaration of one profile key. The [profile] section's keys are
 * declared in profile.c; each driver declares the keys it reads in its
 * driver_ops.profile_keys, so validation, `profiles show` and docs come
 * from one place. Tables end with an entry whose section is NULL. */
enum profile_key_type {
	PK_STRING,  /* any text */
	PK_INT,     /* decimal integer in [min, max] */
	PK_BOOL,    /* yes|no|true|false|on|off|1|0 */
	PK_ENUM,    /* one of `choices`, '|'-separated */
	PK_HEX16,   /* 1-4 hex digits, e.g. USB ids "05e0" */
};

struct profile_key {
	const char *section;
	const char *key;
	enum profile_key_type type;
	int64_t min, max;        /* PK_INT */
	const char *choices;     /* PK_ENUM, e.g. "cr|lf|crlf|none" */
	bool required;
	const char *help;
};

struct profile_entry {
	char *section;
	char *key;
	char *value;
	int line;
};

struct profile_section {
	char *name;
	int line;        /* of the [section] header */
};

struct profile {
	char *path;      /* file it was loaded from */
	char *name;      /* [profile] name; equals the file name without .ini */
	char *driver;    /* [profile] driver, e.g. "serial-scanner" */
	struct profile_entry *entries;
	size_t n_entries;
	struct profile_section *sections; /* headers in file order, repeats included */
	size_t n_sections;
};

struct profile_set {
	struct profile **items;
	size_t n;
};

/* Loads and validates one profile file. Problems are reported to diag as
 * FILE:LINE; returns NULL when there was any. Caller owns the result. */
struct profile *profile_load(const char *path, struct diag *diag);
void profile_free(struct profile *p);

/* Parses one profile file without validating it (for profiles validate and
 * tests); NULL with a FILE:LINE report when it cannot be read or parsed. */
struct profile *profile_parse(const char *path, struct diag *diag);

/* Validates p against the [profile] key table and driver_keys (the keys of
 * p's driver; NULL = none): unknown sections and keys, duplicates, types and
 * bounds, required keys, name = file name, known driver. Reports every
 * problem as FILE:LINE; returns 0 if there was none, else -1. */
int profile_validate(const struct profile *p, const struct profile_key *driver_keys, struct diag *diag);

/* The keys of the [profile] section, ending with a NULL section. */
const struct profile_key *profile_base_keys(void);

/* Adds p to set (which takes ownership) unless a profile of the same name
 * is there already: then reports it, frees p and returns -1. */
int profile_set_add(struct profile_set *set, struct profile *p, struct diag *diag);

/* Loads every *.ini in dir (sorted by name). Returns -1 if the directory
 * cannot be read; invalid files are reported and skipped. */
int profile_set_load(struct profile_set *set, const char *dir, struct diag *diag);
void profile_set_free(struct profile_set *set);
const struct profile *profile_set_find(const struct profile_set *set, const char *name);

/* The directory profiles are read from: $DOCKSIDE_PROFILE_DIR, else the
 * installed share directory, else the source tree's firmware-profiles/. */
const char *profile_default_dir(void);

/* Typed access. Values were validated at load time against the key table,
 * so these only fall back to `def` when the key is absent. */
const char *profile_get(const struct profile *p, const char *section, const char *key);
const char *profile_str(const struct profile *p, const char *section, const char *key, const char *def);
int64_t profile_int(const struct profile *p, const char *section, const char *key, int64_t def);
bool profile_bool(const struct profile *p, const char *section, const char *key, bool def);
/* Line of a key in the file, 0 if absent (for diagnostics). */
int profile_line(const struct profile *p, const char *section, const char *key);

#endif
