/* dockside enroll: fetch the tenants' MQTT credentials from the
 * provisioning service over HTTPS and write one credential file per
 * tenant (and the site). The whole response is validated before the
 * first file is touched; files are replaced atomically. Neither the token
 * nor a password is ever printed. Protocol: docs/enroll.md. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/commands.h"
#include "agent/config.h"
#include "agent/util.h"
#include "sync/atomic_file.h"
#include "sync/enroll.h"

#define ENROLL_DEFAULT_DIR "/etc/dockside/credentials"
#define ENROLL_CONNECT_TIMEOUT_MS 10000
#define ENROLL_TOTAL_TIMEOUT_MS 30000

static void enroll_usage(FILE *out)
{
	fprintf(out,
		"usage: dockside [-c FILE] enroll --url https://... --token TOKEN|- [options]\n"
		"       dockside [-c FILE] enroll --url https://... --token-file FILE [options]\n\n"
		"Fetches this gateway's tenant and site MQTT credentials from the provisioning\n"
		"service over HTTPS and writes one credential file per entry (TENANT.cred,\n"
		"site.cred, mode 0600) into the credentials directory, each replaced atomically.\n"
		"Nothing is written unless the whole response is valid. A running daemon reads\n"
		"credentials at start: restart it to use new ones.\n\n"
		"options:\n"
		"  --url URL          provisioning endpoint; https:// only\n"
		"  --token TOKEN      enrollment token; '-' reads it from stdin (keeps it out of ps)\n"
		"  --token-file FILE  read the token from FILE (first line)\n"
		"  --dir DIR          where to write the files (default: the directory of the\n"
		"                     credential files named in the config, else " ENROLL_DEFAULT_DIR ")\n"
		"  --ca-file PEM      trust these CA certificates instead of the system's\n"
		"  --gateway-id ID    gateway id to enroll (default: [agent] gateway_id of the config)\n"
		"  --json             print the result as JSON\n"
		"  -h, --help         this help\n\n"
		"The password and the token are never printed.\n"
		"exit status: 0 written, 1 failure (nothing written), 2 usage error.\n");
}

struct enroll_cli {
	const char *config_path;
	const char *url;
	const char *token_arg;     /* --token value, "-" for stdin */
	const char *token_file;
	const char *dir_arg;
	const char *ca_file;
	const char *gateway_arg;
	bool json;
	char token[ENROLL_TOKEN_MAX + 2];   /* secret */
	char gateway_id[DS_NAME_MAX + 1];
	char dir[PATH_MAX];
	struct config *cfg;                 /* NULL when not needed or absent */
	struct strbuf notes;                /* '\n'-separated remarks for the operator */
};

/* Reports a failure on stderr and, with --json, as {"ok":false,...} on stdout. */
static int enroll_fail(const struct enroll_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int enroll_fail(const struct enroll_cli *cli, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "dockside: enroll: %s\n", msg);
	if (cli->json) {
		struct strbuf sb;
		strbuf_init(&sb);
		strbuf_puts(&sb, "{\"ok\":false,\"error\":");
		json_append_cstring(&sb, msg);
		strbuf_puts(&sb, "}\n");
		if (!sb.failed)
			fputs(sb.buf, stdout);
		strbuf_free(&sb);
	}
	return 1;
}

/* Reads the token's first line from f into cli->token. */
static bool read_token(struct enroll_cli *cli, FILE *f, const char *what)
{
	char *t = cli->token;
	if (!fgets(t, sizeof cli->token, f)) {
		enroll_fail(cli, "cannot read the token from %s: %s", what, ferror(f) ? strerror(errno) : "empty");
		return false;
	}
	size_t n = strlen(t);
	if (n && t[n - 1] == '\n')
		t[--n] = '\0';
	else if (n == sizeof cli->token - 1) {
		enroll_fail(cli, "the token in %s is longer than %d characters", what, ENROLL_TOKEN_MAX);
		return false;
	}
	if (n && t[n - 1] == '\r')
		t[--n] = '\0';
	return true;
}

static bool load_token(struct enroll_cli *cli)
{
	bool ok;
	if (cli->token_file) {
		FILE *f = fopen(cli->token_file, "re");
		if (!f) {
			enroll_fail(cli, "cannot open token file %s: %s", cli->token_file, strerror(errno));
			return false;
		}
		ok = read_token(cli, f, cli->token_file);
		fclose(f);
	} else if (strcmp(cli->token_arg, "-") == 0) {
		ok = read_token(cli, stdin, "stdin");
	} else {
		ok = str_copy(cli->token, sizeof cli->token, cli->token_arg);
		if (!ok)
			enroll_fail(cli, "the token is longer than %d characters", ENROLL_TOKEN_MAX);
	}
	if (ok && !enroll_token_valid(cli->token)) {
		enroll_fail(cli, "the token must be 1 to %d printable ASCII characters without spaces",
			    ENROLL_TOKEN_MAX);
		ok = false;
	}
	return ok;
}

/* Copies the directory part of path into dir. */
static bool dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return str_copy(dir, size, ".");
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		return false;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return true;
}

/* Fills gateway_id and dir from the options, the config or the defaults.
 * The config is read only when an option is missing; a config file that
 * does not exist is fine, one with errors is not. */
static bool resolve_settings(struct enroll_cli *cli)
{
	bool need_config = !cli->gateway_arg || !cli->dir_arg;
	if (need_config && access(cli->config_path, F_OK) == 0) {
		struct diag diag = {.out = stderr};
		cli->cfg = config_load(cli->config_path, false, &diag);
		if (!cli->cfg) {
			enroll_fail(cli, "%s has errors (shown above): fix it, or give --gateway-id and --dir",
				    cli->config_path);
			return false;
		}
	}
	if (cli->gateway_arg) {
		if (!name_valid(cli->gateway_arg)) {
			enroll_fail(cli, "--gateway-id must be 1 to 63 characters of A-Z a-z 0-9 . _ -");
			return false;
		}
		str_copy(cli->gateway_id, sizeof cli->gateway_id, cli->gateway_arg);
	} else if (cli->cfg && cli->cfg->agent.gateway_id[0]) {
		str_copy(cli->gateway_id, sizeof cli->gateway_id, cli->cfg->agent.gateway_id);
	} else {
		enroll_fail(cli, "no gateway id: %s %s; give --gateway-id", cli->config_path,
			    cli->cfg ? "has no [agent] gateway_id" : "does not exist");
		return false;
	}
	bool fits = true;
	if (cli->dir_arg)
		fits = str_copy(cli->dir, sizeof cli->dir, cli->dir_arg);
	else if (cli->cfg && cli->cfg->site.credentials[0])
		fits = dir_of(cli->cfg->site.credentials, cli->dir, sizeof cli->dir);
	else if (cli->cfg && cli->cfg->n_tenants)
		fits = dir_of(cli->cfg->tenants[0].credentials, cli->dir, sizeof cli->dir);
	else
		fits = str_copy(cli->dir, sizeof cli->dir, ENROLL_DEFAULT_DIR);
	if (!fits || !cli->dir[0]) {
		enroll_fail(cli, "credentials directory path is empty or too long");
		return false;
	}
	return true;
}

/* Makes sure dir exists (creating it 0700, and missing parents 0755) and
 * that nobody but its owner can replace files in it. */
static bool prepare_dir(struct enroll_cli *cli)
{
	char path[PATH_MAX];
	struct stat sb;
	str_copy(path, sizeof path, cli->dir);
	for (char *p = path + 1; ; p++) {
		bool last = *p == '\0';
		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(path, last ? 0700 : 0755) < 0 && errno != EEXIST) {
			enroll_fail(cli, "cannot create directory %s: %s", path, strerror(errno));
			return false;
		}
		if (last)
			break;
		*p = '/';
	}
	if (stat(cli->dir, &sb) < 0) {
		enroll_fail(cli, "cannot use directory %s: %s", cli->dir, strerror(errno));
		return false;
	}
	if (!S_ISDIR(sb.st_mode)) {
		enroll_fail(cli, "%s is not a directory", cli->dir);
		return false;
	}
	if (sb.st_mode & 022) {
		enroll_fail(cli, "directory %s is writable by group or others (mode %04o): others could replace "
			    "credential files; run chmod go-w on it", cli->dir, (unsigned)(sb.st_mode & 07777));
		return false;
	}
	return true;
}

/* Error bodies are untrusted and may even echo the token: only a short,
 * sanitized excerpt is shown, preferably the "error" member of a JSON body. */
static void error_excerpt(const struct enroll_cli *cli, const struct enroll_response *resp, char *out,
			  size_t size)
{
	out[0] = '\0';
	if (!resp->body || !resp->body_len)
		return;
	cJSON *root = cJSON_ParseWithLength(resp->body, resp->body_len);
	const cJSON *msg = root ? cJSON_GetObjectItemCaseSensitive(root, "error") : NULL;
	if (cJSON_IsString(msg) && msg->valuestring)
		enroll_excerpt(msg->valuestring, strlen(msg->valuestring), cli->token, out, size, 120);
	else if (!root)
		enroll_excerpt(resp->body, resp->body_len, cli->token, out, size, 80);
	cJSON_Delete(root);
	/* A body that holds the token anywhere is not shown at all. */
	char check[8];
	enroll_excerpt(resp->body, resp->body_len, cli->token, check, sizeof check, 1);
	if (!check[0])
		out[0] = '\0';
}

/* Adds a note when the config would not use the file just written. */
static void note_config_mismatch(struct enroll_cli *cli, const struct enroll_entry *e, const char *path)
{
	if (!cli->cfg)
		return;
	const char *named = NULL;
	if (e->site) {
		named = cli->cfg->site.credentials[0] ? cli->cfg->site.credentials : NULL;
		if (!named) {
			strbuf_printf(&cli->notes, "%s has no [site] section naming %s\n", cli->config_path, path);
			return;
		}
	} else {
		const struct tenant_conf *t = config_find_tenant(cli->cfg, e->tenant);
		if (!t) {
			strbuf_printf(&cli->notes, "tenant %s is not in %s: add [tenant %s] with credentials = %s\n",
				      e->tenant, cli->config_path, e->tenant, path);
			return;
		}
		named = t->credentials;
	}
	struct stat a, b;
	if (stat(named, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return;
	strbuf_printf(&cli->notes, "%s names %s for %s%s, not %s\n", cli->config_path, named,
		      e->site ? "the site" : "tenant ", e->site ? "" : e->tenant, path);
}

/* Writes every entry: all temporary files first, then all renames, so a
 * write error (disk full) replaces nothing. */
static bool write_entries(struct enroll_cli *cli, const struct enroll_result *res, char (*paths)[PATH_MAX])
{
	struct atomic_file *files = calloc(res->n_entries, sizeof *files);
	char content[ENROLL_CRED_FILE_MAX];
	size_t prepared = 0;
	bool ok = false;
	if (!files) {
		enroll_fail(cli, "out of memory");
		return false;
	}
	for (; prepared < res->n_entries; prepared++) {
		const struct enroll_entry *e = &res->entries[prepared];
		char name[DS_NAME_MAX + 8];
		enroll_credential_file_name(e, name, sizeof name);
		int n = snprintf(paths[prepared], PATH_MAX, "%s/%s", cli->dir, name);
		if (n < 0 || n >= PATH_MAX) {
			enroll_fail(cli, "path %s/%s is too long", cli->dir, name);
			goto cleanup;
		}
		int len = enroll_render_credential(e, content, sizeof content);
		if (len < 0) {
			enroll_fail(cli, "cannot render the credential file for %s", name);
			goto cleanup;
		}
		int rc = atomic_file_prepare(&files[prepared], paths[prepared], content, (size_t)len, 0600);
		explicit_bzero(content, sizeof content);
		if (rc < 0) {
			enroll_fail(cli, "cannot write %s: %s (nothing was replaced)", paths[prepared], strerror(errno));
			goto cleanup;
		}
	}
	for (size_t i = 0; i < res->n_entries; i++) {
		if (atomic_file_commit(&files[i]) < 0) {
			/* Rare (the directory vanished or went read-only): say exactly what state is left. */
			enroll_fail(cli, "cannot replace %s: %s (%zu of %zu files were replaced before it)", paths[i],
				    strerror(errno), i, res->n_entries);
			for (size_t j = i + 1; j < res->n_entries; j++)
				atomic_file_abort(&files[j]);
			prepared = 0;
			goto cleanup;
		}
	}
	prepared = 0;
	ok = true;
cleanup:
	for (size_t i = 0; i < prepared; i++)
		atomic_file_abort(&files[i]);
	free(files);
	return ok;
}

static void print_result(struct enroll_cli *cli, const struct enroll_result *res, char (*paths)[PATH_MAX])
{
	if (!cli->json) {
		for (size_t i = 0; i < res->n_entries; i++) {
			const struct enroll_entry *e = &res->entries[i];
			printf("wrote %s: %s%s, username %s\n", paths[i], e->site ? "site" : "tenant ",
			       e->site ? "" : e->tenant, e->username);
		}
		printf("%zu credential file%s written to %s. A running dockside daemon reads credentials only at "
		       "start: restart it to use the new ones.\n",
		       res->n_entries, res->n_entries == 1 ? "" : "s", cli->dir);
		if (cli->notes.len) {
			for (char *line = cli->notes.buf, *nl; (nl = strchr(line, '\n')); line = nl + 1)
				printf("note: %.*s\n", (int)(nl - line), line);
		}
		return;
	}
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "{\"ok\":true,\"gateway\":");
	json_append_cstring(&sb, cli->gateway_id);
	strbuf_puts(&sb, ",\"dir\":");
	json_append_cstring(&sb, cli->dir);
	strbuf_puts(&sb, ",\"restart_needed\":true,\"files\":[");
	for (size_t i = 0; i < res->n_entries; i++) {
		const struct enroll_entry *e = &res->entries[i];
		strbuf_puts(&sb, i ? ",{\"path\":" : "{\"path\":");
		json_append_cstring(&sb, paths[i]);
		if (e->site) {
			strbuf_puts(&sb, ",\"scope\":\"site\"");
		} else {
			strbuf_puts(&sb, ",\"tenant\":");
			json_append_cstring(&sb, e->tenant);
		}
		strbuf_puts(&sb, ",\"username\":");
		json_append_cstring(&sb, e->username);
		strbuf_puts(&sb, "}");
	}
	strbuf_puts(&sb, "],\"notes\":[");
	bool first = true;
	if (cli->notes.len) {
		for (char *line = cli->notes.buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
			strbuf_puts(&sb, first ? "" : ",");
			json_append_string(&sb, line, (size_t)(nl - line), NULL);
			first = false;
		}
	}
	strbuf_puts(&sb, "]}\n");
	if (!sb.failed)
		fputs(sb.buf, stdout);
	strbuf_free(&sb);
}

/* Parses the options into cli; returns 0, or EXIT_USAGE after a message. */
static int parse_args(struct enroll_cli *cli, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (strcmp(a, "--json") == 0) {
			cli->json = true;
			continue;
		}
		if (strcmp(a, "--url") == 0)
			slot = &cli->url;
		else if (strcmp(a, "--token") == 0)
			slot = &cli->token_arg;
		else if (strcmp(a, "--token-file") == 0)
			slot = &cli->token_file;
		else if (strcmp(a, "--dir") == 0)
			slot = &cli->dir_arg;
		else if (strcmp(a, "--ca-file") == 0)
			slot = &cli->ca_file;
		else if (strcmp(a, "--gateway-id") == 0)
			slot = &cli->gateway_arg;
		if (!slot) {
			fprintf(stderr, "dockside: enroll: unexpected argument '%s'\n", a);
			goto usage;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "dockside: enroll: %s needs a value\n", a);
			goto usage;
		}
		if (*slot) {
			fprintf(stderr, "dockside: enroll: %s given twice\n", a);
			goto usage;
		}
		*slot = argv[++i];
	}
	if (!cli->url) {
		fprintf(stderr, "dockside: enroll: --url is required\n");
		goto usage;
	}
	if (!cli->token_arg == !cli->token_file) {
		fprintf(stderr, "dockside: enroll: give exactly one of --token and --token-file\n");
		goto usage;
	}
	if (!enroll_url_is_https(cli->url)) {
		fprintf(stderr, "dockside: enroll: only https:// URLs are accepted (the token and the credentials "
				"must not cross the network in clear text)\n");
		return EXIT_USAGE;
	}
	return 0;
usage:
	enroll_usage(stderr);
	return EXIT_USAGE;
}

int cmd_enroll(const char *config_path, int argc, char **argv)
{
	struct enroll_cli cli = {.config_path = config_path};
	struct enroll_response resp = {0};
	struct enroll_result res = {0};
	char (*paths)[PATH_MAX] = NULL;
	char err[ENROLL_ERROR_MAX];
	int rc = 1;

	strbuf_init(&cli.notes);
	if (wants_help(argc, argv)) {
		enroll_usage(stdout);
		return 0;
	}
	if ((rc = parse_args(&cli, argc, argv)) != 0)
		goto cleanup;
	rc = 1;
	if (!load_token(&cli) || !resolve_settings(&cli))
		goto cleanup;

	struct enroll_request req = {
		.url = cli.url,
		.gateway_id = cli.gateway_id,
		.token = cli.token,
		.ca_file = cli.ca_file,
		.connect_timeout_ms = ENROLL_CONNECT_TIMEOUT_MS,
		.total_timeout_ms = ENROLL_TOTAL_TIMEOUT_MS,
	};
	if (enroll_fetch(&req, &resp, err, sizeof err) < 0) {
		enroll_fail(&cli, "%s (nothing written)", err);
		goto cleanup;
	}
	if (resp.http_status != 200) {
		char excerpt[160];
		error_excerpt(&cli, &resp, excerpt, sizeof excerpt);
		enroll_fail(&cli, "server answered HTTP %ld%s%s%s (nothing written)", resp.http_status,
			    resp.http_status >= 300 && resp.http_status < 400 ? " (redirects are not followed: give "
										 "the final https:// URL)" : "",
			    excerpt[0] ? ": " : "", excerpt);
		goto cleanup;
	}
	if (enroll_parse_response(resp.body, resp.body_len, &res, err, sizeof err) < 0) {
		enroll_fail(&cli, "response refused: %s (nothing written)", err);
		goto cleanup;
	}
	enroll_response_free(&resp);
	if (!(paths = calloc(res.n_entries, sizeof *paths))) {
		enroll_fail(&cli, "out of memory");
		goto cleanup;
	}
	if (!prepare_dir(&cli) || !write_entries(&cli, &res, paths))
		goto cleanup;
	for (size_t i = 0; i < res.n_entries; i++)
		note_config_mismatch(&cli, &res.entries[i], paths[i]);
	print_result(&cli, &res, paths);
	rc = 0;
cleanup:
	explicit_bzero(cli.token, sizeof cli.token);
	enroll_response_free(&resp);
	enroll_result_free(&res);
	free(paths);
	strbuf_free(&cli.notes);
	if (cli.cfg)
		config_free(cli.cfg);
	return rc;
}
