/* The AIM symbology table: code characters, the modifiers that change
 * what the data means, and which of them carry GS1 element strings. */
#include "drivers/barcode/aim.h"

#include <string.h>

static const struct {
	char code;
	const char *name;
} symbologies[] = {
	{'A', "code-39"},       {'B', "telepen"},      {'C', "code-128"},
	{'D', "code-one"},      {'E', "ean-upc"},      {'F', "codabar"},
	{'G', "code-93"},       {'H', "code-11"},      {'I', "itf"},
	{'J', "dotcode"},       {'K', "code-16k"},     {'L', "pdf417"},
	{'M', "msi"},           {'N', "anker"},        {'O', "codablock"},
	{'P', "plessey"},       {'Q', "qr-code"},      {'R', "straight-2-of-5-2bar"},
	{'S', "straight-2-of-5-3bar"}, {'T', "code-49"}, {'U', "maxicode"},
	{'X', "other"},         {'Z', "non-barcode"},  {'c', "channel-code"},
	{'d', "data-matrix"},   {'e', "gs1-databar"},  {'g', "grid-matrix"},
	{'h', "han-xin"},       {'o', "ocr"},          {'p', "posicode"},
	{'s', "supercode"},     {'z', "aztec"},
};

/* Modifiers that name a more specific symbology. */
static const struct {
	const char *aim;
	const char *name;
	bool gs1;
} variants[] = {
	{"]C1", "gs1-128", true},
	{"]e0", "gs1-databar", true},
	{"]Q3", "gs1-qr-code", true},
	{"]d2", "gs1-data-matrix", true},
	{"]J1", "gs1-dotcode", true},
	{"]E0", "ean-13", false},
	{"]E1", "ean-upc-add-on-2", false},
	{"]E2", "ean-upc-add-on-5", false},
	{"]E3", "ean-upc-with-add-on", false},
	{"]E4", "ean-8", false},
	{"]L2", "micropdf417", false},
};

static const char *code_name(char code)
{
	for (size_t i = 0; i < sizeof symbologies / sizeof symbologies[0]; i++)
		if (symbologies[i].code == code)
			return symbologies[i].name;
	return NULL;
}

static bool is_modifier(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool aim_parse(const unsigned char *raw, size_t len, char aim[4])
{
	if (len < 3 || raw[0] != ']' || !code_name((char)raw[1]) || !is_modifier(raw[2]))
		return false;
	memcpy(aim, raw, 3);
	aim[3] = '\0';
	return true;
}

const char *aim_symbology(const char *aim)
{
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
		if (strcmp(variants[i].aim, aim) == 0)
			return variants[i].name;
	const char *name = strlen(aim) == 3 ? code_name(aim[1]) : NULL;
	return name ? name : "";
}

bool aim_carries_gs1(const char *aim)
{
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
		if (strcmp(variants[i].aim, aim) == 0)
			return variants[i].gs1;
	return false;
}
