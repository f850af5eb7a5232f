/* Keyboard layout tables and boot report decoding; see hid_keymap.h. */
#include "drivers/hid_keymap.h"

#include <string.h>

/* Modifier bits of a boot keyboard report. */
#define MOD_LCTRL  0x01
#define MOD_LSHIFT 0x02
#define MOD_LALT   0x04
#define MOD_RCTRL  0x10
#define MOD_RSHIFT 0x20
#define MOD_RALT   0x40

/* Flag on a table entry: the key is a dead key for this accent. */
#define DEAD 0x80000000u

#define GS 0x1D

/* One key of a layout: what it types alone, with Shift, with AltGr. */
struct hid_keymap_row {
	uint8_t usage;
	uint32_t plain, shift, altgr;
};

struct hid_keymap {
	const char *name;
	/* Letters at usages 0x04..0x1D (US a..z positions); Shift gives the
	 * upper case. Rows override single positions. */
	const char *letters;
	const struct hid_keymap_row *rows;
	size_t n_rows;
	bool has_altgr;     /* right Alt is AltGr (and so is Ctrl + left Alt) */
	uint8_t gs_usage;   /* Ctrl + this key is GS in this layout */
	uint32_t keypad_decimal;
};

static const struct hid_keymap_row us_rows[] = {
	{0x1E, '1', '!', 0}, {0x1F, '2', '@', 0}, {0x20, '3', '#', 0}, {0x21, '4', '$', 0},
	{0x22, '5', '%', 0}, {0x23, '6', '^', 0}, {0x24, '7', '&', 0}, {0x25, '8', '*', 0},
	{0x26, '9', '(', 0}, {0x27, '0', ')', 0}, {0x2D, '-', '_', 0}, {0x2E, '=', '+', 0},
	{0x2F, '[', '{', 0}, {0x30, ']', '}', 0}, {0x31, '\\', '|', 0}, {0x32, '\\', '|', 0},
	{0x33, ';', ':', 0}, {0x34, '\'', '"', 0}, {0x35, '`', '~', 0}, {0x36, ',', '<', 0},
	{0x37, '.', '>', 0}, {0x38, '/', '?', 0}, {0x64, '\\', '|', 0},
};

static const struct hid_keymap_row uk_rows[] = {
	{0x1E, '1', '!', 0}, {0x1F, '2', '"', 0}, {0x20, '3', 0xA3 /* £ */, 0},
	{0x21, '4', '$', 0x20AC /* € */}, {0x22, '5', '%', 0}, {0x23, '6', '^', 0},
	{0x24, '7', '&', 0}, {0x25, '8', '*', 0}, {0x26, '9', '(', 0}, {0x27, '0', ')', 0},
	{0x2D, '-', '_', 0}, {0x2E, '=', '+', 0}, {0x2F, '[', '{', 0}, {0x30, ']', '}', 0},
	{0x31, '#', '~', 0}, {0x32, '#', '~', 0}, {0x33, ';', ':', 0}, {0x34, '\'', '@', 0},
	{0x35, '`', 0xAC /* ¬ */, 0xA6 /* ¦ */}, {0x36, ',', '<', 0}, {0x37, '.', '>', 0},
	{0x38, '/', '?', 0}, {0x64, '\\', '|', 0},
};

static const struct hid_keymap_row de_rows[] = {
	{0x08, 'e', 'E', 0x20AC /* € */}, {0x10, 'm', 'M', 0xB5 /* µ */}, {0x14, 'q', 'Q', '@'},
	{0x1E, '1', '!', 0}, {0x1F, '2', '"', 0xB2 /* ² */}, {0x20, '3', 0xA7 /* § */, 0xB3 /* ³ */},
	{0x21, '4', '$', 0}, {0x22, '5', '%', 0}, {0x23, '6', '&', 0}, {0x24, '7', '/', '{'},
	{0x25, '8', '(', '['}, {0x26, '9', ')', ']'}, {0x27, '0', '=', '}'},
	{0x2D, 0xDF /* ß */, '?', '\\'}, {0x2E, DEAD | 0xB4 /* ´ */, DEAD | '`', 0},
	{0x2F, 0xFC /* ü */, 0xDC, 0}, {0x30, '+', '*', '~'}, {0x31, '#', '\'', 0},
	{0x32, '#', '\'', 0}, {0x33, 0xF6 /* ö */, 0xD6, 0}, {0x34, 0xE4 /* ä */, 0xC4, 0},
	{0x35, DEAD | '^', 0xB0 /* ° */, 0}, {0x36, ',', ';', 0}, {0x37, '.', ':', 0},
	{0x38, '-', '_', 0}, {0x64, '<', '>', '|'},
};

static const struct hid_keymap_row fr_rows[] = {
	{0x08, 'e', 'E', 0x20AC /* € */}, {0x10, ',', '?', 0}, {0x33, 'm', 'M', 0},
	{0x1E, '&', '1', 0}, {0x1F, 0xE9 /* é */, '2', DEAD | '~'}, {0x20, '"', '3', '#'},
	{0x21, '\'', '4', '{'}, {0x22, '(', '5', '['}, {0x23, '-', '6', '|'},
	{0x24, 0xE8 /* è */, '7', DEAD | '`'}, {0x25, '_', '8', '\\'}, {0x26, 0xE7 /* ç */, '9', '^'},
	{0x27, 0xE0 /* à */, '0', '@'}, {0x2D, ')', 0xB0 /* ° */, ']'}, {0x2E, '=', '+', '}'},
	{0x2F, DEAD | '^', DEAD | 0xA8 /* ¨ */, 0}, {0x30, '$', 0xA3 /* £ */, 0xA4 /* ¤ */},
	{0x31, '*', 0xB5 /* µ */, 0}, {0x32, '*', 0xB5, 0}, {0x34, 0xF9 /* ù */, '%', 0},
	{0x35, 0xB2 /* ² */, 0, 0}, {0x36, ';', '.', 0}, {0x37, ':', '/', 0},
	{0x38, '!', 0xA7 /* § */, 0}, {0x64, '<', '>', 0},
};

#define LAYOUT(n, l, r, ag, dec) {n, l, r, sizeof r / sizeof r[0], ag, 0x30, dec}
static const struct hid_keymap layouts[] = {
	LAYOUT("us", "abcdefghijklmnopqrstuvwxyz", us_rows, false, '.'),
	LAYOUT("uk", "abcdefghijklmnopqrstuvwxyz", uk_rows, true, '.'),
	LAYOUT("de", "abcdefghijklmnopqrstuvwxzy", de_rows, true, ','),
	LAYOUT("fr", "qbcdefghijklmnoparstuvzxyw", fr_rows, true, '.'),
};

/* Dead key + base letter -> accented letter (all within Latin-1). */
static const struct {
	uint16_t dead, base, result;
} compose_table[] = {
	{'^', 'a', 0xE2}, {'^', 'e', 0xEA}, {'^', 'i', 0xEE}, {'^', 'o', 0xF4}, {'^', 'u', 0xFB},
	{'^', 'A', 0xC2}, {'^', 'E', 0xCA}, {'^', 'I', 0xCE}, {'^', 'O', 0xD4}, {'^', 'U', 0xDB},
	{0xA8, 'a', 0xE4}, {0xA8, 'e', 0xEB}, {0xA8, 'i', 0xEF}, {0xA8, 'o', 0xF6}, {0xA8, 'u', 0xFC},
	{0xA8, 'y', 0xFF}, {0xA8, 'A', 0xC4}, {0xA8, 'E', 0xCB}, {0xA8, 'I', 0xCF}, {0xA8, 'O', 0xD6},
	{0xA8, 'U', 0xDC}, {0xB4, 'a', 0xE1}, {0xB4, 'e', 0xE9}, {0xB4, 'i', 0xED}, {0xB4, 'o', 0xF3},
	{0xB4, 'u', 0xFA}, {0xB4, 'y', 0xFD}, {0xB4, 'A', 0xC1}, {0xB4, 'E', 0xC9}, {0xB4, 'I', 0xCD},
	{0xB4, 'O', 0xD3}, {0xB4, 'U', 0xDA}, {0xB4, 'Y', 0xDD}, {'`', 'a', 0xE0}, {'`', 'e', 0xE8},
	{'`', 'i', 0xEC}, {'`', 'o', 0xF2}, {'`', 'u', 0xF9}, {'`', 'A', 0xC0}, {'`', 'E', 0xC8},
	{'`', 'I', 0xCC}, {'`', 'O', 0xD2}, {'`', 'U', 0xD9}, {'~', 'a', 0xE3}, {'~', 'n', 0xF1},
	{'~', 'o', 0xF5}, {'~', 'A', 0xC3}, {'~', 'N', 0xD1}, {'~', 'O', 0xD5},
};

const struct hid_keymap *hid_keymap_find(const char *name)
{
	for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
		if (strcmp(layouts[i].name, name) == 0)
			return &layouts[i];
	return NULL;
}

/* The character of a printable key, 0 if the key types nothing. */
static uint32_t keymap_lookup(const struct hid_keymap *map, uint8_t usage, bool shift, bool altgr)
{
	for (size_t i = 0; i < map->n_rows; i++) {
		const struct hid_keymap_row *r = &map->rows[i];
		if (r->usage == usage)
			return altgr ? r->altgr : shift ? r->shift : r->plain;
	}
	if (usage >= 0x04 && usage <= 0x1D && !altgr) {
		char c = map->letters[usage - 0x04];
		return shift ? (uint32_t)(c - 'a' + 'A') : (uint32_t)c;
	}
	if (usage == 0x2C)
		return ' ';
	return 0;
}

/* Keys that type the same in every layout. */
static uint32_t common_key(const struct hid_keymap *map, uint8_t usage)
{
	switch (usage) {
	case 0x28: return '\r';  /* Enter */
	case 0x29: return 0x1B;  /* Escape */
	case 0x2A: return 0x08;  /* Backspace */
	case 0x2B: return '\t';
	case 0x54: return '/';   /* keypad */
	case 0x55: return '*';
	case 0x56: return '-';
	case 0x57: return '+';
	case 0x58: return '\r';
	case 0x62: return '0';
	case 0x63: return map->keypad_decimal;
	default:
		if (usage >= 0x59 && usage <= 0x61)
			return '1' + (usage - 0x59);
		return 0;
	}
}

static size_t put_utf8(uint8_t *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xC0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	out[0] = (uint8_t)(0xE0 | (cp >> 12));
	out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
	out[2] = (uint8_t)(0x80 | (cp & 0x3F));
	return 3;
}

/* Emits cp, combining it with a pending dead key first. */
static size_t emit_char(struct hid_key_decoder *d, uint32_t cp, uint8_t *out)
{
	size_t n = 0;
	if (d->dead) {
		uint32_t dead = d->dead;
		d->dead = 0;
		if (cp == ' ')
			return put_utf8(out, dead);
		for (size_t i = 0; i < sizeof compose_table / sizeof compose_table[0]; i++)
			if (compose_table[i].dead == dead && compose_table[i].base == cp)
				return put_utf8(out, compose_table[i].result);
		n = put_utf8(out, dead);
	}
	return n + put_utf8(out + n, cp);
}

static bool is_keypad_digit(uint8_t usage)
{
	return usage >= 0x59 && usage <= 0x62;
}

void hid_key_decoder_init(struct hid_key_decoder *d, const struct hid_keymap *map)
{
	memset(d, 0, sizeof *d);
	d->map = map;
}

void hid_key_decoder_reset(struct hid_key_decoder *d)
{
	hid_key_decoder_init(d, d->map);
}

static bool key_in(const uint8_t keys[6], uint8_t usage)
{
	for (int i = 0; i < 6; i++)
		if (keys[i] == usage)
			return true;
	return false;
}

/* One newly pressed key. */
static size_t key_pressed(struct hid_key_decoder *d, uint8_t mods, uint8_t usage, uint8_t *out)
{
	const struct hid_keymap *map = d->map;
	bool shift = mods & (MOD_LSHIFT | MOD_RSHIFT);
	bool ctrl = mods & (MOD_LCTRL | MOD_RCTRL);
	bool lalt = mods & MOD_LALT, ralt = mods & MOD_RALT;
	/* Windows treats Ctrl + left Alt as AltGr; scanners emulate both. */
	bool altgr = map->has_altgr && (ralt || (ctrl && lalt));
	bool alt = (lalt && !altgr) || (ralt && !map->has_altgr);

	if ((lalt || ralt) && is_keypad_digit(usage)) {
		unsigned digit = usage == 0x62 ? 0 : (unsigned)(usage - 0x59 + 1);
		if (d->alt_value < 1000)
			d->alt_value = d->alt_value * 10 + digit;
		d->alt_active = true;
		return 0;
	}
	if (ctrl && !(map->has_altgr && lalt && !ralt)) {
		if (usage == map->gs_usage)
			return emit_char(d, GS, out);
		uint32_t c = keymap_lookup(map, usage, shift, ralt && map->has_altgr) & ~DEAD;
		if (c == ']')
			return emit_char(d, GS, out);
		if (c >= 'a' && c <= 'z')
			return emit_char(d, c - 'a' + 1, out);
		if (c >= '@' && c <= '_')
			return emit_char(d, c - '@', out);
		return 0; /* a shortcut, not a character */
	}
	if (alt)
		return 0; /* Alt + key is a shortcut */
	uint32_t c = common_key(map, usage);
	if (!c)
		c = keymap_lookup(map, usage, shift, altgr);
	if (!c)
		return 0;
	if (c & DEAD) {
		size_t n = 0;
		if (d->dead) /* two dead keys: the first stands alone */
			n = put_utf8(out, d->dead);
		d->dead = c & ~DEAD;
		return n;
	}
	return emit_char(d, c, out);
}

int hid_key_decoder_feed(struct hid_key_decoder *d, const uint8_t report[HID_BOOT_REPORT_LEN],
			 uint8_t *out)
{
	const uint8_t *keys = report + 2;
	uint8_t mods = report[0];
	/* ErrorRollOver: every slot 0x01; no key state at all. */
	if (keys[0] == 0x01 && keys[5] == 0x01)
		return -1;
	size_t n = 0;
	bool alt_now = mods & (MOD_LALT | MOD_RALT);
	if (d->alt_active && !alt_now) {
		if (d->alt_value <= 255)
			out[n++] = (uint8_t)d->alt_value;
		else
			d->rejected++;
		d->alt_active = false;
		d->alt_value = 0;
	}
	for (int i = 0; i < 6; i++) {
		uint8_t usage = keys[i];
		if (usage < 0x04 || key_in(d->prev_keys, usage))
			continue;
		/* Each key adds at most 7 bytes; out holds 6 keys' worth. */
		n += key_pressed(d, mods, usage, out + n);
	}
	memcpy(d->prev_keys, keys, 6);
	d->prev_mods = mods;
	return (int)n;
}
