/* dockside check-config: validates the configuration, the credential files
 * it names and the profiles its devices use; every problem is printed as
 * FILE:LINE: message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/commands.h"
#include "agent/config.h"
#include "agent/util.h"

static void check_config_usage(FILE *out)
{
	fprintf(out, "usage: dockside [-c FILE] check-config [--keys] [--json]\n\n"
		     "Validates the configuration (default " DEFAULT_CONFIG_PATH "), the credential\n"
		     "files it names and the device profiles it uses. Every problem is printed on\n"
		     "stderr as FILE:LINE: message; exit status 1 if there is any.\n\n"
		     "options:\n"
		     "  -c FILE    configuration file\n"
		     "  --keys     print every configuration key with type, default and help\n"
		     "  --json     machine-readable output (with --keys: the key table)\n"
		     "  -h, --help this help\n");
}

/* Turns the "FILE:LINE: message" lines diag wrote into a JSON array. */
static void append_diag_lines_json(struct strbuf *sb, const char *text)
{
	bool first = true;
	strbuf_puts(sb, "[");
	while (text && *text) {
		size_t len = strcspn(text, "\n");
		const char *line = text;
		text += len + (text[len] == '\n');
		/* The message starts after the first ":DIGITS: ". */
		const char *p = line, *msg = NULL;
		long lineno = 0;
		while ((p = memchr(p, ':', (size_t)(line + len - p)))) {
			const char *d = p + 1;
			while (d < line + len && *d >= '0' && *d <= '9')
				d++;
			if (d > p + 1 && d + 1 < line + len && d[0] == ':' && d[1] == ' ') {
				lineno = strtol(p + 1, NULL, 10);
				msg = d + 2;
				break;
			}
			p++;
		}
		strbuf_puts(sb, first ? "\n  {\"file\":" : ",\n  {\"file\":");
		first = false;
		if (msg) {
			json_append_string(sb, line, (size_t)(p - line), NULL);
			strbuf_printf(sb, ",\"line\":%ld,\"message\":", lineno);
			json_append_string(sb, msg, (size_t)(line + len - msg), NULL);
		} else {
			strbuf_puts(sb, "null,\"line\":0,\"message\":");
			json_append_string(sb, line, len, NULL);
		}
		strbuf_puts(sb, "}");
	}
	strbuf_puts(sb, first ? "]" : "\n]");
}

int cmd_check_config(const char *config_path, int argc, char **argv)
{
	bool keys = false, json = false;
	if (wants_help(argc, argv)) {
		check_config_usage(stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--keys") == 0) {
			keys = true;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			fprintf(stderr, "dockside check-config: unknown argument '%s'\n", argv[i]);
			check_config_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (keys) {
		if (json)
			config_print_keys_json(stdout);
		else
			config_print_keys(stdout);
		return 0;
	}

	char *text = NULL;
	size_t text_len = 0;
	struct diag diag = {.out = stderr};
	if (json && !(diag.out = open_memstream(&text, &text_len))) {
		perror("dockside check-config");
		return 1;
	}
	struct config *cfg = config_load(config_path, true, &diag);
	int status = cfg ? 0 : 1;
	config_free(cfg);
	if (json) {
		fclose(diag.out);
		struct strbuf sb;
		strbuf_init(&sb);
		strbuf_puts(&sb, "{\"file\":");
		json_append_cstring(&sb, config_path);
		strbuf_printf(&sb, ",\"ok\":%s,\"errors\":", status ? "false" : "true");
		append_diag_lines_json(&sb, text);
		strbuf_puts(&sb, "}\n");
		if (!sb.failed)
			fputs(sb.buf, stdout);
		strbuf_free(&sb);
		free(text);
	} else if (status == 0) {
		printf("%s: ok\n", config_path);
	} else {
		fprintf(stderr, "%s: %d error%s\n", config_path, diag.errors, diag.errors == 1 ? "" : "s");
	}
	return status;
}
