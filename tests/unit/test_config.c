/* config_load: a valid file parses with its defaults, and each kind of
 * error gives its exact FILE:LINE and message. The expected line of an
 * error is marked in the config text with a "; <--" comment. Credential
 * files are real files in a temp dir; profiles are the shipped ones. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config.h"

static char tmpdir[] = "/tmp/dockside-test-config-XXXXXX";
static int failures;
static int cases;

#define SECRET "hunter2-never-printed"

static void fail(const char *name, const char *what, const char *output)
{
	fprintf(stderr, "FAIL %s: %s\n--- diagnostics ---\n%s-------------------\n", name, what,
		output ? output : "");
	failures++;
}

/* Writes text to dir/name with mode; returns the path (static buffer). */
static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	unlink(path);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

/* Replaces every @DIR@ in text by the temp dir. Caller frees. */
static char *expand(const char *text)
{
	size_t cap = strlen(text) * 2 + 1024;
	char *out = malloc(cap);
	size_t n = 0;
	for (const char *p = text; *p;) {
		if (strncmp(p, "@DIR@", 5) == 0) {
			n += (size_t)snprintf(out + n, cap - n, "%s", tmpdir);
			p += 5;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

/* The 1-based line holding "; <--", or 0. */
static int marked_line(const char *text)
{
	const char *mark = strstr(text, "; <--");
	if (!mark)
		return 0;
	int line = 1;
	for (const char *p = text; p < mark; p++)
		line += *p == '\n';
	return line;
}

/* Loads text as a config file; returns the diagnostics (caller frees) and
 * the result in *cfg_out (may be NULL). */
static char *load(const char *conf_name, const char *text, bool check_files, struct config **cfg_out,
		  const char **path_out)
{
	char *expanded = expand(text);
	const char *path = write_file(conf_name, expanded, 0644);
	free(expanded);
	char *diag_text = NULL;
	size_t diag_len = 0;
	struct diag diag = {.out = open_memstream(&diag_text, &diag_len)};
	struct config *cfg = config_load(path, check_files, &diag);
	fclose(diag.out);
	if (strstr(diag_text, SECRET))
		fail(conf_name, "a password appeared in a diagnostic", diag_text);
	if ((cfg != NULL) != (diag.errors == 0))
		fail(conf_name, "config_load result disagrees with the error count", diag_text);
	if (path_out)
		*path_out = path;
	if (cfg_out)
		*cfg_out = cfg;
	else
		config_free(cfg);
	return diag_text;
}

/* Asserts that loading text reports "PATH:LINE: ..." containing needle,
 * LINE being the line marked "; <--" (0 if none is marked). */
static void expect_error_in(const char *name, const char *text, const char *in_file, int in_line,
			    const char *needle)
{
	cases++;
	const char *path;
	struct config *cfg;
	char *out = load(name, text, true, &cfg, &path);
	char prefix[600];
	if (in_file)
		snprintf(prefix, sizeof prefix, "%s/%s:%d: ", tmpdir, in_file, in_line);
	else
		snprintf(prefix, sizeof prefix, "%s:%d: ", path, marked_line(text));
	bool found = false;
	for (char *line = out; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, prefix, strlen(prefix)) == 0 && strstr(line, needle))
			found = true;
		if (nl)
			*nl = '\n';
		line = nl ? nl + 1 : NULL;
	}
	if (cfg)
		fail(name, "config_load accepted a bad config", out);
	if (!found) {
		char what[800];
		snprintf(what, sizeof what, "no line starting '%s' containing '%s'", prefix, needle);
		fail(name, what, out);
	}
	config_free(cfg);
	free(out);
}

static void expect_error(const char *name, const char *text, const char *needle)
{
	expect_error_in(name, text, NULL, 0, needle);
}

static void expect_ok(const char *name, const char *text)
{
	cases++;
	struct config *cfg;
	char *out = load(name, text, true, &cfg, NULL);
	if (!cfg)
		fail(name, "valid config rejected", out);
	config_free(cfg);
	free(out);
}

#define HEAD                                                                                                   \
	"[agent]\n"                                                                                            \
	"gateway_id = gw-1\n"                                                                                  \
	"site = berlin-dc1\n"                                                                                  \
	"[broker]\n"                                                                                           \
	"url = mqtts://broker.example:8883\n"                                                                  \
	"[site]\n"                                                                                             \
	"credentials = @DIR@/site.cred\n"
#define ACME                                                                                                   \
	"[tenant acme]\n"                                                                                      \
	"credentials = @DIR@/acme.cred\n"

static const char *valid_config =
	"; a complete gateway\n"
	"[agent]\n"
	"gateway_id = gw-berlin-01\n"
	"site = berlin-dc1\n"
	"data_dir = @DIR@/data\n"
	"\n"
	"[broker]\n"
	"url = mqtt://127.0.0.1\n"
	"allow_insecure = yes\n"
	"topic_prefix = acme-cloud/dockside/v1\n"
	"\n"
	"[site]\n"
	"credentials = @DIR@/site.cred\n"
	"\n"
	"[tenant acme]\n"
	"credentials = @DIR@/acme.cred      ; the tenant's own login\n"
	"gs1_prefixes = 0614141, 0614142,   # continues below\n"
	"    06141439\n"
	"max_rate = 2000\n"
	"\n"
	"[tenant globex]\n"
	"credentials = @DIR@/globex.cred\n"
	"gs1_prefixes = 061414\n"
	"\n"
	"[device dock-1-scanner]\n"
	"profile = honeywell-1950g-usb-serial\n"
	"port = /dev/ttyACM0\n"
	"tenant = by-gs1\n"
	"station = dock-1\n"
	"\n"
	"[device dock-2-scanner]\n"
	"profile = datalogic-qd2430-rs232\n"
	"port = /dev/ttyUSB0\n"
	"baud = 19200\n"
	"parity = even\n"
	"tenant = globex\n"
	"\n"
	"[device belt-scanner]\n"
	"profile = generic-serial-scanner-timeout\n"
	"port = /dev/ttyS1\n"
	"scope = site\n"
	"suppress_duplicates_ms = 500\n";

static void test_valid_config_parses_with_defaults(void)
{
	cases++;
	struct config *cfg;
	char *out = load("valid.conf", valid_config, true, &cfg, NULL);
	if (!cfg) {
		fail("valid", "valid config rejected", out);
		free(out);
		return;
	}
	struct {
		bool ok;
		const char *what;
	} checks[] = {
		{strcmp(cfg->agent.gateway_id, "gw-berlin-01") == 0, "gateway_id"},
		{strcmp(cfg->agent.control_socket, "/run/dockside/control.sock") == 0, "control_socket default"},
		{strcmp(cfg->agent.admin_group, "dockside") == 0, "admin_group default"},
		{strcmp(cfg->agent.log_level, "info") == 0, "log_level default"},
		{cfg->agent.commit_interval_ms == 5 && cfg->agent.commit_max_events == 1024, "commit defaults"},
		{cfg->agent.retention_hours == 168 && cfg->agent.retention_events == 1000000, "retention defaults"},
		{strcmp(cfg->broker.host, "127.0.0.1") == 0 && cfg->broker.port == 1883 && !cfg->broker.tls,
		 "broker url parsed with default port 1883"},
		{cfg->broker.allow_insecure, "allow_insecure"},
		{strcmp(cfg->broker.topic_prefix, "acme-cloud/dockside/v1") == 0, "topic_prefix"},
		{cfg->broker.keepalive_s == 30 && cfg->broker.batch_max_events == 500 &&
			 cfg->broker.batch_max_bytes == 262144 && cfg->broker.inflight_max == 8 &&
			 cfg->broker.reconnect_min_ms == 500 && cfg->broker.reconnect_max_ms == 30000,
		 "broker defaults"},
		{cfg->broker.ca_file[0] == '\0', "ca_file default empty (system CAs)"},
		{cfg->n_tenants == 2, "two tenants"},
		{cfg->n_tenants == 2 && cfg->tenants[0].n_gs1_prefixes == 3 &&
			 strcmp(cfg->tenants[0].gs1_prefixes[2], "06141439") == 0,
		 "gs1_prefixes accumulated over a continuation line"},
		{cfg->n_tenants == 2 && cfg->tenants[0].max_rate == 2000 && cfg->tenants[0].max_backlog == 5000000,
		 "tenant max_rate and max_backlog default"},
		{cfg->n_tenants == 2 && cfg->tenants[1].max_rate == 0, "max_rate default 0"},
		{cfg->n_devices == 3, "three devices"},
		{cfg->n_devices == 3 && cfg->devices[0].binding == BIND_BY_GS1, "by-gs1 binding"},
		{cfg->n_devices == 3 && cfg->devices[1].binding == BIND_TENANT &&
			 strcmp(cfg->devices[1].tenant, "globex") == 0 && cfg->devices[1].baud == 19200 &&
			 strcmp(cfg->devices[1].parity, "even") == 0 && cfg->devices[1].data_bits == 0,
		 "tenant binding and serial overrides (absent = 0)"},
		{cfg->n_devices == 3 && cfg->devices[2].binding == BIND_SITE &&
			 cfg->devices[2].suppress_duplicates_ms == 500,
		 "site scope"},
		{cfg->n_devices == 3 && cfg->devices[0].line == 25 && strcmp(cfg->devices[0].station, "dock-1") == 0,
		 "device header line and station"},
		{config_find_tenant(cfg, "globex") == &cfg->tenants[1] && !config_find_tenant(cfg, "initech"),
		 "config_find_tenant"},
	};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
		if (!checks[i].ok)
			fail("valid", checks[i].what, out);
	config_free(cfg);
	free(out);
}

static void test_broker_urls(void)
{
	cases++;
	struct config *cfg;
	char *out = load("mqtts.conf",
			 "[agent]\ngateway_id = g\nsite = s\n[broker]\nurl = mqtts://[::1]\nallow_insecure = yes\n"
			 "[site]\ncredentials = @DIR@/site.cred\n",
			 true, &cfg, NULL);
	if (!cfg || strcmp(cfg->broker.host, "::1") != 0 || cfg->broker.port != 8883 || !cfg->broker.tls)
		fail("mqtts", "mqtts://[::1] should give host ::1, port 8883, tls (allow_insecure is harmless)", out);
	config_free(cfg);
	free(out);
	expect_error("url-scheme.conf",
		     "[agent]\ngateway_id = g\nsite = s\n[broker]\nurl = http://x ; <--\n[site]\n"
		     "credentials = @DIR@/site.cred\n",
		     "must start with mqtts:// or mqtt://");
	expect_error("url-port.conf",
		     "[agent]\ngateway_id = g\nsite = s\n[broker]\nurl = mqtts://x:70000 ; <--\n[site]\n"
		     "credentials = @DIR@/site.cred\n",
		     "invalid port (1..65535)");
}

static void test_errors(void)
{
	expect_error("unknown-section.conf", HEAD "[gateway] ; <--\nfoo = 1\n", "unknown section [gateway]");
	expect_error("unknown-key.conf",
		     "[agent]\ngateway_id = gw-1\ncolour = blue ; <--\nsite = s\n[broker]\n"
		     "url = mqtts://b\n[site]\ncredentials = @DIR@/site.cred\n",
		     "unknown key 'colour' in [agent]");
	expect_error("unknown-device-key.conf",
		     HEAD ACME "[device d1]\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\ntenant = acme\n"
			       "speed = 9600 ; <--\n",
		     "unknown key 'speed' in [device d1]");
	expect_error("missing-required.conf",
		     "[agent] ; <--\nsite = s\n[broker]\nurl = mqtts://b\n[site]\ncredentials = @DIR@/site.cred\n",
		     "missing required key 'gateway_id' in [agent]");
	expect_error("missing-tenant-credentials.conf", HEAD "[tenant acme] ; <--\nmax_rate = 5\n",
		     "missing required key 'credentials' in [tenant acme]");
	expect_error("missing-device-profile.conf", HEAD ACME "[device d1] ; <--\ntenant = acme\n",
		     "missing required key 'profile' in [device d1]");
	expect_error("missing-section.conf", "[agent]\ngateway_id = g\nsite = s\n[site]\ncredentials = @DIR@/site.cred\n",
		     "missing section [broker]");
	expect_error("duplicate-tenant.conf", HEAD ACME "[tenant acme] ; <--\ncredentials = @DIR@/acme.cred\n",
		     "duplicate section [tenant acme] (first at line 8)");
	expect_error("duplicate-device.conf",
		     HEAD ACME "[device d1]\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\ntenant = acme\n"
			       "[device d1] ; <--\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM1\ntenant = acme\n",
		     "duplicate section [device d1]");
	expect_error("duplicate-agent.conf", HEAD "[agent] ; <--\nlog_level = debug\n", "duplicate section [agent]");
	expect_error("duplicate-key.conf",
		     "[agent]\ngateway_id = g\nsite = s\nsite = t ; <--\n[broker]\nurl = mqtts://b\n[site]\n"
		     "credentials = @DIR@/site.cred\n",
		     "duplicate key 'site' in [agent] (first at line 3)");
	expect_error("continued-scalar.conf",
		     "[agent]\ngateway_id = g\nsite = s\n[broker]\nurl = mqtts://b\n   mqtts://c ; <--\n[site]\n"
		     "credentials = @DIR@/site.cred\n",
		     "duplicate key 'url' in [broker]");
	expect_error("unnamed-tenant.conf", HEAD "[tenant] ; <--\ncredentials = @DIR@/acme.cred\n",
		     "section [tenant] needs a name");
	expect_error("unnamed-device.conf", HEAD "[device] ; <--\nprofile = x\n", "section [device] needs a name");
	expect_error("named-agent.conf",
		     "[agent main] ; <--\ngateway_id = g\nsite = s\n[broker]\nurl = mqtts://b\n[site]\n"
		     "credentials = @DIR@/site.cred\n",
		     "section [agent] takes no name");
	expect_error("bad-tenant-id.conf", HEAD "[tenant Acme_Corp] ; <--\ncredentials = @DIR@/acme.cred\n",
		     "invalid tenant id 'Acme_Corp'");
	expect_error("bad-tenant-id-dash.conf", HEAD "[tenant -acme] ; <--\ncredentials = @DIR@/acme.cred\n",
		     "invalid tenant id '-acme'");
	expect_error("bad-device-name.conf",
		     HEAD ACME "[device dock/1] ; <--\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\n"
			       "tenant = acme\n",
		     "invalid device name 'dock/1'");
	expect_error("bad-gateway-id.conf",
		     "[agent]\ngateway_id = gw 1 ; <--\nsite = s\n[broker]\nurl = mqtts://b\n[site]\n"
		     "credentials = @DIR@/site.cred\n",
		     "gateway_id in [agent]: 'gw 1' is not a valid name");
	expect_error("int-bounds.conf",
		     "[agent]\ngateway_id = g\nsite = s\ncommit_interval_ms = 5000 ; <--\n[broker]\nurl = mqtts://b\n"
		     "[site]\ncredentials = @DIR@/site.cred\n",
		     "commit_interval_ms in [agent]: '5000' is not an integer in 1..1000");
	expect_error("int-junk.conf", HEAD ACME "max_backlog = lots ; <--\n",
		     "max_backlog in [tenant acme]: 'lots' is not an integer in 1..");
	expect_error("bad-bool.conf",
		     "[agent]\ngateway_id = g\nsite = s\n[broker]\nurl = mqtts://b\nallow_insecure = maybe ; <--\n"
		     "[site]\ncredentials = @DIR@/site.cred\n",
		     "allow_insecure in [broker]: 'maybe' is not a boolean");
	expect_error("bad-enum.conf",
		     "[agent]\ngateway_id = g\nsite = s\nlog_level = loud ; <--\n[broker]\nurl = mqtts://b\n"
		     "[site]\ncredentials = @DIR@/site.cred\n",
		     "log_level in [agent]: 'loud' is not one of error|warn|info|debug");
	expect_error("bad-device-enum.conf",
		     HEAD ACME "[device d1]\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\ntenant = acme\n"
			       "parity = mark ; <--\n",
		     "parity in [device d1]: 'mark' is not one of none|even|odd");
	expect_error("bad-scope.conf",
		     HEAD "[device d1]\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\nscope = tenant ; <--\n",
		     "scope in [device d1]: 'tenant' is not a scope");
	expect_error("no-binding.conf",
		     HEAD ACME "[device d1] ; <--\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\n",
		     "[device d1] has neither tenant nor scope: there is no default tenant");
	expect_error("both-binding.conf",
		     HEAD ACME "[device d1]\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\ntenant = acme\n"
			       "scope = site ; <--\n",
		     "[device d1] has both tenant and scope");
	expect_error("undeclared-tenant.conf",
		     HEAD ACME "[device d1]\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\n"
			       "tenant = initech ; <--\n",
		     "tenant 'initech' is not declared as [tenant initech]");
	expect_error("by-gs1-without-prefixes.conf",
		     HEAD ACME "[device d1]\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\n"
			       "tenant = by-gs1 ; <--\n",
		     "tenant = by-gs1 but no tenant declares gs1_prefixes");
	expect_error("gs1-claimed-twice.conf",
		     HEAD ACME "gs1_prefixes = 0614141\n[tenant globex]\ncredentials = @DIR@/globex.cred\n"
			       "gs1_prefixes = 0999, 0614141 ; <--\n",
		     "gs1 prefix 0614141 of [tenant globex] is already claimed by [tenant acme] (line 10)");
	expect_error("gs1-bad-prefix.conf", HEAD ACME "gs1_prefixes = 0614141, 06a4 ; <--\n",
		     "'06a4' is not a GS1 company prefix (4-12 digits)");
	expect_ok("gs1-overlap-ok.conf",
		  HEAD ACME "gs1_prefixes = 0614\n[tenant globex]\ncredentials = @DIR@/globex.cred\n"
			    "gs1_prefixes = 0614141\n");
	expect_error("plain-mqtt.conf",
		     "[agent]\ngateway_id = g\nsite = s\n[broker]\nurl = mqtt://10.0.0.1:1883 ; <--\n[site]\n"
		     "credentials = @DIR@/site.cred\n",
		     "plain mqtt:// is refused");
	expect_error("topic-wildcard.conf",
		     "[agent]\ngateway_id = g\nsite = s\n[broker]\nurl = mqtts://b\ntopic_prefix = a/+/b ; <--\n"
		     "[site]\ncredentials = @DIR@/site.cred\n",
		     "must not contain the MQTT wildcards");
	expect_error("topic-empty-level.conf",
		     "[agent]\ngateway_id = g\nsite = s\n[broker]\nurl = mqtts://b\ntopic_prefix = a//b ; <--\n"
		     "[site]\ncredentials = @DIR@/site.cred\n",
		     "must not have empty topic levels");
	expect_error("reconnect-order.conf",
		     "[agent]\ngateway_id = g\nsite = s\n[broker]\nurl = mqtts://b\nreconnect_max_ms = 100\n"
		     "reconnect_min_ms = 1000 ; <--\n[site]\ncredentials = @DIR@/site.cred\n",
		     "reconnect_min_ms (1000) is larger than reconnect_max_ms (100)");
	expect_error("unknown-profile.conf",
		     HEAD ACME "[device d1]\nprofile = zebra-ds9999 ; <--\nport = /dev/ttyACM0\ntenant = acme\n",
		     "unknown profile 'zebra-ds9999'");
	expect_error("serial-without-port.conf",
		     HEAD ACME "[device d1] ; <--\nprofile = zebra-ds2208-usb-cdc\ntenant = acme\n", "needs 'port'");
	expect_error("usb-match-on-serial.conf",
		     HEAD ACME "[device d1] ; <--\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\n"
			       "match = usb:05e0:1200\ntenant = acme\n",
		     "'match' is for USB devices");
	expect_error("bad-match.conf",
		     HEAD ACME "[device d1]\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\n"
			       "match = usb:05e0 ; <--\ntenant = acme\n",
		     "must be usb:VID:PID");
	expect_error("relative-port.conf",
		     HEAD ACME "[device d1]\nprofile = zebra-ds2208-usb-cdc\nport = ttyACM0 ; <--\ntenant = acme\n",
		     "port in [device d1]: 'ttyACM0' must be an absolute path");
	expect_error("syntax.conf", HEAD "this line has no equals sign ; <--\n",
		     "syntax error");
	char long_line[600];
	snprintf(long_line, sizeof long_line, "%s[device d1]\nstation = %0250d ; <--\n", HEAD ACME, 0);
	expect_error("long-line.conf", long_line, "line too long");
	expect_error("no-file.conf", "", "missing section [agent]");
}

static void test_credential_errors(void)
{
	expect_error("cred-missing.conf",
		     HEAD "[tenant acme]\ncredentials = @DIR@/nonexistent.cred ; <--\n",
		     "cannot read credential file");
	write_file("open.cred", "tenant = acme\nusername = u\npassword = " SECRET "\n", 0640);
	expect_error("cred-group-readable.conf", HEAD "[tenant acme]\ncredentials = @DIR@/open.cred ; <--\n",
		     "is accessible by group or others (mode 0640)");
	write_file("world.cred", "tenant = acme\nusername = u\npassword = " SECRET "\n", 0602);
	expect_error("cred-world-writable.conf", HEAD "[tenant acme]\ncredentials = @DIR@/world.cred ; <--\n",
		     "(mode 0602)");
	expect_error("cred-directory.conf", HEAD "[tenant acme]\ncredentials = @DIR@ ; <--\n",
		     "is not a regular file");
	const char *foreign = write_file("foreign.cred", "tenant = acme\nusername = u\npassword = " SECRET "\n", 0600);
	if (geteuid() == 0) {
		if (chown(foreign, 65534, 65534) != 0)
			fail("cred-owner", "chown failed", strerror(errno));
		expect_error("cred-owner.conf", HEAD "[tenant acme]\ncredentials = @DIR@/foreign.cred ; <--\n",
			     "is owned by uid 65534, not by the daemon's user (uid 0)");
	} else {
		/* Without root no file of another user can be made readable to us. */
		fprintf(stderr, "note: owner check needs root to create a foreign file; not run as uid %u\n",
			(unsigned)geteuid());
	}
	write_file("globex.cred", "tenant = globex\nusername = g\npassword = " SECRET "\n", 0600);
	/* What the credential file says is reported at its own line. */
	expect_error_in("cred-mismatch.conf", HEAD "[tenant acme]\ncredentials = @DIR@/globex.cred\n", "globex.cred", 1,
			"credential file says tenant globex, section is [tenant acme]");
	expect_error_in("site-cred-is-tenant.conf",
			"[agent]\ngateway_id = g\nsite = s\n[broker]\nurl = mqtts://b\n[site]\n"
			"credentials = @DIR@/acme.cred\n",
			"acme.cred", 1, "but [site] needs a site credential (scope = site)");
	expect_error_in("tenant-cred-is-site.conf", HEAD "[tenant acme]\ncredentials = @DIR@/site.cred\n",
			"site.cred", 1, "is a site credential (scope = site), section is [tenant acme]");
}

static void test_all_errors_reported(void)
{
	cases++;
	struct diag diag = {0};
	const char *text = "[agent]\ngateway_id = bad id\nsite = s\ncolour = 1\n[broker]\nurl = mqtt://x\n"
			   "[site]\ncredentials = @DIR@/site.cred\n[tenant Bad]\ncredentials = @DIR@/acme.cred\n"
			   "[device d]\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\n";
	char *expanded = expand(text);
	const char *path = write_file("many.conf", expanded, 0644);
	free(expanded);
	struct config *cfg = config_load(path, true, &diag);
	/* bad gateway_id, unknown key, plain mqtt, bad tenant id, no binding */
	if (cfg || diag.errors < 5) {
		char msg[64];
		snprintf(msg, sizeof msg, "expected at least 5 errors, got %d", diag.errors);
		fail("many", msg, NULL);
	}
	config_free(cfg);
}

static void test_print_keys_lists_every_section(void)
{
	cases++;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	config_print_keys(f);
	fclose(f);
	const char *want[] = {"[agent]         gateway_id", "[broker]        url", "[site]          credentials",
			      "[tenant NAME]   gs1_prefixes", "[device NAME]   suppress_duplicates_ms",
			      "default /var/lib/dockside", "1..1000"};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(text, want[i]))
			fail("print-keys", want[i], text);
	free(text);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	char profiles[512];
	snprintf(profiles, sizeof profiles, "%s/firmware-profiles", getenv("DOCKSIDE_SRC") ? getenv("DOCKSIDE_SRC") : ".");
	setenv("DOCKSIDE_PROFILE_DIR", profiles, 1);
	write_file("site.cred", "scope = site\nusername = gw-1-site\npassword = " SECRET "\n", 0600);
	write_file("acme.cred", "tenant = acme\nusername = acme-gw-1\npassword = " SECRET "\n", 0600);
	write_file("globex.cred", "tenant = globex\nusername = globex-gw-1\npassword = " SECRET "\n", 0600);

	test_valid_config_parses_with_defaults();
	test_broker_urls();
	test_errors();
	test_credential_errors();
	test_all_errors_reported();
	test_print_keys_lists_every_section();

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	printf("%d cases, %d failures\n", cases, failures);
	return failures ? 1 : 0;
}
