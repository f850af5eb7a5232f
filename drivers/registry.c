#include <string.h>

#include "drivers/driver.h"

#define DRIVER(id) extern const struct driver_ops id##_driver;
#include "drivers/driver_list.h"
#undef DRIVER

static const struct driver_ops *const all_drivers[] = {
#define DRIVER(id) &id##_driver,
#include "drivers/driver_list.h"
#undef DRIVER
	NULL,
};

const struct driver_ops *const *driver_all(void) { return all_drivers; }

const struct driver_ops *driver_find(const char *name)
{
	for (size_t i = 0; all_drivers[i]; i++)
		if (strcmp(all_drivers[i]->name, name) == 0)
			return all_drivers[i];
	return NULL;
}
