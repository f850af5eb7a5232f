/* libFuzzer target: a firmware profile file, parsed and validated as
 * profile_load does, against the real drivers' key tables. The file is
 * checked under the name its [profile] name asks for, so valid profiles
 * pass whole and every later check is reached. Beyond "no crash, no
 * sanitizer report": a profile that validates names a known driver, and
 * every integer, hex and boolean key of its tables reads back within the
 * declared bounds through the typed accessors the drivers use. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/util.h"
#include "drivers/driver.h"
#include "drivers/profile.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

/* v is one of the '|'-separated words of list. */
static bool is_listed(const char *list, const char *v)
{
	size_t len = strlen(v);
	for (const char *w = list; *w; w += strcspn(w, "|"), w += *w == '|') {
		if (strcspn(w, "|") == len && strncmp(w, v, len) == 0)
			return true;
	}
	return false;
}

static void check_typed_values(const struct profile *p, const struct profile_key *keys)
{
	for (const struct profile_key *k = keys; k && k->section; k++) {
		const char *v = profile_get(p, k->section, k->key);
		if (!v)
			continue;
		int64_t n;
		switch (k->type) {
		case PK_INT:
			n = profile_int(p, k->section, k->key, INT64_MIN);
			if (n < k->min || n > k->max)
				abort();
			break;
		case PK_HEX16:
			if (!*v || strlen(v) > 4 || strspn(v, "0123456789abcdefABCDEF") != strlen(v))
				abort();
			break;
		case PK_BOOL: {
			bool yes = strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
				   strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0;
			if (profile_bool(p, k->section, k->key, !yes) != yes)
				abort();
			break;
		}
		case PK_ENUM:
			if (!is_listed(k->choices, v))
				abort();
			break;
		case PK_STRING:
			if (!*v)
				abort();
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	const char *path = fuzz_write_file("profile", "fuzz.ini", data, size, 0644);
	struct diag diag = {.out = devnull};
	struct profile *p = profile_parse(path, &diag);
	if (!p) {
		if (diag.errors == 0)
			abort();
		return 0;
	}
	if (p->name && name_valid(p->name)) {
		/* Checked as <dir>/<name>.ini, the only name it can be valid under. */
		struct strbuf as;
		strbuf_init(&as);
		strbuf_printf(&as, "%s/%s.ini", fuzz_dir, p->name);
		if (as.failed)
			abort();
		free(p->path);
		p->path = strbuf_steal(&as);
	}
	const struct driver_ops *ops = p->driver ? driver_find(p->driver) : NULL;
	int rc = profile_validate(p, ops ? ops->profile_keys : NULL, &diag);
	if ((rc == 0) != (diag.errors == 0))
		abort();
	if (rc == 0) {
		if (!ops || !p->name)
			abort();
		check_typed_values(p, profile_base_keys());
		check_typed_values(p, ops->profile_keys);
	}
	profile_free(p);
	return 0;
}
