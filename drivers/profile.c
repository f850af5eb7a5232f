/* Firmware profile loader. Parsing by inih (through ini_file); validation
 * against the [profile] key table below plus the keys the profile's driver
 * declares in driver_ops.profile_keys. */
#include "drivers/profile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/ini_file.h"
#include "agent/util.h"
#include "drivers/driver.h"

static const struct profile_key base_keys[] = {
	{"profile", "name", PK_STRING, 0, 0, NULL, true, "profile name; equals the file name without .ini"},
	{"profile", "vendor", PK_STRING, 0, 0, NULL, true, "manufacturer, e.g. Zebra"},
	{"profile", "model", PK_STRING, 0, 0, NULL, true, "model, e.g. DS2208"},
	{"profile", "mode", PK_STRING, 0, 0, NULL, true,
	 "interface mode the device must be set to, e.g. USB CDC serial"},
	{"profile", "driver", PK_STRING, 0, 0, NULL, true, "driver that reads the device, e.g. serial-scanner"},
	{"profile", "kind", PK_ENUM, 0, 0, "scan|weight|conveyor", true, "what the device's events are"},
	{"profile", "description", PK_STRING, 0, 0, NULL, false,
	 "one line on the device settings this profile assumes"},
	{NULL, NULL, 0, 0, 0, NULL, false, NULL},
};

const struct profile_key *profile_base_keys(void) { return base_keys; }

struct load_state {
	struct profile *p;
	bool oom;
};

static int add_section(struct profile *p, const char *name, int lineno)
{
	struct profile_section *s = realloc(p->sections, (p->n_sections + 1) * sizeof *s);
	if (!s)
		return -1;
	p->sections = s;
	if (!(s[p->n_sections].name = strdup(name)))
		return -1;
	s[p->n_sections++].line = lineno;
	return 0;
}

static int add_entry(struct profile *p, const char *section, const char *name, const char *value, int lineno)
{
	struct profile_entry *e = realloc(p->entries, (p->n_entries + 1) * sizeof *e);
	if (!e)
		return -1;
	p->entries = e;
	e = &p->entries[p->n_entries];
	e->section = strdup(section);
	e->key = strdup(name);
	e->value = strdup(value);
	e->line = lineno;
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		return -1;
	}
	p->n_entries++;
	return 0;
}

static int on_entry(void *user, const char *section, const char *name, const char *value, int lineno)
{
	struct load_state *ls = user;
	int rc = name ? add_entry(ls->p, section, name, value, lineno) : add_section(ls->p, section, lineno);
	if (rc < 0) {
		ls->oom = true;
		return 0;
	}
	return 1;
}

struct profile *profile_parse(const char *path, struct diag *diag)
{
	struct profile *p = calloc(1, sizeof *p);
	FILE *f = NULL;
	if (!p || !(p->path = strdup(path))) {
		diag_error(diag, path, 0, "out of memory");
		goto fail;
	}
	if (!(f = fopen(path, "r"))) {
		diag_error(diag, path, 0, "cannot open profile: %s", strerror(errno));
		goto fail;
	}
	struct load_state ls = {.p = p};
	int bad_line = 0;
	int rc = ini_file_parse(f, on_entry, &ls, &bad_line);
	if (ls.oom) {
		diag_error(diag, path, 0, "out of memory");
		goto fail;
	}
	if (rc > 0) {
		diag_error(diag, path, bad_line, "syntax error (expected [section] or key = value)");
		goto fail;
	}
	if (rc < 0) {
		diag_error(diag, path, bad_line, bad_line ? "line too long (at most 199 characters)"
							 : "cannot read profile");
		goto fail;
	}
	const char *name = profile_get(p, "profile", "name");
	const char *driver = profile_get(p, "profile", "driver");
	if ((name && !(p->name = strdup(name))) || (driver && !(p->driver = strdup(driver)))) {
		diag_error(diag, path, 0, "out of memory");
		goto fail;
	}
	fclose(f);
	return p;
fail:
	if (f)
		fclose(f);
	profile_free(p);
	return NULL;
}

struct profile *profile_load(const char *path, struct diag *diag)
{
	struct profile *p = profile_parse(path, diag);
	if (!p)
		return NULL;
	const struct driver_ops *ops = p->driver ? driver_find(p->driver) : NULL;
	if (profile_validate(p, ops ? ops->profile_keys : NULL, diag) != 0) {
		profile_free(p);
		return NULL;
	}
	return p;
}

/* The declaration of section/key in the base table or driver_keys; with
 * key == NULL, any declaration in that section. */
static const struct profile_key *find_key(const struct profile_key *driver_keys, const char *section,
					  const char *key)
{
	const struct profile_key *tables[] = {base_keys, driver_keys};
	for (size_t t = 0; t < 2; t++)
		for (const struct profile_key *k = tables[t]; k && k->section; k++)
			if (strcmp(k->section, section) == 0 && (!key || strcmp(k->key, key) == 0))
				return k;
	return NULL;
}

static bool is_choice(const char *choices, const char *v)
{
	size_t len = strlen(v);
	for (const char *c = choices; *c;) {
		size_t clen = strcspn(c, "|");
		if (clen == len && strncmp(c, v, len) == 0)
			return true;
		c += clen + (c[clen] == '|');
	}
	return false;
}

static bool is_bool(const char *v)
{
	static const char *const words[] = {"yes", "no", "true", "false", "on", "off", "1", "0"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(v, words[i]) == 0)
			return true;
	return false;
}

static bool is_hex16(const char *v)
{
	size_t n = strlen(v);
	if (n < 1 || n > 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)v[i]))
			return false;
	return true;
}

static void check_value(const struct profile *p, const struct profile_key *k, const struct profile_entry *e,
			struct diag *diag)
{
	int64_t v;
	switch (k->type) {
	case PK_STRING:
		if (!*e->value)
			diag_error(diag, p->path, e->line, "%s in [%s] is empty", e->key, e->section);
		break;
	case PK_INT:
		if (!parse_int64(e->value, k->min, k->max, &v))
			diag_error(diag, p->path, e->line, "%s in [%s]: '%s' is not an integer in %" PRId64 "..%" PRId64,
				   e->key, e->section, e->value, k->min, k->max);
		break;
	case PK_BOOL:
		if (!is_bool(e->value))
			diag_error(diag, p->path, e->line, "%s in [%s]: '%s' is not a boolean (yes or no)", e->key,
				   e->section, e->value);
		break;
	case PK_ENUM:
		if (!is_choice(k->choices, e->value))
			diag_error(diag, p->path, e->line, "%s in [%s]: '%s' is not one of %s", e->key, e->section,
				   e->value, k->choices);
		break;
	case PK_HEX16:
		if (!is_hex16(e->value))
			diag_error(diag, p->path, e->line, "%s in [%s]: '%s' is not 1-4 hex digits", e->key,
				   e->section, e->value);
		break;
	}
}

/* The file name without directory and .ini, into buf. */
static void file_stem(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
		n -= 4;
	if (n >= size)
		n = size - 1;
	memcpy(buf, base, n);
	buf[n] = '\0';
}

static int section_line(const struct profile *p, const char *section)
{
	for (size_t i = 0; i < p->n_sections; i++)
		if (strcmp(p->sections[i].name, section) == 0)
			return p->sections[i].line;
	return 0;
}

static void check_profile_section(const struct profile *p, struct diag *diag)
{
	const char *name = profile_get(p, "profile", "name");
	const char *driver = profile_get(p, "profile", "driver");
	char stem[256];
	file_stem(p->path, stem, sizeof stem);
	if (name && strcmp(name, stem) != 0)
		diag_error(diag, p->path, profile_line(p, "profile", "name"),
			   "name '%s' must equal the file name without .ini ('%s')", name, stem);
	if (driver && *driver && !driver_find(driver)) {
		struct strbuf known;
		strbuf_init(&known);
		for (const struct driver_ops *const *d = driver_all(); *d; d++)
			strbuf_printf(&known, "%s%s", d == driver_all() ? "" : ", ", (*d)->name);
		diag_error(diag, p->path, profile_line(p, "profile", "driver"), "unknown driver '%s' (known: %s)",
			   driver, known.buf ? known.buf : "");
		strbuf_free(&known);
	}
}

int profile_validate(const struct profile *p, const struct profile_key *driver_keys, struct diag *diag)
{
	int errors_before = diag->errors;
	for (size_t i = 0; i < p->n_sections; i++) {
		const struct profile_section *s = &p->sections[i];
		if (!find_key(driver_keys, s->name, NULL)) {
			diag_error(diag, p->path, s->line, "unknown section [%s]%s", s->name,
				   driver_keys ? "" : " (the driver is unknown)");
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->sections[j].name, s->name) == 0) {
				diag_error(diag, p->path, s->line, "duplicate section [%s] (first at line %d)", s->name,
					   p->sections[j].line);
				break;
			}
	}
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct profile_entry *e = &p->entries[i];
		if (!find_key(driver_keys, e->section, NULL))
			continue; /* unknown section, reported above */
		const struct profile_key *k = find_key(driver_keys, e->section, e->key);
		if (!k) {
			diag_error(diag, p->path, e->line, "unknown key '%s' in [%s]", e->key, e->section);
			continue;
		}
		int first = profile_line(p, e->section, e->key);
		if (first != e->line) {
			diag_error(diag, p->path, e->line, "duplicate key '%s' in [%s] (first at line %d)", e->key,
				   e->section, first);
			continue;
		}
		check_value(p, k, e, diag);
	}
	const struct profile_key *tables[] = {base_keys, driver_keys};
	for (size_t t = 0; t < 2; t++)
		for (const struct profile_key *k = tables[t]; k && k->section; k++) {
			if (!k->required || profile_get(p, k->section, k->key))
				continue;
			int line = section_line(p, k->section);
			if (line)
				diag_error(diag, p->path, line, "missing required key '%s' in [%s]", k->key, k->section);
			else
				diag_error(diag, p->path, 0, "missing section [%s] (needs key '%s')", k->section, k->key);
		}
	check_profile_section(p, diag);
	return diag->errors == errors_before ? 0 : -1;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_entries; i++) {
		free(p->entries[i].section);
		free(p->entries[i].key);
		free(p->entries[i].value);
	}
	for (size_t i = 0; i < p->n_sections; i++)
		free(p->sections[i].name);
	free(p->sections);
	free(p->entries);
	free(p->path);
	free(p->name);
	free(p->driver);
	free(p);
}

int profile_set_add(struct profile_set *set, struct profile *p, struct diag *diag)
{
	const struct profile *other = p->name ? profile_set_find(set, p->name) : NULL;
	if (other) {
		diag_error(diag, p->path, profile_line(p, "profile", "name"),
			   "duplicate profile name '%s' (also in %s)", p->name, other->path);
		profile_free(p);
		return -1;
	}
	struct profile **items = realloc(set->items, (set->n + 1) * sizeof *items);
	if (!items) {
		diag_error(diag, p->path, 0, "out of memory");
		profile_free(p);
		return -1;
	}
	set->items = items;
	set->items[set->n++] = p;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int profile_set_load(struct profile_set *set, const char *dir, struct diag *diag)
{
	memset(set, 0, sizeof *set);
	DIR *d = opendir(dir);
	if (!d) {
		diag_error(diag, dir, 0, "cannot read profile directory: %s", strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".ini") != 0)
			continue;
		char **nn = realloc(names, (n + 1) * sizeof *nn);
		if (!nn)
			break;
		names = nn;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct strbuf path;
		strbuf_init(&path);
		strbuf_printf(&path, "%s/%s", dir, names[i]);
		struct profile *p = path.failed ? NULL : profile_load(path.buf, diag);
		strbuf_free(&path);
		free(names[i]);
		if (p)
			profile_set_add(set, p, diag);
	}
	free(names);
	return 0;
}

void profile_set_free(struct profile_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		profile_free(set->items[i]);
	free(set->items);
	memset(set, 0, sizeof *set);
}

const struct profile *profile_set_find(const struct profile_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->items[i]->name && strcmp(set->items[i]->name, name) == 0)
			return set->items[i];
	return NULL;
}

const char *profile_default_dir(void)
{
	const char *env = getenv("DOCKSIDE_PROFILE_DIR");
	if (env && *env)
		return env;
	struct stat sb;
	if (stat("/usr/local/share/dockside/firmware-profiles", &sb) == 0 && S_ISDIR(sb.st_mode))
		return "/usr/local/share/dockside/firmware-profiles";
	if (stat("/usr/share/dockside/firmware-profiles", &sb) == 0 && S_ISDIR(sb.st_mode))
		return "/usr/share/dockside/firmware-profiles";
	return DOCKSIDE_PROFILE_DIR;
}

static const struct profile_entry *profile_entry_find(const struct profile *p, const char *section,
						      const char *key)
{
	for (size_t i = 0; i < p->n_entries; i++)
		if (strcmp(p->entries[i].section, section) == 0 && strcmp(p->entries[i].key, key) == 0)
			return &p->entries[i];
	return NULL;
}

const char *profile_get(const struct profile *p, const char *section, const char *key)
{
	const struct profile_entry *e = profile_entry_find(p, section, key);
	return e ? e->value : NULL;
}

const char *profile_str(const struct profile *p, const char *section, const char *key, const char *def)
{
	const char *v = profile_get(p, section, key);
	return v ? v : def;
}

int64_t profile_int(const struct profile *p, const char *section, const char *key, int64_t def)
{
	const char *v = profile_get(p, section, key);
	int64_t out;
	if (!v)
		return def;
	if (parse_int64(v, INT64_MIN, INT64_MAX, &out))
		return out;
	/* hex (USB ids) */
	char *end;
	long long h = strtoll(v, &end, 16);
	return (*v && !*end) ? h : def;
}

bool profile_bool(const struct profile *p, const char *section, const char *key, bool def)
{
	const char *v = profile_get(p, section, key);
	if (!v)
		return def;
	return strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	       strcasecmp(v, "on") == 0;
}

int profile_line(const struct profile *p, const char *section, const char *key)
{
	const struct profile_entry *e = profile_entry_find(p, section, key);
	return e ? e->line : 0;
}
