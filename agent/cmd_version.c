/* dockside version: this program's version and the versions of the
 * libraries it runs with (as loaded at run time, not as compiled). No
 * daemon needed. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <getopt.h>
#include <libusb.h>
#include <modbus.h>
#include <mosquitto.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/commands.h"
#include "agent/control_client.h"

static void version_usage(FILE *out)
{
	fprintf(out, "usage: dockside version [--json]\n\n"
		     "Prints the dockside version and the versions of libmosquitto, SQLite,\n"
		     "libusb, libmodbus, libcurl, cJSON and OpenSSL in use.\n\n"
		     "options:\n"
		     "  --json     machine-readable output\n"
		     "  -h, --help this help\n");
}

struct lib_version {
	const char *name;
	char version[64];
};

int cmd_version(const char *config_path, int argc, char **argv)
{
	(void)config_path;
	bool json = false;
	int opt_status = parse_listing_options(argc, argv, "version", version_usage, &json, NULL, 0);
	if (opt_status >= 0)
		return opt_status;
	if (optind < argc) {
		fprintf(stderr, "dockside: version: unexpected argument '%s'\n", argv[optind]);
		version_usage(stderr);
		return EXIT_USAGE;
	}

	struct lib_version libs[] = {
		{"libmosquitto", ""}, {"SQLite", ""}, {"libusb", ""},  {"libmodbus", ""},
		{"libcurl", ""},      {"cJSON", ""},  {"OpenSSL", ""},
	};
	int major = 0, minor = 0, rev = 0;
	mosquitto_lib_version(&major, &minor, &rev);
	snprintf(libs[0].version, sizeof libs[0].version, "%d.%d.%d", major, minor, rev);
	snprintf(libs[1].version, sizeof libs[1].version, "%s", sqlite3_libversion());
	const struct libusb_version *usb = libusb_get_version();
	snprintf(libs[2].version, sizeof libs[2].version, "%u.%u.%u.%u%s", usb->major, usb->minor, usb->micro,
		 usb->nano, usb->rc ? usb->rc : "");
	snprintf(libs[3].version, sizeof libs[3].version, "%u.%u.%u", libmodbus_version_major,
		 libmodbus_version_minor, libmodbus_version_micro);
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
	snprintf(libs[4].version, sizeof libs[4].version, "%s", curl && curl->version ? curl->version : "?");
	snprintf(libs[5].version, sizeof libs[5].version, "%s", cJSON_Version());
	snprintf(libs[6].version, sizeof libs[6].version, "%s", OpenSSL_version(OPENSSL_VERSION_STRING));

	if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON *l = NULL;
		if (!root || !cJSON_AddStringToObject(root, "dockside", DOCKSIDE_VERSION) ||
		    !(l = cJSON_AddObjectToObject(root, "libraries"))) {
			cJSON_Delete(root);
			fprintf(stderr, "dockside: version: out of memory\n");
			return 1;
		}
		for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
			cJSON_AddStringToObject(l, libs[i].name, libs[i].version);
		char *text = cJSON_Print(root);
		cJSON_Delete(root);
		if (!text)
			return 1;
		puts(text);
		free(text);
		return 0;
	}
	printf("dockside %s\n", DOCKSIDE_VERSION);
	for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
		printf("  %-13s %s\n", libs[i].name, libs[i].version);
	return 0;
}
