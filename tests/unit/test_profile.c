/* Profiles: every shipped profile loads with the real drivers; the generic
 * validation (profile_validate with a key table passed in) reports each
 * kind of error at PROFILEFILE:LINE; duplicate names in a set are refused. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/driver.h"
#include "drivers/profile.h"

static char tmpdir[] = "/tmp/dockside-test-profile-XXXXXX";
static int failures, cases;

/* A driver key table of the test's own, for the generic validation. */
static const struct profile_key test_keys[] = {
	{"serial", "baud", PK_INT, 50, 4000000, NULL, false, "line speed"},
	{"framing", "suffix", PK_ENUM, 0, 0, "cr|lf|crlf|none", true, "end of a scan"},
	{"barcode", "strip", PK_BOOL, 0, 0, NULL, false, "strip the prefix"},
	{"usb", "vid", PK_HEX16, 0, 0, NULL, false, "vendor id"},
	{NULL, NULL, 0, 0, 0, NULL, false, NULL},
};

#define GOOD_HEAD(name)                                                                                        \
	"[profile]\nname = " name "\nvendor = Acme\nmodel = X1\nmode = serial\ndriver = serial-scanner\nkind = scan\n"

static const char *write_profile(const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s.ini", tmpdir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

/* Validates `text` as profile `name` against test_keys; expects an error at
 * `line` containing needle (needle NULL: expects no error). */
static void check(const char *name, const char *text, int line, const char *needle)
{
	cases++;
	const char *path = write_profile(name, text);
	char *out = NULL;
	size_t len = 0;
	struct diag diag = {.out = open_memstream(&out, &len)};
	struct profile *p = profile_parse(path, &diag);
	int rc = p ? profile_validate(p, test_keys, &diag) : -1;
	fclose(diag.out);
	char want[700];
	snprintf(want, sizeof want, "%s:%d: ", path, line);
	bool ok = needle ? rc == -1 && strstr(out, want) && strstr(strstr(out, want), needle) : rc == 0 && !*out;
	if (!ok) {
		fprintf(stderr, "FAIL %s: wanted %s%s\n--- got ---\n%s\n", name, want, needle ? needle : "(no error)",
			out);
		failures++;
	}
	profile_free(p);
	free(out);
}

static void test_shipped_profiles_validate(void)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/firmware-profiles", getenv("DOCKSIDE_SRC") ? getenv("DOCKSIDE_SRC") : ".");
	DIR *d = opendir(dir);
	struct dirent *de;
	int files = 0;
	struct diag diag = {.out = stderr};
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".ini") != 0)
			continue;
		files++;
	}
	if (d)
		closedir(d);
	struct profile_set set;
	cases++;
	if (profile_set_load(&set, dir, &diag) != 0 || diag.errors != 0 || (int)set.n != files || files < 5) {
		fprintf(stderr, "FAIL shipped: %d files, %zu valid, %d errors\n", files, set.n, diag.errors);
		failures++;
	}
	const char *serial[] = {"zebra-ds2208-usb-cdc", "honeywell-1950g-usb-serial", "honeywell-1250g-usb-serial",
				"datalogic-qd2430-rs232", "generic-serial-scanner-timeout"};
	for (size_t i = 0; i < sizeof serial / sizeof serial[0]; i++) {
		cases++;
		const struct profile *p = profile_set_find(&set, serial[i]);
		if (!p || strcmp(p->driver, "serial-scanner") != 0 ||
		    strcmp(profile_str(p, "profile", "kind", ""), "scan") != 0) {
			fprintf(stderr, "FAIL shipped: %s missing or not a serial-scanner scan profile\n", serial[i]);
			failures++;
		}
	}
	const struct profile *t = profile_set_find(&set, "generic-serial-scanner-timeout");
	const struct profile *dl = profile_set_find(&set, "datalogic-qd2430-rs232");
	cases++;
	if (!t || strcmp(profile_str(t, "framing", "suffix", ""), "none") != 0 ||
	    profile_int(t, "framing", "timeout_ms", 0) != 50 || !dl ||
	    strcmp(profile_str(dl, "framing", "suffix", ""), "crlf") != 0 || profile_int(dl, "serial", "baud", 0) != 9600) {
		fprintf(stderr, "FAIL shipped: framing of timeout/datalogic profiles\n");
		failures++;
	}
	profile_set_free(&set);
}

static void test_duplicate_names_in_a_set(void)
{
	cases++;
	/* Same name in two directories, as `profiles validate a/x.ini b/x.ini`. */
	char sub[600];
	snprintf(sub, sizeof sub, "%s/other", tmpdir);
	mkdir(sub, 0755);
	const char *text = GOOD_HEAD("dup") "[framing]\nsuffix = cr\n";
	char first[512], second[700];
	snprintf(first, sizeof first, "%s", write_profile("dup", text));
	snprintf(second, sizeof second, "%s/dup.ini", sub);
	FILE *f = fopen(second, "w");
	fputs(text, f);
	fclose(f);
	char *out = NULL;
	size_t len = 0;
	struct diag diag = {.out = open_memstream(&out, &len)};
	struct profile_set set = {0};
	int rc1 = profile_set_add(&set, profile_load(first, &diag), &diag);
	int rc2 = profile_set_add(&set, profile_load(second, &diag), &diag);
	fclose(diag.out);
	char want[1600];
	snprintf(want, sizeof want, "%s:2: duplicate profile name 'dup' (also in %s)", second, first);
	if (rc1 != 0 || rc2 != -1 || set.n != 1 || !strstr(out, want)) {
		fprintf(stderr, "FAIL duplicate names: wanted %s\n--- got ---\n%s\n", want, out);
		failures++;
	}
	profile_set_free(&set);
	free(out);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	test_shipped_profiles_validate();
	check("good", GOOD_HEAD("good") "description = fine\n[serial]\nbaud = 9600\n[framing]\nsuffix = cr\n"
					"[barcode]\nstrip = yes\n[usb]\nvid = 05e0\n",
	      0, NULL);
	check("unknown-section", GOOD_HEAD("unknown-section") "[framing]\nsuffix = cr\n[keyboard]\nlayout = de\n", 10,
	      "unknown section [keyboard]");
	check("unknown-key", GOOD_HEAD("unknown-key") "[framing]\nsuffix = cr\nprefix = stx\n", 10,
	      "unknown key 'prefix' in [framing]");
	check("unknown-profile-key", GOOD_HEAD("unknown-profile-key") "firmware = 1.2\n[framing]\nsuffix = cr\n", 8,
	      "unknown key 'firmware' in [profile]");
	check("int-bounds", GOOD_HEAD("int-bounds") "[serial]\nbaud = 10\n[framing]\nsuffix = cr\n", 9,
	      "baud in [serial]: '10' is not an integer in 50..4000000");
	check("int-junk", GOOD_HEAD("int-junk") "[serial]\nbaud = fast\n[framing]\nsuffix = cr\n", 9,
	      "'fast' is not an integer");
	check("enum", GOOD_HEAD("enum") "[framing]\nsuffix = tab\n", 9, "suffix in [framing]: 'tab' is not one of cr|lf|crlf|none");
	check("bool", GOOD_HEAD("bool") "[framing]\nsuffix = cr\n[barcode]\nstrip = perhaps\n", 11,
	      "'perhaps' is not a boolean");
	check("hex", GOOD_HEAD("hex") "[framing]\nsuffix = cr\n[usb]\nvid = 0x05e0\n", 11, "'0x05e0' is not 1-4 hex digits");
	check("kind", "[profile]\nname = kind\nvendor = A\nmodel = B\nmode = C\ndriver = serial-scanner\nkind = scale\n"
		      "[framing]\nsuffix = cr\n",
	      7, "kind in [profile]: 'scale' is not one of scan|weight|conveyor");
	check("missing-required", GOOD_HEAD("missing-required") "[framing]\nmax = 1\n", 8,
	      "missing required key 'suffix' in [framing]");
	check("missing-section", GOOD_HEAD("missing-section"), 0, "missing section [framing] (needs key 'suffix')");
	check("missing-vendor", "[profile]\nname = missing-vendor\nmodel = B\nmode = C\ndriver = serial-scanner\nkind = scan\n"
				"[framing]\nsuffix = cr\n",
	      1, "missing required key 'vendor' in [profile]");
	check("name-mismatch", GOOD_HEAD("other-name") "[framing]\nsuffix = cr\n", 2,
	      "name 'other-name' must equal the file name without .ini ('name-mismatch')");
	check("unknown-driver", "[profile]\nname = unknown-driver\nvendor = A\nmodel = B\nmode = C\ndriver = telepathy\n"
				"kind = scan\n[framing]\nsuffix = cr\n",
	      6, "unknown driver 'telepathy' (known: serial-scanner");
	check("duplicate-key", GOOD_HEAD("duplicate-key") "[framing]\nsuffix = cr\nsuffix = lf\n", 10,
	      "duplicate key 'suffix' in [framing] (first at line 9)");
	check("duplicate-section", GOOD_HEAD("duplicate-section") "[framing]\nsuffix = cr\n[framing]\n", 10,
	      "duplicate section [framing] (first at line 8)");
	check("empty-string", GOOD_HEAD("empty-string") "description =\n[framing]\nsuffix = cr\n", 8,
	      "description in [profile] is empty");
	check("syntax", GOOD_HEAD("syntax") "[framing]\nsuffix cr\n", 9, "syntax error");

	/* profile_load uses the real driver's key table. */
	cases++;
	struct diag quiet = {0};
	const char *path = write_profile("real", GOOD_HEAD("real") "[framing]\nsuffix = crlf\ntimeout_ms = 20000\n");
	if (profile_load(path, &quiet) != NULL || quiet.errors != 1) {
		fprintf(stderr, "FAIL real: timeout_ms 20000 should be refused by the serial-scanner keys (%d errors)\n",
			quiet.errors);
		failures++;
	}
	test_duplicate_names_in_a_set();

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	printf("%d cases, %d failures\n", cases, failures);
	return failures ? 1 : 0;
}
