/* dockside decode: decode one scan the way the daemon would, for
 * installers checking scanner settings (AIM id transmission, GS
 * transmission, keyboard country). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/commands.h"
#include "agent/diag.h"
#include "agent/util.h"
#include "drivers/barcode/barcode.h"
#include "drivers/profile.h"

#define DECODE_STDIN_MAX (1024 * 1024)

static void decode_usage(FILE *out)
{
	fprintf(out,
		"usage: dockside decode [--profile NAME] [--aim yes|no|auto] [--raw] [--json] DATA\n"
		"       dockside decode [options] -      (read the scan from stdin)\n\n"
		"Decodes a scan (AIM symbology id, GS1 element string, GS1 Digital Link,\n"
		"EAN/UPC) and prints the event data JSON the daemon would record.\n\n"
		"options:\n"
		"  --profile NAME  decode with the [barcode] settings of this firmware profile\n"
		"  --aim MODE      override the profile's aim_prefix (yes, no, auto)\n"
		"  --raw           take DATA literally (no escape sequences)\n"
		"  --json          JSON output (the default and only format)\n"
		"  -h, --help      this help\n\n"
		"In DATA (not stdin, not with --raw) these stand for control characters:\n"
		"  <GS> or \\x1d   group separator (FNC1)     <RS>  record separator 0x1E\n"
		"  <EOT>           end of transmission 0x04   \\xHH  any byte\n"
		"  \\n \\r \\t       newline, return, tab        \\\\    a backslash\n"
		"stdin is taken as raw bytes; one trailing newline (LF or CRLF) is dropped.\n\n"
		"exit status: 0 decoded, 1 did not decode (JSON still printed) or unknown\n"
		"profile, 2 usage error.\n");
}

/* Expands the escape sequences of the help text into out. Returns false
 * (with a message on stderr) on a malformed backslash escape. */
static bool unescape(const char *s, struct strbuf *out)
{
	static const struct {
		const char *name;
		char byte;
	} names[] = {{"<GS>", 0x1D}, {"<RS>", 0x1E}, {"<EOT>", 0x04}};
	while (*s) {
		bool named = false;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			size_t n = strlen(names[i].name);
			if (strncmp(s, names[i].name, n) == 0) {
				strbuf_append(out, &names[i].byte, 1);
				s += n;
				named = true;
				break;
			}
		}
		if (named)
			continue;
		if (*s != '\\') {
			strbuf_append(out, s++, 1);
			continue;
		}
		char c;
		switch (s[1]) {
		case '\\': c = '\\'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'x': {
			int hi = hex_digit_value(s[2]), lo = hi < 0 ? -1 : hex_digit_value(s[3]);
			if (hi < 0 || lo < 0) {
				fprintf(stderr, "dockside: decode: \\x needs two hex digits\n");
				return false;
			}
			c = (char)(hi * 16 + lo);
			s += 2;
			break;
		}
		default:
			fprintf(stderr, "dockside: decode: unknown escape '\\%c' (use --raw for literal data)\n",
				s[1] ? s[1] : ' ');
			return false;
		}
		strbuf_append(out, &c, 1);
		s += 2;
	}
	return true;
}

/* Reads all of stdin into out; false if it is too long or unreadable. */
static bool read_stdin(struct strbuf *out)
{
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
		if (out->len + n > DECODE_STDIN_MAX) {
			fprintf(stderr, "dockside: decode: input longer than %d bytes\n", DECODE_STDIN_MAX);
			return false;
		}
		strbuf_append(out, buf, n);
	}
	if (ferror(stdin)) {
		fprintf(stderr, "dockside: decode: cannot read stdin\n");
		return false;
	}
	if (out->len && out->buf[out->len - 1] == '\n')
		out->len--;
	if (out->len && out->buf[out->len - 1] == '\r')
		out->len--;
	return true;
}

/* Options of the named profile; false (with a message) if it is not there. */
static bool options_from_named_profile(const char *name, struct barcode_options *opt)
{
	struct profile_set set;
	struct diag diag = {.out = NULL};
	const char *dir = profile_default_dir();
	bool ok = false;
	if (profile_set_load(&set, dir, &diag) < 0) {
		fprintf(stderr, "dockside: decode: cannot read profile directory %s\n", dir);
		return false;
	}
	const struct profile *p = profile_set_find(&set, name);
	if (!p) {
		fprintf(stderr, "dockside: decode: unknown profile '%s' (looked in %s%s)\n", name, dir,
			diag.errors ? "; some profiles there are invalid, see dockside check-config" : "");
		goto cleanup;
	}
	barcode_options_from_profile(p, opt);
	ok = true;
cleanup:
	profile_set_free(&set);
	return ok;
}

int cmd_decode(const char *config_path, int argc, char **argv)
{
	(void)config_path;
	const char *profile_name = NULL, *aim = NULL, *data = NULL;
	bool raw = false;
	int rc = EXIT_USAGE;
	struct strbuf input, json;
	strbuf_init(&input);
	strbuf_init(&json);

	if (wants_help(argc, argv)) {
		decode_usage(stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--profile") == 0 && i + 1 < argc) {
			profile_name = argv[++i];
		} else if (strcmp(a, "--aim") == 0 && i + 1 < argc) {
			aim = argv[++i];
		} else if (strcmp(a, "--raw") == 0) {
			raw = true;
		} else if (strcmp(a, "--json") == 0) {
			/* JSON is the only format */
		} else if (strcmp(a, "--") == 0 && i + 2 == argc && !data) {
			data = argv[++i];
		} else if ((a[0] != '-' || strcmp(a, "-") == 0) && !data) {
			data = a;
		} else {
			fprintf(stderr, "dockside: decode: unexpected argument '%s'\n", a);
			decode_usage(stderr);
			goto cleanup;
		}
	}
	if (!data) {
		fprintf(stderr, "dockside: decode: DATA missing\n");
		decode_usage(stderr);
		goto cleanup;
	}
	if (aim && strcmp(aim, "yes") != 0 && strcmp(aim, "no") != 0 && strcmp(aim, "auto") != 0) {
		fprintf(stderr, "dockside: decode: --aim takes yes, no or auto\n");
		goto cleanup;
	}

	struct barcode_options opt;
	barcode_options_from_profile(NULL, &opt);
	if (profile_name && !options_from_named_profile(profile_name, &opt)) {
		rc = 1;
		goto cleanup;
	}
	if (aim)
		opt.aim_mode = strcmp(aim, "yes") == 0 ? BARCODE_AIM_YES
			       : strcmp(aim, "no") == 0 ? BARCODE_AIM_NO : BARCODE_AIM_AUTO;

	if (strcmp(data, "-") == 0) {
		if (!read_stdin(&input)) {
			rc = 1;
			goto cleanup;
		}
	} else if (raw) {
		strbuf_puts(&input, data);
	} else if (!unescape(data, &input)) {
		goto cleanup;
	}
	if (input.failed) {
		fprintf(stderr, "dockside: decode: out of memory\n");
		rc = 1;
		goto cleanup;
	}

	struct barcode_scan scan;
	barcode_decode((const unsigned char *)(input.buf ? input.buf : ""), input.len, &opt, &scan, &json);
	if (json.failed) {
		fprintf(stderr, "dockside: decode: out of memory\n");
		rc = 1;
		goto cleanup;
	}
	printf("%s\n", json.buf);
	if (scan.error[0])
		fprintf(stderr, "dockside: decode: %s\n", scan.error);
	rc = scan.error[0] ? 1 : 0;
cleanup:
	strbuf_free(&input);
	strbuf_free(&json);
	return rc;
}
