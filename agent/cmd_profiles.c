/* dockside profiles list|show NAME|validate FILE...: inspect the firmware
 * profiles in profile_default_dir() and check new ones. */
#include <stdio.h>
#include <string.h>

#include "agent/commands.h"
#include "agent/util.h"
#include "drivers/driver.h"
#include "drivers/profile.h"

static void profiles_usage(FILE *out)
{
	fprintf(out, "usage: dockside profiles list [--json]\n"
		     "       dockside profiles show NAME [--json]\n"
		     "       dockside profiles validate FILE...\n\n"
		     "Device profiles are data files, one per model and mode, read from\n"
		     "%s ($DOCKSIDE_PROFILE_DIR overrides).\n\n"
		     "  list       every valid profile: name, driver, vendor, model, mode\n"
		     "  show NAME  every key a profile may hold, its value and what it means\n"
		     "  validate   check profile files; problems as FILE:LINE: message\n",
		profile_default_dir());
}

static void json_field(struct strbuf *sb, const char *key, const char *value, bool first)
{
	strbuf_printf(sb, "%s\"%s\":", first ? "" : ",", key);
	if (value)
		json_append_cstring(sb, value);
	else
		strbuf_puts(sb, "null");
}

static void print_and_free(struct strbuf *sb)
{
	if (!sb->failed)
		fputs(sb->buf, stdout);
	strbuf_free(sb);
}

static int profiles_list(bool json)
{
	struct profile_set set;
	struct diag diag = {.out = stderr};
	if (profile_set_load(&set, profile_default_dir(), &diag) != 0)
		return 1;
	struct strbuf sb;
	strbuf_init(&sb);
	if (json)
		strbuf_puts(&sb, "[");
	else
		strbuf_printf(&sb, "%-34s %-16s %-10s %-18s %s\n", "NAME", "DRIVER", "VENDOR", "MODEL", "MODE");
	for (size_t i = 0; i < set.n; i++) {
		const struct profile *p = set.items[i];
		const char *vendor = profile_str(p, "profile", "vendor", "");
		const char *model = profile_str(p, "profile", "model", "");
		const char *mode = profile_str(p, "profile", "mode", "");
		if (json) {
			strbuf_puts(&sb, i ? ",\n {" : "\n {");
			json_field(&sb, "name", p->name, true);
			json_field(&sb, "driver", p->driver, false);
			json_field(&sb, "vendor", vendor, false);
			json_field(&sb, "model", model, false);
			json_field(&sb, "mode", mode, false);
			json_field(&sb, "kind", profile_str(p, "profile", "kind", ""), false);
			json_field(&sb, "path", p->path, false);
			strbuf_puts(&sb, "}");
		} else {
			strbuf_printf(&sb, "%-34s %-16s %-10s %-18s %s\n", p->name, p->driver, vendor, model, mode);
		}
	}
	if (json)
		strbuf_puts(&sb, set.n ? "\n]\n" : "]\n");
	print_and_free(&sb);
	profile_set_free(&set);
	return diag.errors ? 1 : 0;
}

static void show_keys(struct strbuf *sb, const struct profile *p, const struct profile_key *keys, bool json,
		      bool *first)
{
	for (const struct profile_key *k = keys; k && k->section; k++) {
		const char *value = profile_get(p, k->section, k->key);
		if (json) {
			strbuf_puts(sb, *first ? "\n  {" : ",\n  {");
			*first = false;
			json_field(sb, "section", k->section, true);
			json_field(sb, "key", k->key, false);
			json_field(sb, "value", value, false);
			strbuf_printf(sb, ",\"required\":%s", k->required ? "true" : "false");
			if (k->type == PK_INT)
				strbuf_printf(sb, ",\"min\":%lld,\"max\":%lld", (long long)k->min, (long long)k->max);
			json_field(sb, "choices", k->choices, false);
			json_field(sb, "help", k->help, false);
			strbuf_puts(sb, "}");
		} else {
			char range[64] = "";
			if (k->type == PK_INT)
				snprintf(range, sizeof range, " (%lld..%lld)", (long long)k->min, (long long)k->max);
			else if (k->type == PK_ENUM)
				snprintf(range, sizeof range, " (%s)", k->choices);
			char qualified[96];
			snprintf(qualified, sizeof qualified, "[%s] %s", k->section, k->key);
			strbuf_printf(sb, "%-26s %-24s %s%s%s\n", qualified, value ? value : "-", k->help, range,
				      k->required ? ", required" : "");
		}
	}
}

static int profiles_show(const char *name, bool json)
{
	struct profile_set set;
	struct diag diag = {.out = stderr};
	if (profile_set_load(&set, profile_default_dir(), &diag) != 0)
		return 1;
	const struct profile *p = profile_set_find(&set, name);
	if (!p) {
		fprintf(stderr, "dockside profiles: no valid profile named '%s' in %s\n", name,
			profile_default_dir());
		profile_set_free(&set);
		return 1;
	}
	const struct driver_ops *ops = driver_find(p->driver);
	struct strbuf sb;
	bool first = true;
	strbuf_init(&sb);
	if (json) {
		strbuf_puts(&sb, "{");
		json_field(&sb, "name", p->name, true);
		json_field(&sb, "path", p->path, false);
		json_field(&sb, "driver", p->driver, false);
		json_field(&sb, "transport", ops ? ops->transport : NULL, false);
		strbuf_puts(&sb, ",\"keys\":[");
	} else {
		strbuf_printf(&sb, "%s (%s, driver %s, transport %s)\n\n", p->name, p->path, p->driver,
			      ops ? ops->transport : "?");
	}
	show_keys(&sb, p, profile_base_keys(), json, &first);
	show_keys(&sb, p, ops ? ops->profile_keys : NULL, json, &first);
	if (json)
		strbuf_puts(&sb, "\n]}\n");
	print_and_free(&sb);
	profile_set_free(&set);
	return 0;
}

static int profiles_validate(int argc, char **argv)
{
	struct profile_set set = {0};
	struct diag diag = {.out = stderr};
	for (int i = 0; i < argc; i++) {
		int before = diag.errors;
		struct profile *p = profile_parse(argv[i], &diag);
		if (!p)
			continue;
		const struct driver_ops *ops = p->driver ? driver_find(p->driver) : NULL;
		if (profile_validate(p, ops ? ops->profile_keys : NULL, &diag) != 0) {
			profile_free(p);
			continue;
		}
		if (profile_set_add(&set, p, &diag) == 0 && diag.errors == before)
			printf("%s: ok\n", argv[i]);
	}
	profile_set_free(&set);
	return diag.errors ? 1 : 0;
}

int cmd_profiles(const char *config_path, int argc, char **argv)
{
	(void)config_path;
	if (wants_help(argc, argv)) {
		profiles_usage(stdout);
		return 0;
	}
	const char *sub = argc > 1 ? argv[1] : "";
	bool json = argc > 2 && strcmp(argv[argc - 1], "--json") == 0;
	int nargs = argc - 2 - (json ? 1 : 0); /* operands after the subcommand */
	if (strcmp(sub, "list") == 0 && nargs == 0)
		return profiles_list(json);
	if (strcmp(sub, "show") == 0 && nargs == 1 && argv[2][0] != '-')
		return profiles_show(argv[2], json);
	if (strcmp(sub, "validate") == 0 && argc > 2)
		return profiles_validate(argc - 2, argv + 2);
	fprintf(stderr, "dockside profiles: %s\n", *sub ? "bad arguments" : "missing subcommand");
	profiles_usage(stderr);
	return EXIT_USAGE;
}
