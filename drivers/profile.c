/* Firmware profile loader. Parsing by inih; validation against the key
 * table below. */
#include "drivers/profile.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/ini_file.h"
#include "agent/util.h"

struct load_state {
	struct profile *p;
	struct diag *diag;
	bool oom;
};

static int on_entry(void *user, const char *section, const char *name, const char *value, int lineno)
{
	struct load_state *ls = user;
	struct profile *p = ls->p;
	if (!name)
		return 1; /* section header alone */
	struct profile_entry *e = realloc(p->entries, (p->n_entries + 1) * sizeof *e);
	if (!e) {
		ls->oom = true;
		return 0;
	}
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
		ls->oom = true;
		return 0;
	}
	p->n_entries++;
	return 1;
}

struct profile *profile_load(const char *path, struct diag *diag)
{
	struct profile *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->path = strdup(path);
	FILE *f = fopen(path, "r");
	if (!f) {
		diag_error(diag, path, 0, "cannot open profile: %s", strerror(errno));
		profile_free(p);
		return NULL;
	}
	struct load_state ls = {.p = p, .diag = diag};
	int bad_line = 0;
	int rc = ini_file_parse(f, on_entry, &ls, &bad_line);
	fclose(f);
	if (rc != 0 && bad_line > 0) {
		diag_error(diag, path, bad_line, rc > 0 ? "syntax error" : "line too long");
		profile_free(p);
		return NULL;
	}
	if (rc < 0 || ls.oom) {
		diag_error(diag, path, 0, "cannot read profile");
		profile_free(p);
		return NULL;
	}
	const char *name = profile_get(p, "profile", "name");
	const char *driver = profile_get(p, "profile", "driver");
	if (!name || !driver) {
		diag_error(diag, path, 0, "[profile] needs name and driver");
		profile_free(p);
		return NULL;
	}
	p->name = strdup(name);
	p->driver = strdup(driver);
	return p;
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
	free(p->entries);
	free(p->path);
	free(p->name);
	free(p->driver);
	free(p);
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
		if (!p)
			continue;
		struct profile **items = realloc(set->items, (set->n + 1) * sizeof *items);
		if (!items) {
			profile_free(p);
			continue;
		}
		set->items = items;
		set->items[set->n++] = p;
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
		if (strcmp(set->items[i]->name, name) == 0)
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
