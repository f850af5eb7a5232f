/* GS1 dates: the century rule for two-digit years and month lengths. */
#include "drivers/barcode/gs1.h"

#include <time.h>

int gs1_full_year(int yy, int ref_year)
{
	int ref_yy = ref_year % 100;
	int century = ref_year - ref_yy;
	int diff = yy - ref_yy;
	/* GenSpecs 7.12: at most 49 years back, at most 50 years ahead. */
	if (diff >= 51)
		return century - 100 + yy;
	if (diff <= -50)
		return century + 100 + yy;
	return century + yy;
}

int gs1_days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[month - 1];
}

int gs1_reference_year(int opt_year)
{
	if (opt_year > 0)
		return opt_year;
	time_t now = time(NULL);
	struct tm tm;
	if (!gmtime_r(&now, &tm))
		return 2000;
	return tm.tm_year + 1900;
}
