/* GS1 dates: the century rule of GenSpecs 7.12, the day-00 rule of the
 * YYMMDD AIs, month lengths and leap years, and the ISO 8601 renderings
 * in "dates". */
#include "test_barcode_helpers.h"

#include "drivers/barcode/gs1.h"

static void test_century_rule_sliding_window(void)
{
	/* 49 years back, 50 ahead of the reference year. */
	CHECK(gs1_full_year(26, 2026) == 2026, "same year");
	CHECK(gs1_full_year(76, 2026) == 2076, "50 ahead is future");
	CHECK(gs1_full_year(77, 2026) == 1977, "51 ahead is past");
	CHECK(gs1_full_year(0, 2026) == 2000, "00 in 2026");
	CHECK(gs1_full_year(99, 2026) == 1999, "99 in 2026");
	CHECK(gs1_full_year(50, 2099) == 2050, "49 back from 2099");
	CHECK(gs1_full_year(49, 2099) == 2149, "50 years after 2099 when 50 back");
	CHECK(gs1_full_year(0, 2099) == 2100, "00 seen from 2099 is 2100");
	CHECK(gs1_full_year(98, 2001) == 1998, "98 seen from 2001");
	CHECK(gs1_full_year(51, 2001) == 2051, "51 seen from 2001 is 50 ahead");
	CHECK(gs1_full_year(52, 2001) == 1952, "52 seen from 2001 is 49 back");
}

static void test_month_lengths(void)
{
	CHECK(gs1_days_in_month(2024, 2) == 29, "2024 leap");
	CHECK(gs1_days_in_month(2100, 2) == 28, "2100 not leap");
	CHECK(gs1_days_in_month(2000, 2) == 29, "2000 leap");
	CHECK(gs1_days_in_month(2026, 4) == 30, "April");
	CHECK(gs1_days_in_month(2026, 12) == 31, "December");
	CHECK(gs1_days_in_month(2026, 13) == 0, "month 13");
}

static void expect_date(const char *input, const char *ai, const char *iso, int line)
{
	struct decoded d = decode_str(input);
	const char *got = d.json ? json_sub_str(d.json, "dates", ai) : NULL;
	CHECK(got && strcmp(got, iso) == 0, "line %d: %s: dates.%s = %s, want %s (%s)", line, input, ai,
	      got ? got : "-", iso, d.text);
	decoded_free(&d);
}
#define EXPECT_DATE(input, ai, iso) expect_date(input, ai, iso, __LINE__)

static void test_day_00_means_last_day_of_month(void)
{
	EXPECT_DATE("]C117261200", "17", "2026-12-31");
	EXPECT_DATE("]C117260400", "17", "2026-04-30");
	EXPECT_DATE("]C117240200", "17", "2024-02-29");
	EXPECT_DATE("]C117250200", "17", "2025-02-28");
	EXPECT_DATE("]C115270900", "15", "2027-09-30");
	EXPECT_ELEMENT("]C117261200", "17", "261200"); /* the exact string stays */
	/* day 00 is only for the YYMMDD date AIs 11-17 */
	EXPECT_ERROR("]C17006261200", "AI 7006: invalid day 00 in date 261200");
	EXPECT_ERROR("]C14326261200", "AI 4326: invalid day 00");
}

static void test_invalid_dates(void)
{
	EXPECT_ERROR("]C117260001", "AI 17: invalid month 00 in date 260001");
	EXPECT_ERROR("]C117261301", "AI 17: invalid month 13 in date 261301");
	EXPECT_ERROR("]C117269901", "AI 17: invalid month 99");
	EXPECT_ERROR("]C117260132", "AI 17: invalid day 32 in date 260132 (2026-01 has 31 days)");
	EXPECT_ERROR("]C117260431", "AI 17: invalid day 31 in date 260431 (2026-04 has 30 days)");
	EXPECT_ERROR("]C117250229", "AI 17: invalid day 29 in date 250229 (2025-02 has 28 days)");
	EXPECT_ELEMENT("]C117240229", "17", "240229");
	EXPECT_ERROR("]C11126123", "AI 11: 6 digits expected, got 5");
	EXPECT_ERROR("]C11126-231", "AI 11: character '-' at position 3 not allowed (digits only)");
	EXPECT_ERROR("]C112261231" "1", "AI expected at position 8, got only one digit"); /* one digit left over */
}

static void test_century_rule_in_rendering(void)
{
	EXPECT_DATE("]C111760101", "11", "2076-01-01");
	EXPECT_DATE("]C111770101", "11", "1977-01-01");
	EXPECT_DATE("]C111000229", "11", "2000-02-29");
	EXPECT_DATE("]C111991231", "11", "1999-12-31");
}

static void test_dates_with_times_and_periods(void)
{
	EXPECT_DATE("]C170032612311430", "7003", "2026-12-31T14:30");
	EXPECT_DATE("]C1800826123114", "8008", "2026-12-31T14:00");
	EXPECT_DATE("]C18008261231143005", "8008", "2026-12-31T14:30:05");
	EXPECT_DATE("]C17007260101260105", "7007", "2026-01-01/2026-01-05");
	EXPECT_DATE("]C17007260101", "7007", "2026-01-01");
	EXPECT_DATE("]C17011261231", "7011", "2026-12-31");
	EXPECT_DATE("]C170112612310815", "7011", "2026-12-31T08:15");
	EXPECT_DATE("]C1725019991231", "7250", "1999-12-31");
	EXPECT_DATE("]C17251199912312359", "7251", "1999-12-31T23:59");
	EXPECT_ERROR("]C17011261231081", "AI 7011:");
	EXPECT_ERROR("]C170112612312515", "AI 7011: invalid hour 25");
	/* non-date AIs get no "dates" entry */
	struct decoded d = decode_str("]C14321" "1");
	CHECK(d.json && !cJSON_GetObjectItem(d.json, "dates"), "4321 rendered as date: %s", d.text);
	decoded_free(&d);
}

int main(void)
{
	test_century_rule_sliding_window();
	test_month_lengths();
	test_day_00_means_last_day_of_month();
	test_invalid_dates();
	test_century_rule_in_rendering();
	test_dates_with_times_and_periods();
	return test_report("test_gs1_dates");
}
