/* tenant_resolve_gs1: scans decoded by the real barcode decoder resolve to
 * the tenant with the longest matching GS1 company prefix in their SSCC,
 * GTIN or GLN; overlapping prefixes go to the longer one whatever the
 * order of tenants in the config; an unknown prefix, keys of two tenants
 * in one scan, a bad check digit, a scan without a GS1 key and a scan
 * that is not GS1 at all are refused with a reason that says which. Check
 * digits are computed here, so every "valid" scan really is valid. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/tenant_resolve.h"
#include "agent/util.h"
#include "drivers/barcode/barcode.h"

static int failures, cases;

/* GS1 mod-10 check digit of the digits in body (weights 3,1 from the right). */
static char check_digit(const char *body)
{
	size_t n = strlen(body);
	int sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (body[n - 1 - i] - '0') * (i % 2 == 0 ? 3 : 1);
	return (char)('0' + (10 - sum % 10) % 10);
}

/* body + its check digit, in one of a few rotating static buffers. */
static const char *with_cd(const char *body)
{
	static char bufs[8][64];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof bufs[0], "%s%c", body, check_digit(body));
	return b;
}

/* The same with a wrong check digit. */
static const char *with_bad_cd(const char *body)
{
	static char bufs[4][64];
	static int next;
	char *b = bufs[next++ % 4];
	snprintf(b, sizeof bufs[0], "%s%c", body, (char)('0' + (check_digit(body) - '0' + 1) % 10));
	return b;
}

static char *prefixes_acme[] = {"40123", "0614141"};
static char *prefixes_globex[] = {"401234567"};
static char *prefixes_initech[] = {"761234"};

static void make_config(struct config *cfg, struct tenant_conf *t, bool globex_first)
{
	memset(cfg, 0, sizeof *cfg);
	memset(t, 0, 3 * sizeof *t);
	int a = globex_first ? 1 : 0, g = globex_first ? 0 : 1;
	str_copy(t[a].name, sizeof t[a].name, "acme");
	t[a].gs1_prefixes = prefixes_acme;
	t[a].n_gs1_prefixes = 2;
	str_copy(t[g].name, sizeof t[g].name, "globex");
	t[g].gs1_prefixes = prefixes_globex;
	t[g].n_gs1_prefixes = 1;
	str_copy(t[2].name, sizeof t[2].name, "initech");
	t[2].gs1_prefixes = prefixes_initech;
	t[2].n_gs1_prefixes = 1;
	cfg->tenants = t;
	cfg->n_tenants = 3;
}

/* Decodes raw and resolves it against cfg; want = tenant, or NULL with
 * want_reason a substring of the reason. */
static void check(const struct config *cfg, const char *label, const char *raw, const char *want,
		  const char *want_reason)
{
	struct barcode_options opt = {0};
	struct barcode_scan scan;
	struct strbuf sb;
	char reason[256] = "";
	cases++;
	strbuf_init(&sb);
	barcode_decode((const unsigned char *)raw, strlen(raw), &opt, &scan, &sb);
	const char *got = tenant_resolve_gs1(cfg, &scan, reason, sizeof reason);
	bool ok = want ? got && strcmp(got, want) == 0 : !got && strstr(reason, want_reason);
	if (!ok) {
		fprintf(stderr, "FAIL %s: %s -> %s (reason \"%s\"), wanted %s%s%s\n  decoded: %s\n", label, raw,
			got ? got : "NULL", reason, want ? want : "NULL: ", want ? "" : want_reason, "",
			sb.buf ? sb.buf : "");
		failures++;
	}
	strbuf_free(&sb);
}

static const char *cat(const char *a, const char *b, const char *c, const char *d)
{
	static char bufs[8][256];
	static int next;
	char *o = bufs[next++ % 8];
	snprintf(o, sizeof bufs[0], "%s%s%s%s", a, b ? b : "", c ? c : "", d ? d : "");
	return o;
}

static void run(const struct config *cfg)
{
	/* GTIN (AI 01): indicator digit, then the company prefix. */
	check(cfg, "gtin of acme", cat("]C101", with_cd("0401239999999"), NULL, NULL), "acme", NULL);
	check(cfg, "gtin of globex (longest prefix wins)", cat("]C101", with_cd("0401234567001"), NULL, NULL),
	      "globex", NULL);
	check(cfg, "gtin of acme, shares 8 digits with globex", cat("]C101", with_cd("0401234560001"), NULL, NULL),
	      "acme", NULL);
	check(cfg, "gtin-14 with indicator 5", cat("]C101", with_cd("5401234567001"), NULL, NULL), "globex", NULL);
	check(cfg, "upc-a style prefix 0614141", cat("]C101", with_cd("0061414100003"), NULL, NULL), "acme", NULL);
	check(cfg, "gtin in a data matrix with batch", cat("]d201", with_cd("0761234000001"), "10LOT-7", NULL),
	      "initech", NULL);
	check(cfg, "ean-13 symbol", cat("]E0", with_cd("401234567123"), NULL, NULL), "globex", NULL);
	check(cfg, "digital link", cat("https://id.gs1.org/01/", with_cd("0401239999999"), NULL, NULL), "acme", NULL);
	/* AI 02 (GTIN of contained items) and AI 00 (SSCC: extension digit first). */
	check(cfg, "ai 02 of globex", cat("]C102", with_cd("0401234567002"), "37", "12"), "globex", NULL);
	check(cfg, "sscc of acme", cat("]C100", with_cd("34012300000000001"), NULL, NULL), "acme", NULL);
	check(cfg, "sscc of globex", cat("]C100", with_cd("04012345670000001"), NULL, NULL), "globex", NULL);
	/* GLN (AI 414): the prefix starts at the first digit. */
	check(cfg, "gln of initech", cat("]C1414", with_cd("761234000001"), NULL, NULL), "initech", NULL);
	check(cfg, "gln 410 ship-to of globex", cat("]C1410", with_cd("401234567001"), NULL, NULL), "globex", NULL);
	/* Two keys of the same tenant agree. */
	check(cfg, "sscc + gtin both acme",
	      cat("]C100", with_cd("34012300000000002"), "01", with_cd("0401239999999")), "acme", NULL);

	/* Refusals, each with its reason. */
	check(cfg, "unknown prefix", cat("]C101", with_cd("0999999999999"), NULL, NULL), NULL,
	      "no tenant owns the company prefix of AI 01");
	check(cfg, "prefix cut short (4012 is nobody's)", cat("]C101", with_cd("0401200000000"), NULL, NULL), NULL,
	      "no tenant owns");
	check(cfg, "sscc of acme + gtin of globex",
	      cat("]C100", with_cd("34012300000000003"), "01", with_cd("0401234567001")), NULL,
	      "conflicting owners: AI 00 belongs to acme, AI 01 to globex");
	check(cfg, "gtin of globex + gln of initech",
	      cat("]C101", with_cd("0401234567001"), "414", with_cd("761234000001")), NULL, "conflicting owners");
	check(cfg, "known + unknown key", cat("]C101", with_cd("0401239999999"), "414", with_cd("999999000001")),
	      NULL, "no tenant owns the company prefix of AI 414");
	check(cfg, "bad gtin check digit", cat("]C101", with_bad_cd("0401239999999"), NULL, NULL), NULL,
	      "check digit");
	check(cfg, "bad sscc check digit", cat("]C100", with_bad_cd("34012300000000001"), NULL, NULL), NULL,
	      "check digit");
	check(cfg, "bad check digit in the second key",
	      cat("]C101", with_cd("0401239999999"), "00", with_bad_cd("34012300000000001")), NULL, "check digit");
	check(cfg, "gs1 without a key", "]C110LOT-1\x1d" "21SERIAL", NULL, "no GS1 key");
	check(cfg, "not gs1 at all", "]A0HELLO", NULL, "carries no GS1 data");
	check(cfg, "plain text, no aim id", "4012399999999", NULL, "carries no GS1 data");
	check(cfg, "empty scan", "", NULL, "carries no GS1 data");
	check(cfg, "truncated gtin", "]C10140123", NULL, "no GS1 data");
}

int main(void)
{
	struct config cfg;
	struct tenant_conf tenants[3];
	make_config(&cfg, tenants, false);
	run(&cfg);
	/* The longest prefix wins whatever the order of the tenants. */
	make_config(&cfg, tenants, true);
	run(&cfg);
	/* A NULL scan is refused, not dereferenced. */
	char reason[128];
	cases++;
	if (tenant_resolve_gs1(&cfg, NULL, reason, sizeof reason) != NULL || !strstr(reason, "no GS1 data")) {
		fprintf(stderr, "FAIL NULL scan\n");
		failures++;
	}
	printf("%d cases, %d failed\n", cases, failures);
	return failures ? 1 : 0;
}
