/* Decoder options from a firmware profile's [barcode] section (the keys
 * are declared by the scanner drivers that read them). Kept apart from
 * the decoder so the decoder alone can be fuzzed. */
#include "drivers/barcode/barcode.h"

#include <string.h>

#include "drivers/profile.h"

void barcode_options_from_profile(const struct profile *p, struct barcode_options *opt)
{
	memset(opt, 0, sizeof *opt);
	const char *mode = p ? profile_str(p, "barcode", "aim_prefix", "auto") : "auto";
	if (strcmp(mode, "yes") == 0)
		opt->aim_mode = BARCODE_AIM_YES;
	else if (strcmp(mode, "no") == 0)
		opt->aim_mode = BARCODE_AIM_NO;
	else
		opt->aim_mode = BARCODE_AIM_AUTO;
}
