/* libFuzzer target: the configuration file. The input is written to a
 * file and read twice:
 *   - by ini_file_parse alone, whose every callback must carry a line
 *     number that exists in the file, never going backwards, and strings
 *     no longer than a line may be;
 *   - by config_load without file checks (no credential or profile file
 *     is opened), with diagnostics to /dev/null. A configuration it accepts
 *     must hold what validation promises: the three singleton sections,
 *     valid tenant ids, devices bound to declared tenants, GS1 prefixes of
 *     4-12 digits. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/ini_file.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

struct line_check {
	int lines_in_file;  /* newlines, + 1 for an unterminated last line */
	int last_line;
};

static int check_line(void *user, const char *section, const char *name, const char *value, int line)
{
	struct line_check *lc = user;
	if (line < 1 || line > lc->lines_in_file || line < lc->last_line)
		abort();
	lc->last_line = line;
	if (strlen(section) > INI_FILE_MAX_LINE)
		abort();
	if (name && (!value || strlen(name) > INI_FILE_MAX_LINE || strlen(value) > INI_FILE_MAX_LINE))
		abort();
	return 1;
}

static void fuzz_ini_lines(const char *path, const uint8_t *data, size_t size)
{
	struct line_check lc = {.lines_in_file = size && data[size - 1] != '\n'};
	for (size_t i = 0; i < size; i++)
		lc.lines_in_file += data[i] == '\n';
	FILE *f = fopen(path, "r");
	if (!f)
		abort();
	int bad_line = -7;
	int rc = ini_file_parse(f, check_line, &lc, &bad_line);
	fclose(f);
	if (rc > 0 && (bad_line != rc || rc > lc.lines_in_file))
		abort();
	if (rc < 0 && (bad_line < 0 || bad_line > lc.lines_in_file))
		abort();
	if (rc == 0 && bad_line != 0)
		abort();
}

static bool gs1_prefix_ok(const char *p)
{
	size_t n = strlen(p);
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)p[i]))
			return false;
	return n >= 4 && n <= 12;
}

static void check_config(const struct config *cfg)
{
	if (!cfg->agent.line || !cfg->broker.line || !cfg->site.line)
		abort();
	if (!cfg->broker.url[0] || !cfg->broker.host[0] || cfg->broker.port < 1 || cfg->broker.port > 65535)
		abort();
	if (!cfg->broker.tls && !cfg->broker.allow_insecure)
		abort();
	for (size_t i = 0; i < cfg->n_tenants; i++) {
		const struct tenant_conf *t = &cfg->tenants[i];
		if (!tenant_id_valid(t->name) || config_find_tenant(cfg, t->name) != t)
			abort();
		for (size_t j = 0; j < t->n_gs1_prefixes; j++)
			if (!gs1_prefix_ok(t->gs1_prefixes[j]))
				abort();
	}
	for (size_t i = 0; i < cfg->n_devices; i++) {
		const struct device_conf *d = &cfg->devices[i];
		if (!name_valid(d->name))
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->devices[j].name, d->name) == 0)
				abort();
		if (d->binding == BIND_TENANT && !config_find_tenant(cfg, d->tenant))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	const char *path = fuzz_write_file("config", "dockside.conf", data, size, 0600);
	fuzz_ini_lines(path, data, size);
	struct diag diag = {.out = devnull};
	struct config *cfg = config_load(path, false, &diag);
	if ((cfg != NULL) != (diag.errors == 0))
		abort();
	if (cfg)
		check_config(cfg);
	config_free(cfg);
	return 0;
}
