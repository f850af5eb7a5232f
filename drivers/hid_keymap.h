/* Keyboard layouts for HID keyboard scanners, and the decoder that turns
 * boot keyboard reports into the bytes a scanner meant to send.
 *
 * A scanner in keyboard mode "types" its data through the keyboard country
 * set in its configuration; dockside must undo that with the same layout.
 * Layouts are data tables (usage id + Shift/AltGr -> character). Beyond
 * plain characters the decoder handles:
 *   - Ctrl + letter / [ \ ] ^ _ -> control characters, in particular GS
 *     (0x1D) for FNC1 in GS1 codes: Ctrl + the layout's ']' key, and
 *     Ctrl + usage 0x30 (the US ']' position), which scanners send in every
 *     keyboard country;
 *   - Alt + keypad decimal digits, then Alt released -> that byte;
 *   - dead keys (^ ´ ` ¨ ~ on de/fr): followed by space -> the accent
 *     itself, by a vowel -> the accented letter;
 *   - key-release reports and repeated characters: a character is typed
 *     when its usage appears in a report and was not in the previous one,
 *     so "press A, release, press A" is "AA".
 * Non-ASCII characters come out as UTF-8; Alt+numpad bytes come out as the
 * raw byte.
 */
#ifndef DOCKSIDE_HID_KEYMAP_H
#define DOCKSIDE_HID_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HID_BOOT_REPORT_LEN 8
/* Most bytes one report can produce (6 keys, each maybe a dead key plus a
 * 4-byte UTF-8 character, plus a pending Alt+numpad byte). */
#define HID_KEY_REPORT_MAX_OUT 64

struct hid_keymap;

/* Looks a layout up by name ("us", "uk", "de", "fr"); NULL if unknown. */
const struct hid_keymap *hid_keymap_find(const char *name);
/* '|'-separated layout names, for the profile key's choices. */
#define HID_KEYMAP_NAMES "us|uk|de|fr"

struct hid_key_decoder {
	const struct hid_keymap *map;
	uint8_t prev_keys[6];
	uint8_t prev_mods;
	bool alt_active;     /* Alt held and keypad digits typed */
	unsigned alt_value;
	uint32_t dead;       /* pending dead key, 0 if none */
	unsigned long rejected; /* Alt+numpad values above 255, dropped */
};

void hid_key_decoder_init(struct hid_key_decoder *d, const struct hid_keymap *map);
/* Forgets held keys and pending sequences (after a reconnect). */
void hid_key_decoder_reset(struct hid_key_decoder *d);

/* Decodes one 8-byte boot keyboard report (modifiers, reserved, 6 usages)
 * and writes the bytes typed to out (HID_KEY_REPORT_MAX_OUT bytes).
 * Returns the count written, or -1 for a report that carries no key state
 * (keyboard rollover error), which changes nothing. */
int hid_key_decoder_feed(struct hid_key_decoder *d, const uint8_t report[HID_BOOT_REPORT_LEN],
			 uint8_t *out);

#endif
